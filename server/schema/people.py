"""GraphQL types for people and the family-context questions asked of them."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Annotated, Any, Protocol, TypeVar, cast

import strawberry
from strawberry.types import Info

from graph import model
from graph.changes import highest
from graph.questions import household, resolve_as_of
from graph.questions.coverage import CoverageState, coverage_of
from graph.questions.discrepancies import discrepancies_in
from graph.questions.family import Genogram as GenogramAnswer
from graph.questions.family import check_depth, family_from, genogram_from
from graph.questions.risk import is_current, kind_words, summary_words, whose_concern
from graph.questions.search import search_people
from graph.questions.services import GP_SERVICES, SCHOOL_SERVICES
from graph.questions.services import Scope as ScopeValue
from graph.store import InvolvementView, SearchCriteria
from server.batching import ChronologyKey, KinKey, ServicesKey, coverage_declarations
from server.context import RequestContext
from server.errors import BadArgument, FieldNotPermitted, NotPermitted
from server.policy import RESOLVE_IDENTITY, Category, Release, Sources, Topic
from server.schema.linkage import LinkExplanation, explanation_of, shared_record
from server.schema.relay import Node, PageInfo, offset_of, page
from viz.genogram import Chart, ChartPerson, ChartTie
from viz.genogram import svg as genogram_svg

Ctx = Info[RequestContext, None]
# The most people one genogram question may fold away (`collapse`).
MAX_COLLAPSE = 50
Shown = TypeVar("Shown")

Sex = strawberry.enum(model.Sex, description="Sex as recorded by the sources.")
ServiceLevel = strawberry.enum(
    model.ServiceLevel, description="Universal, targeted, specialist or statutory."
)
RiskKind = strawberry.enum(
    model.RiskKind,
    description="Mental health, substance misuse, domestic abuse, offending, finances,"
    " housing, attendance or development.",
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

    @strawberry.field(description="The date of this system's latest extract: what it said"
                      " is as of then.")
    async def as_of(self, info: Ctx) -> date | None:
        return (await info.context.loaders.extracts()).get(self.system)


SourceState = strawberry.enum(
    CoverageState,
    description="records: the system holds this person; no_record: it would, and does not;"
    " outside_coverage: it does not cover people like this; not_loaded: no extract yet.",
)


@strawberry.type(description="What one source system knows of a person, and as of when.")
class SourceStatus:
    system: str
    covers: str = strawberry.field(description="What the system covers, in plain words.")
    as_of: date | None = strawberry.field(description="The system's latest extract date.")
    withheld: bool = strawberry.field(
        description="True when your agreement does not share this system: state and records"
        " are then null, whatever it holds."
    )
    state: SourceState | None  # type: ignore[valid-type]
    records: int | None


def _sources(refs: tuple[model.SourceRef, ...]) -> list[Source]:
    return [Source(system=r.system, record_id=r.record_id) for r in refs]


def _kinship(person: Person, word: str) -> str:
    """A relationship word as the viewer may read it: "twin" is a fact about two birth
    dates, so it is said only to a viewer who sees this person's demographics."""
    if Category.DEMOGRAPHICS in person.withheld:
        return word.removeprefix("twin ")
    return word


class _AboutSomeone(Protocol):
    person: Person


About = TypeVar("About", bound=_AboutSomeone)


def _in_seen_order(items: list[About]) -> list[About]:
    """People listed in an order the viewer could have worked out: the questions list
    them eldest first, which tells birth order to a viewer not shown birth dates, so for
    such a viewer the list is ordered by name and id instead."""
    if any(Category.DEMOGRAPHICS in item.person.withheld for item in items):
        return sorted(items, key=lambda item: (item.person.person.display_name,
                                               item.person.person.id))
    return items


def _withhold_unless(allowed: bool, category: Category) -> None:
    if not allowed:
        raise FieldNotPermitted(category.value)


