"""The one access policy: what a viewer may see of each fact, decided in one function.

Every output path (GraphQL, pages, genogram, exports) hands each fact to `release`
through `Disclosure.release`, and records what was returned and withheld for the
audit log. The rules themselves are data: the sharing file read by `server.sharing`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.changes import HOUSEHOLD_KINDS, Change, ChangeKind
from graph.model import (
    Address,
    Claim,
    Involvement,
    Person,
    RiskIndicator,
    RiskKind,
    Sensitivity,
    SourceRef,
)
from graph.store import InvolvementView
from server.sharing import (
    READ_MANAGEMENT_INFORMATION,
    RESOLVE_IDENTITY,
    VIEW_RESTRICTED,
    VIEW_SEALED,
    Agreement,
    Category,
    Purpose,
    SharingRules,
    at_most,
)

__all__ = [
    "READ_MANAGEMENT_INFORMATION",
    "RESOLVE_IDENTITY",
    "VIEW_RESTRICTED",
    "BreakGlass",
    "Category",
    "Purpose",
    "Release",
    "Sources",
    "Topic",
    "Viewer",
    "ViewerLens",
    "release",
]

BREAK_GLASS_MIN_REASON = 20
BREAK_GLASS_MAX_HOURS = 4.0


@dataclass(frozen=True, slots=True)
class BreakGlass:
    """An emergency reason to see restricted facts, until `until` (epoch seconds)."""

    reason: str
    until: float


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking, in which agency and role, for what purpose, with which grants."""

    user: str
    agency: str
    role: str
    purpose: Purpose | None
    permissions: frozenset[str] = frozenset()
    grants: frozenset[str] = frozenset()  # person ids with a live time-boxed grant
    break_glass: BreakGlass | None = None

    def breaking_glass(self, now: float | None = None) -> bool:
        return self.break_glass is not None and self.break_glass.until > (now or time.time())


@dataclass(frozen=True, slots=True)
class Topic:
    """A kind of fact about a subject as a whole: their household, family or services."""

    subject: Person
    category: Category


@dataclass(frozen=True, slots=True)
class Sources:
    """Source records named alongside a fact (a genogram edge, a person)."""

    refs: tuple[SourceRef, ...]


Fact = TypeVar("Fact", Person, Address, InvolvementView, RiskIndicator, Topic, Sources, Change)


@dataclass(frozen=True, slots=True)
class Release(Generic[Fact]):
    """What the policy let through (`value`, None if withheld whole), and which categories.

    `withheld` lists categories withheld from an otherwise released fact: the fields
    that come back null with FIELD_NOT_PERMITTED.
    """

    value: Fact | None
    category: Category
    returned: frozenset[Category]
    withheld: frozenset[Category]

    @property
    def redacted(self) -> bool:
        return self.value is None or bool(self.withheld)


def _may_see(
    viewer: Viewer, agreement: Agreement, level: Sensitivity, about: str, now: float | None
) -> bool:
    if at_most(level, agreement.sensitivity) or about in viewer.grants:
        return True
    if level is Sensitivity.SENSITIVE:
        return VIEW_RESTRICTED in viewer.permissions or VIEW_SEALED in viewer.permissions
    if level is Sensitivity.RESTRICTED:
        return (
            VIEW_RESTRICTED in viewer.permissions
            or VIEW_SEALED in viewer.permissions
            or (agreement.break_glass and viewer.breaking_glass(now))
        )
    return VIEW_SEALED in viewer.permissions


