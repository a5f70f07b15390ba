"""Families for the genogram layout: Hypothesis strategies and eight named shapes.

Every family is a `Family`, which *is* the triple `viz.layout.layout` takes,
`(members, ties, couples)` (a tuple: unpack it, index it or pass `layout(*family)`), and
also carries what geometry ignores but a drawing shows (`family.notes`: sex, deceased,
partnership status, the subject).

Families are built the way real ones are: a subject child, their parents, grandparents on
both sides, aunts and uncles, cousins, sometimes the subject's own children; partners
married in arrive as new people who may bring their own parents. Generations are
consistent (children exactly one below their parents, partners level) and are computed
from the ties by a breadth-first walk out from the subject, as
`graph.questions.family._generations` does, walking descent ties and partnerships first
(so a grandmother who is also a special guardian stays two rows up) and carers' ties only
to reach people otherwise unconnected (unrelated foster carers). `api_generations` is the
walk exactly as the API does it, over every tie, for tests of inconsistent input.

The same builder drives Hypothesis (`families()`, which shrinks towards small families)
and seeded `random.Random` (`random_family`, for the bench).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from viz.genogram import Chart, ChartPerson, ChartTie
from viz.layout import Member, Tie

Triple = tuple[dict[str, Member], list[Tie], list[tuple[str, str]]]

BIRTH, ADOPTIVE, STEP, FOSTER, GUARDIAN, UNKNOWN = (
    "birth", "adoptive", "step", "foster", "special_guardian", "unknown")
DESCENT = (BIRTH, ADOPTIVE, UNKNOWN)
SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class Notes:
    """What a drawing shows but the geometry ignores."""

    name: str
    subject: str
    sex: dict[str, str]  # "M", "F" or "U"
    deceased: frozenset[str]
    status: dict[frozenset[str], str]  # partnership: married, cohabiting, divorced, separated


class Family(tuple[dict[str, Member], list[Tie], list[tuple[str, str]]]):
    """`(members, ties, couples)`, with `notes` beside."""

    notes: Notes

    def __new__(cls, members: dict[str, Member], ties: list[Tie],
                couples: list[tuple[str, str]], notes: Notes) -> Family:
        self = super().__new__(cls, (members, ties, couples))
        self.notes = notes
        return self

    def __getnewargs__(self) -> tuple[object, ...]:  # copy and pickle
        return (*self, self.notes)

    def __repr__(self) -> str:
        return literal(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text(literal(self))

    @property
    def members(self) -> dict[str, Member]:
        return self[0]

    @property
    def ties(self) -> list[Tie]:
        return self[1]

    @property
    def couples(self) -> list[tuple[str, str]]:
        return self[2]


# --- generations ------------------------------------------------------------------------

def _walk(subject: str, generation: dict[str, int],
          steps: dict[str, list[tuple[str, int]]]) -> None:
    queue = deque(sorted(generation, key=lambda p: (p != subject, p)))
    while queue:
        current = queue.popleft()
        for other, delta in steps.get(current, ()):
            if other not in generation:
                generation[other] = generation[current] + delta
                queue.append(other)


def _steps(ties: Iterable[Tie], couples: Iterable[tuple[str, str]]
           ) -> dict[str, list[tuple[str, int]]]:
    steps: dict[str, list[tuple[str, int]]] = {}
    for tie in ties:
        steps.setdefault(tie.parent, []).append((tie.child, 1))
        steps.setdefault(tie.child, []).append((tie.parent, -1))
    for a, b in couples:
        steps.setdefault(a, []).append((b, 0))
        steps.setdefault(b, []).append((a, 0))
    return steps


def generations(subject: str, ties: Sequence[Tie], couples: Sequence[tuple[str, str]]
                ) -> dict[str, int]:
    """Generation relative to the subject: descent ties and partnerships first, then
    carers' ties for anyone those do not reach."""
    generation = {subject: 0}
    _walk(subject, generation, _steps([t for t in ties if t.kind in DESCENT], couples))
    _walk(subject, generation, _steps(ties, couples))
    return generation


def api_generations(subject: str, ties: Sequence[Tie], couples: Sequence[tuple[str, str]]
                    ) -> dict[str, int]:
    """Exactly as `graph.questions.family._generations`: every tie, one walk (so a special
    guardian grandmother is a generation above the subject, beside the parents)."""
    generation = {subject: 0}
    _walk(subject, generation, _steps(ties, couples))
    return generation


