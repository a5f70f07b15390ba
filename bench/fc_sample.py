"""A Family-Context-shaped sample for the linkage bench: two systems holding the same children.

Children's social care (`csc`) and a school (`school`) each hold some of a borough's
children under their own record ids. Seeded, so a run is reproducible. What makes it hard
the way a borough is hard:

- names with typos (a letter dropped, doubled, swapped or replaced) and nicknames (the
  school knows Bill, social care William);
- addresses over several lines, split differently by each system (`Flat 3` then `12 Acacia
  Road`, or `Flat 3, 12 Acacia Road` on one line), some children moved between extracts;
- twins and triplets, about 3 in 100 children: the same family name, birth date and
  address, different given names, each a person of their own (their own truth id);
- NHS numbers and UPNs missing from some records (social care often lacks the UPN, the
  school the NHS number), the odd slipped birth date.

Social care records the siblings of the children it holds (`relatives`), as case records
do; the school does not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

# Given names with the nicknames a school register or a referral may use instead.
GIVEN: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Elizabeth": ("Beth", "Lizzie", "Liz"),
    "Thomas": ("Tom", "Tommy"), "Katherine": ("Kate", "Katie"), "James": ("Jim", "Jamie"),
    "Margaret": ("Maggie", "Peggy"), "Alexander": ("Alex", "Sandy"), "Rebecca": ("Becky",),
    "Daniel": ("Dan", "Danny"), "Jessica": ("Jess",), "Matthew": ("Matt",),
    "Samantha": ("Sam",), "Joseph": ("Joe", "Joey"), "Abigail": ("Abbie", "Abby"),
    "Benjamin": ("Ben",), "Victoria": ("Vicky", "Tori"), "Nicholas": ("Nick",),
    "Charlotte": ("Charlie", "Lottie"), "Christopher": ("Chris",), "Olivia": ("Liv",),
    "Edward": ("Ed", "Teddy"), "Amelia": ("Millie",), "Jacob": ("Jake",),
    "Isabella": ("Bella", "Izzy"), "Michael": ("Mike", "Mikey"), "Sophia": ("Sophie",),
    "Harry": (), "Oliver": ("Ollie",), "Noah": (), "Leo": (), "George": (), "Ava": (),
    "Mia": (), "Grace": (), "Lily": (), "Freya": (), "Isla": (), "Muhammad": (),
    "Aisha": (), "Zainab": (), "Ibrahim": (), "Kacper": (), "Zofia": (), "Tyler": (),
    "Kai": (), "Ruby": (), "Evie": (), "Poppy": (), "Jayden": (), "Amara": (),
}
FAMILY = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
    "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Begum", "Ahmed", "Hussain",
    "Ali", "Nowak", "Kowalski", "Murphy", "O'Brien", "Kelly", "Campbell", "Stewart",
    "Okafor", "Mensah", "Adeyemi", "Hughes", "Edwards", "Turner", "Hill", "Moore",
    "Cooper", "Ward", "Morris", "King", "Harris", "Lewis", "Baker", "Mitchell", "Shaw",
    "Lloyd", "Parker", "Bennett", "Price", "Griffiths", "Kaur", "Singh", "Rahman",
)
STREETS = ("Acacia Road", "Mill Lane", "Station Road", "Church Street", "Victoria Road",
           "Park Avenue", "Queens Road", "Maple Court", "Elm Grove", "High Street",
           "Kingsway", "Beech Close", "Orchard Way", "Albert Street", "Canal Side")
TOWNS = ("Northwick", "Eastbury", "Southam Vale")
AREAS = ("NW", "N", "HA", "EN")
TWIN_SHARE = 0.03  # children who are a twin or a triplet


@dataclass(frozen=True, slots=True)
class Record:
    """One system's record of a person, as extracted (not normalised)."""

    system: str
    record_id: str
    given: str
    family: str
    birth_date: date | None
    sex: str
    nhs: str | None
    upn: str | None
    line1: str
    line2: str
    town: str
    postcode: str

    @property
    def key(self) -> str:
        return f"{self.system}/{self.record_id}"


@dataclass(slots=True)
class Sample:
    records: list[Record]
    truth: dict[str, str]  # record key → child id
    # Record key → (true family name, true birth date): what "a twin merge" is judged on.
    who: dict[str, tuple[str, str]]
    relatives: list[tuple[str, str]] = field(default_factory=list)  # within one system
    multiples: list[list[str]] = field(default_factory=list)  # child ids born together


@dataclass(frozen=True, slots=True)
class _Child:
    id: str
    given: str
    family: str
    born: date
    sex: str
    nhs: str
    upn: str
    home: tuple[str, str, str, str]  # flat or '', house and street, town, postcode
    family_id: int
    known: float  # which systems hold the child: the same for twins and triplets


def _nhs(rng: random.Random) -> str:
    """A ten-digit NHS number with a valid modulus-11 check digit."""
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _postcode(rng: random.Random) -> str:
    return (f"{rng.choice(AREAS)}{rng.randrange(1, 20)} {rng.randrange(1, 10)}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")


