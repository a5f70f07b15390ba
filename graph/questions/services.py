"""Which services are engaged with a child, their household or their wider family."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from graph.errors import PersonNotFound
from graph.model import Involvement
from graph.questions import resolve_as_of
from graph.questions.household import HouseholdAnswer, household_of
from graph.questions.kinship import describe_all
from graph.store import (
    HOUSEHOLD_KIN_DEPTH,
    InvolvementView,
    KinGraph,
    Store,
    involvements_among,
    kin_within,
)

Fact = TypeVar("Fact")

# Universal services named on the person: the service names sources give them (the
# education extract's enrolments are "School"; a GP registration is "GP registration").
SCHOOL_SERVICES = frozenset({"school", "school enrolment"})
GP_SERVICES = frozenset({"gp registration", "gp", "general practice"})

# Family scope reaches grandparents, aunts, uncles and half-siblings in other homes.
FAMILY_SCOPE_DEPTH = 2
assert FAMILY_SCOPE_DEPTH <= HOUSEHOLD_KIN_DEPTH, "a family is taken from a household's walk"


class Scope(enum.StrEnum):
    CHILD = "child"
    HOUSEHOLD = "household"
    FAMILY = "family"


@dataclass(frozen=True, slots=True)
class ServiceEngaged:
    """One open involvement, with who it is about and how they are related to the subject."""

    person_id: str
    relationship: str
    view: InvolvementView


def people_in_scope(
    store: Store, person_id: str, scope: Scope, day: date,
    household: HouseholdAnswer | None = None, kin: KinGraph | None = None,
) -> dict[str, str]:
    """The subject and, by scope, the people around them, each with their relationship.
    `household` and `kin`, when the caller has them already, are the subject's household
    on `day` and kin graph to `FAMILY_SCOPE_DEPTH` on `day`.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    # A household or family scope asks the household question, which says so itself: a
    # round trip fewer on Neo4j.
    if scope is Scope.CHILD and household is None and not store.people([person_id]):
        raise PersonNotFound(person_id)
    words: dict[str, str] = {person_id: "self"}
    if scope in (Scope.HOUSEHOLD, Scope.FAMILY):
        household = household or household_of(store, person_id, day)
        for member in household.members:
            words[member.person.id] = member.relationship
    if scope is Scope.FAMILY:
        kin = kin or store.kin(person_id, FAMILY_SCOPE_DEPTH, day)
        # By id: the kin graph's own order is the backend's, and answers must not differ.
        others = sorted(p for p in kin.people if p not in words)
        words.update(describe_all(kin, person_id, others, day))
    return words


def services_engaged(
    store: Store, person_id: str, scope: Scope = Scope.CHILD, as_of: date | None = None,
    include_closed: bool = False,
) -> list[ServiceEngaged]:
    """Involvements open on `as_of` about the subject and, by scope, the people around them;
    with `include_closed`, also those that had ended by then.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    day = resolve_as_of(as_of)
    if scope is Scope.CHILD:
        # One round trip: only a child with no services is looked up, to tell none from
        # nobody (an involvement names a person the store holds: no node is ever deleted).
        found = services_of_scopes(store, [{person_id: "self"}], day, include_closed)[0]
        if not found and not store.people([person_id]):
            raise PersonNotFound(person_id)
        return found
    # The household read brings its people's involvements: one round trip for a household.
    views = store.households([(person_id, day)], with_involvements=True)
    if (person_id, day) not in views:
        raise PersonNotFound(person_id)
    view = views[(person_id, day)]
    # The household's kin walk reaches further than a family scope: its first steps are
    # the family's, with no second read.
    kin = kin_within(view.kin, FAMILY_SCOPE_DEPTH) if scope is Scope.FAMILY else None
    words = people_in_scope(store, person_id, scope, day,
                            household_of(store, person_id, day, view), kin)
    return services_of_scopes(store, [words], day, include_closed,
                              view.involvements_covering(words))[0]


def services_of_scopes(
    store: Store, scopes: Sequence[dict[str, str]], day: date, include_closed: bool = False,
    known: Sequence[InvolvementView] | None = None,
) -> list[list[ServiceEngaged]]:
    """For each scope (people and their relationship to its subject, as `people_in_scope`
    gives), the involvements open on `day`: one store round trip for all of them, or none
    when `known` holds every involvement begun by `day` about everyone in the scopes (the
    subjects' household views read them: `HouseholdView.involvements`)."""
    everyone = everyone_in(scopes)
    views = (store.involvements(everyone, day, include_closed) if known is None
             else involvements_among(known, everyone, day, include_closed))
    if not include_closed:
        # Loads end every closed involvement; one stored before they did, closed with no end
        # date, must still never read as open (the wrong person called at the front door).
        views = [v for v in views if not _closed_without_end(v.involvement)]
    return [
        [ServiceEngaged(v.involvement.person_id, words[v.involvement.person_id], v)
         for v in _one_per_episode(found)]
        for words, found in zip(scopes, split_by_scope(
            scopes, views, lambda v: v.involvement.person_id), strict=True)
    ]


def everyone_in(scopes: Sequence[Mapping[str, str]]) -> list[str]:
    """The people of several scopes, each once, in order: one store question for all."""
    return list(dict.fromkeys(p for words in scopes for p in words))


def split_by_scope(
    scopes: Sequence[Mapping[str, str]], found: Iterable[Fact], person_of: Callable[[Fact], str]
) -> list[list[Fact]]:
    """What one store question found for everyone, shared out again scope by scope, in
    each scope's order of people (a fact about someone in two scopes goes to both)."""
    by_person: dict[str, list[Fact]] = defaultdict(list)
    for fact in found:
        by_person[person_of(fact)].append(fact)
    return [[fact for p in words for fact in by_person[p]] for words in scopes]


def _closed_without_end(involvement: Involvement) -> bool:
    return involvement.status == "closed" and involvement.end is None


def _one_per_episode(views: list[InvolvementView]) -> list[InvolvementView]:
    """One row per episode that several systems report (a CIN episode in social care and
    in the CIN census): the fullest report is kept and every source is listed on it."""
    kept: dict[tuple[str, str, date], InvolvementView] = {}
    for view in views:
        inv = view.involvement
        key = (inv.person_id, inv.service.casefold(), inv.start)
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = view
            continue
        fuller = max((earlier, view), key=lambda v: (v.lead is not None,
                                                     v.organisation is not None))
        sources = tuple(dict.fromkeys(earlier.involvement.sources + inv.sources))
        kept[key] = replace(fuller, involvement=replace(fuller.involvement, sources=sources))
    return list(kept.values())