@strawberry.type(description="One resolved human, as the viewer may see them.")
class Person(Node):
    # A person is made from the policy's decision, and a decision only the policy can make
    # (server.policy.Release): no resolver can hand out a person the policy did not see.
    decision: strawberry.Private[Release[model.Person]]

    @classmethod
    def of(cls, decision: Release[model.Person]) -> Person | None:
        """The GraphQL person for a policy decision; None when the person is withheld whole."""
        if decision.value is None:
            return None
        return cls(decision=decision)

    @property
    def person(self) -> model.Person:
        """The person as released: withheld fields emptied."""
        return cast(model.Person, self.decision.value)

    @property
    def withheld(self) -> frozenset[Category]:
        return self.decision.withheld

    def _field(self, category: Category) -> None:
        _withhold_unless(category not in self.withheld, category)

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
        description="Every source system, whether it holds this person, and as of when: an"
        " empty answer elsewhere means nothing unless the system covers them."
    )
    async def source_coverage(
        self, info: Ctx, as_of: date | None = None
    ) -> list[SourceStatus]:
        ctx = info.context
        declared = coverage_declarations(ctx.settings.coverage_file) \
            | await ctx.loaders.declared_coverage()
        # A person whose source list is withheld (their agreement, or a restricted person
        # shown by name only) has every system withheld: the released copy carries no
        # sources, and computing states from it would say "no record".
        sources_withheld = Category.SOURCES in self.withheld
        shown = []
        extracts = await ctx.loaders.extracts()
        for status in coverage_of(self.person, resolve_as_of(as_of), extracts, declared):
            # Whether the agreement shares the system at all, asked without this person's
            # records: otherwise "withheld" would tell that records exist.
            probe = Sources((model.SourceRef(status.system, "*"),))
            shared = ctx.disclosure.release(self.person.id, probe)
            visible = not sources_withheld and shared is not None and bool(shared.refs)
            shown.append(SourceStatus(
                system=status.system, covers=status.covers, as_of=status.as_of,
                withheld=not visible, state=status.state if visible else None,
                records=status.records if visible else None))
        return shown

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

    @strawberry.field(
        description="Other people the identity review queue pairs with this person: maybe"
        " the same human recorded twice (a census stub with no name, say). Only pairs whose"
        " records both come from systems your agreement shares; `reviewItemIds` only for"
        " roles that may resolve identities (open them in `reviewQueue` or at /review)."
    )
    async def possible_duplicates(self, info: Ctx) -> PossibleDuplicates:
        ctx = info.context
        agreement = ctx.disclosure.rules.agreement(ctx.disclosure.viewer.agency)
        pid = self.person.id
        pairs = [p for p in await ctx.loaders.review_pairs.load(pid)
                 if shared_record(agreement, p.record_a) and shared_record(agreement, p.record_b)]
        other_ids = sorted({p.person_b if p.person_a == pid else p.person_a
                            for p in pairs} - {pid})
        others = [o for o in await ctx.loaders.people.load_many(other_ids) if o is not None]
        people, withheld = [], 0
        for other in others:
            shown = Person.of(ctx.disclosure.decide(other.id, other))
            if shown is None:
                withheld += 1
            else:
                people.append(shown)
        may_resolve = RESOLVE_IDENTITY in ctx.disclosure.viewer.permissions
        return PossibleDuplicates(
            count=len(pairs), people=people, people_withheld=withheld,
            review_item_ids=[strawberry.ID(p.id) for p in pairs] if may_resolve else None)

    @strawberry.field(
        description="Which source records were joined into this person and why, field by field."
    )
    async def link_explanation(self, info: Ctx) -> LinkExplanation | None:
        return await explanation_of(info.context, self.person)

    @strawberry.field(description="Who lives with this person on `asOf` (default today).")
    async def household(self, info: Ctx, as_of: date | None = None) -> Household | None:
        ctx = info.context
        self._topic(ctx, Category.HOUSEHOLD)
        answer = await ctx.loaders.households.load((self.person.id, resolve_as_of(as_of)))
        address = (Address.of(ctx.disclosure.decide(self.person.id, answer.address))
                   if answer.address else None)
        members, withheld = _residents(ctx, answer.members)
        alternatives, alternatives_withheld = _also_recorded_at(ctx, self.person.id, answer)
        return Household(
            as_of=answer.as_of,
            address=address,
            address_withheld=answer.address is not None and address is None,
            members=members,
            members_withheld=withheld,
            also_recorded_at=alternatives,
            alternatives_withheld=alternatives_withheld,
        )

    async def _services(
        self, ctx: RequestContext, scope: Scope, as_of: date | None, include_closed: bool = False
    ) -> tuple[list[ServiceEngaged], int]:
        self._topic(ctx, Category.SERVICES)
        key = ServicesKey(self.person.id, ScopeValue(scope.value), resolve_as_of(as_of),
                          include_closed)
        found = await ctx.loaders.services.load(key)
        return await _released(ctx, ("services", key), found, lambda item: item.view,
                               ServiceEngaged.of)

    @strawberry.field(description="The school this person is on the roll of on `asOf`, with its"
                      " designated safeguarding lead; null if none is known or shared.")
    async def school(self, info: Ctx, as_of: date | None = None) -> ServiceEngaged | None:
        return await self._universal(info.context, SCHOOL_SERVICES, as_of)

    @strawberry.field(description="The GP practice this person is registered with on `asOf`;"
                      " null if none is known or shared (see sourceCoverage).")
    async def gp(self, info: Ctx, as_of: date | None = None) -> ServiceEngaged | None:
        return await self._universal(info.context, GP_SERVICES, as_of)

    async def _universal(
        self, ctx: RequestContext, names: frozenset[str], as_of: date | None
    ) -> ServiceEngaged | None:
        released, _ = await self._services(ctx, Scope.CHILD, as_of)
        found = [s for s in released if s.service.casefold() in names]
        return max(found, key=lambda s: s.start) if found else None

    @strawberry.field(
        description="Whom to ask about anything withheld from you about this person (a"
        " servicesWithheld, riskIndicatorsWithheld, membersWithheld, alternativesWithheld"
        " count, or a withheld sourceCoverage row): your own agency's information-sharing"
        " contact, and the agency leading an open statutory service for them, named only when"
        " that service is visible to you."
    )
    async def who_to_ask(self, info: Ctx, as_of: date | None = None) -> WithheldHelp:
        ctx = info.context
        agreement = ctx.disclosure.rules.agreement(ctx.disclosure.viewer.agency)
        contact = agreement.contact
        lead_agency = None
        try:
            released, _ = await self._services(ctx, Scope.CHILD, as_of)
        except FieldNotPermitted:
            released = []
        statutory = [s for s in released if s.level is model.ServiceLevel.STATUTORY
                     and (s.organisation is not None or s.lead is not None)]
        if statutory:
            chosen = max(statutory, key=lambda s: (s.start, s.service))
            lead_agency = (chosen.organisation.name if chosen.organisation
                           else cast(Practitioner, chosen.lead).team)
        return WithheldHelp(
            lead_agency=lead_agency,
            contact=SharingContact(name=contact.name, role=contact.role, email=contact.email,
                                   phone=contact.phone) if contact else None)

    @strawberry.field(description="Services open on `asOf`, for the child, household or family.")
    async def services_engaged(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None,
        include_closed: bool = False,
    ) -> list[ServiceEngaged] | None:
        return (await self._services(info.context, scope, as_of, include_closed))[0]

    @strawberry.field(
        description="How many open services in this scope are withheld from you: an empty"
        " servicesEngaged with a count here means withheld, not absent."
    )
    async def services_withheld(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None,
        include_closed: bool = False,
    ) -> int | None:
        return (await self._services(info.context, scope, as_of, include_closed))[1]

    async def _risks(
        self, ctx: RequestContext, scope: Scope, as_of: date | None
    ) -> tuple[list[RiskIndicatorFound], int]:
        self._topic(ctx, Category.RISK_INDICATORS)
        day = resolve_as_of(as_of)
        key = ServicesKey(self.person.id, ScopeValue(scope.value), day)
        found = await ctx.loaders.risks.load(key)
        months = ctx.settings.risk_current_months

        def build(person: Person, relationship: str,
                  decision: Release[model.RiskIndicator]) -> RiskIndicatorFound:
            return RiskIndicatorFound.of(person, relationship, decision, day, months)

        return await _released(ctx, ("risks", key), found, lambda item: item.indicator, build)

    @strawberry.field(
        description="Risk indicators begun and not ended on `asOf` (default today) for the"
        " child, their household or family: grouped by the person whose record holds them"
        " (this person first), then by kind, newest first. `current` says which are still"
        " current by the stated rule (docs/risk-indicators.md)."
    )
    async def risk_indicators(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None
    ) -> list[RiskIndicatorFound] | None:
        return (await self._risks(info.context, scope, as_of))[0]

    @strawberry.field(
        description="How many risk indicators in this scope are withheld from you: an empty"
        " riskIndicators with a count here means withheld, not absent."
    )
    async def risk_indicators_withheld(
        self, info: Ctx, scope: Scope = Scope.CHILD, as_of: date | None = None
    ) -> int | None:
        return (await self._risks(info.context, scope, as_of))[1]

    @strawberry.field(
        description="The family as typed nodes and edges, for drawing. `collapse` names"
        " people whose branch to fold away: everyone on the chart who is joined to this"
        " person only through one of them (their other parents, partners, children and"
        " further, away from this person) is left out of nodes, edges, household and svg;"
        " the collapsed people themselves stay, and `collapsed` lists those that were on"
        " the chart. Ids not on the chart, and this person, are ignored (at most"
        f" {MAX_COLLAPSE} ids). The branch is found among the people released to you only,"
        " so what it hides says nothing about people withheld from you."
    )
    async def genogram(
        self, info: Ctx, depth: int = 2, as_of: date | None = None,
        collapse: list[strawberry.ID] | None = None,
    ) -> Genogram | None:
        ctx = info.context
        if collapse is not None and len(collapse) > MAX_COLLAPSE:
            raise BadArgument("collapse", f"names at most {MAX_COLLAPSE} people")
        answer = await self._genogram(ctx, depth, as_of)
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
                    relationship_to_subject=_kinship(person, item.relationship),
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
        hidden, folded = _folded(answer.subject_id, shown, edges, collapse or [])
        if hidden:
            nodes = [node for node in nodes if node.person.person.id not in hidden]
            edges = [edge for edge in edges
                     if str(edge.source_id) not in hidden and str(edge.target_id) not in hidden]
        return Genogram(
            subject_id=strawberry.ID(answer.subject_id),
            as_of=answer.as_of,
            nodes=_in_seen_order(nodes),
            edges=edges,
            nodes_withheld=withheld,
            collapsed=[strawberry.ID(pid) for pid in folded],
            nodes_collapsed=len(hidden),
            subject=self,
        )



    @strawberry.field(description="Every household this person has lived in, latest first.")
    async def household_history(self, info: Ctx) -> list[HouseholdPeriod] | None:
        ctx = info.context
        self._topic(ctx, Category.HOUSEHOLD)
        periods = []
        for period in await ctx.loaders.histories.load(self.person.id):
            address = (Address.of(ctx.disclosure.decide(self.person.id, period.address))
                       if period.address else None)
            members, withheld = _residents(ctx, period.members)
            periods.append(HouseholdPeriod(
                valid_from=period.valid_from, valid_to=period.valid_to,
                address=address,
                address_withheld=period.address is not None and address is None,
                members=members, members_withheld=withheld))
        return periods

    @strawberry.field(description="The wider family within `depth` steps, nearest first.")
    async def family(
        self, info: Ctx, depth: int = 2, as_of: date | None = None
    ) -> list[FamilyMember] | None:
        return (await self._family(info.context, depth, as_of))[0]

    @strawberry.field(
        description="How many of the wider family within `depth` steps are withheld from you."
    )
    async def family_withheld(
        self, info: Ctx, depth: int = 2, as_of: date | None = None
    ) -> int | None:
        return (await self._family(info.context, depth, as_of))[1]

    async def _genogram(
        self, ctx: RequestContext, depth: int, as_of: date | None
    ) -> GenogramAnswer:
        """The subject's genogram (the family topic released), from the request's kin."""
        limit = ctx.settings.max_genogram_depth
        if not 1 <= depth <= limit:
            raise BadArgument("depth", f"must be between 1 and {limit}")
        self._topic(ctx, Category.FAMILY)
        check_depth(depth)
        day = resolve_as_of(as_of)
        return genogram_from(await ctx.loaders.kin.load(KinKey(self.person.id, depth, day)), day)

    async def _family(
        self, ctx: RequestContext, depth: int, as_of: date | None
    ) -> tuple[list[FamilyMember], int]:
        members, withheld = [], 0
        for member in family_from(await self._genogram(ctx, depth, as_of)):
            person = Person.of(ctx.disclosure.decide(member.person.id, member.person))
            if person is None:
                withheld += 1
                continue
            word = _kinship(person, member.relationship)
            members.append(FamilyMember(person=person, relationship_to_subject=word,
                                        generation=member.generation))
        return _in_seen_order(members), withheld

    @strawberry.field(description="Where the source systems disagree about this person.")
    def discrepancies(self) -> list[Discrepancy] | None:
        # What sources assert about a person is their demographics, by source record. The
        # claims compared are those the policy released with the person, each judged on its
        # own (its field's category, its system, its sensitivity: a refuge's postcode).
        self._field(Category.DEMOGRAPHICS)
        self._field(Category.SOURCES)
        return [Discrepancy(field=d.field,
                            assertions=[Assertion(value=a.value, sources=_sources(a.sources))
                                        for a in d.assertions])
                for d in discrepancies_in(self.person)]

    @strawberry.field(description="Events, service starts and ends, and moves, oldest first.")
    async def chronology(
        self, info: Ctx, scope: Scope = Scope.CHILD,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None, first: int = 20, after: str | None = None,
    ) -> ChronologyConnection:
        ctx = info.context
        key = ChronologyKey(self.person.id, ScopeValue(scope.value), from_ or date.min,
                            resolve_as_of(to))
        entries = await ctx.loaders.chronologies.load(key)
        people = {p.id: p for p in await ctx.loaders.people_of({e.person_id for e in entries})}
        shown, withheld = [], 0
        for entry in entries:
            if not _entry_released(ctx, entry, people[entry.person_id]):
                withheld += 1
                continue
            person = Person.of(ctx.disclosure.decide(entry.person_id, people[entry.person_id]))
            if person is None:
                withheld += 1
                continue
            refs = ctx.disclosure.release(entry.person_id, Sources(entry.sources))
            shown.append(ChronologyEntry(
                date=entry.date, person=person,
                relationship_to_subject=_kinship(person, entry.relationship), kind=entry.kind,
                summary=entry.summary, sources=_sources(refs.refs if refs else ())))
        chosen, info_ = page(shown, first, after)
        return ChronologyConnection(
            edges=[ChronologyEdge(cursor=c, node=n) for c, n in chosen], page_info=info_,
            total_count=len(shown), withheld=withheld)