def with_api_generations(family: Family) -> Family:
    """The same family with the generations the API would give it."""
    members, ties, couples = family
    gens = api_generations(family.notes.subject, ties, couples)
    new = {p: Member(gens[p], m.born) for p, m in members.items()}
    notes = Notes(family.notes.name + " (API generations)", family.notes.subject,
                  family.notes.sex, family.notes.deceased, family.notes.status)
    return Family(new, list(ties), list(couples), notes)


# --- building ---------------------------------------------------------------------------

@dataclass(slots=True)
class Builder:
    """People, ties and partnerships in the order they were recorded."""

    name: str = "family"
    subject: str = SUBJECT
    gen: dict[str, int] = field(default_factory=dict)  # as built, checked against the walk
    born: dict[str, date | None] = field(default_factory=dict)
    sex: dict[str, str] = field(default_factory=dict)
    deceased: set[str] = field(default_factory=set)
    ties: list[Tie] = field(default_factory=list)
    couples: list[tuple[str, str]] = field(default_factory=list)
    status: dict[frozenset[str], str] = field(default_factory=dict)

    def person(self, pid: str, gen: int, sex: str, born: date | None,
               deceased: bool = False) -> str:
        assert pid not in self.gen, pid
        self.gen[pid] = gen
        self.sex[pid] = sex
        self.born[pid] = born
        if deceased:
            self.deceased.add(pid)
        return pid

    def couple(self, a: str, b: str, status: str = "married") -> None:
        """A recorded partnership; status "" records none (co-parents only)."""
        assert self.gen[a] == self.gen[b], (a, b)
        if status:
            self.couples.append((a, b))
            self.status[frozenset((a, b))] = status

    def tie(self, parent: str, child: str, kind: str = BIRTH) -> None:
        self.ties.append(Tie(parent, child, kind))

    def child(self, parents: Sequence[str], pid: str, sex: str, born: date | None,
              kind: str = BIRTH) -> str:
        gens = {self.gen[p] for p in parents}
        assert len(gens) == 1, parents
        self.person(pid, gens.pop() + 1, sex, born)
        for parent in parents:
            self.tie(parent, pid, kind)
        return pid

    def family(self) -> Family:
        gens = generations(self.subject, self.ties, self.couples)
        assert set(gens) == set(self.gen), set(self.gen) ^ set(gens)
        for pid, g in self.gen.items():
            assert gens[pid] == g, (pid, gens[pid], g)
        members = {p: Member(gens[p], self.born[p]) for p in self.gen}
        notes = Notes(self.name, self.subject, dict(self.sex), frozenset(self.deceased),
                      dict(self.status))
        return Family(members, list(self.ties), list(self.couples), notes)


def check_consistent(family: Family) -> list[str]:
    """What is inconsistent about a family's generations (empty for every generated one)."""
    members, ties, couples = family
    problems = []
    for tie in ties:
        step = members[tie.child].generation - members[tie.parent].generation
        if tie.kind in DESCENT and step != 1:
            problems.append(f"{tie.kind} {tie.parent} -> {tie.child}: {step} generations")
        if step < 1:
            problems.append(f"{tie.kind} {tie.parent} -> {tie.child}: {step} generations")
    for a, b in couples:
        if members[a].generation != members[b].generation:
            problems.append(f"partners {a}, {b} in generations "
                            f"{members[a].generation}, {members[b].generation}")
    return problems


# --- choices: Hypothesis or seeded random ------------------------------------------------

