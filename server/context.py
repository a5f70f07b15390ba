"""Per-request state: the viewer, the store, and what has been disclosed so far."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from graph.store import Store
from server.audit import AuditLog, AuditRow, now_utc
from server.policy import LAWFUL_BASIS, Fact, Viewer, release
from server.settings import Settings


@dataclass(slots=True)
class Disclosure:
    """Runs every fact through the policy and remembers, per person, what left and what not."""

    viewer: Viewer
    operation: str
    document_hash: str
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _seen: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)

    def release(self, about: str, fact: Fact) -> Fact | None:
        """`fact` as the viewer may see it (None if withheld), recorded against person `about`."""
        decision = release(self.viewer, fact)
        returned, withheld = self._seen.setdefault(about, (set(), set()))
        (withheld if decision.redacted else returned).add(decision.category.value)
        return decision.value

    def people(self) -> list[str]:
        return sorted(self._seen)

    def audit_rows(self, outcome: str) -> list[AuditRow]:
        """One row per person disclosed (or withheld) in this request."""
        time = now_utc()
        return [
            AuditRow(
                time=time,
                user=self.viewer.user,
                role=self.viewer.role,
                agency=self.viewer.agency,
                purpose=self.viewer.purpose.value,
                basis=LAWFUL_BASIS[self.viewer.purpose],
                operation=self.operation,
                document_hash=self.document_hash,
                person_id=person_id,
                returned=tuple(sorted(returned)),
                withheld=tuple(sorted(withheld)),
                outcome=outcome,
                correlation_id=self.correlation_id,
            )
            for person_id, (returned, withheld) in sorted(self._seen.items())
        ]

    def commit(self, log: AuditLog, outcome: str = "ok") -> None:
        """Write the audit rows; raises `AuditUnavailable` so the caller returns no data."""
        log.append(self.audit_rows(outcome))


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(slots=True)
class RequestContext:
    """What every GraphQL resolver and page handler gets."""

    settings: Settings
    store: Store
    disclosure: Disclosure
