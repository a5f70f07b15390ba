"""The one access policy: what a viewer may see of each fact, decided in one function.

Every output path (GraphQL, pages, genogram, exports) hands each fact to `release`
through `Disclosure.release`, and records what was returned and withheld for the
audit log. The rules themselves are data: the sharing file read by `server.sharing`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar, cast

from graph.changes import HOUSEHOLD_KINDS, Change, ChangeKind
from graph.model import (
    Address,
    Claim,
    Involvement,
    Person,
    RiskIndicator,
    RiskKind,
    Sensitivity,
    Sex,
    SourceRef,
    most_asserted,
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
    by: object = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.by is not _POLICY:
            raise TypeError("only the access policy (server.policy.release) makes a Release")

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


# Only the policy holds this: a `Release` made anywhere else refuses to exist, so a value
# that reached an answer through a `Release` passed through `release`.
_POLICY = object()


def _decided(value: Fact | None, category: Category, returned: frozenset[Category],
             withheld: frozenset[Category]) -> Release[Any]:
    return Release(value, category, returned, withheld, _POLICY)


def _withhold(category: Category) -> Release[Any]:
    return _decided(None, category, _NONE, frozenset({category}))


@dataclass(frozen=True, slots=True)
class _Asked:
    """One question put to the policy: who asks, under which agreement, about whom, when."""

    viewer: Viewer
    agreement: Agreement
    about: str
    now: float | None

    def may_see(self, level: Sensitivity, about: str | None = None) -> bool:
        return _may_see(self.viewer, self.agreement, level, about or self.about, self.now)


# Fields a person's sources each claim, and the value shown is the one most of them assert.
_VOTED = ("given_names", "family_name", "sex", "birth_date", "death_date", "nhs_number", "upn")


def _as_released(fact: Person, claims: tuple[Claim, ...]) -> Person:
    """The person with each voted field chosen again from the released claims alone: a
    value from a system the viewer may not see must not tip which value they are shown."""
    changes: dict[str, Any] = {}
    for name in _VOTED:
        held = [c for c in fact.claims if c.field == name]
        if not held or all(c in claims for c in held):
            continue
        value = most_asserted(claims, name)
        if value is None and name in ("given_names", "family_name"):
            # Who someone is stays known: a person no shared system names keeps the name
            # the sources gave (identity is released by category, not by system).
            continue
        if name == "sex":
            changes[name] = Sex(value) if value else Sex.UNKNOWN
        elif name in ("birth_date", "death_date"):
            changes[name] = date.fromisoformat(value) if value else None
        else:
            changes[name] = value
    return dataclasses.replace(fact, **changes) if changes else fact


def _person(asked: _Asked, fact: Person) -> Release[Any]:
    agreement, allowed = asked.agreement, asked.agreement.categories
    if Category.IDENTITY not in allowed:
        return _withhold(Category.IDENTITY)
    if not asked.may_see(fact.sensitivity, fact.id):
        name_only = Person(id=fact.id, given_names=fact.given_names,
                           family_name=fact.family_name, sensitivity=fact.sensitivity)
        return _decided(name_only, Category.IDENTITY, frozenset({Category.IDENTITY}),
                        frozenset(_PERSON_FIELDS))
    claims = tuple(c for c in fact.claims
                   if _claim_released(asked.viewer, agreement, c, fact.id, asked.now))
    if (allowed >= _PERSON_FIELD_SET and _all_shared(agreement, fact.sources)
            and len(claims) == len(fact.claims)):
        # Nothing to take out: the copy below would equal the fact itself.
        return _decided(fact, Category.IDENTITY, _PERSON_RETURNED, _NONE)
    withheld = frozenset(c for c in _PERSON_FIELDS if c not in allowed)
    demographics = Category.DEMOGRAPHICS in allowed
    fact = _as_released(fact, claims)
    shown = dataclasses.replace(
        fact,
        sex=fact.sex if demographics else type(fact.sex).UNKNOWN,
        birth_date=fact.birth_date if demographics else None,
        death_date=fact.death_date if demographics else None,
        nhs_number=fact.nhs_number if Category.NHS_NUMBER in allowed else None,
        upn=fact.upn if Category.UPN in allowed else None,
        sources=_shared(agreement, fact.sources) if Category.SOURCES in allowed else (),
        claims=claims,
    )
    returned = frozenset({Category.IDENTITY} | (set(_PERSON_FIELDS) - withheld))
    return _decided(shown, Category.IDENTITY, returned, withheld)


def _address(asked: _Asked, fact: Address) -> Release[Any]:
    if (
        Category.ADDRESS not in asked.agreement.categories
        or not _from_shared_system(asked.agreement, fact.sources)
        or not asked.may_see(fact.sensitivity)
    ):
        return _withhold(Category.ADDRESS)
    return _decided(fact, Category.ADDRESS, frozenset({Category.ADDRESS}), _NONE)


def _involvement(asked: _Asked, fact: InvolvementView) -> Release[Any]:
    agreement, allowed = asked.agreement, asked.agreement.categories
    involvement = fact.involvement
    if (
        Category.SERVICES not in allowed
        or not _from_shared_system(agreement, involvement.sources)
        or not asked.may_see(involvement.sensitivity)
    ):
        return _withhold(Category.SERVICES)
    detail = Category.SERVICE_DETAIL in allowed
    sources = Category.SOURCES in allowed
    if detail and sources and _all_shared(agreement, involvement.sources):
        # Nothing to take out: the copies below would equal the fact itself.
        return _decided(fact, Category.SERVICES, _SERVICES_RETURNED, _NONE)
    bare: Involvement = dataclasses.replace(
        involvement,
        reason=involvement.reason if detail else "",
        status=involvement.status if detail else "",
        sources=_shared(agreement, involvement.sources) if sources else (),
    )
    withheld = frozenset(
        c for c, ok in ((Category.SERVICE_DETAIL, detail), (Category.SOURCES, sources)) if not ok
    )
    return _decided(
        dataclasses.replace(fact, involvement=bare),
        Category.SERVICES,
        frozenset({Category.SERVICES}) | ({Category.SERVICE_DETAIL} if detail else set()),
        withheld,
    )


def _risk(asked: _Asked, fact: RiskIndicator) -> Release[Any]:
    agreement = asked.agreement
    if (
        Category.RISK_INDICATORS not in agreement.categories
        or fact.kind not in agreement.risk_kinds
        or not _from_shared_system(agreement, fact.sources)
        or not asked.may_see(fact.sensitivity)
    ):
        return _withhold(Category.RISK_INDICATORS)
    sources = Category.SOURCES in agreement.categories
    shown = dataclasses.replace(fact, sources=_shared(agreement, fact.sources) if sources else ())
    return _decided(shown, Category.RISK_INDICATORS, frozenset({Category.RISK_INDICATORS}),
                    _NONE if sources else frozenset({Category.SOURCES}))


def _topic(asked: _Asked, fact: Topic) -> Release[Any]:
    subject = fact.subject
    if fact.category not in asked.agreement.categories or not asked.may_see(
        subject.sensitivity, subject.id
    ):
        return _withhold(fact.category)
    return _decided(fact, fact.category, frozenset({fact.category}), _NONE)


def _change(asked: _Asked, fact: Change) -> Release[Any]:
    # A move or a new adult is a household fact; a service a service one; a domestic-
    # abuse notification a domestic-abuse risk indicator, as `riskIndicators` shows it.
    # Judged whole, at the sensitivity of everything it would reveal.
    agreement = asked.agreement
    notification = fact.kind is ChangeKind.DOMESTIC_ABUSE_NOTIFICATION
    category = (Category.HOUSEHOLD if fact.kind in HOUSEHOLD_KINDS
                else Category.RISK_INDICATORS if notification else Category.SERVICES)
    if (
        category not in agreement.categories
        or (notification and RiskKind.DOMESTIC_ABUSE not in agreement.risk_kinds)
        or not _from_shared_system(agreement, fact.sources)
        or not asked.may_see(fact.sensitivity)
    ):
        return _withhold(category)
    sources = Category.SOURCES in agreement.categories
    change = dataclasses.replace(fact, sources=_shared(agreement, fact.sources) if sources else ())
    return _decided(change, category, frozenset({category}),
                    _NONE if sources else frozenset({Category.SOURCES}))


def _sources(asked: _Asked, fact: Sources) -> Release[Any]:
    if Category.SOURCES not in asked.agreement.categories:
        return _withhold(Category.SOURCES)
    shared = Sources(_shared(asked.agreement, fact.refs))
    return _decided(shared, Category.SOURCES, frozenset({Category.SOURCES}), _NONE)


# The rule for each kind of fact, found by its type: a kind of fact with no rule here
# cannot be released at all (`release` raises), so a new kind cannot slip past unjudged.
_RULES: dict[type, Callable[[_Asked, Any], Release[Any]]] = {
    Person: _person,
    Address: _address,
    InvolvementView: _involvement,
    RiskIndicator: _risk,
    Topic: _topic,
    Change: _change,
    Sources: _sources,
}


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
    Each value a source claimed about a person is judged on its own: its field's
    category, its system and its own sensitivity (a postcode claimed from a refuge).

    Raises
    ------
    TypeError : `fact` is of a kind the policy has no rule for
    """
    rule = _RULES.get(type(fact))
    if rule is None:
        raise TypeError(f"the access policy has no rule for {type(fact).__name__}")
    agreement = rules.agreement(viewer.agency) if viewer.purpose else rules.agreement("")
    return cast(Release[Fact], rule(_Asked(viewer, agreement, about, now), fact))