class Choices:
    """Decisions for the builder. Every choice's smallest value means "less family", so
    Hypothesis shrinks a failure to the fewest people that still show it."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def chance(self, percent: int) -> bool:
        """True about `percent` times in a hundred; shrinks to False."""
        return self.integer(0, 99) >= 100 - percent

    def pick(self, options: Sequence[str]) -> str:
        """One option; shrinks to the first."""
        return options[self.integer(0, len(options) - 1)]

    def day(self, year_lo: int, year_hi: int) -> date:
        return date(year_lo, 1, 1) + timedelta(days=self.integer(0, 365 * (year_hi - year_lo)))


class DrawChoices(Choices):
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))


class RandomChoices(Choices):
    """Seeded choices; `boost` multiplies every chance (bigger, busier families)."""

    def __init__(self, rng: random.Random, boost: float = 1.0) -> None:
        self.rng = rng
        self.boost = boost

    def chance(self, percent: int) -> bool:
        return self.rng.random() * 100 < percent * self.boost

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


@dataclass(frozen=True, slots=True)
class Size:
    """The most of each kind of relative the builder may add."""

    siblings: int = 3  # full siblings of the subject
    partners: int = 2  # extra partners of one person (so up to 1 + this over time)
    half: int = 2  # children with each extra partner
    aunts: int = 2  # children of each grandparent couple besides the parent
    cousins: int = 2
    own_children: int = 2
    great: bool = True  # great-grandparents, when the subject has no children
    cousins_children: int = 0


SMALL = Size()
LARGE = Size(siblings=4, partners=2, half=3, aunts=7, cousins=5, own_children=3,
             great=False, cousins_children=3)


class _Build:
    """One family drawn from `choices`: the structure of `families()`."""

    def __init__(self, c: Choices, size: Size, name: str = "generated") -> None:
        self.c = c
        self.size = size
        self.b = Builder(name=name)
        self.count: dict[str, int] = {}

    def new_id(self, stem: str) -> str:
        n = self.count.get(stem, 0) + 1
        self.count[stem] = n
        return stem if n == 1 else f"{stem}{n}"

    def sex(self, usual: str | None = None) -> str:
        if self.c.chance(5):
            return "U"
        if usual is not None:
            return usual
        return self.c.pick(["F", "M"])

    def born(self, year: int, spread: int = 6, undated: int = 0) -> date | None:
        if undated and self.c.chance(undated):
            return None
        return self.c.day(year, year + spread)

    def children(self, parents: Sequence[str], stem: str, n: int, year: int,
                 kind: str = BIRTH) -> list[str]:
        """`n` children of `parents`, born from `year`, with twins and triplets sometimes."""
        kids: list[str] = []
        while len(kids) < n:
            born = self.born(year + 2 * len(kids), 4, undated=8)
            multiple = 1
            if born is not None and self.c.chance(12):
                multiple = self.c.integer(2, 3)
            for _ in range(multiple):
                kid = self.new_id(stem)
                self.b.child(parents, kid, self.sex(), born, kind)
                kids.append(kid)
        return kids

    def married_in(self, spouse: str, stem: str, status: str, bring_parents: bool) -> str:
        """A new partner for `spouse`, maybe with parents of their own."""
        b = self.b
        gen = b.gen[spouse]
        usual = {"M": "F", "F": "M"}.get(b.sex[spouse])
        if self.c.chance(8):
            usual = b.sex[spouse]  # same-sex couple
        year = (b.born[spouse] or date(1990 + 25 * gen, 1, 1)).year - 3
        partner = b.person(self.new_id(stem), gen, self.sex(usual), self.born(year, 8, 5))
        b.couple(spouse, partner, status)
        if bring_parents and self.c.chance(30):
            self.parents(partner, year - 30, depth=0)
        return partner

    def parents(self, child: str, year: int, depth: int) -> list[str]:
        """Parents for someone already placed: one or two, maybe their other partners and
        children (half- and full siblings of `child`), and further back while `depth`."""
        b = self.b
        mode = self.c.pick(["both", "mother", "father", "both_unmarried", "same_sex"])
        parents: list[str] = []
        if mode in ("both", "mother", "both_unmarried"):
            parents.append(b.person(self.new_id(f"{child}.mother"), b.gen[child] - 1,
                                    self.sex("F"), self.born(year, 8, 4),
                                    deceased=self.c.chance(10)))
        if mode in ("both", "father", "both_unmarried"):
            parents.append(b.person(self.new_id(f"{child}.father"), b.gen[child] - 1,
                                    self.sex("M"), self.born(year, 8, 4),
                                    deceased=self.c.chance(10)))
        if mode == "same_sex":
            sex = self.c.pick(["F", "M"])
            word = {"F": "mother", "M": "father"}[sex]
            for _ in range(2):
                parents.append(b.person(self.new_id(f"{child}.{word}"), b.gen[child] - 1,
                                        self.sex(sex), self.born(year, 8, 4)))
        if len(parents) == 2:
            status = {"both": self.c.pick(["married", "divorced", "separated", "cohabiting"]),
                      "both_unmarried": "", "same_sex": "married"}[mode]
            b.couple(parents[0], parents[1], status)
        kinds = [BIRTH] * len(parents)
        if mode == "same_sex" and self.c.chance(50):
            kinds[1] = ADOPTIVE  # the second mother or father adopted
        elif self.c.chance(4):
            kinds = [UNKNOWN] * len(parents)  # recorded as a parent, kind not known
        for parent, kind in zip(parents, kinds, strict=True):
            b.tie(parent, child, kind)
        # Full siblings of `child` are the caller's; here the parents' other partners.
        for parent in parents:
            for _ in range(self.c.integer(0, self.size.partners) if self.c.chance(45) else 0):
                status = self.c.pick(["", "divorced", "separated", "married", "cohabiting"])
                other = self.married_in(parent, f"{parent}.partner", status, bring_parents=False)
                n = self.c.integer(0 if status else 1, self.size.half)  # co-parents
                self.children([parent, other], f"{parent}.child", n,
                              (b.born[child] or date(year + 25, 1, 1)).year - 4)
        if depth > 0:
            for parent in parents:
                if self.c.chance(70):
                    self.grandparents(parent, depth - 1)
        return parents

    def grandparents(self, parent: str, depth: int) -> None:
        """`parent`'s own parents, their other children (aunts and uncles) with partners and
        cousins."""
        b = self.b
        year = (b.born[parent] or date(1960 + 28 * (b.gen[parent] + 1), 1, 1)).year
        grands = self.parents(parent, year - 30, depth)
        if not grands:
            return
        n = self.c.integer(0, self.size.aunts)
        aunts = self.children(grands, f"{parent}.sibling", n, year - 6)
        for aunt in aunts:
            if self.c.chance(50):
                status = self.c.pick(["married", "cohabiting", "divorced", ""])
                partner = self.married_in(aunt, f"{aunt}.partner", status, bring_parents=True)
                kids = self.children([aunt, partner], f"{aunt}.child",
                                     self.c.integer(0 if status else 1, self.size.cousins),
                                     year + 25)
            else:
                kids = self.children([aunt], f"{aunt}.child",
                                     self.c.integer(0, max(0, self.size.cousins - 1)), year + 25)
            if self.size.cousins_children and b.gen[aunt] == -1:
                for kid in kids:
                    if self.c.chance(40) and b.born[kid] is not None:
                        partner = self.married_in(kid, f"{kid}.partner", "married", False)
                        self.children([kid, partner], f"{kid}.child",
                                      self.c.integer(1, self.size.cousins_children),
                                      (b.born[kid] or date(2000, 1, 1)).year + 24)

    def build(self) -> Family:
        b, c = self.b, self.c
        own_children = c.chance(25)
        subject_year = c.integer(2003, 2009) if own_children else c.integer(2008, 2024)
        subject_born = self.born(subject_year, 1, undated=5)
        b.person(SUBJECT, 0, self.sex(), subject_born)
        depth = 1 if (own_children or not self.size.great or not c.chance(30)) else 2
        parents = self.parents(SUBJECT, subject_year - 28, depth=0)
        # full siblings (and twins or triplets with the subject)
        siblings: list[str] = []
        if parents:
            if subject_born is not None and c.chance(15):
                for _ in range(c.integer(1, 2)):
                    siblings.append(b.child(parents, self.new_id("twin"), self.sex(),
                                            subject_born))
            siblings += self.children(parents, "sibling", c.integer(0, self.size.siblings),
                                      subject_year - 4)
        for parent in parents:
            if c.chance(80):
                self.grandparents(parent, depth - 1)
        if own_children:
            partner = self.married_in(SUBJECT, "subject.partner",
                                      c.pick(["", "cohabiting", "married", "separated"]),
                                      bring_parents=True)
            self.children([SUBJECT, partner], "subject.child",
                          c.integer(1, self.size.own_children), subject_year + 17)
            if c.chance(30):
                self.children([SUBJECT], "subject.child", 1, subject_year + 20)
        for sib in siblings if depth < 2 else ():  # four generations at most
            if b.born[sib] is not None and b.born[sib].year < 2007 and c.chance(30):
                self.children([sib], f"{sib}.child", c.integer(1, 2), 2024)
        self.carers(parents, siblings)
        return b.family()

    def carers(self, parents: list[str], siblings: list[str]) -> None:
        """Step-parents, special guardians, foster carers and adopters."""
        b, c = self.b, self.c
        children = [SUBJECT, *siblings[: c.integer(0, len(siblings))]]
        # a step-parent: the current partner of a parent
        if parents and c.chance(30):
            parent = parents[c.integer(0, len(parents) - 1)]
            step = self.married_in(parent, f"{parent}.partner", c.pick(["married", "cohabiting"]),
                                   bring_parents=False)
            for kid in children:
                b.tie(step, kid, STEP)
            if c.chance(50):  # the step-parent's own child from before
                self.children([step], f"{step}.child", 1, 2005)
        # a grandparent as special guardian, two rows up
        grands = [p for p in b.gen if b.gen[p] == -2 and any(
            t.parent == p and t.child in parents for t in b.ties)]
        if grands and c.chance(25):
            guardian = grands[c.integer(0, len(grands) - 1)]
            for kid in children:
                b.tie(guardian, kid, GUARDIAN)
        # foster carers unrelated to the family, with a former foster child of theirs
        if c.chance(25):
            carers = [b.person(self.new_id("foster_carer"), -1, self.sex(), self.born(1965, 15))]
            if c.chance(70):
                carers.append(b.person(self.new_id("foster_carer"), -1, self.sex(),
                                       self.born(1965, 15)))
                b.couple(carers[0], carers[1], c.pick(["married", "cohabiting"]))
            for kid in children[: c.integer(1, len(children))]:
                for carer in carers:
                    b.tie(carer, kid, FOSTER)
            for _ in range(c.integer(1, 2)):
                former = b.person(self.new_id("former_foster_child"), 0, self.sex(),
                                  self.born(1995, 20, undated=20))
                for carer in carers:
                    b.tie(carer, former, FOSTER)
            if c.chance(40):
                self.children(carers, "foster_carer.child", 1, 1990)
        # adopters, beside the recorded birth parents
        if c.chance(15):
            adopters = [b.person(self.new_id("adopter"), -1, self.sex(), self.born(1975, 10))]
            if c.chance(70):
                adopters.append(b.person(self.new_id("adopter"), -1, self.sex(),
                                         self.born(1975, 10)))
                b.couple(adopters[0], adopters[1], "married")
            for adopter in adopters:
                b.tie(adopter, SUBJECT, ADOPTIVE)
            if c.chance(40):
                self.children(adopters, "adopter.child", 1, 2000)


@st.composite
def families(draw: st.DrawFn, size: Size = SMALL) -> Family:
    """A realistic family of up to four generations around a subject child."""
    return _Build(DrawChoices(draw), size).build()


def random_family(seed: int, size: Size = LARGE, boost: float = 1.6) -> Family:
    """The same structure from a seeded random generator (for the bench)."""
    return _Build(RandomChoices(random.Random(seed), boost), size,
                  name=f"generated seed {seed}").build()


def family_of_about(people: int, seed: int = 0, size: Size = LARGE) -> Family:
    """The first seeded family from `seed` on within a tenth of `people`."""
    best: Family | None = None
    for s in range(seed, seed + 2000):
        family = random_family(s, size)
        if abs(len(family.members) - people) <= people // 10:
            return family
        if best is None or abs(len(family.members) - people) < abs(len(best.members) - people):
            best = family
    assert best is not None
    return best


# --- named families ---------------------------------------------------------------------

def _d(text: str) -> date:
    return date.fromisoformat(text)


def paternal_grandfather_two_partners() -> Family:
    """The paternal grandfather has had two partners (a half-uncle by the second); the
    mother's parents stand in the same row and must not be drawn as his children."""
    b = Builder(name="paternal_grandfather_two_partners")
    b.person("pat_grandfather", -2, "M", _d("1955-03-02"))
    b.person("pat_grandmother", -2, "F", _d("1957-07-19"))
    b.person("pat_grandfather_partner2", -2, "F", _d("1962-01-30"))
    b.couple("pat_grandfather", "pat_grandmother", "divorced")
    b.couple("pat_grandfather", "pat_grandfather_partner2", "married")
    b.person("mat_grandfather", -2, "M", _d("1958-11-11"))
    b.person("mat_grandmother", -2, "F", _d("1960-05-05"))
    b.couple("mat_grandfather", "mat_grandmother", "married")
    b.child(["pat_grandfather", "pat_grandmother"], "father", "M", _d("1982-04-12"))
    b.child(["pat_grandfather", "pat_grandfather_partner2"], "half_uncle", "M",
            _d("1990-09-09"))
    b.child(["mat_grandfather", "mat_grandmother"], "mother", "F", _d("1984-08-21"))
    b.child(["mat_grandfather", "mat_grandmother"], "maternal_aunt", "F", _d("1987-02-14"))
    b.couple("father", "mother", "married")
    b.child(["father", "mother"], SUBJECT, "F", _d("2014-06-01"))
    b.child(["father", "mother"], "brother", "M", _d("2017-10-23"))
    return b.family()


