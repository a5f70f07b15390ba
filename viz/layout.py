"""Genogram geometry: where each person sits and the path of every line.

Pure functions of ids, birth dates and ties; no drawing, no store, no policy. The rules
this module keeps (stated in docs/genogram.md and checked by Hypothesis in
tests/test_genogram_layout.py):

- one row per generation; no two people (shape and label) overlap;
- partners side by side where the family allows, joined at mid-height; where it does not
  (a third partner), the line runs in a lane below the row, never across anyone;
- every child hangs from the union point of exactly its recorded parents (birth parents,
  else adoptive), or from a stub beside its one parent; carers (foster, special guardian,
  step, adoptive beside birth parents) reach their children by lines of their own;
- union points, lines and labels are never inside or over another person: vertical lines
  run in the corridors between people, horizontal ones at mid-height between partners or
  on tracks in the gaps between rows;
- the children of one union stand in birth order, oldest left; twins share one apex.

Rows are placed top to bottom; within a row, people are ordered by repeated sweeps that
pull each family block towards its parents (going down) and over its children (going up),
and blocks are packed by isotonic regression, so each block sits as near its wish as the
blocks beside it allow.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

SHAPE = 36.0  # side of a square, diameter of a circle
LABEL_WIDTH = 118.0  # the widest a label may be drawn: names are cut to fit
LABEL_LINE = 14.0
LABEL_LINES = 3  # given names, family name, years
LABEL_GAP = 4.0
SPACING = 184.0  # centre to centre in a row: a label, and a corridor for lines beside it
CORRIDOR_SLOT = 9.0  # distance between vertical lines sharing a corridor
TRACK = 11.0  # distance between horizontal lines sharing the gap under a row
GAP_MARGIN = 14.0
# Heights (from mid-height, down positive) at which a person's stubs and lanes leave their
# shape, so that two never run along each other; mid-height is for partners beside them.
STUB_LEVELS = (9.0, -9.0, 15.0, -15.0, 4.0, -4.0)
ENTRY_SHIFT = 11.0  # how far from a shape's middle a second line may meet its top
ENTRY_SHIFTS = (0.0, ENTRY_SHIFT, -ENTRY_SHIFT, ENTRY_SHIFT / 2, -ENTRY_SHIFT / 2,
                SHAPE / 2 - 2, -(SHAPE / 2 - 2))

# Ties whose children hang from a union of their own; the others are carers' lines.
BIRTH, ADOPTIVE = "birth", "adoptive"
DESCENT_KINDS = (BIRTH, ADOPTIVE, "unknown")


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class Member:
    """One person to place: their generation from the API, and birth date if released."""

    generation: int
    born: date | None = None


@dataclass(frozen=True, slots=True)
class Tie:
    """`parent` is recorded as `kind` parent (birth, adoptive, step, foster, ...) of `child`."""

    parent: str
    child: str
    kind: str = BIRTH


@dataclass(frozen=True, slots=True)
class Placed:
    id: str
    row: int
    centre: Point
    shape: Box
    label: Box

    @property
    def box(self) -> Box:
        """Shape and label together: what no line or other person may cross."""
        return Box(self.label.x0, self.shape.y0, self.label.x1, self.label.y1)


@dataclass(frozen=True, slots=True)
class Line:
    """A polyline. `role`: partner, lane (partner line below the row), stub, stem, bar,
    drop or twin; `people` names who it joins, for tooltips and checks."""

    role: str
    points: tuple[Point, ...]
    people: tuple[str, ...]
    kind: str = BIRTH  # for descent lines: the tie kind; for partner lines: ""


@dataclass(frozen=True, slots=True)
class UnionPlaced:
    """Children hanging from one point: their parents (one or two) and the tie kind."""

    parents: tuple[str, ...]
    kind: str
    point: Point
    children: tuple[str, ...]  # left to right, oldest first


@dataclass(slots=True)
class Drawing:
    people: dict[str, Placed]
    unions: list[UnionPlaced]
    lines: list[Line]
    couples: dict[frozenset[str], list[Line]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def birth_key(born: date | None, pid: str) -> tuple[int, date, str]:
    """Oldest first; people with no released birth date after them, by id."""
    return (0, born, pid) if born else (1, date.min, pid)


def descent_parents(ties: Iterable[Tie]) -> dict[str, tuple[tuple[str, ...], str]]:
    """For each child, the parents it hangs from (birth, else adoptive) and their kind.

    >>> descent_parents([Tie("m", "c"), Tie("f", "c"), Tie("a", "c", "adoptive")])
    {'c': (('f', 'm'), 'birth')}
    """
    by_kind: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for tie in ties:
        if tie.kind in DESCENT_KINDS and tie.parent != tie.child:
            by_kind[tie.child][tie.kind].add(tie.parent)
    chosen: dict[str, tuple[tuple[str, ...], str]] = {}
    for child, kinds in sorted(by_kind.items()):
        for kind in DESCENT_KINDS:
            if kinds.get(kind):
                # A child has at most two parents of a kind; a third is a data error,
                # drawn as a carer's line so the union stays a couple.
                chosen[child] = (tuple(sorted(kinds[kind])[:2]), kind)
                break
    return chosen


class UnionKey(NamedTuple):
    """Children hang from `parents` by `kind`; `care` when those are carers beside the
    child's own parents (foster, special guardian, step, or adoptive beside birth)."""

    parents: tuple[str, ...]
    kind: str
    care: bool