@strawberry.type
class HouseholdPeriod:
    valid_from: date | None
    valid_to: date | None
    address: Address | None
    address_withheld: bool
    members: list[HouseholdMember] = strawberry.field(description="Who lived there at the start.")
    members_withheld: int = strawberry.field(
        default=0, description="Members at the start withheld from you by your agreement."
    )


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
    withheld: int = strawberry.field(
        default=0, description="Entries withheld from you by your agreement, in the range."
    )


def _residents(
    ctx: RequestContext, found: Sequence[household.HouseholdMember]
) -> tuple[list[HouseholdMember], int]:
    """The residents of a household the viewer may see, in an order they could have worked
    out, and how many were withheld."""
    members, withheld = [], 0
    for member in found:
        person = Person.of(ctx.disclosure.decide(member.person.id, member.person))
        if person is None:
            withheld += 1
            continue
        members.append(HouseholdMember(
            person=person, since=member.since,
            relationship_to_subject=_kinship(person, member.relationship)))
    return _in_seen_order(members), withheld


async def _released(
    ctx: RequestContext, key: Hashable, found: Sequence[Any], fact_of: Callable[[Any], Any],
    build: Callable[[Person, str, Release[Any]], Shown],
) -> tuple[list[Shown], int]:
    """What the viewer may see of facts about the people around a subject (each `found`
    item has a `person_id` and a `relationship`), built as `build(person, relationship,
    decision)` from the policy's decision on the fact, and how many were withheld: a fact
    is shown only when both it and the person it is about are released.

    Decided once per request for each `key`: a list and its withheld count (and a
    person's school and GP, from the same services) are one set of facts asked twice,
    and the second field gets the first's decisions (already on the disclosure)."""
    people = {p.id: p for p in await ctx.loaders.people_of({item.person_id for item in found})}
    decided = ctx.loaders.released.get(key)
    if decided is not None:
        return cast(tuple[list[Shown], int], decided)
    shown, withheld = [], 0
    for item in found:
        holder = people.get(item.person_id)
        fact = ctx.disclosure.decide(item.person_id, fact_of(item)) if holder else None
        person = Person.of(ctx.disclosure.decide(item.person_id, holder)) if holder else None
        if fact is None or fact.value is None or person is None:
            withheld += 1
            continue
        shown.append(build(person, item.relationship, fact))
    ctx.loaders.released[key] = (shown, withheld)
    return shown, withheld