def foster_care() -> Family:
    """A child in foster care: birth mother (father not recorded) and her mother; a foster
    couple with a birth son of their own and a former foster child, now grown."""
    b = Builder(name="foster_care")
    b.person("mat_grandmother", -2, "F", _d("1968-12-03"))
    b.child(["mat_grandmother"], "mother", "F", _d("1993-03-15"))
    b.child(["mother"], SUBJECT, "M", _d("2016-02-20"))
    b.child(["mother"], "half_sister", "F", _d("2019-07-07"))
    b.person("foster_mother", -1, "F", _d("1970-04-04"))
    b.person("foster_father", -1, "M", _d("1968-09-17"))
    b.couple("foster_mother", "foster_father", "married")
    b.child(["foster_mother", "foster_father"], "foster_carers_son", "M", _d("1998-05-05"))
    for kid in (SUBJECT, "half_sister"):
        b.tie("foster_mother", kid, FOSTER)
        b.tie("foster_father", kid, FOSTER)
    b.person("former_foster_child", 0, "F", _d("2001-01-12"))
    b.tie("foster_mother", "former_foster_child", FOSTER)
    b.tie("foster_father", "former_foster_child", FOSTER)
    return b.family()


def special_guardian_grandmother() -> Family:
    """The maternal grandmother is the subject's special guardian: her line reaches two
    rows down, past the parents' row."""
    b = Builder(name="special_guardian_grandmother")
    b.person("mat_grandfather", -2, "M", _d("1960-01-01"), deceased=True)
    b.person("mat_grandmother", -2, "F", _d("1962-06-30"))
    b.couple("mat_grandfather", "mat_grandmother", "married")
    b.person("pat_grandmother", -2, "F", _d("1959-09-09"))
    b.child(["mat_grandfather", "mat_grandmother"], "mother", "F", _d("1990-10-10"))
    b.child(["mat_grandfather", "mat_grandmother"], "maternal_uncle", "M", _d("1993-03-03"))
    b.child(["pat_grandmother"], "father", "M", _d("1988-08-08"))
    b.couple("father", "mother", "separated")
    b.child(["father", "mother"], SUBJECT, "M", _d("2015-05-15"))
    b.child(["father", "mother"], "sister", "F", _d("2018-11-01"))
    b.tie("mat_grandmother", SUBJECT, GUARDIAN)
    b.tie("mat_grandmother", "sister", GUARDIAN)
    b.child(["maternal_uncle"], "cousin", "F", _d("2020-04-04"))
    return b.family()