def _shared(agreement: Agreement, refs: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
    return tuple(ref for ref in refs if ref.system in agreement.systems)


def _from_shared_system(agreement: Agreement, refs: tuple[SourceRef, ...]) -> bool:
    """Facts with no named source are the graph's own; otherwise one source must be shared."""
    return not refs or bool(_shared(agreement, refs))


def _all_shared(agreement: Agreement, refs: tuple[SourceRef, ...]) -> bool:
    """True when every ref is from a shared system: `_shared` would keep them all."""
    return all(ref.system in agreement.systems for ref in refs)


# The category a value some source claimed belongs to: it is released as that field would be.
_CLAIM_CATEGORY = {
    "given_names": Category.IDENTITY, "family_name": Category.IDENTITY,
    "other_names": Category.IDENTITY, "nhs_number": Category.NHS_NUMBER,
    "upn": Category.UPN, "postcode": Category.ADDRESS,
}


def _claim_released(
    viewer: Viewer, agreement: Agreement, claim: Claim, about: str, now: float | None
) -> bool:
    """A claimed value is a fact of its own: its field's category, its source system and
    its own sensitivity (a postcode claimed from a refuge) must all be within reach."""
    return (
        _CLAIM_CATEGORY.get(claim.field, Category.DEMOGRAPHICS) in agreement.categories
        and claim.source.system in agreement.systems
        and _may_see(viewer, agreement, claim.sensitivity, about, now)
    )


_PERSON_FIELDS = (Category.DEMOGRAPHICS, Category.NHS_NUMBER, Category.UPN, Category.SOURCES)
_PERSON_FIELD_SET = frozenset(_PERSON_FIELDS)
_PERSON_RETURNED = frozenset({Category.IDENTITY, *_PERSON_FIELDS})
_SERVICES_RETURNED = frozenset({Category.SERVICES, Category.SERVICE_DETAIL})
_NONE: frozenset[Category] = frozenset()


def release(
    viewer: Viewer,
    rules: SharingRules,
    about: str,
    fact: Fact,
    now: float | None = None,
) -> Release[Fact]:
    """Decide what `viewer` may see of `fact`, a fact about person `about`.

    Deny by default: no purpose, or an agency without an agreement, sees nothing. A
    fact is released when its category is in the agency's agreement, it comes from a
    source system the agreement shares, and its sensitivity is within the agency's
    ceiling or lifted by the role's permission, a grant on the person or break-glass.
    A restricted or sealed person the viewer may not see is released by name only.
    """
    agreement = rules.agreement(viewer.agency) if viewer.purpose else rules.agreement("")
    allowed = agreement.categories

    def withhold(category: Category) -> Release[Fact]:
        return Release(None, category, frozenset(), frozenset({category}))

    if isinstance(fact, Person):
        if Category.IDENTITY not in allowed:
            return withhold(Category.IDENTITY)
        if not _may_see(viewer, agreement, fact.sensitivity, fact.id, now):
            name_only = Person(
                id=fact.id,
                given_names=fact.given_names,
                family_name=fact.family_name,
                sensitivity=fact.sensitivity,
            )
            return Release(
                name_only,
                Category.IDENTITY,
                frozenset({Category.IDENTITY}),
                frozenset(_PERSON_FIELDS),
            )
        claims = tuple(c for c in fact.claims
                       if _claim_released(viewer, agreement, c, fact.id, now))
        if (allowed >= _PERSON_FIELD_SET and _all_shared(agreement, fact.sources)
                and len(claims) == len(fact.claims)):
            # Nothing to take out: the copy below would equal the fact itself.
            return Release(fact, Category.IDENTITY, _PERSON_RETURNED, _NONE)
        withheld = frozenset(c for c in _PERSON_FIELDS if c not in allowed)
        shown = dataclasses.replace(
            fact,
            sex=fact.sex if Category.DEMOGRAPHICS in allowed else type(fact.sex).UNKNOWN,
            birth_date=fact.birth_date if Category.DEMOGRAPHICS in allowed else None,
            death_date=fact.death_date if Category.DEMOGRAPHICS in allowed else None,
            nhs_number=fact.nhs_number if Category.NHS_NUMBER in allowed else None,
            upn=fact.upn if Category.UPN in allowed else None,
            sources=_shared(agreement, fact.sources) if Category.SOURCES in allowed else (),
            claims=claims,
        )
        returned = frozenset({Category.IDENTITY} | (set(_PERSON_FIELDS) - withheld))
        return Release(shown, Category.IDENTITY, returned, withheld)

    if isinstance(fact, Address):
        if (
            Category.ADDRESS not in allowed
            or not _from_shared_system(agreement, fact.sources)
            or not _may_see(viewer, agreement, fact.sensitivity, about, now)
        ):
            return withhold(Category.ADDRESS)
        return Release(fact, Category.ADDRESS, frozenset({Category.ADDRESS}), frozenset())

    if isinstance(fact, InvolvementView):
        involvement = fact.involvement
        if (
            Category.SERVICES not in allowed
            or not _from_shared_system(agreement, involvement.sources)
            or not _may_see(viewer, agreement, involvement.sensitivity, about, now)
        ):
            return withhold(Category.SERVICES)
        detail = Category.SERVICE_DETAIL in allowed
        sources = Category.SOURCES in allowed
        if detail and sources and _all_shared(agreement, involvement.sources):
            # Nothing to take out: the copies below would equal the fact itself.
            return Release(fact, Category.SERVICES, _SERVICES_RETURNED, _NONE)
        bare: Involvement = dataclasses.replace(
            involvement,
            reason=involvement.reason if detail else "",
            status=involvement.status if detail else "",
            sources=_shared(agreement, involvement.sources) if sources else (),
        )
        withheld = frozenset(
            c for c, ok in ((Category.SERVICE_DETAIL, detail), (Category.SOURCES, sources))
            if not ok
        )
        return Release(
            dataclasses.replace(fact, involvement=bare),
            Category.SERVICES,
            frozenset({Category.SERVICES}) | ({Category.SERVICE_DETAIL} if detail else set()),
            withheld,
        )

    if isinstance(fact, RiskIndicator):
        if (
            Category.RISK_INDICATORS not in allowed
            or fact.kind not in agreement.risk_kinds
            or not _from_shared_system(agreement, fact.sources)
            or not _may_see(viewer, agreement, fact.sensitivity, about, now)
        ):
            return withhold(Category.RISK_INDICATORS)
        sources = Category.SOURCES in allowed
        shown_risk = dataclasses.replace(
            fact, sources=_shared(agreement, fact.sources) if sources else ()
        )
        return Release(
            shown_risk,
            Category.RISK_INDICATORS,
            frozenset({Category.RISK_INDICATORS}),
            frozenset() if sources else frozenset({Category.SOURCES}),
        )

    if isinstance(fact, Topic):
        subject = fact.subject
        if fact.category not in allowed or not _may_see(
            viewer, agreement, subject.sensitivity, subject.id, now
        ):
            return withhold(fact.category)
        return Release(fact, fact.category, frozenset({fact.category}), frozenset())

    if isinstance(fact, Change):
        # A move or a new adult is a household fact; a service a service one; a domestic-
        # abuse notification a domestic-abuse risk indicator, as `riskIndicators` shows it.
        # Judged whole, at the sensitivity of everything it would reveal.
        notification = fact.kind is ChangeKind.DOMESTIC_ABUSE_NOTIFICATION
        category = (Category.HOUSEHOLD if fact.kind in HOUSEHOLD_KINDS
                    else Category.RISK_INDICATORS if notification else Category.SERVICES)
        if (
            category not in allowed
            or (notification and RiskKind.DOMESTIC_ABUSE not in agreement.risk_kinds)
            or not _from_shared_system(agreement, fact.sources)
            or not _may_see(viewer, agreement, fact.sensitivity, about, now)
        ):
            return withhold(category)
        sources = Category.SOURCES in allowed
        change = dataclasses.replace(
            fact, sources=_shared(agreement, fact.sources) if sources else ())
        return Release(change, category, frozenset({category}),
                       frozenset() if sources else frozenset({Category.SOURCES}))

    if Category.SOURCES not in allowed:
        return withhold(Category.SOURCES)
    shared = Sources(_shared(agreement, fact.refs))
    return Release(shared, Category.SOURCES, frozenset({Category.SOURCES}), frozenset())


@dataclass(frozen=True, slots=True)
class ViewerLens:
    """The policy as a search sees candidates: what the viewer may match on, decided by
    `release` but not recorded, since only the people a search returns are disclosed."""

    viewer: Viewer
    rules: SharingRules

    def person(self, person: Person) -> Person | None:
        return release(self.viewer, self.rules, person.id, person).value

    def address(self, person: Person, address: Address) -> bool:
        """Where a person lived is their address topic, then the address itself."""
        topic = release(self.viewer, self.rules, person.id, Topic(person, Category.ADDRESS))
        return topic.value is not None and (
            release(self.viewer, self.rules, person.id, address).value is not None)

    def record(self, person: Person, ref: SourceRef) -> bool:
        """A record id is the person's sources: withheld with them, or with its system."""
        if Category.SOURCES not in release(self.viewer, self.rules, person.id, person).returned:
            return False
        shared = release(self.viewer, self.rules, person.id, Sources((ref,))).value
        return shared is not None and bool(shared.refs)
