"""Genogram geometry: generations in rows, partners side by side, children under parents.

Pure functions of ids and edges; no drawing, no store, no policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

ROW_HEIGHT = 160.0
SPACING = 150.0


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Union:
    """A couple (or one parent alone) that children hang from."""

    parents: tuple[str, ...]
    children: tuple[str, ...]


def unions_of(
    parent_edges: Iterable[tuple[str, str]], couples: Iterable[tuple[str, str]]
) -> list[Union]:
    """Group each child under the set of its parents; add childless couples.

    >>> unions_of([("m", "c"), ("f", "c"), ("m", "d")], [("m", "f")])
    [Union(parents=('f', 'm'), children=('c',)), Union(parents=('m',), children=('d',))]
    """
    parents_of: dict[str, set[str]] = defaultdict(set)
    for parent, child in parent_edges:
        parents_of[child].add(parent)
    children_of: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for child, parents in sorted(parents_of.items()):
        children_of[tuple(sorted(parents))].append(child)
    for a, b in couples:
        children_of.setdefault(tuple(sorted((a, b))), [])
    return [Union(parents, tuple(kids)) for parents, kids in sorted(children_of.items())]


def layout(
    generations: dict[str, int],
    parent_edges: Iterable[tuple[str, str]],
    couples: Iterable[tuple[str, str]],
) -> dict[str, Point]:
    """A position for every person: row by generation, partners adjacent, children centred.

    >>> points = layout({"m": -1, "f": -1, "c": 0}, [("m", "c"), ("f", "c")], [("m", "f")])
    >>> points["c"].x == (points["m"].x + points["f"].x) / 2, points["c"].y > points["m"].y
    (True, True)
    """
    parent_edges, couples = list(parent_edges), list(couples)
    partners: dict[str, list[str]] = defaultdict(list)
    for a, b in couples:
        partners[a].append(b)
        partners[b].append(a)
    parents_of: dict[str, list[str]] = defaultdict(list)
    for parent, child in parent_edges:
        parents_of[child].append(parent)

    rows: dict[int, list[str]] = defaultdict(list)
    for person, generation in generations.items():
        rows[generation].append(person)

    x: dict[str, float] = {}
    for generation in sorted(rows):
        wanted: dict[str, float] = {}
        for person in rows[generation]:
            placed = [x[p] for p in parents_of[person] if p in x]
            wanted[person] = sum(placed) / len(placed) if placed else float("inf")
        order = _with_partners_adjacent(
            sorted(rows[generation], key=lambda p: (wanted[p], p)), partners
        )
        _spread(order, wanted, x)
    return {p: Point(x[p], generations[p] * ROW_HEIGHT) for p in generations}


def _with_partners_adjacent(order: list[str], partners: dict[str, list[str]]) -> list[str]:
    """Partners beside each other; someone with two partners sits between them.

    >>> _with_partners_adjacent(["b", "a", "c"], {"a": ["b", "c"], "b": ["a"], "c": ["a"]})
    ['b', 'a', 'c']
    """
    result: list[str] = []
    seen: set[str] = set()
    members = set(order)

    def open_partners(person: str) -> list[str]:
        return [p for p in sorted(partners[person]) if p in members and p not in seen]

    for person in order:
        if person in seen:
            continue
        # Start from whoever in this couple has the most partners: they go in the middle.
        hub = max([person, *open_partners(person)], key=lambda p: len(open_partners(p)))
        theirs = [p for p in open_partners(hub) if p != hub]
        left, right = (theirs[:1], theirs[1:]) if len(theirs) > 1 else ([], theirs)
        for placed in (*left, hub, *right):
            if placed not in seen:
                result.append(placed)
                seen.add(placed)
    return result


def _spread(order: list[str], wanted: dict[str, float], x: dict[str, float]) -> None:
    """Place left to right at the wanted x where possible, never closer than SPACING."""
    finite = [wanted[p] for p in order if wanted[p] != float("inf")]
    cursor = (min(finite) if finite else 0.0) - SPACING * len(order)
    groups = _groups_by_wanted(order, wanted)
    for group, centre in groups:
        start = centre - SPACING * (len(group) - 1) / 2 if centre != float("inf") else cursor
        start = max(start, cursor)
        for i, person in enumerate(group):
            x[person] = start + i * SPACING
        cursor = start + len(group) * SPACING
    if order and not finite:
        shift = (x[order[0]] + x[order[-1]]) / 2
        for person in order:
            x[person] -= shift


def _groups_by_wanted(order: list[str], wanted: dict[str, float]) -> list[tuple[list[str], float]]:
    """Runs of people who want the same x (siblings) become one centred group."""
    groups: list[tuple[list[str], float]] = []
    for person in order:
        target = wanted[person]
        if groups and (groups[-1][1] == target or target == float("inf")):
            groups[-1][0].append(person)
        else:
            groups.append(([person], target))
    return groups
