"""GraphQL for people's identity decisions: the review queue, and link and unlink mutations."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph import model
from loaders.identity.decisions import DecisionRefused, decide
from server.context import RequestContext
from server.errors import BadArgument, NotPermitted
from server.policy import RESOLVE_IDENTITY
from server.schema.linkage import FieldEvidence, MatchGrade, parse_fields, shared_record
from server.schema.people import Person
from server.schema.relay import PageInfo

Ctx = Info[RequestContext, None]
MAX_PAGE = 100


def _cursor(pair_id: str) -> str:
    return base64.urlsafe_b64encode(f"review:{pair_id}".encode()).decode()


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("after", "is not a cursor this API gave") from None
    if not text.startswith("review:"):
        raise BadArgument("after", "is not a cursor this API gave")
    return text.removeprefix("review:")


def _require(ctx: RequestContext) -> None:
    if RESOLVE_IDENTITY not in ctx.disclosure.viewer.permissions:
        raise NotPermitted("resolving identities needs the resolve_identity permission")


def _released(
    ctx: RequestContext, person_id: str, people: dict[str, model.Person]
) -> Person | None:
    """The person as the viewer may see them, from `people` asked of the store all at once."""
    found = people.get(person_id)
    if found is None:
        return None
    return Person.of(ctx.disclosure.decide(found.id, found))


@strawberry.type(description="Two records the model could not decide on, with its evidence.")
class ReviewItem:
    id: strawberry.ID
    record_a: str
    record_b: str
    person_a: Person | None
    person_b: Person | None
    probability: float
    match_weight: float
    grade: MatchGrade
    evidence: list[FieldEvidence]
    evidence_withheld: int = strawberry.field(
        description="How many compared fields are withheld: your agreement does not cover them."
    )
    raised_on: date | None


@strawberry.type
class ReviewEdge:
    cursor: str
    node: ReviewItem


@strawberry.type(description="Open review pairs, ordered, a page at a time.")
class ReviewConnection:
    edges: list[ReviewEdge]
    page_info: PageInfo
    withheld: int = strawberry.field(
        description="Pairs on this page left out: a record of theirs is from a system your"
        " agreement does not share."
    )


@strawberry.type(description="What a link or unlink decided, and the persons it left.")
class DecisionResult:
    decision_id: strawberry.ID
    action: str
    changed: bool = strawberry.field(description="False when the records already stood so.")
    persons: list[Person]
    persons_withheld: int = strawberry.field(
        description="How many persons the decision left are withheld from you."
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="Pairs waiting for a person to link or unlink them.")
    async def review_queue(
        self,
        info: Ctx,
        first: Annotated[int, strawberry.argument(description="1 to 100.")] = 20,
        after: str | None = None,
    ) -> ReviewConnection | None:
        ctx = info.context
        _require(ctx)
        if not 1 <= first <= MAX_PAGE:
            raise BadArgument("first", f"must be between 1 and {MAX_PAGE}")
        pairs = await ctx.loaders.ask(lambda: ctx.store.review_queue(_after(after), first + 1))
        agreement = ctx.disclosure.rules.agreement(ctx.disclosure.viewer.agency)
        page = pairs[:first]
        # The page is cut before filtering, so cursors stay those of the stored queue and a
        # withheld pair is counted on the page it would have been on.
        visible = [
            pair for pair in page
            if shared_record(agreement, pair.record_a) and shared_record(agreement, pair.record_b)
        ]
        # One store question for the people of every pair on the page.
        wanted = {p for pair in visible for p in (pair.person_a, pair.person_b)}
        people = await ctx.loaders.ask(lambda: ctx.store.people(wanted))
        edges = []
        for pair in visible:
            evidence, withheld_fields = parse_fields(pair.evidence, agreement)
            edges.append(
                ReviewEdge(
                    cursor=_cursor(pair.id),
                    node=ReviewItem(
                        id=strawberry.ID(pair.id),
                        record_a=pair.record_a,
                        record_b=pair.record_b,
                        person_a=_released(ctx, pair.person_a, people),
                        person_b=_released(ctx, pair.person_b, people),
                        probability=pair.probability,
                        match_weight=pair.match_weight,
                        grade=MatchGrade(pair.grade),
                        evidence=evidence,
                        evidence_withheld=withheld_fields,
                        raised_on=pair.raised_on,
                    ),
                )
            )
        last = _cursor(page[-1].id) if page else None
        return ReviewConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(pairs) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                # The last stored pair of the page, shown or not, so the next page follows it.
                end_cursor=last,
            ),
            withheld=len(page) - len(visible),
        )


async def _decide(
    ctx: RequestContext, a: str, b: str, action: str, reason: str
) -> DecisionResult:
    _require(ctx)
    user = ctx.disclosure.viewer.user
    try:
        outcome = await ctx.loaders.ask(lambda: decide(ctx.store, a, b, action, reason, user),
                                        writes=True)
    except DecisionRefused as exc:
        raise BadArgument(exc.field, exc.reason) from None
    # Read after the decision is written, so not through the request's (earlier) loaders.
    people = await ctx.loaders.ask(lambda: ctx.store.people(outcome.person_ids))
    released = [_released(ctx, pid, people) for pid in outcome.person_ids]
    persons = [p for p in released if p is not None]
    return DecisionResult(
        decision_id=strawberry.ID(outcome.decision.id),
        action=action,
        changed=outcome.changed,
        persons=persons,
        persons_withheld=len(released) - len(persons),
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Say two records are one human; later loads keep it so.")
    async def link_records(
        self, info: Ctx, record_a: str, record_b: str, reason: str
    ) -> DecisionResult:
        return await _decide(info.context, record_a, record_b, "link", reason)

    @strawberry.mutation(description="Say two records are two humans; later loads keep it so.")
    async def unlink_records(
        self, info: Ctx, record_a: str, record_b: str, reason: str
    ) -> DecisionResult:
        return await _decide(info.context, record_a, record_b, "unlink", reason)