def _home(rng: random.Random) -> tuple[str, str, str, str]:
    flat = f"Flat {rng.randrange(1, 40)}" if rng.random() < 0.35 else ""
    return flat, f"{rng.randrange(1, 180)} {rng.choice(STREETS)}", rng.choice(TOWNS), \
        _postcode(rng)


def typo(rng: random.Random, word: str) -> str:
    """One slip of the keyboard: a letter dropped, doubled, swapped with the next or replaced."""
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1:]


def _given_names(rng: random.Random, count: int) -> list[str]:
    """`count` different given names (twins and triplets are never given the same one)."""
    return rng.sample(sorted(GIVEN), count)


def _children(rng: random.Random, wanted: int) -> tuple[list[_Child], list[list[str]]]:
    children: list[_Child] = []
    multiples: list[list[str]] = []
    family_id = 0
    # About 2.1 births per family, a multiple birth 2.15 children: a chance of TWIN_SHARE
    # per family makes about TWIN_SHARE of all children twins or triplets.
    chance = TWIN_SHARE
    while len(children) < wanted:
        family_id += 1
        surname = rng.choice(FAMILY)
        home = _home(rng)
        births: list[int] = []
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
            births.append(1)
        if rng.random() < chance:
            births[0] = 3 if rng.random() < 0.15 else 2
        names = _given_names(rng, sum(births))
        for size in births:
            born = date(2007, 9, 1) + timedelta(days=rng.randrange(16 * 365))
            known = rng.random()
            group = []
            for _ in range(size):
                child_id = f"C{len(children) + 1:05d}"
                children.append(_Child(
                    child_id, names.pop(), surname, born, rng.choice("MF"), _nhs(rng),
                    f"{rng.choice('ABCDEFGHJKLMNPQRTUVWXYZ')}{rng.randrange(10**12):012d}",
                    home, family_id, known,
                ))
                group.append(child_id)
            if size > 1:
                multiples.append(group)
    return children, multiples


def _slip_date(rng: random.Random, born: date) -> date:
    if rng.random() < 0.5 and born.day <= 12 and born.day != born.month:
        return born.replace(day=born.month, month=born.day)  # day and month swapped
    try:
        return born.replace(day=born.day % 28 + 1) if rng.random() < 0.5 else born.replace(
            year=born.year + rng.choice((-1, 1)))
    except ValueError:
        return born + timedelta(days=1)


def _record(rng: random.Random, child: _Child, system: str, number: int) -> Record:
    given, family = child.given, child.family
    if GIVEN[given] and rng.random() < (0.15 if system == "school" else 0.05):
        given = rng.choice(GIVEN[given])
    if rng.random() < 0.08:
        given = typo(rng, given)
    if rng.random() < 0.05:
        family = typo(rng, family)
    born: date | None = child.born
    if rng.random() < 0.03:
        born = _slip_date(rng, child.born)
    elif rng.random() < 0.01:
        born = None
    flat, street, town, postcode = child.home
    if rng.random() < 0.06:  # moved: this system has a newer (or older) address
        flat, street, town, postcode = _home(rng)
    if flat and rng.random() < 0.5:
        line1, line2 = f"{flat}, {street}", ""
    elif flat:
        line1, line2 = flat, street
    else:
        line1, line2 = street, ""
    if rng.random() < 0.03:
        postcode = ""
    if rng.random() < 0.02:
        postcode = postcode.replace(" ", "").lower()
    if system == "csc":
        nhs = child.nhs if rng.random() < 0.8 else None
        upn = child.upn if rng.random() < 0.4 else None
        record_id = f"CSC-{number:06d}"
    else:
        nhs = child.nhs if rng.random() < 0.4 else None
        upn = child.upn if rng.random() < 0.92 else None
        record_id = f"{900000 + number * 7}"
    return Record(system, record_id, given, family, born, child.sex, nhs, upn, line1, line2,
                  town, postcode)


def generate(records: int = 4_000, seed: int = 1) -> Sample:
    """About `records` records over two systems: social care holds about 60 in 100
    children, the school about 85 in 100, most children in both."""
    rng = random.Random(seed)
    children, multiples = _children(rng, max(2, round(records / 1.45)))
    sample = Sample([], {}, {}, multiples=multiples)
    by_family: dict[tuple[str, int], list[str]] = {}
    for child in children:
        # Social care holds 60 in 100 children, the school 85, both 45; twins and
        # triplets are known to the same services together.
        systems = [s for s, held in (("csc", child.known < 0.6), ("school", child.known >= 0.15))
                   if held]
        for system in systems:
            found = _record(rng, child, system, len(sample.records) + 1)
            sample.records.append(found)
            sample.truth[found.key] = child.id
            sample.who[found.key] = (child.family.lower(), child.born.isoformat())
            by_family.setdefault((system, child.family_id), []).append(found.key)
    for (system, _), keys in sorted(by_family.items()):
        if system == "csc":
            sample.relatives += [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    return sample
