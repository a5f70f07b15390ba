"""Draws a released genogram as SVG in standard genogram notation.

The notation follows McGoldrick, Gerson and Petry as UK practice uses it (docs/genogram.md):
square male, circle female, diamond not recorded; the index person double-outlined; a
cross through the deceased; age inside the shape; spouses or civil partners joined by a
solid line, cohabiting partners by a dashed one, one slash for separated, two for
divorced; children hang from their parents' line, oldest left, twins from one point;
adopted children in brackets on a dashed line, foster children on a dotted line,
special guardians' and step-parents' lines each their own dash.

A `Chart` holds only what the policy released, so the drawing can tell nothing more. The
geometry comes from `viz.layout`; this module only paints it. Every person is an SVG link
(`<a>`) with an accessible name; every line and person carries a `<title>` saying who
recorded it and since when, which the chart's script shows on focus or tap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from viz.layout import (
    LABEL_LINE,
    LABEL_WIDTH,
    SHAPE,
    Drawing,
    Line,
    Member,
    Placed,
    Point,
    Tie,
    layout,
)

# Unicode bidirectional controls, as loaders.validate names them (a test keeps the two
# equal; viz does not import the loaders). Pages isolate names in <bdi>; SVG text, a page
# title or an aria-label cannot hold that markup, so there they are taken out.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_NO_BIDI_CONTROLS = {ord(c): None for c in BIDI_CONTROLS}


def without_bidi_controls(text: str) -> str:
    """Text to show where markup cannot isolate it, with no character that could reorder it
    or what is drawn beside it; the stored value keeps them.

    >>> without_bidi_controls("Cal " + chr(0x202E) + "ssoM")
    'Cal ssoM'
    """
    return text.translate(_NO_BIDI_CONTROLS)


@dataclass(frozen=True, slots=True)
class ChartPerson:
    id: str
    name: str
    sex: str  # MALE, FEMALE or UNKNOWN (also when withheld)
    born: date | None
    died: date | None
    relationship: str
    is_subject: bool
    generation: int
    systems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChartTie:
    """A PARENT tie (`subtype` the parent kind) or PARTNER tie (`subtype` spouse or partner,
    `status` current, separated, divorced or ended)."""

    kind: str
    src: str
    dst: str
    subtype: str
    status: str
    valid_from: date | None = None
    valid_to: date | None = None
    systems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Chart:
    subject_id: str
    as_of: date
    people: tuple[ChartPerson, ...]
    ties: tuple[ChartTie, ...]
    household: frozenset[str] | None = None  # None: the household is withheld
    withheld: int = 0  # people on the family withheld from the viewer


# Line styles for the tie kinds (SVG stroke-dasharray); the legend draws the same.
DASHES = {
    "birth": "", "unknown": "", "adoptive": "7 4", "foster": "2 4",
    "special_guardian": "10 3 2 3", "step": "12 5",
}
KIND_WORDS = {
    "birth": "birth", "adoptive": "adoption", "foster": "foster care",
    "special_guardian": "special guardianship or kinship care", "step": "step-parent",
    "unknown": "parent (kind not recorded)",
}
PARENT_WORDS = {
    "birth": "birth parent", "adoptive": "adoptive parent", "foster": "foster carer",
    "special_guardian": "special guardian or kinship carer", "step": "step-parent",
    "unknown": "parent",
}
PARTNER_DASHES = {"spouse": "", "partner": "8 5", "coparents": "3 3"}
SLASHES = {"separated": 1, "ended": 1, "divorced": 2}
INK = "#0b0c0c"
MUTED = "#505a5f"
HOUSEHOLD = "#00703c"
FOCUS = "#ffdd00"


def ages(born: date | None, on: date) -> str:
    """An age as practice writes it: months under two, else years.

    >>> ages(date(2020, 5, 1), date(2026, 4, 30)), ages(date(2026, 1, 9), date(2026, 12, 7))
    ('5', '10m')
    >>> ages(None, date(2026, 1, 1))
    ''
    """
    if born is None or born > on:
        return ""
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    return f"{months}m" if months < 24 else str(months // 12)


def uk_date(day: date | None) -> str:
    """A date as UK practice writes it.

    >>> uk_date(date(2019, 3, 4))
    '4 Mar 2019'
    """
    return f"{day.day} {day:%b %Y}" if day else ""


def svg(chart: Chart, href: Callable[[str], str] | None = None,
        footer: Sequence[str] = ()) -> str:
    """The chart as one standalone SVG document: people, lines, household and legend.

    `href` gives the link each person opens (default `/people/<id>`); `footer` lines are
    written under the legend (exports name who made them, when and why).
    """
    link = href or (lambda pid: f"/people/{pid}")
    people = {p.id: p for p in chart.people}
    members = {p.id: Member(p.generation, p.born) for p in chart.people}
    parent_ties = [t for t in chart.ties if t.kind == "PARENT"]
    partner_ties = [t for t in chart.ties if t.kind == "PARTNER"]
    ties = [Tie(t.src, t.dst, t.subtype) for t in parent_ties]
    couples = sorted({tuple(sorted((t.src, t.dst))) for t in partner_ties})
    drawing = layout(members, ties, [(a, b) for a, b in couples])
    adopted = {t.dst for t in parent_ties if t.subtype == "adoptive"}
    legend_top = drawing.height + 16
    legend, legend_height = _legend(legend_top, chart)
    height = legend_top + legend_height + 18 * len(footer) + 12
    width = max(drawing.width, 920.0)
    name = people[chart.subject_id].name if chart.subject_id in people else "this person"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="famgraph-genogram" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="group" aria-labelledby="genogram-title" '
        f'font-family="Arial, Helvetica, sans-serif" data-as-of="{chart.as_of.isoformat()}">',
        f'<title id="genogram-title">{_text(f"Genogram of {name} as at {uk_date(chart.as_of)}")}'
        "</title>",
        '<rect class="paper" x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
    ]
    out += _household(drawing, chart)
    out.append('<g class="lines" fill="none" stroke-linecap="butt">')
    out += _partner_lines(drawing, partner_ties, people)
    out += _descent_lines(drawing, parent_ties, people)
    out.append("</g>")
    out.append('<g class="people">')
    for placed in sorted(drawing.people.values(), key=lambda p: (p.row, p.centre.x)):
        out += _person(placed, people[placed.id], chart, drawing, link, placed.id in adopted)
    out.append("</g>")
    out += legend
    y = legend_top + legend_height
    for line in footer:
        y += 18
        out.append(f'<text class="footer" x="16" y="{y:.0f}" font-size="12" fill="{INK}">'
                   f"{_text(line)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _text(value: str) -> str:
    return escape(without_bidi_controls(value), quote=True)


def _path(points: Iterable[Point]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}"
                    for i, p in enumerate(points))


def _said(systems: Sequence[str], start: date | None, end: date | None) -> str:
    who = ", ".join(sorted(set(systems))).replace("_", " ") or "no system shared with you"
    since = f" from {uk_date(start)}" if start else ""
    until = f" until {uk_date(end)}" if end else ""
    return f"recorded by {who}{since}{until}"


def _partner_lines(drawing: Drawing, ties: Sequence[ChartTie],
                   people: dict[str, ChartPerson]) -> list[str]:
    by_pair: dict[frozenset[str], list[ChartTie]] = {}
    for tie in ties:
        by_pair.setdefault(frozenset((tie.src, tie.dst)), []).append(tie)
    out = []
    for pair, lines in drawing.couples.items():
        recorded = sorted(by_pair.get(pair, []),
                          key=lambda t: (t.status != "current", -(t.valid_from or date.min)
                                         .toordinal()))
        a, b = sorted(pair, key=lambda p: drawing.people[p].centre.x)
        names = f"{people[a].name} and {people[b].name}"
        if recorded:
            tie = recorded[0]
            style = PARTNER_DASHES.get(tie.subtype, "")
            slashes = SLASHES.get(tie.status, 0)
            what = ("married or civil partners" if tie.subtype == "spouse" else "partners")
            status = {"current": "", "separated": ", separated", "divorced": ", divorced",
                      "ended": ", relationship ended"}.get(tie.status, f", {tie.status}")
            said = "; ".join(_said(t.systems, t.valid_from, t.valid_to) for t in recorded)
            title = f"{names}: {what}{status}; {said}"
            cls = f"partner {tie.subtype} {tie.status}"
        else:
            style, slashes = PARTNER_DASHES["coparents"], 0
            title = f"{names}: parents of the same child; no partnership recorded"
            cls = "partner coparents"
        # A couple with no partnership recorded is drawn thin and grey: known only as
        # the parents of one child.
        stroke = f'stroke="{MUTED}" stroke-width="1.2"' if not recorded else \
            f'stroke="{INK}" stroke-width="2"'
        for line in lines:
            dash = f' stroke-dasharray="{style}"' if style else ""
            out.append(f'<g class="{cls}" data-people="{escape(a)} {escape(b)}">'
                       f"<title>{_text(title)}</title>"
                       f'<path d="{_path(_from_within(line, drawing))}" {stroke}{dash}/>'
                       + "".join(_slashes(line, slashes)) + "</g>")
    return out


def _from_within(line: Line, drawing: Drawing) -> list[Point]:
    """A stub or lane leaves its shape off mid-height, and a child's line may meet it off
    centre, where a circle's or diamond's edge is inside the layout's square: such lines
    are drawn to the centre, and the shape, painted over them, shows them meet its edge."""
    points = list(line.points)
    if line.role in ("stub", "lane"):
        first = drawing.people[line.people[0]].centre
        points[0] = Point(first.x, points[0].y)
    if line.role == "lane":
        last = drawing.people[line.people[1]].centre
        points[-1] = Point(last.x, points[-1].y)
    if line.role == "drop":  # a second line meets a circle's top off-centre, below the box
        points[-1] = Point(points[-1].x, drawing.people[line.people[-1]].centre.y)
    return points


def _slashes(line: Line, count: int) -> list[str]:
    """Short strokes across a partner line, a third of the way along its longest run."""
    if not count:
        return []
    runs = list(zip(line.points, line.points[1:], strict=False))
    start, end = max(runs, key=lambda r: abs(r[1].x - r[0].x))
    x = start.x + (end.x - start.x) / 3
    y = start.y
    return [f'<path d="M{x + i * 7 - 5:.1f},{y + 8:.1f} L{x + i * 7 + 3:.1f},{y - 8:.1f}" '
            f'stroke="{INK}" stroke-width="2"/>' for i in range(count)]


def _descent_lines(drawing: Drawing, ties: Sequence[ChartTie],
                   people: dict[str, ChartPerson]) -> list[str]:
    recorded: dict[tuple[str, str], ChartTie] = {(t.src, t.dst): t for t in ties}
    out = []
    for line in drawing.lines:
        if line.role in ("partner", "lane"):
            continue
        dash = DASHES.get(line.kind, "")
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parents = [p for p in line.people if p in people]
        if line.role in ("drop", "twin"):
            child = line.people[-1]
            parents = list(line.people[:-1])
            said = "; ".join(
                f"{people[p].name}: {PARENT_WORDS.get(recorded[(p, child)].subtype, 'parent')}"
                f" of {people[child].name}, " + _said(recorded[(p, child)].systems,
                                                      recorded[(p, child)].valid_from,
                                                      recorded[(p, child)].valid_to)
                for p in parents if (p, child) in recorded)
            title = said or f"{people[child].name}"
        else:
            names = " and ".join(people[p].name for p in parents)
            title = f"children of {names} ({KIND_WORDS.get(line.kind, line.kind)})"
        out.append(f'<path class="{line.role} {line.kind}" data-people="'
                   f'{escape(" ".join(line.people))}" d="{_path(_from_within(line, drawing))}" '
                   f'stroke="{INK}" '
                   f'stroke-width="2"{dashed}><title>{_text(title)}</title></path>')
    return out


def _household(drawing: Drawing, chart: Chart) -> list[str]:
    """A dashed boundary around each run of people in a row who live with the subject."""
    if not chart.household:
        return []
    out = ['<g class="household" fill="none">',
           f"<title>{_text('Living with the child on ' + uk_date(chart.as_of))}</title>"]
    rows: dict[int, list[Placed]] = {}
    for placed in drawing.people.values():
        rows.setdefault(placed.row, []).append(placed)
    for row in rows.values():
        row.sort(key=lambda p: p.centre.x)
        run: list[Placed] = []
        for maybe in [*row, None]:
            if maybe is not None and maybe.id in chart.household:
                run.append(maybe)
                continue
            if run:
                box0, box1 = run[0].box, run[-1].box
                out.append(
                    f'<rect x="{box0.x0 - 8:.1f}" y="{box0.y0 - 10:.1f}" '
                    f'width="{box1.x1 - box0.x0 + 16:.1f}" height="{box0.y1 - box0.y0 + 16:.1f}"'
                    f' rx="14" stroke="{HOUSEHOLD}" stroke-width="2" stroke-dasharray="6 4"/>')
            run = []
    out.append("</g>")
    return out


def _label_lines(person: ChartPerson, width: float = LABEL_WIDTH) -> list[tuple[str, bool]]:
    """Given names, family name, years (each with whether it is the name), each cut to
    the label's width; a one-word name takes one line."""
    given, _, family = without_bidi_controls(person.name).rpartition(" ")
    if person.died:
        years = f"{person.born.year if person.born else '?'}–{person.died.year}"
    else:
        years = f"b. {person.born.year}" if person.born else ""
    names = [_fit(part, width) for part in (given, family) if part]
    return [(name, True) for name in names] + [(years, False)]


