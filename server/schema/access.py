"""GraphQL for access itself: break-glass (docs/security.md rule 17)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from server.context import RequestContext
from server.errors import BadArgument, NotPermitted
from server.policy import BREAK_GLASS_MAX_HOURS, BREAK_GLASS_MIN_REASON

Ctx = Info[RequestContext, None]


@strawberry.type(description="A token that may see restricted facts until `expiresAt`.")
class BreakGlassPass:
    token: str
    expires_at: datetime


def check_break_glass(reason: str, hours: float) -> str:
    """The reason, trimmed, if it and the duration are acceptable.

    Raises
    ------
    BadArgument : reason under 20 characters, or hours outside (0, 4]
    """
    words = " ".join(reason.split())
    if len(words) < BREAK_GLASS_MIN_REASON:
        raise BadArgument("reason", f"must be at least {BREAK_GLASS_MIN_REASON} characters")
    if not 0 < hours <= BREAK_GLASS_MAX_HOURS:
        raise BadArgument("hours", f"must be more than 0 and at most {BREAK_GLASS_MAX_HOURS:g}")
    return words


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Break glass: see restricted facts for up to 4 hours, with a written reason"
        " of 20+ characters. Every read is flagged and the use is raised for review."
    )
    def break_glass(self, info: Ctx, reason: str, hours: float = 1.0) -> BreakGlassPass:
        ctx = info.context
        viewer = ctx.disclosure.viewer
        words = check_break_glass(reason, hours)
        if not ctx.disclosure.rules.agreement(viewer.agency).break_glass or viewer.purpose is None:
            raise NotPermitted("your agency's agreement does not allow break-glass")
        user = ctx.auth.user(viewer.user) if ctx.auth else None
        if user is None or ctx.audit is None:
            raise NotPermitted("break-glass needs a signed-in user and the audit log")
        until = time.time() + hours * 3600
        ctx.audit.raise_review("break_glass", viewer.user, f"{hours:g}h: {words}")
        token = ctx.auth.issue(user, viewer.purpose, break_glass_until=until, hours=hours)
        return BreakGlassPass(token=token, expires_at=datetime.fromtimestamp(int(until), UTC))
