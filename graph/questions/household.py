"""Who lives with this person on a date, and how each of them is related to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graph.errors import PersonNotFound
from graph.model import Address, Person
from graph.questions import resolve_as_of
from graph.questions.kinship import describe_all
from graph.store import Store


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    person: Person
    relationship: str
    since: date | None


@dataclass(frozen=True, slots=True)
class HouseholdAnswer:
    """`address` is None when no source places the subject anywhere on `as_of`."""

    subject: Person
    as_of: date
    household_id: str | None
    address: Address | None
    members: tuple[HouseholdMember, ...]


def household_of(store: Store, person_id: str, as_of: date | None = None) -> HouseholdAnswer:
    """The people living with `person_id` on `as_of` (default today), the subject left out.

    Members are ordered adults first, oldest first, so a worker reads the carers first.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    day = resolve_as_of(as_of)
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
    )


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
    periods = []
    for membership in store.memberships([person_id]):
        day = membership.valid_from or membership.valid_to or resolve_as_of(None)
        answer = household_of(store, person_id, day)
        members = answer.members if answer.household_id == membership.dst else ()
        address = answer.address if answer.household_id == membership.dst else None
        periods.append(HouseholdPeriod(membership.dst, address, membership.valid_from,
                                       membership.valid_to, members))
    periods.sort(key=lambda p: (p.valid_from or date.min, p.household_id), reverse=True)
    return periods
