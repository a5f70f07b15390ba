"""Who lives with this person on a date, and how each of them is related to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from graph.changes import highest
from graph.errors import PersonNotFound
from graph.model import Address, Person, Sensitivity, SourceRef
from graph.questions import resolve_as_of
from graph.questions.kinship import describe_all
from graph.store import HouseholdView, Store


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    person: Person
    relationship: str
    since: date | None


@dataclass(frozen=True, slots=True)
class AlsoRecordedAt:
    """Another address a source places the subject at on the same day as the household
    chosen (sources disagreeing about where they lived): which sources say so, since when,
    and the highest sensitivity of the household, the address and those memberships."""

    household_id: str
    address: Address | None
    since: date | None
    sources: tuple[SourceRef, ...]
    sensitivity: Sensitivity


@dataclass(frozen=True, slots=True)
class HouseholdAnswer:
    """`address` is None when no source places the subject anywhere on `as_of`.

    The household chosen is the one the latest-starting membership current on `as_of` names
    (the store's rule); `also_recorded_at` lists every other household a current membership
    names, ordered by household id, so disagreement is shown rather than chosen away."""

    subject: Person
    as_of: date
    household_id: str | None
    address: Address | None
    members: tuple[HouseholdMember, ...]
    also_recorded_at: tuple[AlsoRecordedAt, ...] = ()


def household_of(
    store: Store, person_id: str, as_of: date | None = None, view: HouseholdView | None = None
) -> HouseholdAnswer:
    """The people living with `person_id` on `as_of` (default today), the subject left out.
    `view`, when the caller has it already (from `Store.households`), is what the store
    found for that person and day.

    Members are ordered adults first, oldest first, so a worker reads the carers first.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    day = resolve_as_of(as_of)
    if view is None:
        view = store.household(person_id, day)
    subject = view.kin.people[person_id]
    # Sources often record one stay more than once (each with its own start date, or none):
    # one row per person, since the earliest start any source knows.
    others = list(dict.fromkeys(
        m.src for m in view.members if m.src != person_id and m.src in view.kin.people))
    words = describe_all(view.kin, person_id, others, day)
    since: dict[str, date | None] = {}
    for membership in view.members:
        known = [d for d in (since.get(membership.src), membership.valid_from) if d]
        since[membership.src] = min(known) if known else None
    members = [
        HouseholdMember(view.kin.people[other], words[other], since[other]) for other in others
    ]
    members.sort(key=lambda m: (m.person.birth_date or date.max, m.person.id))
    return HouseholdAnswer(
        subject=subject,
        as_of=day,
        household_id=view.household.id if view.household else None,
        address=view.address,
        members=tuple(members),
        also_recorded_at=tuple(_also_recorded_at(view)),
    )


def _also_recorded_at(view: HouseholdView) -> list[AlsoRecordedAt]:
    found = []
    for other in view.elsewhere:
        starts = [m.valid_from for m in other.memberships if m.valid_from]
        sources = tuple(dict.fromkeys(ref for m in other.memberships for ref in m.sources))
        level = highest(other.household.sensitivity,
                        *(m.sensitivity for m in other.memberships))
        if other.address is not None:
            level = highest(level, other.address.sensitivity)
        found.append(AlsoRecordedAt(other.household.id, other.address,
                                    min(starts) if starts else None, sources, level))
    return found


def households_of(
    store: Store, subjects: Sequence[tuple[str, date]]
) -> dict[tuple[str, date], HouseholdAnswer]:
    """`household_of` each (person id, day) in one store question; people the store does
    not hold are left out."""
    return {(person_id, day): household_of(store, person_id, day, view)
            for (person_id, day), view in store.households(subjects).items()}


@dataclass(frozen=True, slots=True)
class HouseholdPeriod:
    """One stretch of the subject living at one address, with who lived there at its start."""

    household_id: str
    address: Address | None
    valid_from: date | None
    valid_to: date | None
    members: tuple[HouseholdMember, ...]


def household_history(store: Store, person_id: str) -> list[HouseholdPeriod]:
    """Every household the subject has lived in, most recent first.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    if not store.people([person_id]):
        raise PersonNotFound(person_id)
    return household_histories(store, [person_id])[person_id]


def household_histories(
    store: Store, person_ids: Sequence[str]
) -> dict[str, list[HouseholdPeriod]]:
    """`household_history` of each of these people (held by the store: the caller checks),
    asking the store for every period's household at once."""
    memberships = store.memberships(list(dict.fromkeys(person_ids)))
    today = resolve_as_of(None)
    starts = [(m.src, m.valid_from or m.valid_to or today) for m in memberships]
    answers = households_of(store, starts)
    periods: dict[str, list[HouseholdPeriod]] = {person_id: [] for person_id in person_ids}
    for membership, start in zip(memberships, starts, strict=True):
        answer = answers[start]
        here = answer.household_id == membership.dst
        periods[membership.src].append(HouseholdPeriod(
            membership.dst, answer.address if here else None, membership.valid_from,
            membership.valid_to, answer.members if here else ()))
    for found in periods.values():
        found.sort(key=lambda p: (p.valid_from or date.min, p.household_id), reverse=True)
    return periods