def adopted() -> Family:
    """Adopted: birth parents recorded (and a birth sibling who stayed with the mother),
    adoptive parents with a birth daughter of their own, and the adoptive mother's
    parents."""
    b = Builder(name="adopted")
    b.person("birth_mother", -1, "F", _d("1995-02-02"))
    b.person("birth_father", -1, "M", _d("1993-12-12"))
    b.couple("birth_mother", "birth_father", "")
    b.child(["birth_mother", "birth_father"], SUBJECT, "F", _d("2013-09-30"))
    b.child(["birth_mother"], "birth_half_brother", "M", _d("2017-01-01"))
    b.person("adoptive_mother", -1, "F", _d("1978-03-03"))
    b.person("adoptive_father", -1, "M", _d("1976-07-07"))
    b.couple("adoptive_mother", "adoptive_father", "married")
    b.tie("adoptive_mother", SUBJECT, ADOPTIVE)
    b.tie("adoptive_father", SUBJECT, ADOPTIVE)
    b.child(["adoptive_mother", "adoptive_father"], "adoptive_sister", "F", _d("2009-04-04"))
    b.person("adoptive_grandfather", -2, "M", _d("1950-05-05"))
    b.person("adoptive_grandmother", -2, "F", _d("1952-06-06"))
    b.couple("adoptive_grandfather", "adoptive_grandmother", "married")
    b.tie("adoptive_grandfather", "adoptive_mother")
    b.tie("adoptive_grandmother", "adoptive_mother")
    return b.family()