def _entry_released(ctx: RequestContext, entry: Any, person: model.Person) -> bool:
    """Whether the policy lets a chronology entry through: a service start or end as its
    involvement, a move as the person's household, an event at its own sensitivity (never
    below the person's) and only from a system the agreement shares."""
    if entry.view is not None:
        return ctx.disclosure.release(entry.person_id, entry.view) is not None
    if entry.kind == "moved in":
        topic = Topic(person, Category.HOUSEHOLD)
    else:
        if entry.sources:
            shared = ctx.disclosure.release(entry.person_id, Sources(entry.sources))
            if shared is None or not shared.refs:
                return False
        level = highest(person.sensitivity, entry.sensitivity)
        topic = Topic(dataclasses.replace(person, sensitivity=level), Category.SERVICES)
    return ctx.disclosure.release(entry.person_id, topic) is not None


@strawberry.type
class Address:
    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str | None
    sensitivity: str = strawberry.field(description=(
        "normal, sensitive, restricted or sealed. A restricted or sealed address (a refuge,"
        " a placement) reaches only viewers allowed to see it, who must not pass it on."))

    @classmethod
    def of(cls, decision: Release[model.Address]) -> Address | None:
        """The GraphQL address for a policy decision; None when it is withheld."""
        address = decision.value
        if address is None:
            return None
        return cls(
            line1=address.line1,
            line2=address.line2,
            town=address.town,
            postcode=address.postcode,
            uprn=address.uprn,
            sensitivity=str(address.sensitivity),
        )


