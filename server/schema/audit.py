"""GraphQL for auditors: who looked at a person, what a user looked at, what needs review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from server.audit import AuditLog, AuditRow
from server.context import RequestContext
from server.errors import BadArgument, NotPermitted
from server.sharing import AUDIT_READ

Ctx = Info[RequestContext, None]
MAX_AUDIT_PAGE = 100


@strawberry.type(description="One audit row: who read which person, when, why. Identifiers only.")
class AuditEntry:
    time: datetime
    user: str
    role: str
    agency: str
    purpose: str
    basis: str
    operation: str
    person_id: strawberry.ID
    returned: list[str]
    withheld: list[str]
    outcome: str
    correlation_id: str
    break_glass: bool

    @classmethod
    def of(cls, row: AuditRow) -> AuditEntry:
        return cls(
            time=datetime.fromisoformat(row.time), user=row.user, role=row.role,
            agency=row.agency, purpose=row.purpose, basis=row.basis, operation=row.operation,
            person_id=strawberry.ID(row.person_id), returned=list(row.returned),
            withheld=list(row.withheld), outcome=row.outcome,
            correlation_id=row.correlation_id, break_glass=row.break_glass,
        )


@strawberry.type(description="Something raised for a person to review: break-glass, many people.")
class AuditReview:
    time: datetime
    kind: str
    user: str
    detail: str


def _auditor(info: Ctx, first: int) -> AuditLog:
    ctx = info.context
    if AUDIT_READ not in ctx.disclosure.viewer.permissions:
        raise NotPermitted("only auditors may read the audit log")
    if not 1 <= first <= MAX_AUDIT_PAGE:
        raise BadArgument("first", f"must be between 1 and {MAX_AUDIT_PAGE}")
    if ctx.audit is None:
        raise NotPermitted("the audit log is not available here")
    return ctx.audit


PageSize = Annotated[int, strawberry.argument(description="Newest first; at most 100.")]


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Who looked at this person, newest first. Auditors only.")
    def audit_of_person(self, info: Ctx, person_id: strawberry.ID, first: PageSize = 50
                        ) -> list[AuditEntry]:
        log = _auditor(info, first)
        info.context.disclosure.audit_read("audit_of_person", str(person_id))
        return [AuditEntry.of(r) for r in log.rows_about(str(person_id), first, True)]

    @strawberry.field(description="Everything this user looked at, newest first. Auditors only.")
    def audit_of_user(self, info: Ctx, user: str, first: PageSize = 50) -> list[AuditEntry]:
        log = _auditor(info, first)
        info.context.disclosure.audit_read(f"audit_of_user:{user}")
        return [AuditEntry.of(r) for r in log.rows_by(user, first, True)]

    @strawberry.field(description="Break-glass uses and alerts awaiting review. Auditors only.")
    def audit_reviews(self, info: Ctx, first: PageSize = 50) -> list[AuditReview]:
        log = _auditor(info, first)
        info.context.disclosure.audit_read("audit_reviews")
        return [
            AuditReview(time=datetime.fromisoformat(r.time), kind=r.kind, user=r.user,
                        detail=r.detail)
            for r in log.reviews(first)
        ]