def _fit(text: str, width: float) -> str:
    """Cut to what fits `width` at the label's size (wide characters count double)."""
    room = width / (LABEL_LINE * 0.62)
    used, kept = 0.0, list[str]()
    for ch in text:
        used += 2 if ord(ch) > 0x2E80 else 1
        if used > room:
            return "".join(kept[:-1]) + "…"
        kept.append(ch)
    return text


def _person(placed: Placed, person: ChartPerson, chart: Chart, drawing: Drawing,
            link: Callable[[str], str], adopted: bool) -> list[str]:
    x, y, h = placed.centre.x, placed.centre.y, SHAPE / 2
    shape = _shape(person.sex, x, y, h)
    age = ages(person.born, person.died or chart.as_of) if person.born else ""
    lives = chart.household is not None and person.id in chart.household
    description = _describe(person, chart, age, lives)
    related = _relatives(person.id, drawing)
    out = [f'<a class="person{" subject" if person.is_subject else ""}'
           f'{" deceased" if person.died else ""}" href="{escape(link(person.id))}" '
           f'data-person="{escape(person.id)}" data-row="{placed.row}" '
           f'data-x="{x:.1f}" data-y="{y:.1f}" '
           + "".join(f'data-{k}="{escape(" ".join(v))}" ' for k, v in related.items())
           + f'aria-label="{_text(description)}">',
           f"<title>{_text(description)}</title>",
           f'<rect class="focus-ring" x="{placed.box.x0 - 4:.1f}" y="{placed.box.y0 - 4:.1f}" '
           f'width="{placed.box.x1 - placed.box.x0 + 8:.1f}" '
           f'height="{placed.box.y1 - placed.box.y0 + 8:.1f}" rx="6" fill="none" stroke="none"/>']
    fill = "#fff7bf" if person.is_subject else "#ffffff"
    out.append(shape.format(fill=fill, stroke=INK, width=2))
    if person.is_subject:
        out.append(_shape(person.sex, x, y, h + 5).format(fill="none", stroke=INK, width=2))
    if person.died:
        out.append(f'<path class="deceased-cross" d="M{x - h:.1f},{y - h:.1f} '
                   f'L{x + h:.1f},{y + h:.1f} M{x + h:.1f},{y - h:.1f} L{x - h:.1f},{y + h:.1f}"'
                   f' stroke="{INK}" stroke-width="1.5"/>')
    if adopted:
        out.append(f'<path class="adopted" d="M{x - h - 4:.1f},{y - h - 3:.1f} h-5 v{SHAPE + 6:.1f}'
                   f' h5 M{x + h + 4:.1f},{y - h - 3:.1f} h5 v{SHAPE + 6:.1f} h-5" fill="none" '
                   f'stroke="{INK}" stroke-width="2"/>')
    if age:
        halo = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if person.died else ""
        out.append(f'<text class="age" x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" '
                   f'font-size="14" font-weight="700" fill="{INK}"{halo}>{_text(age)}</text>')
    top = placed.label.y0
    for i, (text, is_name) in enumerate(_label_lines(person)):
        if text:
            weight = ' font-weight="700"' if person.is_subject and is_name else ""
            colour = INK if is_name else MUTED
            out.append(f'<text x="{x:.1f}" y="{top + (i + 0.8) * LABEL_LINE:.1f}" '
                       f'text-anchor="middle" font-size="13" fill="{colour}"{weight}>'
                       f"{_text(text)}</text>")
    out.append("</a>")
    return out


