"""GraphQL types for people and the family-context questions asked of them."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph import model
from graph.errors import PersonNotFound
from graph.questions.family import genogram_of
from graph.questions.household import household_of
from graph.questions.search import search_people
from graph.questions.services import Scope as ScopeValue
from graph.questions.services import services_engaged
from graph.store import InvolvementView, SearchCriteria
from server.context import RequestContext
from server.errors import BadArgument, FieldNotPermitted, NotPermitted
from server.policy import Category, Release, Sources, Topic

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


def _withhold_unless(allowed: bool, category: Category) -> None:
    if not allowed:
        raise FieldNotPermitted(category.value)


@strawberry.type(description="One resolved human, as the viewer may see them.")
class Person:
    person: strawberry.Private[model.Person]
    withheld: strawberry.Private[frozenset[Category]] = frozenset()

    @classmethod
    def of(cls, decision: Release[model.Person]) -> Person | None:
        """The GraphQL person for a policy decision; None when the person is withheld whole."""
        if decision.value is None:
            return None
        return cls(person=decision.value, withheld=decision.withheld)

    def _field(self, category: Category) -> None:
        _withhold_unless(category not in self.withheld, category)

    @strawberry.field(description="Stable person id; survives reloads.")
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

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when demographics are withheld.")
    def sex(self) -> Sex | None:  # type: ignore[valid-type]
        self._field(Category.DEMOGRAPHICS)
        return self.person.sex

    @strawberry.field
    def birth_date(self) -> date | None:
        self._field(Category.DEMOGRAPHICS)
        return self.person.birth_date

    @strawberry.field
    def death_date(self) -> date | None:
        self._field(Category.DEMOGRAPHICS)
        return self.person.death_date

    @strawberry.field
    def nhs_number(self) -> str | None:
        self._field(Category.NHS_NUMBER)
        return self.person.nhs_number

    @strawberry.field
    def upn(self) -> str | None:
        self._field(Category.UPN)
        return self.person.upn

    @strawberry.field(description="Source records joined into this person, from shared systems.")
    def sources(self) -> list[Source] | None:
        self._field(Category.SOURCES)
        return _sources(self.person.sources)

    @strawberry.field(
        description="True when this person is restricted or sealed and shown by name only."
    )
    def name_only(self) -> bool:
        return Category.DEMOGRAPHICS in self.withheld and self.person.sensitivity in (
            model.Sensitivity.RESTRICTED,
            model.Sensitivity.SEALED,
        )

    def _topic(self, ctx: RequestContext, category: Category) -> None:
        topic = ctx.disclosure.release(self.person.id, Topic(self.person, category))
        _withhold_unless(topic is not None, category)

    @strawberry.field(description="Who lives with this person on `asOf` (default today).")
    def household(self, info: Ctx, as_of: date | None = None) -> Household | None:
        ctx = info.context
        self._topic(ctx, Category.HOUSEHOLD)
        answer = household_of(ctx.store, self.person.id, as_of)
        address = ctx.disclosure.release(self.person.id, answer.address) if answer.address else None
        members, withheld = [], 0
        for member in answer.members:
            person = Person.of(ctx.disclosure.decide(member.person.id, member.person))
            if person is None:
                withheld += 1
                continue
            members.append(
                HouseholdMember(
                    person=person, relationship_to_subject=member.relationship, since=member.since
                )
            )
        return Household(
            as_of=answer.as_of,
            address=Address.of(address) if address else None,
            address_withheld=answer.address is not None and address is None,
            members=members,
            members_withheld=withheld,
        )

    def _services(
        self, ctx: RequestContext, scope: Scope, as_of: date | None
    ) -> tuple[list[ServiceEngaged], int]:
        self._topic(ctx, Category.SERVICES)
        found = services_engaged(ctx.store, self.person.id, ScopeValue(scope.value), as_of)
        people = ctx.store.people({s.person_id for s in found})
        released, withheld = [], 0
        for item in found:
            view = ctx.disclosure.decide(item.person_id, item.view)
            person = Person.of(ctx.disclosure.decide(item.person_id, people[item.person_id]))
            if view.value is None or person is None:
                withheld += 1
                continue
            released.append(
                ServiceEngaged.of(person, item.relationship, view.value, view.withheld)
            )
        return released, withheld

    @strawberry.field(description="Services open on `asOf`, for the child, household or family.")
    def services_engaged(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None
    ) -> list[ServiceEngaged] | None:
        return self._services(info.context, scope, as_of)[0]

    @strawberry.field(
        description="How many open services in this scope are withheld from you: an empty"
        " servicesEngaged with a count here means withheld, not absent."
    )
    def services_withheld(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None
    ) -> int | None:
        return self._services(info.context, scope, as_of)[1]

    @strawberry.field(description="The family as typed nodes and edges, for drawing.")
    def genogram(self, info: Ctx, depth: int = 2, as_of: date | None = None) -> Genogram | None:
        ctx = info.context
        limit = ctx.settings.max_genogram_depth
        if not 1 <= depth <= limit:
            raise BadArgument("depth", f"must be between 1 and {limit}")
        self._topic(ctx, Category.FAMILY)
        answer = genogram_of(ctx.store, self.person.id, depth, as_of)
        nodes, withheld = [], 0
        for item in answer.people:
            person = Person.of(ctx.disclosure.decide(item.person.id, item.person))
            if person is None:
                withheld += 1
                continue
            nodes.append(
                GenogramNode(
                    person=person,
                    generation=item.generation,
                    relationship_to_subject=item.relationship,
                    is_subject=item.is_subject,
                )
            )
        shown = {node.person.person.id for node in nodes}
        edges = []
        for edge in answer.edges:
            if edge.src not in shown or edge.dst not in shown:
                continue
            sources = ctx.disclosure.release(edge.dst, Sources(edge.sources))
            edges.append(
                GenogramEdge(
                    kind=edge.kind,
                    source_id=strawberry.ID(edge.src),
                    target_id=strawberry.ID(edge.dst),
                    subtype=edge.subtype,
                    status=edge.status,
                    valid_from=edge.valid_from,
                    valid_to=edge.valid_to,
                    provenance=edge.provenance,
                    sources=_sources(sources.refs) if sources else [],
                )
            )
        return Genogram(
            subject_id=strawberry.ID(answer.subject_id),
            as_of=answer.as_of,
            nodes=nodes,
            edges=edges,
            nodes_withheld=withheld,
        )


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
    members_withheld: int = strawberry.field(
        description="How many other residents are withheld from you (not: nobody else lives there)."
    )


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
    organisation: Organisation | None
    lead: Practitioner | None
    involvement: strawberry.Private[model.Involvement]
    withheld: strawberry.Private[frozenset[Category]]

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when service detail is withheld.")
    def status(self) -> str | None:
        _withhold_unless(Category.SERVICE_DETAIL not in self.withheld, Category.SERVICE_DETAIL)
        return self.involvement.status

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when service detail is withheld.")
    def reason(self) -> str | None:
        _withhold_unless(Category.SERVICE_DETAIL not in self.withheld, Category.SERVICE_DETAIL)
        return self.involvement.reason

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when sources are withheld.")
    def sources(self) -> list[Source] | None:
        _withhold_unless(Category.SOURCES not in self.withheld, Category.SOURCES)
        return _sources(self.involvement.sources)

    @classmethod
    def of(
        cls,
        person: Person,
        relationship: str,
        view: InvolvementView,
        withheld: frozenset[Category] = frozenset(),
    ) -> ServiceEngaged:
        inv, lead = view.involvement, view.lead
        return cls(
            person=person,
            relationship_to_subject=relationship,
            service=inv.service,
            level=inv.level,
            start=inv.start,
            end=inv.end,
            organisation=Organisation(name=view.organisation.name) if view.organisation else None,
            lead=Practitioner(
                name=lead.name, role=lead.role, team=lead.team, phone=lead.phone, email=lead.email
            )
            if lead
            else None,
            involvement=inv,
            withheld=withheld,
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
    nodes_withheld: int = strawberry.field(description="Family members withheld from you.")


@strawberry.type(description="A search candidate, with its score and which fields matched.")
class SearchResult:
    person: Person
    score: float
    matched: list[str]


MAX_SEARCH = 100


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="One person by id; NOT_FOUND if there is none.")
    def person(self, info: Ctx, id: strawberry.ID) -> Person:
        ctx = info.context
        found = ctx.store.people([str(id)]).get(str(id))
        if found is None:
            raise PersonNotFound(str(id))
        released = Person.of(ctx.disclosure.decide(found.id, found))
        if released is None:
            raise NotPermitted("your agency's agreement does not cover people")
        return released

    @strawberry.field(description="People matching any of the criteria, best first.")
    def search_people(
        self,
        info: Ctx,
        name: str | None = None,
        birth_date: date | None = None,
        postcode: str | None = None,
        nhs_number: str | None = None,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
    ) -> list[SearchResult]:
        if not 1 <= first <= MAX_SEARCH:
            raise BadArgument("first", f"must be between 1 and {MAX_SEARCH}")
        ctx = info.context
        criteria = SearchCriteria(name, birth_date, postcode, nhs_number)
        results = []
        for candidate in search_people(ctx.store, criteria, first):
            person = Person.of(ctx.disclosure.decide(candidate.person.id, candidate.person))
            if person is not None:
                results.append(
                    SearchResult(
                        person=person,
                        score=candidate.score,
                        matched=list(candidate.matched),
                    )
                )
        return results