def twins_and_triplets() -> Family:
    """The subject is a twin; an older brother; younger triplets; a maternal aunt with
    twins of her own, one with no birth date released (undated children stand last)."""
    b = Builder(name="twins_and_triplets")
    b.person("mat_grandmother", -2, "F", _d("1961-01-01"))
    b.person("mat_grandfather", -2, "M", _d("1959-02-02"))
    b.couple("mat_grandmother", "mat_grandfather", "married")
    b.child(["mat_grandmother", "mat_grandfather"], "mother", "F", _d("1986-03-03"))
    b.child(["mat_grandmother", "mat_grandfather"], "maternal_aunt", "F", _d("1988-04-04"))
    b.person("father", -1, "M", _d("1985-05-05"))
    b.couple("mother", "father", "married")
    b.child(["mother", "father"], "older_brother", "M", _d("2010-06-06"))
    b.child(["mother", "father"], SUBJECT, "F", _d("2013-07-07"))
    b.child(["mother", "father"], "twin_brother", "M", _d("2013-07-07"))
    for name, sex in (("triplet_a", "F"), ("triplet_b", "M"), ("triplet_c", "U")):
        b.child(["mother", "father"], name, sex, _d("2017-08-08"))
    b.child(["mother", "father"], "undated_sister", "F", None)
    b.child(["maternal_aunt"], "cousin_twin_a", "M", _d("2015-09-09"))
    b.child(["maternal_aunt"], "cousin_twin_b", "M", _d("2015-09-09"))
    return b.family()


