"""Per-request state: the viewer, the store, and what has been disclosed so far."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from graph.store import Store
from server.audit import AuditLog, AuditRow, now_utc
from server.batching import Loaders
from server.budget import PeopleWatch
from server.errors import NotPermitted, OperationTimedOut
from server.following import Following
from server.logging_json import current_request_id
from server.policy import Category, Fact, Release, Viewer, ViewerLens, release
from server.settings import Settings
from server.sharing import SharingRules, default_rules

# The outcome on the audit row of a read refused for want of a purpose (pages write it too).
REFUSED_NO_PURPOSE = "refused: no purpose"


@dataclass(slots=True)
class Disclosure:
    """Runs every fact through the policy and remembers, per person, what left and what not."""

    viewer: Viewer
    operation: str
    document_hash: str
    rules: SharingRules = field(default_factory=default_rules)
    # The request's id (X-Request-ID): in its error responses, audit rows and log lines.
    correlation_id: str = field(default_factory=current_request_id)
    deadline: float | None = None  # time.monotonic() after which no more facts are released
    _seen: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    _aggregates: set[str] = field(default_factory=set)
    _audit_reads: set[tuple[str, str]] = field(default_factory=set)
    _refused_no_purpose: bool = False

    def decide(self, about: str, fact: Fact) -> Release[Fact]:
        """The policy's whole decision on `fact` about person `about`, recorded for the audit.

        Raises
        ------
        NotPermitted : the viewer has chosen no purpose (no purpose, no read)
        OperationTimedOut : the request's time is up; nothing more is released
        """
        if self.viewer.purpose is None:
            raise self.refuse_no_purpose()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OperationTimedOut()
        decision = release(self.viewer, self.rules, about, fact)
        seen = self._seen.get(about)
        if seen is None:
            seen = self._seen[about] = (set(), set())
        if decision.returned:
            seen[0].update(_values(decision.returned))
        if decision.withheld:
            seen[1].update(_values(decision.withheld))
        return decision

    def refuse_no_purpose(self) -> NotPermitted:
        """The refusal of a read without a purpose, remembered so the refusal is audited."""
        self._refused_no_purpose = True
        return NotPermitted("choose a purpose of access before reading about anyone")

    def lens(self) -> ViewerLens:
        """The policy for deciding what a search may match on (decisions not recorded).

        Raises
        ------
        NotPermitted : no purpose, or an agreement that does not cover people at all
        """
        lens = self.counted()
        if Category.IDENTITY not in self.rules.agreement(self.viewer.agency).categories:
            raise NotPermitted("your agency's agreement does not cover people")
        return lens

    def counted(self) -> ViewerLens:
        """The policy for deciding which facts an aggregate may count (not recorded: the
        aggregate is audited as one row naming no one)."""
        if self.viewer.purpose is None:
            raise self.refuse_no_purpose()
        return ViewerLens(self.viewer, self.rules)

    def release(self, about: str, fact: Fact) -> Fact | None:
        """`fact` as the viewer may see it (None if withheld), recorded against person `about`."""
        return self.decide(about, fact).value

    def matched(self, about: str, categories: frozenset[Category]) -> None:
        """Record that a search answer told these categories of fact about person `about`
        (a postcode match tells where they lived), already released by the search's lens."""
        if categories:
            self._seen.setdefault(about, (set(), set()))[0].update(_values(categories))

    def aggregate(self, what: str) -> None:
        """Record an aggregate read (management information): audited as one row naming no
        person, so a leader's questions are on the log without personal data on it."""
        self._aggregates.add(what)

    def audit_read(self, what: str, about: str = "") -> None:
        """Record a read of the audit log itself (who looked at person `about`, what a user
        looked at, the reviews): auditors' looks are on the log like everyone's."""
        self._audit_reads.add((about, what))

    def people(self) -> list[str]:
        return sorted(self._seen)

    def audit_rows(self, outcome: str) -> list[AuditRow]:
        """One row per person disclosed (or withheld) in this request; one naming no one
        for its aggregate reads; one naming no one for a read refused for want of a purpose."""
        stamp = now_utc()
        glass = self.viewer.breaking_glass()
        basis = self.rules.basis(self.viewer.purpose)
        if glass:
            basis = "break-glass"  # the written reason goes to the review queue, not the log

        def row(**about: Any) -> AuditRow:
            return AuditRow(
                time=stamp, user=self.viewer.user, role=self.viewer.role,
                agency=self.viewer.agency,
                purpose=self.viewer.purpose.value if self.viewer.purpose else "",
                operation=self.operation, document_hash=self.document_hash,
                correlation_id=self.correlation_id, break_glass=glass, **about,
            )

        rows = [
            row(person_id=person_id, basis=basis, returned=tuple(sorted(returned)),
                withheld=tuple(sorted(withheld - returned)), outcome=outcome,
                grant=person_id in self.viewer.grants)
            for person_id, (returned, withheld) in sorted(self._seen.items())
        ]
        if self._aggregates:
            rows.append(row(person_id="", basis="aggregate, small numbers suppressed",
                            returned=tuple(sorted(self._aggregates)), withheld=(),
                            outcome=outcome))
        rows += [row(person_id=about, basis="audit", returned=(what,), withheld=(),
                     outcome=outcome) for about, what in sorted(self._audit_reads)]
        if self._refused_no_purpose:
            rows.append(row(person_id="", basis="", returned=(), withheld=(),
                            outcome=REFUSED_NO_PURPOSE))
        return rows

    def commit(self, log: AuditLog, outcome: str = "ok") -> None:
        """Write the audit rows; raises `AuditUnavailable` so the caller returns no data."""
        log.append(self.audit_rows(outcome))

    async def commit_async(self, log: AuditLog, outcome: str = "ok") -> None:
        """`commit` without holding up the event loop while the rows are made durable."""
        await log.append_async(self.audit_rows(outcome))


# The audit's plain strings for each set of categories a decision names: few distinct
# sets, and each is met on every fact of a request.
_VALUES: dict[frozenset[Category], frozenset[str]] = {}


def _values(categories: frozenset[Category]) -> frozenset[str]:
    found = _VALUES.get(categories)
    if found is None:
        found = _VALUES[categories] = frozenset(c.value for c in categories)
    return found


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(slots=True)
class Connection:
    """A graphql-transport-ws connection: the bearer token its `connection_init` carried."""

    token: str = ""
    expires_at: float = 0.0  # epoch seconds; the socket is closed then (docs/security.md rule 11)


@dataclass(slots=True)
class RequestContext:
    """What every GraphQL resolver and page handler gets."""

    settings: Settings
    store: Store
    disclosure: Disclosure
    audit: AuditLog | None = None  # for the auditor's questions; None outside the app
    auth: Any = None  # the Authenticator, for break-glass; None outside the app
    following: Following | None = None  # who each user follows; None outside the app
    connection: Connection | None = None  # set on websocket connections only
    people_watch: PeopleWatch | None = None  # raises a review on many people; None outside
    # Strawberry puts the connection_init payload here; it holds the token, so nothing
    # else reads it and it is never logged.
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store, self.disclosure)


def nobody() -> Viewer:
    """The viewer of a websocket before its connection_init: no purpose, so no read."""
    return Viewer(user="", agency="", role="", purpose=None)
