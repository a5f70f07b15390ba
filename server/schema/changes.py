"""GraphQL for changes: following people, `changes(since)` and the `changes` subscription.

Every change is released through the request's (or, on a websocket, the event's) one
Disclosure: the change as a whole, then each person, address and service in it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, Iterable
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph import changes as model
from graph.errors import PersonNotFound
from graph.model import Person as PersonValue
from graph.questions import resolve_as_of
from graph.store import InvolvementView
from server.auth import NotAuthenticated
from server.batching import Loaders
from server.context import Disclosure, RequestContext
from server.errors import BadArgument, FieldNotPermitted, NotPermitted
from server.policy import Category, Topic
from server.schema.people import Address, Person, ServiceEngaged, Source, _sources
from server.schema.relay import MAX_PAGE, PageInfo, offset_of, page, seq_cursor, seq_of

Ctx = Info[RequestContext, None]

ChangeKind = strawberry.enum(
    model.ChangeKind,
    description="A new adult in a child's household, a child moving, a service starting or"
    " ending, a new domestic-abuse notification.",
)

# Changes one look at the store reads for a subscription before it sends them.
FEED_BATCH = 100


@strawberry.type(description="Something famgraph learned at a load about someone you follow.")
class Change:
    id: strawberry.ID = strawberry.field(description="Rises with every change famgraph learns.")
    kind: ChangeKind  # type: ignore[valid-type]
    recorded_at: datetime = strawberry.field(description="When famgraph learned it (UTC).")
    effective: date | None = strawberry.field(description="When it happened, as sources say.")
    person: Person = strawberry.field(
        description="Who it is about: the child who moved or was joined, the person whose"
        " service started or ended, the person named in the notification."
    )
    other_person: Person | None = strawberry.field(description="The adult who joined, if any.")
    other_person_withheld: bool = strawberry.field(
        description="True when there is another person but you may not see them."
    )
    address: Address | None = strawberry.field(description="The household's address.")
    address_withheld: bool = strawberry.field(
        description="True when the change has an address but you may not see it."
    )
    service: ServiceEngaged | None = strawberry.field(
        description="The service that started or ended."
    )
    summary_value: strawberry.Private[str | None]
    sources_value: strawberry.Private[list[Source] | None]
    subject_id: strawberry.Private[str]

    @strawberry.field(
        description="How `otherPerson` is related to `person` on the day it happened, in"
        " plain words: mother's partner, unrelated adult..."
    )
    async def relationship_to_person(self, info: Ctx) -> str | None:
        other = self.other_person
        if other is None:
            return None
        # The household question names every member, from the kin graph on that day; it
        # is asked only when a client selects this field.
        try:
            answer = await info.context.loaders.households.load(
                (self.subject_id, resolve_as_of(self.effective)))
        except PersonNotFound:
            return None
        return next((m.relationship for m in answer.members
                     if m.person.id == other.person.id), None)

    @strawberry.field(
        description="What a notification says; null with FIELD_NOT_PERMITTED when service"
        " detail is withheld from you."
    )
    def summary(self) -> str | None:
        if self.summary_value is None:
            raise FieldNotPermitted(Category.SERVICE_DETAIL.value)
        return self.summary_value

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when sources are withheld.")
    def sources(self) -> list[Source] | None:
        if self.sources_value is None:
            raise FieldNotPermitted(Category.SOURCES.value)
        return self.sources_value


@strawberry.type
class ChangeEdge:
    cursor: str
    node: Change


@strawberry.type(description="Changes about people you follow, oldest first.")
class ChangeConnection:
    edges: list[ChangeEdge]
    page_info: PageInfo
    withheld: int = strawberry.field(
        default=0, description="Changes on this page withheld from you by your agreement."
    )


@strawberry.type(description="Someone you follow, and since when.")
class FollowedPerson:
    person: Person
    since: datetime


@strawberry.type
class FollowedEdge:
    cursor: str
    node: FollowedPerson


@strawberry.type(description="The people you follow, by id.")
class FollowingConnection:
    edges: list[FollowedEdge]
    page_info: PageInfo
    withheld: int = strawberry.field(
        default=0, description="People you follow who are withheld from you on this page."
    )


def release_change(
    ctx: RequestContext, change: model.Change, people: dict[str, PersonValue]
) -> Change | None:
    """The change as the viewer may see it, or None when the policy withholds it.

    The change is judged whole first (its kind's category, its sources, its sensitivity
    raised by any restricted person in it), then the people, address and service in it.
    """
    disclosure = ctx.disclosure
    subject_value = people.get(change.person_id)
    if subject_value is None:
        return None
    decision = disclosure.decide(change.person_id, change.judged_with(people))
    shown = decision.value
    if shown is None:
        return None
    subject = Person.of(disclosure.decide(change.person_id, subject_value))
    if subject is None:
        return None
    other, other_withheld = None, False
    if shown.other_id is not None:
        other_value = people.get(shown.other_id)
        other = Person.of(disclosure.decide(shown.other_id, other_value)) if other_value else None
        other_withheld = other is None
    address = (Address.of(disclosure.decide(change.person_id, shown.address))
               if shown.address else None)
    service = None
    if shown.involvement is not None:
        view = disclosure.decide(
            change.person_id, InvolvementView(shown.involvement, shown.organisation, shown.lead))
        if view.value is None:
            return None
        service = ServiceEngaged.of(subject, "self", view)
    summary: str | None = ""
    if shown.event is not None:
        # What the notification says is service detail, judged at the event's sensitivity.
        # Never below the subject's own level: a restricted person's notification stays so.
        level = model.highest(subject_value.sensitivity, shown.event.sensitivity)
        topic = Topic(dataclasses.replace(subject_value, sensitivity=level),
                      Category.SERVICE_DETAIL)
        summary = shown.event.summary if disclosure.release(change.person_id, topic) else None
    return Change(
        id=strawberry.ID(str(shown.seq)),
        kind=shown.kind,
        recorded_at=datetime.fromisoformat(shown.recorded_at),
        effective=shown.effective,
        person=subject,
        other_person=other,
        other_person_withheld=other_withheld,
        address=address,
        address_withheld=shown.address is not None and address is None,
        service=service,
        summary_value=summary,
        sources_value=None if Category.SOURCES in decision.withheld else _sources(shown.sources),
        subject_id=shown.person_id,
    )


async def _followed(ctx: RequestContext) -> dict[str, datetime]:
    """Whom the viewer follows, and since when; asked as the store is (on Neo4j the follows
    live there, and a read must not hold the event loop)."""
    following, user = ctx.following, ctx.disclosure.viewer.user
    if following is None:
        return {}
    return await ctx.loaders.ask(lambda: following.followed(user))


async def _wanted(ctx: RequestContext, person_id: strawberry.ID | None) -> list[str]:
    """The followed people a question is about: all of them, or the one asked for."""
    viewer = ctx.disclosure.viewer
    if viewer.purpose is None:
        raise NotPermitted("choose a purpose of access before reading about anyone")
    followed = await _followed(ctx)
    if person_id is None:
        return list(followed)
    if str(person_id) not in followed:
        raise BadArgument("personId", "is not someone you follow")
    return [str(person_id)]


async def _people_in(
    ctx: RequestContext, found: Iterable[model.Change]
) -> dict[str, PersonValue]:
    ids = {p for change in found for p in change.people}
    return await ctx.loaders.ask(lambda: ctx.store.people(ids))


@strawberry.type
class ChangesQuery:
    @strawberry.field(
        description="Changes famgraph learned about the people you follow (or the one named),"
        " oldest first, those learned at or after `since` only."
    )
    async def changes(
        self,
        info: Ctx,
        since: datetime | None = None,
        person_id: strawberry.ID | None = None,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> ChangeConnection:
        ctx = info.context
        if not 1 <= first <= MAX_PAGE:
            raise BadArgument("first", f"must be between 1 and {MAX_PAGE}")
        start = seq_of(after) if after else 0
        wanted = await _wanted(ctx, person_id)
        found = await ctx.loaders.ask(lambda: ctx.store.changes(start, first + 1, wanted, since))
        window = found[:first]
        people = await _people_in(ctx, window)
        edges, withheld = [], 0
        for change in window:
            shown = release_change(ctx, change, people)
            if shown is None:
                withheld += 1
                continue
            edges.append(ChangeEdge(cursor=seq_cursor(change.seq), node=shown))
        # The end cursor is the last change looked at, withheld or not, so the next page
        # starts after it rather than counting the same withheld changes again.
        return ChangeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(found) > first,
                has_previous_page=start > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=seq_cursor(window[-1].seq) if window else after,
            ),
            withheld=withheld,
        )

    @strawberry.field(description="The people you follow, by id.")
    async def following(
        self,
        info: Ctx,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> FollowingConnection:
        ctx = info.context
        followed = await _followed(ctx)
        ids = list(followed)
        start = offset_of(after) + 1 if after else 0
        people = await ctx.loaders.ask(lambda: ctx.store.people(ids[start:start + first]))
        chosen, info_ = page(ids, first, after)
        edges, withheld = [], 0
        for cursor, person_id in chosen:
            found = people.get(person_id)
            person = Person.of(ctx.disclosure.decide(person_id, found)) if found else None
            if person is None:
                withheld += 1
                continue
            edges.append(FollowedEdge(
                cursor=cursor, node=FollowedPerson(person=person, since=followed[person_id])))
        return FollowingConnection(edges=edges, page_info=info_, withheld=withheld)


@strawberry.type
class ChangesMutation:
    @strawberry.mutation(
        description="Follow someone: be told of changes about them. Grants no access: each"
        " change still passes your agreement."
    )
    async def follow(self, info: Ctx, person_id: strawberry.ID) -> FollowedPerson:
        ctx = info.context
        found = await ctx.loaders.people.load(str(person_id))
        if found is None:
            raise PersonNotFound(str(person_id))
        person = Person.of(ctx.disclosure.decide(found.id, found))
        if person is None or ctx.following is None:
            raise NotPermitted("your agency's agreement does not cover people")
        following, user = ctx.following, ctx.disclosure.viewer.user
        since = await ctx.loaders.ask(lambda: following.follow(user, found.id), writes=True)
        return FollowedPerson(person=person, since=since)

    @strawberry.mutation(description="Stop following someone; false if you were not.")
    async def unfollow(self, info: Ctx, person_id: strawberry.ID) -> bool:
        ctx = info.context
        if ctx.disclosure.viewer.purpose is None or ctx.following is None:
            raise NotPermitted("choose a purpose of access first")
        found = await ctx.loaders.people.load(str(person_id))
        if found is not None:
            # Through the policy, so the unfollow leaves an audit row about the person as a
            # follow does; someone since removed from the store can still be unfollowed.
            ctx.disclosure.decide(found.id, found)
        following, user = ctx.following, ctx.disclosure.viewer.user
        return await ctx.loaders.ask(lambda: following.unfollow(user, str(person_id)),
                                     writes=True)


@strawberry.type
class ChangesSubscription:
    @strawberry.subscription(
        description="Changes about the people you follow (or the one named) as loads commit"
        " them, from now on or after a cursor. Over graphql-transport-ws only; each change"
        " passes your agreement and is audited as it is sent."
    )
    async def changes(
        self,
        info: Ctx,
        person_id: strawberry.ID | None = None,
        after: Annotated[str | None, strawberry.argument(
            description="A cursor from `changes`: start after it, so a client that"
            " reconnects misses nothing. Without it, start from now.")] = None,
    ) -> AsyncGenerator[Change, None]:
        ctx = info.context
        connection = ctx.connection
        if connection is None or ctx.auth is None:
            raise NotPermitted("subscriptions go over graphql-transport-ws")
        await _wanted(ctx, person_id)
        operation, digest = ctx.disclosure.operation, ctx.disclosure.document_hash
        start = seq_of(after) if after else await ctx.loaders.ask(ctx.store.last_change)
        while True:
            # The token is checked again at every look, so a user removed, or a grant
            # ended, takes effect on an open socket too; expiry also closes the socket.
            try:
                viewer = ctx.auth.viewer(connection.token)
            except NotAuthenticated:
                return
            ctx.disclosure = Disclosure(viewer, operation, digest, ctx.disclosure.rules)
            # A look has no deadline: the last event's loaders would carry one long past.
            ctx.loaders = Loaders(ctx.store, ctx.disclosure)
            wanted = (await _wanted(ctx, person_id)
                      if person_id is None or await _follows(ctx, person_id) else [])
            found = await ctx.loaders.ask(
                lambda: ctx.store.changes(start, FEED_BATCH, wanted))  # noqa: B023
            people = await _people_in(ctx, found) if found else {}
            for change in found:
                start = change.seq
                # One disclosure per event: what it releases is audited as it is sent.
                ctx.disclosure = Disclosure(
                    viewer, operation, digest, ctx.disclosure.rules,
                    deadline=time.monotonic() + ctx.settings.operation_timeout)
                # And fresh loaders: a socket lives for hours, an event's answers must not.
                ctx.loaders = Loaders(ctx.store, ctx.disclosure)
                shown = release_change(ctx, change, people)
                if shown is not None:
                    yield shown
            if len(found) < FEED_BATCH:
                await asyncio.sleep(ctx.settings.change_poll_seconds)


async def _follows(ctx: RequestContext, person_id: strawberry.ID) -> bool:
    return str(person_id) in await _followed(ctx)