def blended_step_family() -> Family:
    """Half-siblings by each parent and a step-father: the father's son by an earlier
    partner, the mother's daughter by her new husband (the subject's step-father), and the
    step-father's own son from before (a step-brother)."""
    b = Builder(name="blended_step_family")
    b.person("father_ex", -1, "F", _d("1980-01-10"))
    b.person("father", -1, "M", _d("1981-02-20"))
    b.person("mother", -1, "F", _d("1985-03-30"))
    b.person("stepfather", -1, "M", _d("1983-04-14"))
    b.person("stepfather_ex", -1, "F", _d("1984-05-15"))
    b.couple("father_ex", "father", "separated")
    b.couple("father", "mother", "divorced")
    b.couple("mother", "stepfather", "married")
    b.couple("stepfather", "stepfather_ex", "divorced")
    b.child(["father_ex", "father"], "paternal_half_brother", "M", _d("2004-06-06"))
    b.child(["father", "mother"], SUBJECT, "M", _d("2011-07-07"))
    b.child(["father", "mother"], "sister", "F", _d("2013-08-08"))
    b.child(["mother", "stepfather"], "maternal_half_sister", "F", _d("2019-09-09"))
    b.child(["stepfather", "stepfather_ex"], "step_brother", "M", _d("2008-10-10"))
    b.tie("stepfather", SUBJECT, STEP)
    b.tie("stepfather", "sister", STEP)
    b.tie("mother", "step_brother", STEP)
    b.person("pat_grandmother", -2, "F", _d("1955-11-11"))
    b.tie("pat_grandmother", "father")
    return b.family()


def same_sex_parents_unknown_sex() -> Family:
    """Two mothers (one the birth mother, one adoptive), the subject and a sibling of
    unknown sex, both mothers' parents, and an uncle married to a man."""
    b = Builder(name="same_sex_parents_unknown_sex")
    b.person("birth_mother", -1, "F", _d("1987-01-01"))
    b.person("adoptive_mother", -1, "F", _d("1985-02-02"))
    b.couple("birth_mother", "adoptive_mother", "married")
    for kid, sex, born in ((SUBJECT, "U", "2016-03-03"), ("sibling", "U", "2019-04-04")):
        b.person(kid, 0, sex, _d(born))
        b.tie("birth_mother", kid, BIRTH)
        b.tie("adoptive_mother", kid, ADOPTIVE)
    b.person("birth_mother_mother", -2, "F", _d("1960-05-05"))
    b.person("birth_mother_father", -2, "M", _d("1958-06-06"))
    b.couple("birth_mother_mother", "birth_mother_father", "married")
    b.person("adoptive_mother_mother", -2, "F", _d("1957-07-07"))
    b.person("adoptive_mother_parent", -2, "U", _d("1956-08-08"))
    b.couple("adoptive_mother_mother", "adoptive_mother_parent", "cohabiting")
    for grand in ("birth_mother_mother", "birth_mother_father"):
        b.tie(grand, "birth_mother", BIRTH)
    for grand in ("adoptive_mother_mother", "adoptive_mother_parent"):
        b.tie(grand, "adoptive_mother", BIRTH)
    b.child(["birth_mother_mother", "birth_mother_father"], "uncle", "M", _d("1990-09-09"))
    b.person("uncle_husband", -1, "M", _d("1989-10-10"))
    b.couple("uncle", "uncle_husband", "married")
    b.child(["uncle", "uncle_husband"], "cousin", "F", _d("2020-11-11"), kind=ADOPTIVE)
    return b.family()