@dataclass(slots=True)
class _Family:
    """The ties grouped as the layout uses them."""

    members: Mapping[str, Member]
    unions: dict[UnionKey, list[str]]  # children, oldest first
    descent_kind: dict[str, str]  # how each child is its own parents' (birth, adoptive...)
    partners: dict[str, set[str]]  # drawn couples, and co-parents with no couple recorded

    def children_of(self, pid: str) -> list[str]:
        return [c for key, kids in self.unions.items() if pid in key.parents for c in kids]

    def parents_of(self) -> dict[str, list[tuple[tuple[str, ...], list[str], float]]]:
        """Each child's unions with their children, weighted: its own parents count more
        than its carers."""
        result: dict[str, list[tuple[tuple[str, ...], list[str], float]]] = defaultdict(list)
        for key, kids in self.unions.items():
            weight = 0.4 if key.care else 1.0
            for kid in kids:
                result[kid].append((key.parents, kids, weight))
        return result


def _family(members: Mapping[str, Member], ties: Iterable[Tie],
            couples: Iterable[tuple[str, str]]) -> _Family:
    ties = [t for t in ties if t.parent in members and t.child in members and t.parent != t.child]
    descent = descent_parents(ties)
    unions: dict[UnionKey, list[str]] = defaultdict(list)
    # A couple's birth and adopted children hang from one point; each child's own line
    # says how it is theirs.
    for child, (parents, _) in descent.items():
        unions[UnionKey(parents, BIRTH, care=False)].append(child)
    care: dict[tuple[str, str], set[str]] = defaultdict(set)
    for tie in ties:
        if tie.parent not in descent.get(tie.child, ((), ""))[0]:
            care[(tie.child, tie.kind)].add(tie.parent)
    partners: dict[str, set[str]] = defaultdict(set)
    for a, b in couples:
        if a in members and b in members and a != b:
            partners[a].add(b)
            partners[b].add(a)
    for (child, kind), carers in sorted(care.items()):
        # Carers who are a couple share one line; anyone else has their own.
        alone = sorted(carers)
        for carer in sorted(carers):
            partner = next((p for p in alone if p != carer and p in partners[carer]), None)
            if carer in alone and partner is not None:
                alone = [p for p in alone if p not in (carer, partner)]
                pair = (carer, partner) if carer < partner else (partner, carer)
                unions[UnionKey(pair, kind, care=True)].append(child)
        for carer in alone:
            unions[UnionKey((carer,), kind, care=True)].append(child)
    for (parents, _, _), kids in unions.items():
        kids.sort(key=lambda c: birth_key(members[c].born, c))
        if len(parents) == 2:
            a, b = parents
            partners[a].add(b)
            partners[b].add(a)
    kinds = {child: kind for child, (_, kind) in descent.items()}
    return _Family(members, dict(sorted(unions.items())), kinds, partners)


def layout(members: Mapping[str, Member], ties: Iterable[Tie],
           couples: Iterable[tuple[str, str]]) -> Drawing:
    """Places everyone and routes every line.

    >>> d = layout({"m": Member(-1), "f": Member(-1), "c": Member(0)},
    ...            [Tie("m", "c"), Tie("f", "c")], [("m", "f")])
    >>> d.people["c"].centre.x == d.unions[0].point.x, d.people["c"].row > d.people["m"].row
    (True, True)
    """
    family = _family(members, ties, couples)
    rows = _rows(family)
    order = _order(family, rows)
    xs = _positions(family, order)
    return _route(family, order, xs)


# --- rows -------------------------------------------------------------------------------

def _rows(family: _Family) -> dict[str, int]:
    """A row for each person: partners share one, children sit below their parents.

    Starts from the API's generation (a walk out from the subject) and pushes down anyone
    above their own parent, and the children of one union to one row, so inconsistent
    records (a grandmother who is also the child's guardian) still give a drawable
    picture.
    """
    group = _partner_groups(family)
    row: dict[str, int] = {}
    for members in group.values():
        level = max(family.members[m].generation for m in members)
        for m in members:
            row[m] = level
    edges = {(key.parents[0], kid) for key, kids in family.unions.items() for kid in kids}
    broods = [kids for kids in family.unions.values() if len(kids) > 1]

    def lower(pid: str, level: int) -> bool:
        if row[pid] >= level:
            return False
        for m in group[pid]:
            row[m] = level
        return True

    # Rows only ever move down, so this settles; the bound stops records that contradict
    # themselves (a child who is also their sibling's parent) from pushing for ever.
    for _ in range(len(family.members) + 1):
        moved = False
        for parent, kid in edges:
            if group[parent] is not group[kid]:  # a partner's own child: drawn as found
                moved |= lower(kid, row[parent] + 1)
        # The children of one union share a row, so one bar reaches them all.
        for kids in broods:
            deepest = max(row[k] for k in kids)
            for kid in kids:
                moved |= lower(kid, deepest)
        if not moved:
            break
    low = min(row.values(), default=0)
    return {pid: r - low for pid, r in row.items()}


