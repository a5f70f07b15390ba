"""What a genogram drawing must keep, as checks that name the people involved.

`violations(members, ties, couples, drawing)` lists every broken rule (empty when the
drawing keeps them all); each message starts with the rule's letter:

a. one row per generation: people of one generation share a row, and a child's row is
   below each parent's (for consistent families, a descent child exactly one below);
b. no two people's boxes (shape and label) overlap;
c. every child hangs from the union of exactly its recorded parents (`descent_parents`);
   each union's point is on its couple's partner or lane line (two parents) or at the end
   of a stub leaving its one parent's shape edge; its stem starts at the point and ends on
   its bar; each child's drop (or twin line) leaves the bar and ends on the top edge of
   the child's shape;
d. no union point inside anyone's box; no line segment through the inside of anyone's
   box but the people the line names, and those only touched on their shape's edge at the
   line's own ends (never through their shape or across their label);
e. the children of one union in one row stand in birth order (`birth_key`), oldest left;
f. partners side by side: `partner_gaps` counts the people standing between each couple;
   it must be 0 when no one has more than two partners and partnerships make no cycle.

`crossings(drawing)` counts proper crossings between lines of different unions and
couples, and `overlaps(drawing)` finds lines of different unions or couples lying on top
of each other; both are metrics for the bench, not rules in `violations`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence

from viz.layout import Box, Drawing, Line, Member, Point, Tie, birth_key, descent_parents

EPS = 1e-6
Segment = tuple[Point, Point]


# --- geometry ---------------------------------------------------------------------------

def segments(line: Line) -> list[Segment]:
    return list(itertools.pairwise(line.points))


def clip(p: Point, q: Point, box: Box, inside: bool) -> tuple[float, float] | None:
    """The parameter interval [t0, t1] of the segment p->q within `box` (Liang-Barsky),
    or None. `inside`: the open interior shrunk by EPS (a touch on the edge is not
    inside); otherwise the closed box grown by EPS. Works for any direction."""
    lo, hi = 0.0, 1.0
    margin = -EPS if inside else EPS
    for start, delta, b0, b1 in ((p.x, q.x - p.x, box.x0, box.x1),
                                 (p.y, q.y - p.y, box.y0, box.y1)):
        b0, b1 = b0 - margin, b1 + margin
        if abs(delta) < 1e-12:
            if not b0 <= start <= b1:
                return None
            continue
        t0, t1 = (b0 - start) / delta, (b1 - start) / delta
        if t0 > t1:
            t0, t1 = t1, t0
        lo, hi = max(lo, t0), min(hi, t1)
    if inside:
        # a segment of positive length inside, or a lone point well inside
        length = abs(q.x - p.x) + abs(q.y - p.y)
        return (lo, hi) if (lo < hi if length > EPS else lo <= hi) else None
    return (lo, hi) if lo <= hi else None


def at(p: Point, q: Point, t: float) -> Point:
    return Point(p.x + (q.x - p.x) * t, p.y + (q.y - p.y) * t)


def same(p: Point, q: Point, tol: float = EPS) -> bool:
    return abs(p.x - q.x) <= tol and abs(p.y - q.y) <= tol


def on_segment(point: Point, p: Point, q: Point) -> bool:
    cross = (q.x - p.x) * (point.y - p.y) - (q.y - p.y) * (point.x - p.x)
    length = max(abs(q.x - p.x), abs(q.y - p.y), EPS)
    return (abs(cross) / length <= EPS * 10
            and min(p.x, q.x) - EPS <= point.x <= max(p.x, q.x) + EPS
            and min(p.y, q.y) - EPS <= point.y <= max(p.y, q.y) + EPS)


def on_line(point: Point, line: Line) -> bool:
    return any(on_segment(point, p, q) for p, q in segments(line))


def strictly_inside(point: Point, box: Box) -> bool:
    return (box.x0 + EPS < point.x < box.x1 - EPS
            and box.y0 + EPS < point.y < box.y1 - EPS)


def boxes_overlap(a: Box, b: Box) -> bool:
    return (a.x0 + EPS < b.x1 and b.x0 + EPS < a.x1
            and a.y0 + EPS < b.y1 and b.y0 + EPS < a.y1)


def on_top_edge(point: Point, shape: Box) -> bool:
    return abs(point.y - shape.y0) <= EPS and shape.x0 - EPS <= point.x <= shape.x1 + EPS


def on_side_edge(point: Point, shape: Box) -> bool:
    return ((abs(point.x - shape.x0) <= EPS or abs(point.x - shape.x1) <= EPS)
            and shape.y0 - EPS <= point.y <= shape.y1 + EPS)


def _fmt(p: Point) -> str:
    return f"({p.x:.1f}, {p.y:.1f})"


def _who(people: Iterable[str]) -> str:
    return "+".join(people)


# --- the family as the layout reads it ---------------------------------------------------

def _ties(members: Mapping[str, Member], ties: Iterable[Tie]) -> list[Tie]:
    return [t for t in ties if t.parent in members and t.child in members
            and t.parent != t.child]


def consistent(members: Mapping[str, Member], ties: Iterable[Tie],
               couples: Iterable[tuple[str, str]]) -> bool:
    """Descent children exactly one generation below their parents (and carers' children
    below their carers), partners level."""
    ties = _ties(members, ties)
    for child, (parents, _) in descent_parents(ties).items():
        if any(members[child].generation != members[p].generation + 1 for p in parents):
            return False
    if any(members[t.child].generation <= members[t.parent].generation for t in ties):
        return False
    return all(members[a].generation == members[b].generation
               for a, b in couples if a in members and b in members)


def partner_pairs(members: Mapping[str, Member], ties: Iterable[Tie],
                  couples: Iterable[tuple[str, str]]) -> set[frozenset[str]]:
    """Couples recorded, and co-parents of a child with no couple recorded."""
    pairs = {frozenset((a, b)) for a, b in couples if a in members and b in members and a != b}
    for parents, _ in descent_parents(_ties(members, ties)).values():
        if len(parents) == 2:
            pairs.add(frozenset(parents))
    return pairs


def adjacency_required(pairs: Iterable[frozenset[str]]) -> bool:
    """No one with more than two partners, and no cycle of partnerships."""
    degree: dict[str, int] = defaultdict(int)
    root: dict[str, str] = {}

    def find(x: str) -> str:
        while root.setdefault(x, x) != x:
            x = root[x]
        return x

    for pair in pairs:
        a, b = sorted(pair)
        degree[a] += 1
        degree[b] += 1
        ra, rb = find(a), find(b)
        if ra == rb:
            return False
        root[ra] = rb
    return all(d <= 2 for d in degree.values())


def partner_gaps(members: Mapping[str, Member], ties: Iterable[Tie],
                 couples: Iterable[tuple[str, str]], drawing: Drawing
                 ) -> dict[frozenset[str], int]:
    """For each couple (and co-parents) in one row, how many people stand between them."""
    by_row: dict[int, list[float]] = defaultdict(list)
    for placed in drawing.people.values():
        by_row[placed.row].append(placed.centre.x)
    gaps: dict[frozenset[str], int] = {}
    for pair in partner_pairs(members, ties, couples):
        a, b = (drawing.people[p] for p in sorted(pair))
        if a.row != b.row:
            continue
        lo, hi = sorted((a.centre.x, b.centre.x))
        gaps[pair] = sum(1 for x in by_row[a.row] if lo + EPS < x < hi - EPS)
    return gaps


# --- the rules --------------------------------------------------------------------------

def violations(members: Mapping[str, Member], ties: Iterable[Tie],
               couples: Iterable[tuple[str, str]], drawing: Drawing) -> list[str]:
    """Every rule the drawing breaks, each naming the people involved."""
    ties = _ties(members, list(ties))
    couples = list(couples)
    found: list[str] = []
    missing = sorted(set(members) - set(drawing.people))
    if missing:
        found.append(f"a: not placed: {', '.join(missing)}")
        return found
    found += _rows(members, ties, couples, drawing)
    found += _overlaps(drawing)
    found += _unions(members, ties, drawing)
    found += _clearances(drawing)
    found += _birth_order(members, drawing)
    if adjacency_required(partner_pairs(members, ties, couples)):
        for pair, gap in sorted(partner_gaps(members, ties, couples, drawing).items(),
                                key=lambda item: sorted(item[0])):
            if gap:
                found.append(f"f: partners {_who(sorted(pair))} have {gap} "
                             "people between them")
    return found


def _rows(members: Mapping[str, Member], ties: Sequence[Tie],
          couples: Sequence[tuple[str, str]], drawing: Drawing) -> list[str]:
    found: list[str] = []
    people = drawing.people
    strict = consistent(members, ties, couples)
    if strict:
        rows_of: dict[int, set[int]] = defaultdict(set)
        for pid, m in members.items():
            rows_of[m.generation].add(people[pid].row)
        for gen, rows in sorted(rows_of.items()):
            if len(rows) > 1:
                split = {r: sorted(p for p, m in members.items()
                                   if m.generation == gen and people[p].row == r)
                         for r in sorted(rows)}
                found.append(f"a: generation {gen} is drawn in rows {split}")
        gens = sorted(rows_of)
        for upper, lower in itertools.pairwise(gens):
            if max(rows_of[upper]) >= min(rows_of[lower]):
                found.append(f"a: generation {upper} is not above generation {lower}")
        for child, (parents, kind) in sorted(descent_parents(ties).items()):
            for parent in parents:
                if people[child].row != people[parent].row + 1:
                    found.append(f"a: {kind} child {child} (row {people[child].row}) is not "
                                 f"one row below {parent} (row {people[parent].row})")
    for tie in ties:
        if people[tie.child].row <= people[tie.parent].row:
            found.append(f"a: {tie.kind} child {tie.child} (row {people[tie.child].row}) is "
                         f"not below {tie.parent} (row {people[tie.parent].row})")
    for a, b in couples:
        if a in people and b in people and people[a].row != people[b].row:
            found.append(f"a: partners {a} and {b} are in rows {people[a].row}, "
                         f"{people[b].row}")
    return found


def _overlaps(drawing: Drawing) -> list[str]:
    found = []
    boxes = sorted(((placed.box, pid) for pid, placed in drawing.people.items()),
                   key=lambda item: item[0].x0)
    for i, (a, pa) in enumerate(boxes):
        for b, pb in boxes[i + 1:]:
            if b.x0 >= a.x1:
                break  # sorted by left edge: no later box reaches back
            if boxes_overlap(a, b):
                found.append(f"b: {pa} and {pb} overlap (centres "
                             f"{_fmt(drawing.people[pa].centre)}, "
                             f"{_fmt(drawing.people[pb].centre)})")
    return found


def _line_owners(drawing: Drawing) -> list[int | None]:
    """For each line of the drawing, the index of the union it belongs to (None for
    partner and lane lines, and for lines no union claims). Stubs, stems and bars carry
    their union's parents and kind; a drop or twin line names the parents and then the
    child (its kind is the child's own tie kind, which may differ from the union's)."""
    by_key: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
    by_child: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
    for i, u in enumerate(drawing.unions):
        by_key[(u.parents, u.kind)].append(i)
        for child in u.children:
            by_child[(u.parents, child)].append(i)
    owners: list[int | None] = []
    for line in drawing.lines:
        found: list[int] = []
        if line.role in ("stub", "stem", "bar"):
            found = by_key.get((line.people, line.kind), [])
        elif line.role in ("drop", "twin") and line.people:
            found = by_child.get((line.people[:-1], line.people[-1]), [])
        owners.append(found[0] if len(found) == 1 else None)
    return owners


def _union_lines(drawing: Drawing) -> dict[int, dict[str, list[Line]]]:
    """Each union's lines by role; drops and twins keyed by child as role 'drop:<child>'."""
    result: dict[int, dict[str, list[Line]]] = defaultdict(lambda: defaultdict(list))
    for line, owner in zip(drawing.lines, _line_owners(drawing), strict=True):
        if owner is None:
            continue
        role = f"drop:{line.people[-1]}" if line.role in ("drop", "twin") else line.role
        result[owner][role].append(line)
    return result