def _shape(sex: str, x: float, y: float, h: float) -> str:
    """An SVG element with {fill}, {stroke} and {width} left to fill in."""
    style = 'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if sex == "MALE":
        return f'<rect class="shape" x="{x - h:.1f}" y="{y - h:.1f}" width="{2 * h:.1f}" ' \
               f'height="{2 * h:.1f}" {style}/>'
    if sex == "FEMALE":
        return f'<circle class="shape" cx="{x:.1f}" cy="{y:.1f}" r="{h:.1f}" {style}/>'
    return (f'<path class="shape" d="M{x:.1f},{y - h:.1f} L{x + h:.1f},{y:.1f} '
            f'L{x:.1f},{y + h:.1f} L{x - h:.1f},{y:.1f} Z" {style}/>')


def _describe(person: ChartPerson, chart: Chart, age: str, lives: bool) -> str:
    """What a screen reader says and a tooltip shows for one person."""
    parts = [f"{person.name}, {person.relationship}"]
    if person.born:
        parts.append(f"born {uk_date(person.born)}")
    if person.died:
        parts.append(f"died {uk_date(person.died)}" + (f" aged {age}" if age else ""))
    elif age:
        parts.append(f"age {age}")
    if chart.household is not None and not person.is_subject:
        parts.append(("lives with the child" if lives else "does not live with the child")
                     + f" on {uk_date(chart.as_of)}")
    if person.systems:
        parts.append("recorded by " + ", ".join(sorted(set(person.systems))).replace("_", " "))
    return "; ".join(parts)