def _partner_groups(family: _Family) -> dict[str, list[str]]:
    """Everyone joined by partnerships (and co-parenthood), as one shared list each."""
    groups: dict[str, list[str]] = {}
    for pid in sorted(family.members):
        if pid in groups:
            continue
        found = [pid]
        groups[pid] = found
        queue = deque([pid])
        while queue:
            for other in sorted(family.partners.get(queue.popleft(), ())):
                if other not in groups:
                    groups[other] = found
                    found.append(other)
                    queue.append(other)
    return groups


# --- order within rows ------------------------------------------------------------------

Block = tuple[str, ...]


def _chains(family: _Family, row_people: list[str]) -> list[Block]:
    """Partners in a row as runs: a path of partnerships keeps every couple adjacent."""
    members = set(row_people)
    seen: set[str] = set()
    blocks: list[Block] = []
    for pid in sorted(row_people):
        if pid in seen:
            continue
        component = _component(family, pid, members)
        seen.update(component)
        blocks.append(_spine_order(family, component, members))
    return blocks


def _component(family: _Family, start: str, members: set[str]) -> list[str]:
    found, queue = [start], deque([start])
    seen = {start}
    while queue:
        for other in sorted(family.partners.get(queue.popleft(), ())):
            if other in members and other not in seen:
                seen.add(other)
                found.append(other)
                queue.append(other)
    return found


def _spine_order(family: _Family, component: list[str], members: set[str]) -> Block:
    """The longest path of partnerships first; anyone off it follows the partner they join."""
    if len(component) <= 2:
        return tuple(sorted(component))

    def farthest(start: str) -> tuple[str, dict[str, str | None]]:
        before: dict[str, str | None] = {start: None}
        queue, last = deque([start]), start
        while queue:
            last = queue.popleft()
            for other in sorted(family.partners.get(last, ())):
                if other in members and other not in before:
                    before[other] = last
                    queue.append(other)
        return last, before

    end, _ = farthest(min(component))
    other_end, before = farthest(end)
    spine: list[str] = []
    step: str | None = other_end
    while step is not None:
        spine.append(step)
        step = before[step]
    placed = set(spine)
    result = list(spine)
    for pid in sorted(component):
        if pid not in placed:
            anchor = next((i for i, p in enumerate(result) if p in family.partners[pid]),
                          len(result) - 1)
            result.insert(anchor + 1, pid)
            placed.add(pid)
    return tuple(result)