@strawberry.type
class HouseholdMember:
    person: Person
    relationship_to_subject: str = strawberry.field(
        description="Plain words: mother, half-brother (maternal), mother's partner..."
    )
    since: date | None = strawberry.field(description="When they joined this household.")


@strawberry.type(description="Another address a source system places the subject at on the"
                 " same date as the household shown: the sources disagree about where they"
                 " lived, and famgraph says so rather than choosing silently.")
class AlternativeAddress:
    address: Address = strawberry.field(description="The address, as you may see it.")
    since: date | None = strawberry.field(
        description="The earliest start any of these sources gives for the stay.")
    refs: strawberry.Private[tuple[model.SourceRef, ...]]
    sources_withheld: strawberry.Private[bool]

    @strawberry.field(description="The source records placing the subject here, from systems"
                      " your agreement shares; null with FIELD_NOT_PERMITTED when sources are"
                      " withheld.")
    def sources(self) -> list[Source] | None:
        _withhold_unless(not self.sources_withheld, Category.SOURCES)
        return _sources(self.refs)


def _also_recorded_at(
    ctx: RequestContext, subject: str, answer: household.HouseholdAnswer
) -> tuple[list[AlternativeAddress], int]:
    """The other addresses sources place the subject at, each judged by the policy as an
    address is: the claim that these sources place them there, at the highest sensitivity
    of the household, the address and the memberships (a refuge stays withheld). Withheld
    ones are only counted."""
    shown, withheld = [], 0
    for other in answer.also_recorded_at:
        if other.address is None:
            continue
        claim = dataclasses.replace(other.address, sources=other.sources,
                                    sensitivity=other.sensitivity)
        released = Address.of(ctx.disclosure.decide(subject, claim))
        if released is None:
            withheld += 1
            continue
        refs = ctx.disclosure.release(subject, Sources(other.sources))
        shown.append(AlternativeAddress(address=released, since=other.since,
                                        refs=refs.refs if refs else (),
                                        sources_withheld=refs is None))
    return shown, withheld


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
    also_recorded_at: list[AlternativeAddress] = strawberry.field(
        default_factory=list,
        description="Other addresses source systems place the subject at on `asOf`: the"
        " address above is the one the latest-starting stay names, these are the rest, so a"
        " disagreement between systems is shown, not hidden.")
    alternatives_withheld: int = strawberry.field(
        default=0,
        description="How many other recorded addresses on `asOf` are withheld from you.")


