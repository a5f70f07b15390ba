"""What famgraph learned at a load that followers are told about: the change records.

A change is written by the load that learned it, in the same atomic batch, so a
committed load and its changes are never apart. Each carries a copy of the fact it is
about (the address, involvement or event) so the access policy can judge it later
without asking the store again, and so a later correction cannot rewrite what was said.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from graph.model import (
    Address,
    Event,
    Involvement,
    Organisation,
    Person,
    Practitioner,
    Sensitivity,
    SourceRef,
    decode,
    encode,
)

ADULT_AGE = 18


class ChangeKind(enum.StrEnum):
    NEW_ADULT_IN_HOUSEHOLD = "new_adult_in_household"
    CHILD_MOVED = "child_moved"
    SERVICE_STARTED = "service_started"
    SERVICE_ENDED = "service_ended"
    DOMESTIC_ABUSE_NOTIFICATION = "domestic_abuse_notification"


# Kinds about who lives where: judged as household facts, and by the people in them.
HOUSEHOLD_KINDS = frozenset({ChangeKind.NEW_ADULT_IN_HOUSEHOLD, ChangeKind.CHILD_MOVED})

# Event types sources use for a police domestic-abuse notification, once normalised
# (lower case, words joined by underscores).
DOMESTIC_ABUSE_EVENT_TYPES = frozenset({
    "da_notification",
    "domestic_abuse",
    "domestic_abuse_notification",
    "domestic_abuse_incident",
    "da_incident",
})


def is_domestic_abuse(event_type: str) -> bool:
    """Whether an event type names a domestic-abuse notification, however a source spells it."""
    words = "_".join(event_type.lower().replace("-", " ").replace("_", " ").split())
    return words in DOMESTIC_ABUSE_EVENT_TYPES


def highest(*levels: Sensitivity) -> Sensitivity:
    """The most sensitive of these levels (declaration order runs lowest first)."""
    order = list(Sensitivity)
    return max(levels, key=order.index, default=Sensitivity.NORMAL)


def is_child(person: Person, day: date) -> bool:
    age = person.age_on(day)
    return age is not None and age < ADULT_AGE


@dataclass(frozen=True, slots=True)
class Change:
    """One change learned at one load, about `person_id` (and `other_id`, where there is one).

    `seq` is given by the store when the load commits, rising with every change;
    `recorded_at` is when famgraph learned it (ISO 8601 UTC), `effective` when it happened.
    """

    kind: ChangeKind
    person_id: str
    recorded_at: str
    effective: date | None = None
    other_id: str | None = None
    household_id: str | None = None
    address: Address | None = None
    involvement: Involvement | None = None
    organisation: Organisation | None = None
    lead: Practitioner | None = None
    event: Event | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL
    seq: int = 0

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone this change is about: a follower of any of them hears of it."""
        return (self.person_id,) + ((self.other_id,) if self.other_id else ())

    def judged_with(self, people: dict[str, Person]) -> Change:
        """This change at the sensitivity the policy must judge it by, given the people now.

        A restricted or sealed person in it makes the whole change so, whatever its kind:
        a protected person's new household must not leak through a change about someone
        else, nor their services or a notification about them through the event's own,
        lower, level.
        """
        levels = [people[p].sensitivity for p in self.people if p in people]
        return replace(self, sensitivity=highest(self.sensitivity, *levels))


_NESTED: dict[str, type[Any]] = {
    "address": Address,
    "involvement": Involvement,
    "organisation": Organisation,
    "lead": Practitioner,
    "event": Event,
}


def encode_change(change: Change) -> str:
    """The change as JSON (its sequence number is the store's, so it is left out)."""
    data: dict[str, Any] = {
        "kind": change.kind.value,
        "person_id": change.person_id,
        "recorded_at": change.recorded_at,
        "effective": change.effective.isoformat() if change.effective else None,
        "other_id": change.other_id,
        "household_id": change.household_id,
        "sources": [[s.system, s.record_id] for s in change.sources],
        "sensitivity": change.sensitivity.value,
    }
    for name in _NESTED:
        value = getattr(change, name)
        data[name] = encode(value) if value is not None else None
    return json.dumps(data, sort_keys=True)


def decode_change(text: str, seq: int) -> Change:
    """A change from `encode_change`'s JSON, with the sequence number the store gave it."""
    data = json.loads(text)
    nested = {name: decode(cls, data[name]) if data.get(name) else None
              for name, cls in _NESTED.items()}
    return Change(
        kind=ChangeKind(data["kind"]),
        person_id=data["person_id"],
        recorded_at=data["recorded_at"],
        effective=date.fromisoformat(data["effective"]) if data["effective"] else None,
        other_id=data["other_id"],
        household_id=data["household_id"],
        sources=tuple(SourceRef(s, r) for s, r in data["sources"]),
        sensitivity=Sensitivity(data["sensitivity"]),
        seq=seq,
        **nested,
    )


def stamp(moment: datetime) -> str:
    """A moment as stored on a change: UTC, to the microsecond, so text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a time without a zone is taken as UTC
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