def _order(family: _Family, rows: dict[str, int]) -> dict[int, list[Block]]:
    """Blocks in each row, left to right: a depth-first first guess, then sweeps."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for pid, r in rows.items():
        by_row[r].append(pid)
    blocks = {r: _join_multiple_births(family, _chains(family, people))
              for r, people in by_row.items()}
    visit = _first_visit(family, rows)
    order = {r: sorted(bs, key=lambda b: min(visit[p] for p in b)) for r, bs in blocks.items()}
    for r in order:
        order[r] = _respect_birth_order(family, order[r], {p: float(visit[p]) for p in rows})
    return order


def _join_multiple_births(family: _Family, blocks: list[Block]) -> list[Block]:
    """Twins and triplets stand together: their blocks join end to end where each twin is
    at an end of its own block (a twin's partner stays on the outer side)."""
    for key, kids in family.unions.items():
        if key.care:
            continue
        births: dict[date, list[str]] = defaultdict(list)
        for kid in kids:
            born = family.members[kid].born
            if born is not None:
                births[born].append(kid)
        for twins in births.values():
            for older, younger in itertools.pairwise(twins):
                left = next((b for b in blocks if older in b), None)
                right = next((b for b in blocks if younger in b), None)
                if left is None or right is None or left is right:
                    continue
                if left[0] == older:
                    left = left[::-1]
                if right[-1] == younger and len(right) > 1:
                    right = right[::-1]
                if left[-1] != older or right[0] != younger:
                    continue
                blocks = [b for b in blocks if older not in b and younger not in b]
                blocks.append(left + right)
    return blocks


def _first_visit(family: _Family, rows: dict[str, int]) -> dict[str, int]:
    """Depth first from the oldest generation, children oldest first: a family-tree order."""
    children = {pid: family.children_of(pid) for pid in family.members}
    visit: dict[str, int] = {}

    def walk(start: str) -> None:
        stack = [start]
        while stack:
            pid = stack.pop()
            if pid in visit:
                continue
            visit[pid] = len(visit)
            nexts = sorted(family.partners.get(pid, ())) + children[pid]
            stack.extend(reversed(nexts))

    for pid in sorted(family.members, key=lambda p: (rows[p], p)):
        walk(pid)
    return visit


def _respect_birth_order(family: _Family, blocks: list[Block],
                         wish: Mapping[str, float]) -> list[Block]:
    """Blocks sorted by wish, except that siblings stay oldest-left; chains are turned so
    that their members face the family they came from."""
    index = {p: i for i, b in enumerate(blocks) for p in b}
    turned = [_turn(family, b, wish) for b in blocks]
    after: dict[int, set[int]] = defaultdict(set)
    before_count = [0] * len(blocks)
    for kids in family.unions.values():
        inside = [k for k in kids if k in index]
        for older, younger in itertools.pairwise(inside):
            a, b = index[older], index[younger]
            if a != b and b not in after[a]:
                after[a].add(b)
                before_count[b] += 1
    key = [sum(wish[p] for p in b) / len(b) for b in blocks]
    ready = sorted((key[i], i) for i in range(len(blocks)) if before_count[i] == 0)
    done: list[int] = []
    left = set(range(len(blocks)))
    while left:
        if not ready:
            # Siblings who partner siblings in the opposite birth order: one order yields.
            i = min(left, key=lambda j: (key[j], j))
            ready.append((key[i], i))
        ready.sort()
        _, i = ready.pop(0)
        if i not in left:
            continue
        left.discard(i)
        done.append(i)
        for j in sorted(after[i]):
            before_count[j] -= 1
            if before_count[j] == 0 and j in left:
                ready.append((key[j], j))
    return [turned[i] for i in done]


def _turn(family: _Family, block: Block, wish: Mapping[str, float]) -> Block:
    """A chain reads either way; keep the way that puts siblings in it oldest-left, else
    the way whose members sit nearer their wishes."""
    if len(block) < 2:
        return block
    flipped = tuple(reversed(block))
    position = {p: i for i, p in enumerate(block)}
    votes = 0
    for kids in family.unions.values():
        inside = [k for k in kids if k in position]
        for older, younger in itertools.pairwise(inside):
            votes += 1 if position[older] < position[younger] else -1
    if votes:
        return block if votes > 0 else flipped

    def cost(chain: Block) -> float:
        centre = sum(wish[p] for p in chain) / len(chain)
        return sum(abs((wish[p] - centre) - (i - (len(chain) - 1) / 2) * SPACING)
                   for i, p in enumerate(chain))

    return block if cost(block) <= cost(flipped) else flipped


# --- x positions ------------------------------------------------------------------------

SWEEPS = 7


def _positions(family: _Family, order: dict[int, list[Block]]) -> dict[str, float]:
    """Horizontal places: rows packed, then swept down (children under their parents) and
    up (parents over their children), re-ordering blocks by where they want to be."""
    xs: dict[str, float] = {}
    for blocks in order.values():
        _pack(blocks, {b: 0.0 for b in blocks}, {b: 1.0 for b in blocks}, xs, fresh=True)
    parents_of = family.parents_of()
    children_of = _children_by_parent(family)
    rows = sorted(order)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        for r in rows if downward else reversed(rows):
            blocks = order[r]
            wish = {p: _wish(p, xs, parents_of, children_of, downward) for b in blocks
                    for p in b}
            keys = {p: (w[0] if w[1] > 0 else xs[p]) for p, w in wish.items()}
            if downward:
                # Going down, order by family first: the children of one union stand
                # together, so a sibling bar does not run over another family's children.
                keys = {p: _family_key(p, xs, parents_of, keys[p]) for p in keys}
            blocks = _respect_birth_order(family, blocks, keys)
            order[r] = blocks
            targets, weights = {}, {}
            for block in blocks:
                total = sum(wish[p][1] for p in block)
                centre = (len(block) - 1) / 2
                if total:
                    targets[block] = sum(
                        (wish[p][0] - (i - centre) * SPACING) * wish[p][1]
                        for i, p in enumerate(block)) / total
                else:
                    targets[block] = sum(xs[p] for p in block) / len(block)
                weights[block] = total or 0.05
            _pack(blocks, targets, weights, xs)
    return xs


def _family_key(pid: str, xs: Mapping[str, float],
                parents_of: Mapping[str, list[tuple[tuple[str, ...], list[str], float]]],
                otherwise: float) -> float:
    """Where `pid`'s own parents' union stands, nudged by birth rank: siblings sort
    together, oldest first; someone with no parents drawn keeps `otherwise`."""
    unions = parents_of.get(pid)
    if not unions:
        return otherwise
    parents, kids, _ = max(unions, key=lambda u: u[2])
    return sum(xs[p] for p in parents) / len(parents) + kids.index(pid) * 1e-3


def _children_by_parent(family: _Family) -> dict[str, list[tuple[tuple[str, ...], list[str],
                                                                float]]]:
    result: dict[str, list[tuple[tuple[str, ...], list[str], float]]] = defaultdict(list)
    for (parents, _, care), kids in family.unions.items():
        weight = 0.3 if care else 1.0
        for parent in parents:
            result[parent].append((parents, kids, weight))
    return result


def _wish(pid: str, xs: Mapping[str, float],
          parents_of: Mapping[str, list[tuple[tuple[str, ...], list[str], float]]],
          children_of: Mapping[str, list[tuple[tuple[str, ...], list[str], float]]],
          downward: bool) -> tuple[float, float]:
    """Where `pid` would like to stand, and how strongly: under its parents' union (going
    down, spread by birth rank) or centred over its children's (going up)."""
    total, weight = 0.0, 0.0
    if downward:
        for parents, kids, w in parents_of.get(pid, ()):
            rank = kids.index(pid) - (len(kids) - 1) / 2
            centre = sum(xs[p] for p in parents) / len(parents)
            total += (centre + rank * SPACING) * w
            weight += w
    else:
        for parents, kids, w in children_of.get(pid, ()):
            mid = sum(xs[k] for k in kids) / len(kids)
            if len(parents) == 2:
                other = parents[0] if parents[1] == pid else parents[1]
                mid += SPACING / 2 if xs[pid] > xs[other] else -SPACING / 2
            total += mid * w
            weight += w
    if weight == 0:
        return xs[pid], 0.0
    return total / weight, weight


def _pack(blocks: Sequence[Block], targets: Mapping[Block, float],
          weights: Mapping[Block, float], xs: dict[str, float], fresh: bool = False) -> None:
    """Blocks left to right, each centred as near its target as its neighbours allow.

    Minimises the weighted squared distance from the targets subject to SPACING between
    neighbours: isotonic regression (pool adjacent violators) on shifted targets.
    """
    if not blocks:
        return
    offsets, widths, running = [], [], 0.0
    for block in blocks:
        width = (len(block) - 1) * SPACING
        offsets.append(running + width / 2)
        widths.append(width)
        running += width + SPACING
    if fresh:
        values = [offsets[i] - running / 2 for i in range(len(blocks))]
    else:
        # pools of (sum w*t, sum w, count)
        pools: list[list[float]] = []
        for i, block in enumerate(blocks):
            t = targets[block] - offsets[i]
            w = max(weights[block], 1e-6)
            pools.append([t * w, w, 1.0])
            while len(pools) > 1 and pools[-2][0] / pools[-2][1] > pools[-1][0] / pools[-1][1]:
                last = pools.pop()
                pools[-1][0] += last[0]
                pools[-1][1] += last[1]
                pools[-1][2] += last[2]
        values = []
        for total, weight, count in pools:
            values.extend([total / weight] * int(count))
        values = [v + offsets[i] for i, v in enumerate(values)]
    for i, block in enumerate(blocks):
        left = values[i] - widths[i] / 2
        for j, pid in enumerate(block):
            xs[pid] = left + j * SPACING


# --- lines ------------------------------------------------------------------------------

ROW_BODY = SHAPE + LABEL_GAP + LABEL_LINES * LABEL_LINE


@dataclass(slots=True)
class _Segment:
    """A horizontal run waiting for its track in the gap under `row`."""

    row: int
    x0: float
    x1: float
    track: int = -1
    lane: bool = False


def _route(family: _Family, order: dict[int, list[Block]], xs: dict[str, float]) -> Drawing:
    rows = {p: r for r, blocks in order.items() for b in blocks for p in b}
    shift = -min(xs.values(), default=0.0) + SPACING / 2
    xs = {p: x + shift for p, x in xs.items()}
    row_people = {r: sorted((p for b in bs for p in b), key=lambda p: xs[p])
                  for r, bs in order.items()}
    corridors = _Corridors(row_people, xs)
    adjacent = {frozenset(pair) for bs in order.values() for b in bs
                for pair in itertools.pairwise(b)}
    # First pass: every horizontal run below a row, so gaps can be sized; then the ys.
    plans: list[_Plan] = []
    couple_plans: dict[frozenset[str], _CouplePlan] = {}
    levels: dict[str, int] = defaultdict(int)
    for a in sorted(family.partners):
        for b in sorted(family.partners[a]):
            if a < b and rows[a] == rows[b]:
                pair = frozenset((a, b))
                couple_plans[pair] = _plan_couple(a, b, pair in adjacent, rows[a], xs,
                                                  corridors, levels)
    # Couples' points claim their corridor slots before anyone's stub is handed one; a
    # child's own parents' line meets it in the middle, carers' lines beside it.
    for key, kids in sorted(family.unions.items(),
                            key=lambda item: (frozenset(item[0].parents) not in couple_plans,
                                              item[0].care, item[0])):
        plans.append(_plan_union(key, kids, rows, xs, corridors, couple_plans, levels,
                                 family))
    _untangle(plans, couple_plans.values(), corridors)
    segments = [s for c in couple_plans.values() for s in c.segments]
    segments += [s for p in plans for s in p.segments]
    gaps = _assign_tracks(segments)
    row_y = _row_ys(rows, gaps)
    drawing = Drawing(people={}, unions=[], lines=[])
    for pid, r in rows.items():
        drawing.people[pid] = _placed(pid, r, xs[pid], row_y[r])
    for pair, cplan in couple_plans.items():
        lines = cplan.lines(row_y)
        drawing.couples[pair] = lines
        drawing.lines.extend(lines)
    for plan in plans:
        union, lines = plan.realise(row_y, drawing.people)
        drawing.unions.append(union)
        drawing.lines.extend(lines)
    drawing.width = max((p.box.x1 for p in drawing.people.values()), default=0) + SPACING / 2
    drawing.height = max((p.box.y1 for p in drawing.people.values()), default=0) + GAP_MARGIN
    return drawing


def _placed(pid: str, row: int, x: float, y: float) -> Placed:
    half = SHAPE / 2
    shape = Box(x - half, y - half, x + half, y + half)
    label = Box(x - LABEL_WIDTH / 2, y + half + LABEL_GAP, x + LABEL_WIDTH / 2,
                y + half + LABEL_GAP + LABEL_LINES * LABEL_LINE)
    return Placed(pid, row, Point(x, y), shape, label)


class _Corridors:
    """The free x between neighbours in each row, handed out one slot at a time so that
    vertical lines sharing a corridor never lie on top of each other."""

    def __init__(self, row_people: dict[int, list[str]], xs: Mapping[str, float]) -> None:
        self.row_people = row_people
        self.xs = xs
        self.used: dict[tuple[int, int], set[int]] = defaultdict(set)

    def _index(self, row: int, x: float) -> int:
        """The corridor at x: i lies between the (i-1)th and ith person of the row."""
        people = self.row_people.get(row, [])
        return sum(1 for p in people if self.xs[p] < x)

    def centre(self, row: int, index: int) -> float:
        people = self.row_people.get(row, [])
        if not people:
            return 0.0
        if index <= 0:
            return self.xs[people[0]] - SPACING / 2
        if index >= len(people):
            return self.xs[people[-1]] + SPACING / 2
        return (self.xs[people[index - 1]] + self.xs[people[index]]) / 2

    def room(self, row: int, index: int) -> int:
        """How many slots fit each side of a corridor's centre."""
        people = self.row_people.get(row, [])
        if index <= 0 or index >= len(people):
            return 6
        width = self.xs[people[index]] - self.xs[people[index - 1]] - LABEL_WIDTH
        return max(0, int((width / 2 - 3) // CORRIDOR_SLOT))

    def take(self, row: int, near: float, side: int = 0, index: int | None = None) -> float:
        """A free slot in the corridor at `index` (else the one nearest `near`); `side` -1
        prefers its left half, +1 its right, 0 the centre outwards."""
        if index is None:
            index = self._corridor_near(row, near)
        room = self.room(row, index)
        if side < 0:
            candidates = [-k for k in range(1, room + 1)] + [0]
        elif side > 0:
            candidates = [*range(1, room + 1), 0]
        else:
            candidates = [0] + [s * k for k in range(1, room + 1) for s in (1, -1)]
        used = self.used[(row, index)]
        slot = next((c for c in candidates if c not in used), candidates[-1])
        used.add(slot)
        return self.centre(row, index) + slot * CORRIDOR_SLOT

    def claim(self, row: int, index: int, slot: int) -> None:
        self.used[(row, index)].add(slot)

    def index_near(self, row: int, x: float) -> int:
        """The corridor of `row` whose centre is nearest `x`."""
        return self._corridor_near(row, x)

    def _corridor_near(self, row: int, x: float) -> int:
        people = self.row_people.get(row, [])
        best = min(range(len(people) + 1), key=lambda i: (abs(self.centre(row, i) - x), i))
        return best

    def index_beside(self, row: int, pid: str, side: int) -> int:
        people = self.row_people[row]
        at = people.index(pid)
        return at if side < 0 else at + 1


@dataclass(slots=True)
class _CouplePlan:
    a: str  # left partner
    b: str
    row: int
    adjacent: bool
    xa: float
    xb: float
    lane_xa: float = 0.0
    lane_xb: float = 0.0
    drop_a: float = 0.0  # below mid-height, where a lane leaves each partner
    drop_b: float = 0.0
    segments: list[_Segment] = field(default_factory=list)
    care_points: int = 0

    def point(self, row_y: Mapping[int, float], offset: float = 0.0) -> Point:
        if self.adjacent:
            return Point((self.xa + self.xb) / 2 + offset, row_y[self.row])
        lane = self.segments[0]
        return Point((lane.x0 + lane.x1) / 2 + offset, _track_y(row_y, lane))

    def lines(self, row_y: Mapping[int, float]) -> list[Line]:
        y = row_y[self.row]
        if self.adjacent:
            return [Line("partner", (Point(self.xa + SHAPE / 2, y), Point(self.xb - SHAPE / 2, y)),
                         (self.a, self.b), "")]
        ty = _track_y(row_y, self.segments[0])
        ya, yb = y + self.drop_a, y + self.drop_b
        return [Line("lane", (Point(self.xa + SHAPE / 2, ya), Point(self.lane_xa, ya),
                              Point(self.lane_xa, ty), Point(self.lane_xb, ty),
                              Point(self.lane_xb, yb), Point(self.xb - SHAPE / 2, yb)),
                     (self.a, self.b), "")]


def _level(levels: dict[str, int], pid: str) -> float:
    """The next free height for a line leaving `pid`'s side."""
    used = levels[pid]
    levels[pid] = used + 1
    return STUB_LEVELS[used % len(STUB_LEVELS)]


def _plan_couple(a: str, b: str, adjacent: bool, row: int, xs: Mapping[str, float],
                 corridors: _Corridors, levels: dict[str, int]) -> _CouplePlan:
    if xs[a] > xs[b]:
        a, b = b, a
    plan = _CouplePlan(a, b, row, adjacent, xs[a], xs[b])
    if adjacent:
        index = corridors.index_beside(row, a, +1)
        corridors.claim(row, index, 0)
        return plan
    # A partner out of reach: stubs into the corridors facing each other, a lane below.
    plan.lane_xa = corridors.take(row, xs[a], -1, corridors.index_beside(row, a, +1))
    plan.lane_xb = corridors.take(row, xs[b], +1, corridors.index_beside(row, b, -1))
    plan.drop_a, plan.drop_b = _level(levels, a), _level(levels, b)
    plan.segments.append(_Segment(row, plan.lane_xa, plan.lane_xb, lane=True))
    return plan


@dataclass(slots=True)
class _Plan:
    parents: tuple[str, ...]
    kind: str
    children: list[str]
    row: int
    start_x: float
    via: list[float]  # the corridor x in each row passed through, top first
    segments: list[_Segment]
    start: _CouplePlan | None
    offset: float
    stub_side: int
    stub_level: float
    entry: dict[str, float]  # where each child's line meets its shape's top
    members: Mapping[str, Member]
    care: bool = False
    descent_kind: Mapping[str, str] = field(default_factory=dict)
    members_x: dict[str, float] = field(default_factory=dict)

    def settle_bar(self) -> None:
        """The runs between rows join the stem to each corridor passed through; the bar
        runs from the last of them to the farthest child (or twins' apex)."""
        x = self.start_x
        for segment, next_x in zip(self.segments[:-1], self.via, strict=True):
            segment.x0, segment.x1 = min(x, next_x), max(x, next_x)
            x = next_x
        bar = self.segments[-1]
        x = self.via[-1] if self.via else self.start_x
        apexes = [apex for apex, _ in _apexes(self.children, self.entry, self.members)]
        bar.x0, bar.x1 = min([x, *apexes]), max([x, *apexes])

    def realise(self, row_y: Mapping[int, float], people: Mapping[str, Placed]
                ) -> tuple[UnionPlaced, list[Line]]:
        lines: list[Line] = []
        parent_y = row_y[self.row]
        if self.start is not None:
            point = self.start.point(row_y, self.offset)
        else:
            parent = people[self.parents[0]]
            y = parent_y + self.stub_level
            edge = parent.shape.x1 if self.stub_side > 0 else parent.shape.x0
            point = Point(self.start_x, y)
            lines.append(Line("stub", (Point(edge, y), point), self.parents, self.kind))
        # The stem: down from the union point through any rows between, to the bar.
        stem = [point]
        x = point.x
        for segment, next_x in zip(self.segments[:-1], self.via, strict=True):
            ty = _track_y(row_y, segment)
            stem += [Point(x, ty), Point(next_x, ty)]
            x = next_x
        bar = self.segments[-1]
        bar_y = _track_y(row_y, bar)
        stem.append(Point(x, bar_y))
        lines.append(Line("stem", tuple(stem), self.parents, self.kind))
        lines.append(Line("bar", (Point(bar.x0, bar_y), Point(bar.x1, bar_y)), self.parents,
                          self.kind))
        for apex, twins in _apexes(self.children, self.entry, self.members):
            for child in twins:
                top = Point(self.entry[child], people[child].shape.y0)
                role = "twin" if len(twins) > 1 else "drop"
                kind = self.kind if self.care else self.descent_kind.get(child, self.kind)
                lines.append(Line(role, (Point(apex, bar_y), top), (*self.parents, child),
                                  kind))
        union = UnionPlaced(self.parents, self.kind, point, tuple(self.children))
        return union, lines


def _apexes(children: Sequence[str], entry: Mapping[str, float],
            members: Mapping[str, Member]) -> list[tuple[float, list[str]]]:
    """Children grouped into multiple births (same birth date): one apex each group."""
    groups: list[list[str]] = []
    for child in children:
        born = members[child].born
        if groups and born is not None and members[groups[-1][-1]].born == born:
            groups[-1].append(child)
        else:
            groups.append([child])
    return [(sum(entry[c] for c in g) / len(g), g) for g in groups]


def _plan_union(key: UnionKey, kids: list[str], rows: Mapping[str, int],
                xs: Mapping[str, float], corridors: _Corridors,
                couple_plans: Mapping[frozenset[str], _CouplePlan],
                levels: dict[str, int], family: _Family) -> _Plan:
    parents, kind, care = key
    row = rows[parents[0]]
    start: _CouplePlan | None = None
    offset = 0.0
    stub_side, stub_level = 0, 0.0
    centre = sum(xs[k] for k in kids) / len(kids)
    if len(parents) == 2 and frozenset(parents) in couple_plans:
        start = couple_plans[frozenset(parents)]
        if care:
            # Carers' children leave the couple's line beside its birth children's point.
            start.care_points += 1
            slots = (1 if start.care_points % 2 else -1) * 2 * ((start.care_points + 1) // 2)
            offset = slots * CORRIDOR_SLOT
            if start.adjacent:
                index = corridors.index_beside(row, start.a, +1)
                corridors.claim(row, index, slots)
        base = start.point({start.row: 0.0}, offset) if start.adjacent else None
        start_x = base.x if base else (start.lane_xa + start.lane_xb) / 2 + offset
    else:
        parent = parents[0]
        stub_side = 1 if centre >= xs[parent] else -1
        index = corridors.index_beside(row, parent, stub_side)
        start_x = corridors.take(row, centre, -stub_side, index)
        stub_level = _level(levels, parent)
    # Each child's line meets the top of its shape in the middle; `_untangle` moves
    # a second line (a carer's) beside it.
    entry = {kid: xs[kid] for kid in kids}
    # Rows passed through on the way down, each crossed in a free corridor.
    child_row = min(rows[k] for k in kids)
    segments: list[_Segment] = []
    via: list[float] = []
    x = start_x
    for r in range(row + 1, child_row):
        target = sum(entry.values()) / len(entry)
        next_x = corridors.take(r, (x + target) / 2)
        segments.append(_Segment(r - 1, min(x, next_x), max(x, next_x)))
        via.append(next_x)
        x = next_x
    bar_row = max(child_row - 1, row)  # a child recorded above its parent: drawn as found
    segments.append(_Segment(bar_row, x, x))
    plan = _Plan(parents, kind, kids, row, start_x, via, segments, start, offset, stub_side,
                 stub_level, entry, family.members, care, family.descent_kind)
    plan.members_x = {k: xs[k] for k in kids}
    plan.settle_bar()
    return plan


def _untangle(plans: Sequence[_Plan], couples: Iterable[_CouplePlan],
                   corridors: _Corridors) -> None:
    """A line must not run on, or end on, another family's line: that would draw a child
    as someone else's. A line passing down through a row moves to another slot of its
    corridor; a child's line meets the child's top off-centre."""
    verticals: dict[int, list[tuple[float, int]]] = defaultdict(list)  # gap -> (x, owner)
    for i, plan in enumerate(plans):
        verticals[plan.row].append((plan.start_x, i))
        for r, x in enumerate(plan.via, start=plan.row + 1):
            verticals[r - 1].append((x, i))
            verticals[r].append((x, i))
    for couple in couples:
        if not couple.adjacent:
            verticals[couple.row] += [(couple.lane_xa, -1), (couple.lane_xb, -1)]

    def clashes(x: float, gaps: Iterable[int], owner: int) -> bool:
        return any(abs(x - o) < CORRIDOR_SLOT / 2 for g in gaps for o, who in verticals[g]
                   if who != owner)

    # Corridor centres line up from row to row, so a line passing down through a row can
    # meet the stem of a couple in the row above: it takes another slot.
    for i, plan in enumerate(plans):
        for k, x in enumerate(plan.via):
            r = plan.row + 1 + k
            if not clashes(x, (r - 1, r), i):
                continue
            for _ in range(2 * corridors.room(r, corridors.index_near(r, x)) + 1):
                moved = corridors.take(r, x, 0, corridors.index_near(r, x))
                if not clashes(moved, (r - 1, r), i):
                    break
            for g in (r - 1, r):
                verticals[g] = [(moved if (o == x and who == i) else o, who)
                                for o, who in verticals[g]]
            plan.via[k] = moved
        plan.settle_bar()
    for i, plan in enumerate(plans):
        gap = plan.segments[-1].row
        moved = False
        for kid, x in plan.entry.items():
            others = [o for o, owner in verticals[gap] if owner != i]
            if any(abs(x - o) < CORRIDOR_SLOT for o in others):
                centre = plan.members_x[kid]
                # The first place clear of every other line; failing that (a child with
                # more lines than room), the one farthest from its nearest neighbour.
                free = next((centre + shift for shift in ENTRY_SHIFTS
                             if not any(abs(centre + shift - o) < ENTRY_SHIFT / 2 - 0.5
                                        for o in others)),
                            max((centre + shift for shift in ENTRY_SHIFTS),
                                key=lambda at: min(abs(at - o) for o in others)))
                moved = moved or free != x
                plan.entry[kid] = x = free
            verticals[gap].append((x, i))
        if moved:
            plan.settle_bar()


def _assign_tracks(segments: Iterable[_Segment]) -> dict[int, int]:
    """Horizontal runs in each gap get tracks, lanes on top, so that no two overlap; the
    number of tracks each gap needs."""
    by_row: dict[int, list[_Segment]] = defaultdict(list)
    for s in segments:
        by_row[s.row].append(s)
    counts: dict[int, int] = {}
    for row, runs in by_row.items():
        ends: list[float] = []  # right end of the last run on each track
        lanes = sorted((s for s in runs if s.lane), key=lambda s: (s.x0, s.x1))
        others = sorted((s for s in runs if not s.lane), key=lambda s: (s.x0, s.x1))
        lane_tracks = 0
        for group, first in ((lanes, 0), (others, None)):
            start = 0 if first == 0 else lane_tracks
            for run in group:
                for t in range(start, len(ends)):
                    if ends[t] + CORRIDOR_SLOT < run.x0:
                        run.track = t
                        ends[t] = run.x1
                        break
                else:
                    run.track = len(ends)
                    ends.append(run.x1)
            if first == 0:
                lane_tracks = len(ends)
        counts[row] = len(ends)
    return counts


def _row_ys(rows: Mapping[str, int], tracks: Mapping[int, int]) -> dict[int, float]:
    ys: dict[int, float] = {}
    y = GAP_MARGIN + SHAPE / 2 + 10
    for r in range(0, max(rows.values(), default=0) + 1):
        ys[r] = y
        y += ROW_BODY + GAP_MARGIN + max(tracks.get(r, 0), 1) * TRACK + GAP_MARGIN + SHAPE / 2
    return ys


def _track_y(row_y: Mapping[int, float], segment: _Segment) -> float:
    """The y of a run's track: the gap starts under the row's labels."""
    top = row_y[segment.row] + SHAPE / 2 + LABEL_GAP + LABEL_LINES * LABEL_LINE + GAP_MARGIN
    return top + segment.track * TRACK