@strawberry.type
class Organisation:
    name: str
    kind: str = strawberry.field(description="team, school, gp_practice, agency...")
    code: str | None = strawberry.field(description="A school's URN or a GP practice's ODS code.")


@strawberry.type(description="An agency's information-sharing contact (server/sharing.toml).")
class SharingContact:
    name: str
    role: str
    email: str
    phone: str


@strawberry.type(description="Whom to ask about what is withheld from you.")
class WithheldHelp:
    lead_agency: str | None = strawberry.field(
        description="The organisation (else the team) of the lead practitioner of the newest"
        " open statutory service for this person that you may see; null when there is none"
        " you may see.")
    contact: SharingContact | None = strawberry.field(
        description="Your own agency's information-sharing contact; null if your agency's"
        " agreement names none.")


@strawberry.type(description="Who leads a piece of work, and how to reach them.")
class Practitioner:
    name: str = strawberry.field(
        description="Empty for a contact the source gave no name (a school office's number, a"
        " duty team's inbox): show the role or team instead. Such a contact belongs to this"
        " one involvement.")
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
        cls, person: Person, relationship: str, decision: Release[InvolvementView]
    ) -> ServiceEngaged:
        """The GraphQL service for a policy decision that released it."""
        view, withheld = cast(InvolvementView, decision.value), decision.withheld
        inv, lead = view.involvement, view.lead
        return cls(
            person=person,
            relationship_to_subject=_kinship(person, relationship),
            service=inv.service,
            level=inv.level,
            start=inv.start,
            end=inv.end,
            organisation=Organisation(name=view.organisation.name, kind=view.organisation.kind,
                                      code=view.organisation.code)
            if view.organisation else None,
            lead=Practitioner(
                name=lead.name, role=lead.role, team=lead.team, phone=lead.phone, email=lead.email
            )
            if lead
            else None,
            involvement=inv,
            withheld=withheld,
        )


@strawberry.type(description="One risk indicator recorded on a member of the subject's family,"
                 " saying whom it is about and on whose record it was found.")