def deceased_and_divorced() -> Family:
    """The paternal grandfather deceased; the parents divorced and the mother remarried
    (a half-brother by her husband); the maternal grandparents separated and the maternal
    grandmother remarried."""
    b = Builder(name="deceased_and_divorced")
    b.person("pat_grandfather", -2, "M", _d("1945-01-01"), deceased=True)
    b.person("pat_grandmother", -2, "F", _d("1950-02-02"))
    b.couple("pat_grandfather", "pat_grandmother", "married")
    b.person("mat_grandfather", -2, "M", _d("1952-03-03"))
    b.person("mat_grandmother", -2, "F", _d("1954-04-04"))
    b.person("mat_grandmother_husband", -2, "M", _d("1950-05-05"), deceased=True)
    b.couple("mat_grandfather", "mat_grandmother", "separated")
    b.couple("mat_grandmother", "mat_grandmother_husband", "married")
    b.child(["pat_grandfather", "pat_grandmother"], "father", "M", _d("1978-06-06"))
    b.child(["pat_grandfather", "pat_grandmother"], "paternal_aunt", "F", _d("1975-07-07"))
    b.child(["mat_grandfather", "mat_grandmother"], "mother", "F", _d("1980-08-08"))
    b.child(["mat_grandmother", "mat_grandmother_husband"], "maternal_half_uncle", "M",
            _d("1990-09-09"))
    b.couple("father", "mother", "divorced")
    b.person("mother_husband", -1, "M", _d("1979-10-10"))
    b.couple("mother", "mother_husband", "married")
    b.child(["father", "mother"], SUBJECT, "F", _d("2008-11-11"))
    b.child(["mother", "mother_husband"], "half_brother", "M", _d("2016-12-12"))
    b.tie("mother_husband", SUBJECT, STEP)
    return b.family()


NAMED: dict[str, Callable[[], Family]] = {
    f.__name__: f for f in (
        paternal_grandfather_two_partners, foster_care, special_guardian_grandmother, adopted,
        twins_and_triplets, blended_step_family, same_sex_parents_unknown_sex,
        deceased_and_divorced)
}


def named_families() -> st.SearchStrategy[Family]:
    return st.sampled_from(sorted(NAMED)).map(lambda name: NAMED[name]())


def literal(family: Triple) -> str:
    """Python source for the triple, to paste into a test or a report."""
    members, ties, couples = family
    lines = ["({"]
    for pid, m in members.items():
        born = f", date({m.born.year}, {m.born.month}, {m.born.day})" if m.born else ""
        lines.append(f"    {pid!r}: Member({m.generation}{born}),")
    lines.append("}, [")
    for t in ties:
        kind = "" if t.kind == BIRTH else f", {t.kind!r}"
        lines.append(f"    Tie({t.parent!r}, {t.child!r}{kind}),")
    lines.append(f"], {list(couples)!r})")
    return "\n".join(lines)


# --- as charts, for drawing ---------------------------------------------------------------

AS_OF = date(2026, 12, 7)
_SEXES = {"M": "MALE", "F": "FEMALE", "U": "UNKNOWN"}
# A partnership in the notes, as the API's partner kind and status.
_PARTNERSHIPS = {"married": ("spouse", "current"), "cohabiting": ("partner", "current"),
                 "divorced": ("spouse", "divorced"), "separated": ("partner", "separated")}


def chart_of(family: Family) -> Chart:
    """The family as the drawing's input: names from ids, sex, deaths and partnerships from
    its notes (a family without notes draws everyone as not recorded, all couples married).
    """
    members, ties, couples = family
    notes = getattr(family, "notes", None)
    subject = notes.subject if notes else SUBJECT
    people = tuple(
        ChartPerson(
            id=pid, name=pid.replace("_", " ").replace(".", " ").title(),
            sex=_SEXES.get(notes.sex.get(pid, "U"), "UNKNOWN") if notes else "UNKNOWN",
            born=m.born, died=date(2021, 3, 1) if notes and pid in notes.deceased else None,
            relationship="self" if pid == subject else "relative", is_subject=pid == subject,
            generation=m.generation, systems=("social_care",))
        for pid, m in members.items())
    drawn_ties = [ChartTie("PARENT", t.parent, t.child, t.kind, "current") for t in ties]
    for a, b in couples:
        said = notes.status.get(frozenset((a, b)), "married") if notes else "married"
        kind, status = _PARTNERSHIPS.get(said, ("spouse", "current"))
        drawn_ties.append(ChartTie("PARTNER", a, b, kind, status))
    return Chart(subject_id=subject, as_of=AS_OF, people=people, ties=tuple(drawn_ties))
