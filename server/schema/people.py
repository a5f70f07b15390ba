"""GraphQL types for people and the family-context questions asked of them."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph import model
from graph.errors import PersonNotFound
from graph.questions.chronology import chronology_of
from graph.questions.discrepancies import discrepancies_of
from graph.questions.family import family_of, genogram_of
from graph.questions.household import household_history, household_of
from graph.questions.search import search_people
from graph.questions.services import Scope as ScopeValue
from graph.questions.services import services_engaged
from graph.store import InvolvementView, SearchCriteria
from server.context import RequestContext
from server.errors import BadArgument
from server.schema.linkage import LinkExplanation, explanation_of
from server.schema.relay import Node, PageInfo, offset_of, page

Ctx = Info[RequestContext, None]

Sex = strawberry.enum(model.Sex, description="Sex as recorded by the sources.")
ServiceLevel = strawberry.enum(
    model.ServiceLevel, description="Universal, targeted, specialist or statutory."
)


@strawberry.enum(description="Whose services to list: the child, their household, or family.")
class Scope(enum.Enum):
    CHILD = "child"
    HOUSEHOLD = "household"
    FAMILY = "family"


@strawberry.type(description="A source system that asserted a fact, and its local id.")
class Source:
    system: str
    record_id: str


def _sources(refs: tuple[model.SourceRef, ...]) -> list[Source]:
    return [Source(system=r.system, record_id=r.record_id) for r in refs]


@strawberry.type(description="One resolved human, as the viewer may see them.")
class Person(Node):
    person: strawberry.Private[model.Person]

    @strawberry.field(description="Stable person id; survives reloads; a Relay node id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.person.id)

    @strawberry.field
    def given_names(self) -> str:
        return self.person.given_names

    @strawberry.field
    def family_name(self) -> str:
        return self.person.family_name

    @strawberry.field
    def display_name(self) -> str:
        return self.person.display_name

    @strawberry.field
    def sex(self) -> Sex:  # type: ignore[valid-type]
        return self.person.sex

    @strawberry.field
    def birth_date(self) -> date | None:
        return self.person.birth_date

    @strawberry.field
    def death_date(self) -> date | None:
        return self.person.death_date

    @strawberry.field
    def nhs_number(self) -> str | None:
        return self.person.nhs_number

    @strawberry.field
    def upn(self) -> str | None:
        return self.person.upn

    @strawberry.field(description="Every source record joined into this person.")
    def sources(self) -> list[Source]:
        return _sources(self.person.sources)

    @strawberry.field(
        description="Which source records were joined into this person and why, field by field."
    )
    def link_explanation(self, info: Ctx) -> LinkExplanation | None:
        return explanation_of(info.context, self.person)

    @strawberry.field(description="Who lives with this person on `asOf` (default today).")
    def household(self, info: Ctx, as_of: date | None = None) -> Household:
        ctx = info.context
        answer = household_of(ctx.store, self.person.id, as_of)
        address = ctx.disclosure.release(self.person.id, answer.address) if answer.address else None
        members = []
        for member in answer.members:
            person = ctx.disclosure.release(member.person.id, member.person)
            if person is not None:
                members.append(
                    HouseholdMember(
                        person=Person(person=person),
                        relationship_to_subject=member.relationship,
                        since=member.since,
                    )
                )
        return Household(
            as_of=answer.as_of,
            address=Address.of(address) if address else None,
            address_withheld=answer.address is not None and address is None,
            members=members,
        )

    @strawberry.field(description="Services open on `asOf`, for the child, household or family.")
    def services_engaged(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None,
        include_closed: bool = False,
    ) -> list[ServiceEngaged]:
        ctx = info.context
        found = services_engaged(ctx.store, self.person.id, ScopeValue(scope.value), as_of,
                                 include_closed)
        people = ctx.store.people({s.person_id for s in found})
        released = []
        for item in found:
            view = ctx.disclosure.release(item.person_id, item.view)
            person = ctx.disclosure.release(item.person_id, people[item.person_id])
            if view is not None and person is not None:
                released.append(ServiceEngaged.of(Person(person=person), item.relationship, view))
        return released

    @strawberry.field(description="The family as typed nodes and edges, for drawing.")
    def genogram(self, info: Ctx, depth: int = 2, as_of: date | None = None) -> Genogram:
        ctx = info.context
        limit = ctx.settings.max_genogram_depth
        if not 1 <= depth <= limit:
            raise BadArgument("depth", f"must be between 1 and {limit}")
        answer = genogram_of(ctx.store, self.person.id, depth, as_of)
        nodes = []
        for item in answer.people:
            person = ctx.disclosure.release(item.person.id, item.person)
            if person is not None:
                nodes.append(
                    GenogramNode(
                        person=Person(person=person),
                        generation=item.generation,
                        relationship_to_subject=item.relationship,
                        is_subject=item.is_subject,
                    )
                )
        shown = {node.person.person.id for node in nodes}
        edges = [
            GenogramEdge(
                kind=edge.kind,
                source_id=strawberry.ID(edge.src),
                target_id=strawberry.ID(edge.dst),
                subtype=edge.subtype,
                status=edge.status,
                valid_from=edge.valid_from,
                valid_to=edge.valid_to,
                provenance=edge.provenance,
                sources=_sources(edge.sources),
            )
            for edge in answer.edges
            if edge.src in shown and edge.dst in shown
        ]
        return Genogram(
            subject_id=strawberry.ID(answer.subject_id),
            as_of=answer.as_of,
            nodes=nodes,
            edges=edges,
        )



    @strawberry.field(description="Every household this person has lived in, latest first.")
    def household_history(self, info: Ctx) -> list[HouseholdPeriod]:
        ctx = info.context
        periods = []
        for period in household_history(ctx.store, self.person.id):
            address = (ctx.disclosure.release(self.person.id, period.address)
                       if period.address else None)
            members = []
            for member in period.members:
                person = ctx.disclosure.release(member.person.id, member.person)
                if person is not None:
                    members.append(HouseholdMember(person=Person(person=person),
                                                   relationship_to_subject=member.relationship,
                                                   since=member.since))
            periods.append(HouseholdPeriod(
                valid_from=period.valid_from, valid_to=period.valid_to,
                address=Address.of(address) if address else None,
                address_withheld=period.address is not None and address is None,
                members=members))
        return periods

    @strawberry.field(description="The wider family within `depth` steps, nearest first.")
    def family(self, info: Ctx, depth: int = 2, as_of: date | None = None) -> list[FamilyMember]:
        ctx = info.context
        limit = ctx.settings.max_genogram_depth
        if not 1 <= depth <= limit:
            raise BadArgument("depth", f"must be between 1 and {limit}")
        members = []
        for member in family_of(ctx.store, self.person.id, depth, as_of):
            person = ctx.disclosure.release(member.person.id, member.person)
            if person is not None:
                members.append(FamilyMember(person=Person(person=person),
                                            relationship_to_subject=member.relationship,
                                            generation=member.generation))
        return members

    @strawberry.field(description="Where the source systems disagree about this person.")
    def discrepancies(self, info: Ctx) -> list[Discrepancy]:
        ctx = info.context
        if ctx.disclosure.release(self.person.id, self.person) is None:
            return []
        return [
            Discrepancy(field=d.field, assertions=[
                Assertion(value=a.value, sources=_sources(a.sources)) for a in d.assertions])
            for d in discrepancies_of(ctx.store, self.person.id)
        ]

    @strawberry.field(description="Events, service starts and ends, and moves, oldest first.")
    def chronology(
        self, info: Ctx, scope: Scope = Scope.CHILD,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None, first: int = 20, after: str | None = None,
    ) -> ChronologyConnection:
        ctx = info.context
        entries = chronology_of(ctx.store, self.person.id, ScopeValue(scope.value), from_, to)
        people = ctx.store.people({e.person_id for e in entries})
        shown = []
        for entry in entries:
            person = ctx.disclosure.release(entry.person_id, people[entry.person_id])
            if person is not None:
                shown.append(ChronologyEntry(
                    date=entry.date, person=Person(person=person),
                    relationship_to_subject=entry.relationship, kind=entry.kind,
                    summary=entry.summary, sources=_sources(entry.sources)))
        chosen, info_ = page(shown, first, after)
        return ChronologyConnection(
            edges=[ChronologyEdge(cursor=c, node=n) for c, n in chosen], page_info=info_,
            total_count=len(shown))


@strawberry.type
class HouseholdPeriod:
    valid_from: date | None
    valid_to: date | None
    address: Address | None
    address_withheld: bool
    members: list[HouseholdMember] = strawberry.field(description="Who lived there at the start.")


@strawberry.type
class FamilyMember:
    person: Person
    relationship_to_subject: str
    generation: int = strawberry.field(description="0 the subject's, -1 parents', 1 children's.")


@strawberry.type(description="One value as some sources assert it.")
class Assertion:
    value: str
    sources: list[Source]


@strawberry.type(description="A field on which the source systems disagree.")
class Discrepancy:
    field: str
    assertions: list[Assertion] = strawberry.field(description="Most-asserted value first.")


@strawberry.type
class ChronologyEntry:
    date: date
    person: Person
    relationship_to_subject: str
    kind: str = strawberry.field(description="An event type, service started or ended, moved in.")
    summary: str
    sources: list[Source]


@strawberry.type
class ChronologyEdge:
    cursor: str
    node: ChronologyEntry


@strawberry.type
class ChronologyConnection:
    edges: list[ChronologyEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Address:
    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str | None

    @classmethod
    def of(cls, address: model.Address) -> Address:
        return cls(
            line1=address.line1,
            line2=address.line2,
            town=address.town,
            postcode=address.postcode,
            uprn=address.uprn,
        )


@strawberry.type
class HouseholdMember:
    person: Person
    relationship_to_subject: str = strawberry.field(
        description="Plain words: mother, half-brother (maternal), mother's partner..."
    )
    since: date | None = strawberry.field(description="When they joined this household.")


@strawberry.type(description="The people living with the subject at one address on one date.")
class Household:
    as_of: date
    address: Address | None = strawberry.field(
        description="Null when no source places the subject anywhere, or when withheld."
    )
    address_withheld: bool = strawberry.field(
        description="True when an address exists but this viewer may not see it."
    )
    members: list[HouseholdMember] = strawberry.field(description="Everyone but the subject.")


@strawberry.type
class Organisation:
    name: str


@strawberry.type(description="Who leads a piece of work, and how to reach them.")
class Practitioner:
    name: str
    role: str
    team: str
    phone: str
    email: str


@strawberry.type(description="One open service involvement.")
class ServiceEngaged:
    person: Person
    relationship_to_subject: str
    service: str
    level: ServiceLevel  # type: ignore[valid-type]
    start: date
    end: date | None
    status: str
    reason: str
    organisation: Organisation | None
    lead: Practitioner | None
    sources: list[Source]

    @classmethod
    def of(cls, person: Person, relationship: str, view: InvolvementView) -> ServiceEngaged:
        inv, lead = view.involvement, view.lead
        return cls(
            person=person,
            relationship_to_subject=relationship,
            service=inv.service,
            level=inv.level,
            start=inv.start,
            end=inv.end,
            status=inv.status,
            reason=inv.reason,
            organisation=Organisation(name=view.organisation.name) if view.organisation else None,
            lead=Practitioner(
                name=lead.name, role=lead.role, team=lead.team, phone=lead.phone, email=lead.email
            )
            if lead
            else None,
            sources=_sources(inv.sources),
        )


@strawberry.type
class GenogramNode:
    person: Person
    generation: int = strawberry.field(description="0 the subject, -1 parents, 1 children.")
    relationship_to_subject: str
    is_subject: bool


@strawberry.type(description="A PARENT or PARTNER edge, with who said so.")
class GenogramEdge:
    kind: str
    source_id: strawberry.ID
    target_id: strawberry.ID
    subtype: str
    status: str
    valid_from: date | None
    valid_to: date | None
    provenance: str = strawberry.field(description="recorded, inferred or asserted.")
    sources: list[Source]


@strawberry.type
class Genogram:
    subject_id: strawberry.ID
    as_of: date
    nodes: list[GenogramNode]
    edges: list[GenogramEdge]


@strawberry.type(description="A search candidate, with its score and which fields matched.")
class SearchResult:
    person: Person
    score: float
    matched: list[str]


MAX_SEARCH = 100


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchResult


@strawberry.type(description="Search candidates, best first, a page at a time.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="One person by id; NOT_FOUND if there is none.")
    def person(self, info: Ctx, id: strawberry.ID) -> Person:
        ctx = info.context
        found = ctx.store.people([str(id)]).get(str(id))
        if found is None:
            raise PersonNotFound(str(id))
        released = ctx.disclosure.release(found.id, found)
        assert released is not None  # people are redacted, never withheld whole
        return Person(person=released)

    @strawberry.field(description="A Relay node by id (people today); NOT_FOUND if none.")
    def node(self, info: Ctx, id: strawberry.ID) -> Node:
        found: Person = PeopleQuery.person(self, info, id)
        return found

    @strawberry.field(description="People matching any of the criteria, best first.")
    def search_people(
        self,
        info: Ctx,
        name: str | None = None,
        birth_date: date | None = None,
        postcode: str | None = None,
        nhs_number: str | None = None,
        upn: str | None = None,
        birth_year: Annotated[
            int | None, strawberry.argument(description="When only the year is known.")
        ] = None,
        system: Annotated[
            str | None, strawberry.argument(description="With recordId: a system's own id.")
        ] = None,
        record_id: str | None = None,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> SearchConnection:
        ctx = info.context
        if (system is None) != (record_id is None):
            raise BadArgument("recordId", "and system are given together or not at all")
        criteria = SearchCriteria(name, birth_date, postcode, nhs_number, upn)
        start = offset_of(after) + 1 if after else 0
        candidates = search_people(
            ctx.store, criteria, min(start + first + 1, MAX_SEARCH), birth_year=birth_year,
            record=(system, record_id) if system and record_id else None)
        chosen, info_ = page(candidates, first, after)
        edges = []
        for cursor, candidate in chosen:
            person = ctx.disclosure.release(candidate.person.id, candidate.person)
            if person is not None:
                result = SearchResult(person=Person(person=person), score=candidate.score,
                                      matched=list(candidate.matched))
                edges.append(SearchEdge(cursor=cursor, node=result))
        return SearchConnection(edges=edges, page_info=info_)