class RiskIndicatorFound:
    person: Person = strawberry.field(
        description="The person whose record holds the indicator: the same as `recordedOn`"
        " (kept for older clients). Who it is about is `aboutPerson`/`aboutRelationship`.")
    relationship_to_subject: str = strawberry.field(
        description="How `recordedOn` is related to the subject (self, mother...).")
    kind: RiskKind  # type: ignore[valid-type]
    kind_words: str = strawberry.field(
        description="The kind in plain words: Substance misuse, Domestic abuse...")
    from_: date | None = strawberry.field(name="from")
    to: date | None
    summary: str = strawberry.field(description="What the source recorded, as it wrote it.")
    summary_words: str = strawberry.field(
        description="The summary with raw codes in words (SUSPECT HIGH: Suspected"
        " perpetrator, high risk); a summary with codes not in the table is passed through.")
    about_relationship: str = strawberry.field(
        description="Whom the concern is about, as related to the subject: the relationship"
        " of `recordedOn` for their own concerns; for a parental factor recorded on a child's"
        " assessment (CIN census codes ending B or C) the words for that adult, such as"
        " \"parent(s)/carer(s)\" or \"brother's parent(s)/carer(s)\".")
    current: bool = strawberry.field(
        description="Current on `asOf` by the stated rule: not ended; with no end date, begun"
        " within FAMGRAPH_RISK_CURRENT_MONTHS months (default 12) and not called historic or"
        " closed by its source (docs/risk-indicators.md).")
    indicator: strawberry.Private[model.RiskIndicator]
    withheld: strawberry.Private[frozenset[Category]]
    holder: strawberry.Private[Person]
    someone_else: strawberry.Private[bool]

    @strawberry.field(description="The person whose record the indicator was found on.")
    def recorded_on(self) -> Person:
        return self.holder

    @strawberry.field(
        description="The person the concern is about, when famgraph knows who: the record"
        " holder for their own concerns; null for a parental or household factor recorded on"
        " a child's record, since the source does not name the adult (see aboutRelationship).")
    def about_person(self) -> Person | None:
        return None if self.someone_else else self.holder

    @strawberry.field(description="Null with FIELD_NOT_PERMITTED when sources are withheld.")
    def sources(self) -> list[Source] | None:
        _withhold_unless(Category.SOURCES not in self.withheld, Category.SOURCES)
        return _sources(self.indicator.sources)

    @classmethod
    def of(
        cls, person: Person, relationship: str, decision: Release[model.RiskIndicator],
        day: date | None = None, months: int = 12,
    ) -> RiskIndicatorFound:
        """The GraphQL risk indicator for a policy decision that released it."""
        indicator, withheld = cast(model.RiskIndicator, decision.value), decision.withheld
        word = _kinship(person, relationship)
        whose = whose_concern(indicator)
        about = word if whose is None else (
            whose if word == "self" else f"{word}'s {whose}")
        return cls(
            person=person,
            relationship_to_subject=word,
            kind=indicator.kind,
            kind_words=kind_words(indicator.kind),
            from_=indicator.valid_from,
            to=indicator.valid_to,
            summary=indicator.summary,
            summary_words=summary_words(indicator.summary),
            about_relationship=about,
            current=is_current(indicator, resolve_as_of(day), months),
            indicator=indicator,
            withheld=withheld,
            holder=person,
            someone_else=whose is not None,
        )


def _folded(subject: str, shown: set[str], edges: Sequence[GenogramEdge],
            collapse: Sequence[str]) -> tuple[set[str], list[str]]:
    """(who to leave out, which collapse ids were applied) for a genogram whose released
    people are `shown` and lines `edges`.

    A person is left out when the subject reaches them through the released lines, but no
    longer once the collapsed people are taken away: they hang off the chart only through
    a collapsed person. Who is reachable without any collapse is the baseline, so people
    the policy already cut off (their only tie ran through someone withheld) stay shown.
    """
    folded = [pid for pid in dict.fromkeys(str(c) for c in collapse)
              if pid in shown and pid != subject]
    if not folded:
        return set(), []
    joined: dict[str, set[str]] = {}
    for edge in edges:
        a, b = str(edge.source_id), str(edge.target_id)
        joined.setdefault(a, set()).add(b)
        joined.setdefault(b, set()).add(a)

    def reached(avoid: set[str]) -> set[str]:
        seen, todo = {subject}, [subject]
        while todo:
            for other in joined.get(todo.pop(), ()):
                if other not in seen and other not in avoid:
                    seen.add(other)
                    todo.append(other)
        return seen

    stops = set(folded)
    near = reached(stops)
    # A collapsed person stays when the subject reaches them before any other stop.
    kept = near | {pid for pid in stops if joined.get(pid, set()) & near}
    hidden = reached(set()) - kept
    return hidden, [pid for pid in folded if pid not in hidden]


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
    collapsed: list[strawberry.ID] = strawberry.field(
        description="The people named in `collapse` who are on this chart, their branches"
        " folded away (a person inside another folded branch is not listed).")
    nodes_collapsed: int = strawberry.field(
        description="How many people `collapse` left out of this chart.")
    subject: strawberry.Private[Person]

    @strawberry.field(
        description="The people on this genogram who live with the subject on `asOf` (the"
        " household boundary); null when the subject's household is withheld from you."
    )
    async def household(self, info: Ctx) -> list[strawberry.ID] | None:
        found = await self._household(info.context)
        return None if found is None else [strawberry.ID(pid) for pid in sorted(found)]

    @strawberry.field(
        description="This genogram drawn in standard notation (docs/genogram.md) as a"
        " standalone SVG document, made from exactly the nodes, edges and household in this"
        " answer. Each person is a link to `/people/<id>`; give it to famgraph-genogram.js for"
        " keyboard access, a details panel, zoom and pan (docs/genogram-embedding.md)."
    )
    async def svg(self, info: Ctx) -> str:
        return genogram_svg(chart_of(self, await self._household(info.context)))

    async def _household(self, ctx: RequestContext) -> frozenset[str] | None:
        subject = self.subject
        topic = ctx.disclosure.release(subject.person.id, Topic(subject.person,
                                                                Category.HOUSEHOLD))
        if topic is None:
            return None
        answer = await ctx.loaders.households.load((subject.person.id, self.as_of))
        residents, _ = _residents(ctx, answer.members)
        on_chart = {node.person.person.id for node in self.nodes}
        return frozenset({m.person.person.id for m in residents} | {subject.person.id}) \
            & on_chart