def _relatives(pid: str, drawing: Drawing) -> dict[str, list[str]]:
    """Who arrow keys move to: parents above, children below, partners beside."""
    parents: list[str] = []
    children: list[str] = []
    for union in drawing.unions:
        if pid in union.children:
            parents += [p for p in union.parents if p not in parents]
        if pid in union.parents:
            children += [c for c in union.children if c not in children]
    partners = sorted((p for pair in drawing.couples if pid in pair for p in pair if p != pid),
                      key=lambda p: drawing.people[p].centre.x)
    return {"parents": parents, "children": children, "partners": partners}


def _legend(top: float, chart: Chart) -> tuple[list[str], float]:
    """The key, drawn with the chart so that an export carries it."""
    out = [f'<g class="legend" transform="translate(16 {top:.0f})" font-size="12" '
           f'fill="{INK}"><text x="0" y="12" font-weight="700">Key</text>']
    step = 300.0
    entries: list[tuple[str, str]] = [
        (_shape("MALE", 8, -4, 7).format(fill="#fff", stroke=INK, width=1.5), "male"),
        (_shape("FEMALE", 8, -4, 7).format(fill="#fff", stroke=INK, width=1.5), "female"),
        (_shape("UNKNOWN", 8, -4, 7).format(fill="#fff", stroke=INK, width=1.5),
         "sex not recorded or withheld"),
        ('<path d="M1,-11 L15,3 M15,-11 L1,3" stroke="#0b0c0c"/>', "deceased"),
        ('<path d="M0,-4 H16" stroke="#0b0c0c" stroke-width="2"/>', "married or civil partners"),
        ('<path d="M0,-4 H16" stroke="#0b0c0c" stroke-width="2" stroke-dasharray="5 3"/>',
         "cohabiting partners"),
        ('<path d="M0,-4 H16 M6,2 L10,-10" stroke="#0b0c0c" stroke-width="2"/>', "separated"),
        ('<path d="M0,-4 H16 M3,2 L7,-10 M9,2 L13,-10" stroke="#0b0c0c" stroke-width="2"/>',
         "divorced"),
    ]
    for kind in ("adoptive", "foster", "special_guardian", "step"):
        entries.append((f'<path d="M0,-4 H30" stroke="#0b0c0c" stroke-width="2" '
                        f'stroke-dasharray="{DASHES[kind]}"/>', KIND_WORDS[kind]))
    entries.append((f'<path d="M0,-4 H30" stroke="{MUTED}" stroke-width="1.2" '
                    f'stroke-dasharray="{PARTNER_DASHES["coparents"]}"/>',
                    "parents of one child, no partnership recorded"))
    entries.append(('<path d="M0,4 L8,-10 L16,4" fill="none" stroke="#0b0c0c" '
                    'stroke-width="2"/>', "twins or triplets"))
    if chart.household:
        entries.append((f'<rect x="0" y="-11" width="16" height="14" rx="4" fill="none" '
                        f'stroke="{HOUSEHOLD}" stroke-width="2" stroke-dasharray="4 2"/>',
                        f"living with the child on {uk_date(chart.as_of)}"))
    if chart.withheld:
        entries.append(("", f"{chart.withheld} family member(s) withheld from you"))
    per_row = 3
    for i, (icon, words) in enumerate(entries):
        x = (i % per_row) * step
        y = 30.0 + (i // per_row) * 22
        out.append(f'<g transform="translate({x:.0f} {y:.0f})">{icon}'
                   f'<text x="38" y="0">{_text(words)}</text></g>')
    out.append("</g>")
    return out, 30.0 + ((len(entries) - 1) // per_row + 1) * 22