def _unions(members: Mapping[str, Member], ties: Sequence[Tie], drawing: Drawing
            ) -> list[str]:
    found: list[str] = []
    people = drawing.people
    for child, (parents, kind) in sorted(descent_parents(ties).items()):
        if not any(u.parents == parents and child in u.children for u in drawing.unions):
            hung = [u.parents for u in drawing.unions if child in u.children]
            found.append(f"c: {child} does not hang from a union of exactly its {kind} "
                         f"parents {_who(parents)} (hangs from {hung})")
    lines = _union_lines(drawing)
    for index, union in enumerate(drawing.unions):
        name = f"{union.kind} union of {_who(union.parents)}"
        own = lines.get(index, {})
        if len(union.parents) == 2:
            couple = drawing.couples.get(frozenset(union.parents), [])
            if not couple:
                found.append(f"c: {name} has no partner or lane line")
            elif not any(on_line(union.point, line) for line in couple):
                found.append(f"c: {name}: point {_fmt(union.point)} is not on their "
                             f"{'/'.join(line.role for line in couple)} line")
        else:
            parent = people[union.parents[0]]
            stubs = own.get("stub", [])
            if not any(same(s.points[-1], union.point) and on_side_edge(s.points[0], parent.shape)
                       for s in stubs):
                found.append(f"c: {name}: point {_fmt(union.point)} is not at the end of a "
                             f"stub from {union.parents[0]}'s shape edge")
        stems = [s for s in own.get("stem", []) if same(s.points[0], union.point)]
        bars = own.get("bar", [])
        if not stems:
            found.append(f"c: {name}: no stem starts at its point {_fmt(union.point)}")
        elif bars and not any(on_line(stems[0].points[-1], bar) for bar in bars):
            found.append(f"c: {name}: its stem ends at {_fmt(stems[0].points[-1])}, "
                         "off its bar")
        for child in union.children:
            drops = own.get(f"drop:{child}", [])
            shape = people[child].shape
            if not drops:
                found.append(f"c: {name}: no drop to {child}")
                continue
            for drop in drops:
                if not on_top_edge(drop.points[-1], shape):
                    found.append(f"c: {name}: the {drop.role} line to {child} ends at "
                                 f"{_fmt(drop.points[-1])}, not on the top edge of {child}'s "
                                 f"shape ({shape.x0:.1f}..{shape.x1:.1f}, y {shape.y0:.1f})")
                if bars and not any(on_line(drop.points[0], bar) for bar in bars):
                    found.append(f"c: {name}: the {drop.role} line to {child} starts at "
                                 f"{_fmt(drop.points[0])}, off its bar")
    return found