def chart_of(genogram: Genogram, household: frozenset[str] | None) -> Chart:
    """The drawing's input: only what this answer released."""
    people = []
    for node in genogram.nodes:
        shown = node.person
        released = shown.person
        demographics = Category.DEMOGRAPHICS not in shown.withheld
        sources = () if Category.SOURCES in shown.withheld else released.sources
        people.append(ChartPerson(
            id=released.id, name=released.display_name,
            sex=released.sex.name if demographics and released.sex else "UNKNOWN",
            born=released.birth_date if demographics else None,
            died=released.death_date if demographics else None,
            relationship=node.relationship_to_subject, is_subject=node.is_subject,
            generation=node.generation, systems=tuple(s.system for s in sources)))
    ties = tuple(
        ChartTie(kind=e.kind, src=str(e.source_id), dst=str(e.target_id), subtype=e.subtype,
                 status=e.status, valid_from=e.valid_from, valid_to=e.valid_to,
                 systems=tuple(s.system for s in e.sources))
        for e in genogram.edges)
    return Chart(subject_id=str(genogram.subject_id), as_of=genogram.as_of,
                 people=tuple(people), ties=ties, household=household,
                 withheld=genogram.nodes_withheld)


@strawberry.type(description="People the identity review queue pairs with a person.")
class PossibleDuplicates:
    count: int = strawberry.field(description="Open review pairs naming this person.")
    people: list[Person] = strawberry.field(description="The other person of each pair.")
    people_withheld: int = strawberry.field(description="Other people withheld from you.")
    review_item_ids: list[strawberry.ID] | None = strawberry.field(
        description="The pairs' ids in `reviewQueue`; null unless you may resolve identities.")


@strawberry.type(description="A search candidate, with its score and which fields matched.")
class SearchResult:
    person: Person
    score: float
    matched: list[str]


MAX_SEARCH = 100
# The category of fact a search match tells (names are identity, returned anyway).
MATCHED_CATEGORY = {
    "postcode": Category.ADDRESS, "nhs_number": Category.NHS_NUMBER, "upn": Category.UPN,
    "birth_date": Category.DEMOGRAPHICS, "birth_date_swapped": Category.DEMOGRAPHICS,
    "birth_year": Category.DEMOGRAPHICS, "record_id": Category.SOURCES,
}


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchResult


@strawberry.type(description="Search candidates, best first, a page at a time.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    withheld: int = strawberry.field(
        default=0, description="Candidates on this page withheld from you by your agreement."
    )


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="One person by id; NOT_FOUND if there is none.")
    async def person(self, info: Ctx, id: strawberry.ID) -> Person:
        ctx = info.context
        found = await ctx.loaders.person(str(id))
        released = Person.of(ctx.disclosure.decide(found.id, found))
        if released is None:
            raise NotPermitted("your agency's agreement does not cover people")
        return released

    @strawberry.field(description="A Relay node by id (people today); NOT_FOUND if none.")
    async def node(self, info: Ctx, id: strawberry.ID) -> Node:
        found: Person = await PeopleQuery.person(self, info, id)
        return found

    @strawberry.field(description="People matching any of the criteria, best first.")
    async def search_people(
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
        # Matched, scored and ranked on what the policy lets this viewer see, nothing else.
        lens = ctx.disclosure.lens()
        candidates = await ctx.loaders.ask(lambda: search_people(
            ctx.store, criteria, min(start + first + 1, MAX_SEARCH), birth_year=birth_year,
            record=(system, record_id) if system and record_id else None, lens=lens))
        chosen, info_ = page(candidates, first, after)
        edges, withheld = [], 0
        for cursor, candidate in chosen:
            person = Person.of(ctx.disclosure.decide(candidate.person.id, candidate.person))
            if person is None:
                withheld += 1
                continue
            # A match tells its field's fact ("lived at this postcode"): audited as returned.
            ctx.disclosure.matched(candidate.person.id, frozenset(
                MATCHED_CATEGORY[m] for m in candidate.matched if m in MATCHED_CATEGORY))
            result = SearchResult(person=person, score=candidate.score,
                                  matched=list(candidate.matched))
            edges.append(SearchEdge(cursor=cursor, node=result))
        return SearchConnection(edges=edges, page_info=info_, withheld=withheld)
