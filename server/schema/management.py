"""GraphQL for management information: aggregate counts across families, small ones suppressed."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.questions import management_information as mi
from server.context import RequestContext
from server.errors import BadArgument, NotPermitted
from server.sharing import READ_MANAGEMENT_INFORMATION

Ctx = Info[RequestContext, None]
MAX_PAIRS = 100


@strawberry.type(
    description="A count of families or children: null `value` with `suppressed` true when"
    " under 5 (zero included); otherwise rounded to the nearest 5."
)
class SuppressedCount:
    value: int | None
    suppressed: bool

    @classmethod
    def of(cls, count: mi.Count) -> SuppressedCount:
        return cls(value=count.value, suppressed=count.suppressed)


@strawberry.type(description="A service, or a need (a risk-indicator kind or CIN primary need).")
class MiItem:
    kind: str
    name: str
    families: SuppressedCount

    @classmethod
    def of(cls, found: mi.ItemCount) -> MiItem:
        return cls(kind=found.item.kind, name=found.item.name,
                   families=SuppressedCount.of(found.families))


@strawberry.type(description="Two items and the families that had both in the period.")
class MiPair:
    first: MiItem
    second: MiItem
    families: SuppressedCount
    lift: float | None = strawberry.field(
        description="P(both) / (P(first) x P(second)) over the families counted; null when"
        " any of the three counts is suppressed."
    )


@strawberry.type(description="Which services and needs go together across families.")
class CoOccurrence:
    start: date
    end: date
    families: SuppressedCount
    items: list[MiItem]
    pairs: list[MiPair]


@strawberry.type(description="Moves between early help (targeted) and social care (statutory).")
class StepTransitions:
    start: date
    end: date
    early_help_started: SuppressedCount
    social_care_started: SuppressedCount
    step_ups: SuppressedCount
    step_downs: SuppressedCount


@strawberry.type(description="Child-in-need referrals, and those within 12 months of another.")
class ReReferrals:
    start: date
    end: date
    referrals: SuppressedCount
    re_referrals: SuppressedCount


From = Annotated[date | None, strawberry.argument(
    name="from", description="First day of the period; a year before `to` if not given.")]
To = Annotated[date | None, strawberry.argument(description="Last day; today if not given.")]


def _analyst(info: Ctx, what: str) -> RequestContext:
    ctx = info.context
    if ctx.disclosure.viewer.purpose is None:  # no purpose, no read (docs/security.md rule 13)
        raise NotPermitted("choose a purpose of access before reading management information")
    if READ_MANAGEMENT_INFORMATION not in ctx.disclosure.viewer.permissions:
        raise NotPermitted("management information needs the read_management_information"
                           " permission")
    ctx.disclosure.aggregate(what)
    return ctx


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    try:
        return mi.period_of(start, end)
    except ValueError:
        raise BadArgument("from", "is after to") from None


@strawberry.type
class ManagementQuery:
    @strawberry.field(description="Which services and needs co-occur across families, with"
                      " counts and lift; counts under 5 suppressed. Management information"
                      " permission only.")
    async def co_occurrence(self, info: Ctx, from_: From = None, to: To = None,
                      top: int = 50) -> CoOccurrence:
        ctx = _analyst(info, "mi_co_occurrence")
        if not 1 <= top <= MAX_PAIRS:
            raise BadArgument("top", f"must be between 1 and {MAX_PAIRS}")
        counted = ctx.disclosure.counted()
        answer = await ctx.loaders.ask(lambda: mi.co_occurrence(
            ctx.store, *_period(from_, to), top=top, counted=counted))
        return CoOccurrence(
            start=answer.start, end=answer.end, families=SuppressedCount.of(answer.families),
            items=[MiItem.of(i) for i in answer.items],
            pairs=[MiPair(first=MiItem.of(p.first), second=MiItem.of(p.second),
                          families=SuppressedCount.of(p.families), lift=p.lift)
                   for p in answer.pairs],
        )

    @strawberry.field(description="Step-up and step-down between early help and social care"
                      " in the period; counts under 5 suppressed. Management information"
                      " permission only.")
    async def step_transitions(self, info: Ctx, from_: From = None, to: To = None
                         ) -> StepTransitions:
        ctx = _analyst(info, "mi_step_transitions")
        counted = ctx.disclosure.counted()
        answer = await ctx.loaders.ask(
            lambda: mi.transitions(ctx.store, *_period(from_, to), counted))
        return StepTransitions(
            start=answer.start, end=answer.end,
            early_help_started=SuppressedCount.of(answer.early_help_started),
            social_care_started=SuppressedCount.of(answer.social_care_started),
            step_ups=SuppressedCount.of(answer.step_ups),
            step_downs=SuppressedCount.of(answer.step_downs),
        )

    @strawberry.field(description="Referrals in the period and re-referrals within 12 months;"
                      " counts under 5 suppressed. Management information permission only.")
    async def re_referrals(self, info: Ctx, from_: From = None, to: To = None) -> ReReferrals:
        ctx = _analyst(info, "mi_re_referrals")
        counted = ctx.disclosure.counted()
        answer = await ctx.loaders.ask(
            lambda: mi.re_referrals(ctx.store, *_period(from_, to), counted))
        return ReReferrals(start=answer.start, end=answer.end,
                           referrals=SuppressedCount.of(answer.referrals),
                           re_referrals=SuppressedCount.of(answer.re_referrals))