def _clearances(drawing: Drawing) -> list[str]:
    found: list[str] = []
    people = drawing.people
    boxes = [(pid, placed.box) for pid, placed in people.items()]
    for union in drawing.unions:
        for pid, box in boxes:
            if strictly_inside(union.point, box):
                found.append(f"d: the {union.kind} union point of {_who(union.parents)} "
                             f"{_fmt(union.point)} is inside {pid}'s box")
    for line in drawing.lines:
        own = set(line.people)
        first, last = line.points[0], line.points[-1]
        for p, q in segments(line):
            sx0, sx1 = min(p.x, q.x), max(p.x, q.x)
            sy0, sy1 = min(p.y, q.y), max(p.y, q.y)
            for pid, box in boxes:
                if sx1 < box.x0 or sx0 > box.x1 or sy1 < box.y0 or sy0 > box.y1:
                    continue
                what = f"the {line.role} line of {_who(line.people)} ({_fmt(p)}-{_fmt(q)})"
                if pid not in own:
                    if clip(p, q, box, inside=True):
                        found.append(f"d: {what} crosses {pid}'s box")
                    continue
                placed = people[pid]
                if clip(p, q, placed.label, inside=True):
                    found.append(f"d: {what} crosses its own {pid}'s label")
                touch = clip(p, q, placed.shape, inside=False)
                if touch:
                    a, b = at(p, q, touch[0]), at(p, q, touch[1])
                    # (clipping to the box grown by EPS moves a diagonal's end point a
                    # little along the line: compare to a thousandth of a pixel)
                    if not any(same(a, end, 1e-3) and same(b, end, 1e-3)
                               for end in (first, last)):
                        found.append(f"d: {what} touches its own {pid}'s shape at "
                                     f"{_fmt(a)}-{_fmt(b)}, not only at a line end")
    return found


