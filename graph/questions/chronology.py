"""A dated chronology for a person, their household or their family, merged from every source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graph.model import Sensitivity, SourceRef
from graph.questions import resolve_as_of
from graph.questions.services import Scope, people_in_scope
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
    words = people_in_scope(store, person_id, scope, last)
    entries = [
        ChronologyEntry(e.date, e.person_id, words[e.person_id], e.type, e.summary, e.sources,
                        sensitivity=e.sensitivity)
        for e in store.events(list(words), first, last)
    ]
    for view in store.involvements(list(words), last, include_closed=True):
        inv = view.involvement
        who = words[inv.person_id]
        if first <= inv.start <= last:
            entries.append(ChronologyEntry(inv.start, inv.person_id, who, "service started",
                                           inv.service, inv.sources, view, inv.sensitivity))
        if inv.end and first <= inv.end <= last:
            entries.append(ChronologyEntry(inv.end, inv.person_id, who, "service ended",
                                           inv.service, inv.sources, view, inv.sensitivity))
    for membership in store.memberships(list(words)):
        if membership.valid_from and first <= membership.valid_from <= last:
            entries.append(ChronologyEntry(membership.valid_from, membership.src,
                                           words[membership.src], "moved in", "",
                                           membership.sources))
    entries.sort(key=lambda e: (e.date, e.person_id, e.kind, e.summary))
    return entries
