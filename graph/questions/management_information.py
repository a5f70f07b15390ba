"""Management information: which services and needs go together across families, step-up and
step-down between early help and social care, and re-referrals, with small numbers suppressed.

Definitions (docs/management-information.md says the same for readers):

- A *family* is the household a person lives in on the period's last day (the latest-begun
  membership current then, as `household_of` chooses). A person no source places in a
  household that day is a family of one: they are never joined to anyone by guesswork.
- A family *has* a service when any member has an involvement in it overlapping the
  period, and a *need* when any member has a risk indicator of that kind overlapping the
  period, or a child-in-need episode overlapping it whose reason gives a CIN primary need
  code (`need N1 (...)`, as the CIN census loader writes it) or the code's description.
- *Early help* is a targeted-level involvement, *social care* a statutory-level one. A
  *step-up* is a child's social-care episode starting after an early-help episode of theirs
  began, while it is open or within `HANDOVER_DAYS` of its end; a *step-down* the other way
  round. Each is counted in the period its second episode starts in.
- A *referral* is the start of a child-in-need episode (service "Child in need"); a
  *re-referral* one whose child had another referral in the 365 days before it.

Disclosure control: a count under `SUPPRESS_BELOW` (zero included) is never returned, only
marked suppressed; every other count is rounded to the nearest `ROUND_TO`, so that a
suppressed cell cannot be recovered by subtracting published counts (a total minus its
parts). Lift is given only when the pair and both items are each at least
`SUPPRESS_BELOW`, and is computed from the unrounded counts to two places.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from typing import Protocol

from graph.model import CIN_PRIMARY_NEEDS, Involvement, MemberOf, RiskIndicator, ServiceLevel
from graph.questions import resolve_as_of
from graph.store import Store

SUPPRESS_BELOW = 5
ROUND_TO = 5
HANDOVER_DAYS = 30
RE_REFERRAL_DAYS = 365
DEFAULT_PERIOD_DAYS = 365
CHILD_IN_NEED = "child in need"

# The CIN primary needs MI counts beside risk kinds: N0 says none was stated, N9 that
# the child is not in need.
PRIMARY_NEEDS = {code: text for code, text in CIN_PRIMARY_NEEDS.items()
                 if code not in ("N0", "N9")}
_NEED_CODE = re.compile(r"\bneed (N[1-8])\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Count:
    """A count as it may be published: `value` is None when suppressed, else rounded."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