def _birth_order(members: Mapping[str, Member], drawing: Drawing) -> list[str]:
    found: list[str] = []
    for union in drawing.unions:
        by_row: dict[int, list[str]] = defaultdict(list)
        for child in union.children:
            by_row[drawing.people[child].row].append(child)
        for kids in by_row.values():
            placed = sorted(kids, key=lambda c: drawing.people[c].centre.x)
            born = sorted(kids, key=lambda c: birth_key(members[c].born, c))
            if placed != born:
                pairs = [(a, b) for a, b in itertools.pairwise(placed)
                         if birth_key(members[a].born, a) > birth_key(members[b].born, b)]
                found.append(f"e: children of the {union.kind} union of "
                             f"{_who(union.parents)} stand {placed}, born {born} "
                             f"(younger left of older: {pairs})")
    return found


# --- metrics ----------------------------------------------------------------------------

def _groups(drawing: Drawing) -> list[tuple[Hashable, Line]]:
    """Each line with the union or couple it belongs to."""
    keyed: list[tuple[Hashable, Line]] = []
    for line, owner in zip(drawing.lines, _line_owners(drawing), strict=True):
        if line.role in ("partner", "lane"):
            keyed.append((("couple", frozenset(line.people)), line))
        elif owner is not None:
            keyed.append((("union", owner), line))
        else:
            keyed.append((("line", id(line)), line))
    return keyed


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Segments cross at a point inside both (not at either's end, not collinear)."""
    def orient(a: Point, b: Point, c: Point) -> float:
        return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    tol = 1e-6
    return ((d1 > tol and d2 < -tol) or (d1 < -tol and d2 > tol)) and (
        (d3 > tol and d4 < -tol) or (d3 < -tol and d4 > tol))


def _pairs(drawing: Drawing) -> Iterable[tuple[Hashable, Line, Segment, Hashable, Line, Segment]]:
    flat = [(key, line, seg) for key, line in _groups(drawing) for seg in segments(line)
            if not same(*seg)]
    flat.sort(key=lambda item: min(item[2][0].x, item[2][1].x))
    for i, (ka, la, sa) in enumerate(flat):
        ax1 = max(sa[0].x, sa[1].x)
        ay0, ay1 = sorted((sa[0].y, sa[1].y))
        for kb, lb, sb in flat[i + 1:]:
            if min(sb[0].x, sb[1].x) > ax1 + EPS:
                break
            if ka == kb:
                continue
            by0, by1 = sorted((sb[0].y, sb[1].y))
            if by0 > ay1 + EPS or ay0 > by1 + EPS:
                continue
            yield ka, la, sa, kb, lb, sb


def crossings(drawing: Drawing) -> int:
    """Proper crossings between segments of lines of different unions and couples."""
    return sum(1 for _, _, sa, _, _, sb in _pairs(drawing) if _cross(*sa, *sb))


def overlaps(drawing: Drawing) -> list[str]:
    """Lines of different unions or couples lying on top of each other for a stretch."""
    found = []
    for _, la, (a1, a2), _, lb, (b1, b2) in _pairs(drawing):
        if not (on_segment(b1, a1, a2) or on_segment(b2, a1, a2)
                or on_segment(a1, b1, b2) or on_segment(a2, b1, b2)):
            continue
        # collinear? both of b's ends on a's infinite line
        def off(c: Point, p: Point = a1, q: Point = a2) -> float:
            return abs((q.x - p.x) * (c.y - p.y) - (q.y - p.y) * (c.x - p.x))

        scale = max(abs(a2.x - a1.x), abs(a2.y - a1.y))
        if off(b1) > EPS * scale * 10 or off(b2) > EPS * scale * 10:
            continue
        # overlap length along the common direction
        horizontal = abs(a2.x - a1.x) >= abs(a2.y - a1.y)
        lo_a, hi_a = sorted((a1.x, a2.x) if horizontal else (a1.y, a2.y))
        lo_b, hi_b = sorted((b1.x, b2.x) if horizontal else (b1.y, b2.y))
        if min(hi_a, hi_b) - max(lo_a, lo_b) > 1e-3:
            found.append(f"the {la.role} line of {_who(la.people)} ({la.kind}) lies on the "
                         f"{lb.role} line of {_who(lb.people)} ({lb.kind}) from "
                         f"{max(lo_a, lo_b):.1f} to {min(hi_a, hi_b):.1f}")
    return found
