"""What a load teaches followers: its batch compared with what the store held before it.

- A child moving: a child the store already knew starts a membership of a household they
  were not living in.
- A new adult in a child's household: an adult starts a membership of a household where a
  child the store already knew was living.
- A service starting or ending: an involvement first seen and still open, or one the store
  held open that this load ends.
- A new domestic-abuse notification: an event of that kind first seen.

Only people the store knew before the load are announced as the subject: the first load
of a system is famgraph meeting people, not people's lives changing. A membership already
over when it is learned is history, not news, and so is an involvement first seen closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime

from graph.changes import Change, ChangeKind, highest, is_child, is_domestic_abuse, stamp
from graph.model import (
    Address,
    Event,
    Household,
    Involvement,
    MemberOf,
    Organisation,
    Person,
    Practitioner,
    Sensitivity,
)
from graph.store import GraphBatch, InvolvementView, Store


def changes_learned(
    batch: GraphBatch, store: Store, today: date, learned_at: datetime | None = None
) -> list[Change]:
    """The changes `batch` would teach if written to `store` now, in the order they are
    numbered: by person, kind, the systems that said so and sensitivity, then oldest
    effective first.

    Change numbers are cursors every follower sees. Ordered by date first, a change a
    viewer may not see would move the numbers of those they do see according to its
    hidden date; ordered first by everything the access policy judges a change on, two
    changes that one viewer sees and another does not are never ordered by their values.
    """
    recorded_at = stamp(learned_at or datetime.now(UTC))
    nodes = {node.id: node for node in batch.nodes}
    joining = [e for e in batch.edges if isinstance(e, MemberOf)]
    involvements = [n for n in batch.nodes if isinstance(n, Involvement)]
    events = [n for n in batch.nodes if isinstance(n, Event) and is_domestic_abuse(n.type)]
    about = ({m.src for m in joining} | {i.person_id for i in involvements}
             | {e.person_id for e in events})
    prior_people = store.people(about)
    found = _household_changes(store, joining, nodes, prior_people, today, recorded_at)
    found += _service_changes(store, involvements, nodes, prior_people, today, recorded_at)
    found += _abuse_changes(store, events, prior_people, recorded_at)
    levels = list(Sensitivity)
    found.sort(key=lambda c: (c.person_id, c.other_id or "", c.kind.value,
                              sorted({ref.system for ref in c.sources}),
                              levels.index(c.sensitivity), c.effective or date.min))
    return found


def _household_changes(
    store: Store, joining: list[MemberOf], nodes: Mapping[str, object],
    prior_people: dict[str, Person], today: date, recorded_at: str,
) -> list[Change]:
    before = {m.key: m for m in store.memberships(sorted({m.src for m in joining}))}
    fresh = [m for m in joining if m.key not in before
             and (m.valid_to is None or m.valid_to >= today)]
    if not fresh:
        return []
    households = sorted({m.dst for m in fresh})
    # Who lived in each household before this load, as this load leaves them (it may close
    # some of those memberships).
    updates = {m.key: m for m in joining}
    residents: dict[str, list[MemberOf]] = defaultdict(list)
    for m in store.residents(households):
        residents[m.dst].append(updates.get(m.key, m))
    extra = {r.src for members in residents.values() for r in members}
    people = {**store.people(extra | {m.src for m in fresh}), **prior_people}
    people |= {n.id: n for n in nodes.values() if isinstance(n, Person)}
    places = {h: _place(store, h, nodes, residents[h]) for h in households}
    # Each person's earlier memberships of each household: a nightly load of a borough
    # joins hundreds of thousands, and comparing each with all of them grew as the square.
    earlier: dict[tuple[str, str], list[MemberOf]] = defaultdict(list)
    for old in before.values():
        earlier[old.src, old.dst].append(old)
    found = []
    for m in fresh:
        day = m.valid_from or today
        if any(old.valid_to is None or old.current_on(day) for old in earlier[m.src, m.dst]):
            continue  # already living there: a corrected date, not a move
        household, address = places[m.dst]
        level = highest(m.sensitivity,
                        household.sensitivity if household else Sensitivity.RESTRICTED,
                        address.sensitivity if address else Sensitivity.NORMAL)
        mover = people.get(m.src)
        if mover is None:
            continue
        if is_child(mover, day):
            if m.src in prior_people:
                found.append(Change(
                    ChangeKind.CHILD_MOVED, m.src, recorded_at, day, None, m.dst, address,
                    sources=m.sources, sensitivity=highest(level, mover.sensitivity)))
            continue
        for resident in residents[m.dst]:
            child = people.get(resident.src)
            # Residents come from the store, so each was known before this load.
            if (child is None or resident.src == m.src or not resident.current_on(day)
                    or not is_child(child, day)):
                continue
            found.append(Change(
                ChangeKind.NEW_ADULT_IN_HOUSEHOLD, child.id, recorded_at, day, m.src, m.dst,
                address, sources=m.sources,
                sensitivity=highest(level, child.sensitivity, mover.sensitivity)))
    return found


def _place(
    store: Store, household_id: str, nodes: Mapping[str, object], residents: list[MemberOf]
) -> tuple[Household | None, Address | None]:
    """The household and its address, from this load or else from the store."""
    household = nodes.get(household_id)
    if isinstance(household, Household):
        address = nodes.get(household.address_id)
        return household, address if isinstance(address, Address) else None
    for member in residents:
        view = store.household(member.src, member.valid_from or date.today())
        if view.household is not None and view.household.id == household_id:
            return view.household, view.address
    return None, None  # unknown: the caller judges it restricted, never normal


def _service_changes(
    store: Store, involvements: list[Involvement], nodes: Mapping[str, object],
    prior_people: dict[str, Person], today: date, recorded_at: str,
) -> list[Change]:
    subjects = sorted({i.person_id for i in involvements} & set(prior_people))
    prior: dict[str, InvolvementView] = {
        v.involvement.id: v for v in store.involvements(subjects, date.max, include_closed=True)}
    found = []
    for inv in involvements:
        if inv.person_id not in prior_people:
            continue
        old = prior.get(inv.id)
        if old is None and (inv.end is None or inv.end >= today):
            kind, day = ChangeKind.SERVICE_STARTED, inv.start
        elif old is not None and old.involvement.end is None and inv.end is not None:
            kind, day = ChangeKind.SERVICE_ENDED, inv.end
        else:
            continue
        organisation = nodes.get(inv.organisation_id or "")
        lead = nodes.get(inv.lead_id or "")
        found.append(Change(
            kind, inv.person_id, recorded_at, day, involvement=inv,
            organisation=organisation if isinstance(organisation, Organisation)
            else (old.organisation if old else None),
            lead=lead if isinstance(lead, Practitioner) else (old.lead if old else None),
            sources=inv.sources, sensitivity=inv.sensitivity))
    return found


def _abuse_changes(
    store: Store, events: list[Event], prior_people: dict[str, Person], recorded_at: str
) -> list[Change]:
    subjects = sorted({e.person_id for e in events} & set(prior_people))
    known = {e.id for e in store.events(subjects, date.min, date.max)}
    return [
        Change(ChangeKind.DOMESTIC_ABUSE_NOTIFICATION, e.person_id, recorded_at, e.date,
               event=e, sources=e.sources, sensitivity=e.sensitivity)
        for e in events if e.person_id in prior_people and e.id not in known
    ]