def publish(true_count: int) -> Count:
    """The disclosure-controlled form of a count.

    >>> [publish(n).value for n in (0, 4, 5, 7, 8, 12, 13)]
    [None, None, 5, 5, 10, 10, 15]
    """
    if true_count < SUPPRESS_BELOW:
        return Count(None)
    # Round half up: 7 -> 5, 8 -> 10, never below the suppression threshold.
    return Count(max(SUPPRESS_BELOW, ((true_count + ROUND_TO // 2) // ROUND_TO) * ROUND_TO))


@dataclass(frozen=True, slots=True)
class Item:
    """A service or a need, as co-occurrence counts it."""

    kind: str  # "service" or "need"
    name: str


@dataclass(frozen=True, slots=True)
class ItemCount:
    item: Item
    families: Count


@dataclass(frozen=True, slots=True)
class Pair:
    """Two items and how many families had both; lift > 1 means together more than chance."""

    first: ItemCount
    second: ItemCount
    families: Count
    lift: float | None


@dataclass(frozen=True, slots=True)
class CoOccurrence:
    start: date
    end: date
    families: Count  # families with at least one service or need in the period
    items: tuple[ItemCount, ...]
    pairs: tuple[Pair, ...]


@dataclass(frozen=True, slots=True)
class Transitions:
    start: date
    end: date
    early_help_started: Count
    social_care_started: Count
    step_ups: Count
    step_downs: Count


@dataclass(frozen=True, slots=True)
class ReReferrals:
    start: date
    end: date
    referrals: Count
    re_referrals: Count


def period_of(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for: `end` defaults to today, `start` to a year before `end`.

    Raises
    ------
    ValueError : `start` is after `end`
    """
    last = resolve_as_of(end)
    first = start if start is not None else last - timedelta(days=DEFAULT_PERIOD_DAYS)
    if first > last:
        raise ValueError("the period starts after it ends")
    return first, last


def _overlaps(start: date | None, end: date | None, first: date, last: date) -> bool:
    return (start is None or start <= last) and (end is None or end >= first)


def families_on(store: Store, person_ids: Iterable[str], day: date) -> dict[str, str]:
    """Each person's family on `day`: their household id, or their own id if none."""
    ids = sorted(set(person_ids))
    current: dict[str, MemberOf] = {}
    for membership in store.memberships(ids):
        if not membership.current_on(day):
            continue
        earlier = current.get(membership.src)
        if earlier is None or (membership.valid_from or date.min) > (earlier.valid_from
                                                                     or date.min):
            current[membership.src] = membership
    return {pid: (current[pid].dst if pid in current else f"person:{pid}") for pid in ids}


def primary_need(involvement: Involvement) -> str | None:
    """The CIN primary need code a child-in-need episode's reason gives, if any."""
    if involvement.service.casefold() != CHILD_IN_NEED:
        return None
    found = _NEED_CODE.search(involvement.reason)
    if found:
        return found.group(1).upper()
    reason = involvement.reason.strip().casefold()
    return next((code for code, text in PRIMARY_NEEDS.items() if reason.startswith(text)), None)


class Counted(Protocol):
    """Which facts the asker's counts may rest on: a count must not move with a fact the
    asker may not see (a restricted service, a system their agreement does not share)."""

    def involvement(self, involvement: Involvement) -> bool: ...

    def risk(self, risk: RiskIndicator) -> bool: ...


class CountsEverything:
    """For callers inside the graph (benchmarks, tests): every fact counts."""

    def involvement(self, involvement: Involvement) -> bool:
        return True

    def risk(self, risk: RiskIndicator) -> bool:
        return True


def co_occurrence(
    store: Store, start: date | None = None, end: date | None = None, top: int = 50,
    counted: Counted | None = None,
) -> CoOccurrence:
    """How many families had each service and need in the period, and each pair together,
    with lift = P(both) / (P(first) P(second)) over families with any service or need.

    Pairs are those of two published items, most lifted first (suppressed lift last), at
    most `top` of them.

    Raises
    ------
    ValueError : the period starts after it ends

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from graph.embedded.store import EmbeddedStore
    >>> from graph.model import Person, RiskIndicator, RiskKind
    >>> from graph.store import GraphBatch
    >>> store = EmbeddedStore(Path(tempfile.mkdtemp()))
    >>> _ = store.write(GraphBatch(nodes=[Person(id="A", given_names="A", family_name="B"),
    ...     RiskIndicator(id="K", person_id="A", kind=RiskKind.HOUSING)]))
    >>> answer = co_occurrence(store, date(2025, 1, 1), date(2025, 12, 31))
    >>> answer.families.suppressed, [i.families.suppressed for i in answer.items]
    (True, [True])
    """
    first, last = period_of(start, end)
    counted = counted or CountsEverything()
    had: dict[str, set[Item]] = defaultdict(set)  # person id -> items
    for inv in store.all_involvements():
        if _overlaps(inv.start, inv.end, first, last) and counted.involvement(inv):
            had[inv.person_id].add(Item("service", inv.service))
            need = primary_need(inv)
            if need:
                had[inv.person_id].add(Item("need", f"{need} {PRIMARY_NEEDS[need]}"))
    for risk in store.all_risk_indicators():
        if _overlaps(risk.valid_from, risk.valid_to, first, last) and counted.risk(risk):
            had[risk.person_id].add(Item("need", risk.kind.value))
    family_of = families_on(store, had, last)
    by_family: dict[str, set[Item]] = defaultdict(set)
    for person_id, items in had.items():
        by_family[family_of[person_id]] |= items
    total = len(by_family)
    counts: dict[Item, int] = defaultdict(int)
    together: dict[tuple[Item, Item], int] = defaultdict(int)
    for items in by_family.values():
        for item in items:
            counts[item] += 1
        for a, b in combinations(sorted(items, key=_order), 2):
            together[a, b] += 1
    item_counts = {item: ItemCount(item, publish(n)) for item, n in counts.items()}
    shown = sorted((i for i, n in counts.items() if n >= SUPPRESS_BELOW), key=_order)
    pairs = []
    published_total = publish(total)
    for a, b in combinations(shown, 2):
        both = publish(together.get((a, b), 0))
        # From the published (rounded) counts only: lift from the true ones, to two
        # places, would let a reader work back to the exact count the rounding hides.
        lift = None
        shown_counts = (both.value, published_total.value, item_counts[a].families.value,
                        item_counts[b].families.value)
        match shown_counts:
            case (int(n), int(all_), int(with_a), int(with_b)) if with_a and with_b:
                lift = round(n * all_ / (with_a * with_b), 2)
        pairs.append(Pair(item_counts[a], item_counts[b], both, lift))
    pairs.sort(key=lambda p: (p.lift is None, -(p.lift or 0.0), _order(p.first.item),
                              _order(p.second.item)))
    return CoOccurrence(
        first, last, published_total,
        tuple(item_counts[i] for i in sorted(counts, key=_order)),
        tuple(pairs[: max(top, 0)]),
    )


def _order(item: Item) -> tuple[str, str]:
    return (item.kind, item.name.casefold())


def _episodes(store: Store, counted: Counted | None) -> list[Involvement]:
    """Involvements with one per episode several systems report (same person, service and
    start), so a CIN episode in social care and in the CIN census counts once."""
    counted = counted or CountsEverything()
    kept: dict[tuple[str, str, date], Involvement] = {}
    for inv in store.all_involvements():
        if counted.involvement(inv):
            kept.setdefault((inv.person_id, inv.service.casefold(), inv.start), inv)
    return list(kept.values())


def _follows(later: Involvement, earlier: Involvement) -> bool:
    """`later` began after `earlier` did, while it was open or within the handover days
    after it ended. Two episodes begun the same day are neither a step-up nor a step-down:
    which came first is not known."""
    if later.start <= earlier.start:
        return False
    return earlier.end is None or later.start <= earlier.end + timedelta(days=HANDOVER_DAYS)


def transitions(store: Store, start: date | None = None, end: date | None = None,
                counted: Counted | None = None) -> Transitions:
    """Early-help and social-care episodes begun in the period, and step-ups and
    step-downs between them (each child's move counted once per episode).

    Raises
    ------
    ValueError : the period starts after it ends
    """
    first, last = period_of(start, end)
    early: dict[str, list[Involvement]] = defaultdict(list)
    social: dict[str, list[Involvement]] = defaultdict(list)
    for inv in _episodes(store, counted):
        if inv.level is ServiceLevel.TARGETED:
            early[inv.person_id].append(inv)
        elif inv.level is ServiceLevel.STATUTORY:
            social[inv.person_id].append(inv)

    def begun(episodes: dict[str, list[Involvement]]) -> list[Involvement]:
        return [e for found in episodes.values() for e in found if first <= e.start <= last]

    ups = sum(1 for inv in begun(social)
              if any(_follows(inv, eh) for eh in early.get(inv.person_id, ())))
    downs = sum(1 for inv in begun(early)
                if any(_follows(inv, sc) for sc in social.get(inv.person_id, ())))
    return Transitions(first, last, publish(len(begun(early))), publish(len(begun(social))),
                       publish(ups), publish(downs))


def re_referrals(store: Store, start: date | None = None, end: date | None = None,
                 counted: Counted | None = None) -> ReReferrals:
    """Referrals (child-in-need episodes begun) in the period, and how many came within
    365 days of the same child's previous referral.

    Raises
    ------
    ValueError : the period starts after it ends
    """
    first, last = period_of(start, end)
    starts: dict[str, list[date]] = defaultdict(list)
    for inv in _episodes(store, counted):
        if inv.service.casefold() == CHILD_IN_NEED:
            starts[inv.person_id].append(inv.start)
    referrals = again = 0
    for days in starts.values():
        days.sort()
        for n, day in enumerate(days):
            if not first <= day <= last:
                continue
            referrals += 1
            if n > 0 and (day - days[n - 1]).days <= RE_REFERRAL_DAYS:
                again += 1
    return ReReferrals(first, last, publish(referrals), publish(again))