@dataclass(frozen=True, slots=True)
class ViewerLens:
    """The policy as a search sees candidates, and as aggregates see facts: what the viewer
    may match on or count, decided by `release` but not recorded, since only the people a
    search returns are disclosed (aggregates are audited as one row naming no one)."""

    viewer: Viewer
    rules: SharingRules

    def person(self, person: Person) -> Person | None:
        return release(self.viewer, self.rules, person.id, person).value

    def address(self, person: Person, address: Address) -> bool:
        """Where a person lived is their address topic, then the address itself."""
        topic = release(self.viewer, self.rules, person.id, Topic(person, Category.ADDRESS))
        return topic.value is not None and (
            release(self.viewer, self.rules, person.id, address).value is not None)

    def involvement(self, involvement: Involvement) -> bool:
        """Whether a service may count in this viewer's aggregates: as they would see it."""
        view = InvolvementView(involvement, None, None)
        return release(self.viewer, self.rules, involvement.person_id, view).value is not None

    def risk(self, risk: RiskIndicator) -> bool:
        return release(self.viewer, self.rules, risk.person_id, risk).value is not None

    def record(self, person: Person, ref: SourceRef) -> bool:
        """A record id is the person's sources: withheld with them, or with its system."""
        if Category.SOURCES not in release(self.viewer, self.rules, person.id, person).returned:
            return False
        shared = release(self.viewer, self.rules, person.id, Sources((ref,))).value
        return shared is not None and bool(shared.refs)
