"""A dated chronology for a person, their household or their family, merged from every source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.model import Event, MemberOf, Sensitivity, SourceRef
from graph.questions import resolve_as_of
from graph.questions.services import Scope, everyone_in, people_in_scope, split_by_scope
from graph.store import InvolvementView, Store


@dataclass(frozen=True, slots=True)
class ChronologyEntry:
    date: date
    person_id: str
    relationship: str
    kind: str  # an event type, "service started", "service ended" or "moved in"
    summary: str
    sources: tuple[SourceRef, ...]
    view: InvolvementView | None = None  # a service start or end: the involvement, for policy
    sensitivity: Sensitivity = Sensitivity.NORMAL


def chronology_of(
    store: Store, person_id: str, scope: Scope = Scope.CHILD,
    start: date | None = None, end: date | None = None,
) -> list[ChronologyEntry]:
    """Events, service starts and ends, and moves, oldest first, between two dates.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    last = resolve_as_of(end)
    first = start or date.min
    return chronologies_of(store, [(people_in_scope(store, person_id, scope, last), first,
                                    last)])[0]


def chronologies_of(
    store: Store, asked: Sequence[tuple[dict[str, str], date, date]]
) -> list[list[ChronologyEntry]]:
    """For each (people in a scope with their relationship, as `people_in_scope` gives; first
    day; last day), the chronology of those people between the days: one store question
    per kind of fact (and per distinct range of days) for all of them."""
    scopes = [words for words, _, _ in asked]
    events: list[list[Event]] = [[] for _ in asked]
    for (first, last), at in _grouped(asked, lambda a: (a[1], a[2])).items():
        found = store.events(everyone_in([scopes[n] for n in at]), first, last)
        for n, mine in zip(at, split_by_scope([scopes[n] for n in at], found,
                                              lambda e: e.person_id), strict=True):
            # Back in date order: split_by_scope groups by person.
            events[n] = sorted(mine, key=lambda e: (e.date, e.id))
    views: list[list[InvolvementView]] = [[] for _ in asked]
    for last, at in _grouped(asked, lambda a: a[2]).items():
        found_views = store.involvements(everyone_in([scopes[n] for n in at]), last,
                                         include_closed=True)
        for n, mine_views in zip(at, split_by_scope([scopes[n] for n in at], found_views,
                                                    lambda v: v.involvement.person_id),
                                 strict=True):
            views[n] = mine_views
    moves = split_by_scope(scopes, store.memberships(everyone_in(scopes)), lambda m: m.src)
    return [_entries(words, first, last, events[n], views[n], moves[n])
            for n, (words, first, last) in enumerate(asked)]


def _grouped(
    asked: Sequence[tuple[dict[str, str], date, date]],
    key: Callable[[tuple[dict[str, str], date, date]], Hashable],
) -> dict[Any, list[int]]:
    """The positions of `asked`, by what `key` gives each."""
    groups: dict[Any, list[int]] = defaultdict(list)
    for n, item in enumerate(asked):
        groups[key(item)].append(n)
    return groups


def _entries(
    words: dict[str, str], first: date, last: date, events: list[Event],
    views: list[InvolvementView], memberships: list[MemberOf],
) -> list[ChronologyEntry]:
    entries = [
        ChronologyEntry(e.date, e.person_id, words[e.person_id], e.type, e.summary, e.sources,
                        sensitivity=e.sensitivity)
        for e in events
    ]
    for view in views:
        inv = view.involvement
        who = words[inv.person_id]
        if first <= inv.start <= last:
            entries.append(ChronologyEntry(inv.start, inv.person_id, who, "service started",
                                           inv.service, inv.sources, view, inv.sensitivity))
        if inv.end and first <= inv.end <= last:
            entries.append(ChronologyEntry(inv.end, inv.person_id, who, "service ended",
                                           inv.service, inv.sources, view, inv.sensitivity))
    for membership in memberships:
        if membership.valid_from and first <= membership.valid_from <= last:
            entries.append(ChronologyEntry(membership.valid_from, membership.src,
                                           words[membership.src], "moved in", "",
                                           membership.sources))
    entries.sort(key=lambda e: (e.date, e.person_id, e.kind, e.summary))
    return entries
