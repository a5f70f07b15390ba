"""The borough's humans: who they are, where they live and lived, and who they are to each other.

This is the truth the source systems each see part of. Households are drawn from a mix close to
English census shares (about 30% one person, a quarter of families with children headed by a
lone parent, a few stepfamilies and three-generation households) with a mean size near 2.4.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .identifiers import IdentifierIssuer
from .names import Heritage, draw_heritage, heritage_of
from .places import LA_CODE, NEIGHBOURS, Address, Gazetteer, schools_in

#: Share of each household kind drawn (ex-partners who live alone are added on top).
HOUSEHOLD_MIX: dict[str, float] = {
    "single": 0.19,
    "couple": 0.15,
    "older_couple": 0.13,
    "couple_with_children": 0.27,
    "lone_parent": 0.12,
    "stepfamily": 0.05,
    "three_generation": 0.03,
}
#: Share of households that moved to their current address from a recorded previous one.
MOVED_SHARE = 0.45
#: Share of lone parents whose children's other parent lives in the borough.
OTHER_PARENT_KNOWN_SHARE = 0.75
#: When fewer people than this are left to simulate, only single adults and couples are drawn.
_LARGEST_HOUSEHOLD = 8
MIN_PEOPLE = 10

_YEAR_DAYS = 365.25


@dataclass
class Residence:
    """A stay at one address; ``end`` is None while it lasts."""

    address: Address
    start: date
    end: date | None = None
    restricted: bool = False


@dataclass
class Human:
    """One simulated person; ``residences`` run oldest first and the last is current."""

    key: str
    given_names: str
    family_name: str
    sex: str
    birth_date: date
    nhs_number: str
    other_names: str = ""
    upn: str = ""
    mother: str | None = None
    father: str | None = None
    household: str = ""
    residences: list[Residence] = field(default_factory=list)

    @property
    def residence(self) -> Residence:
        """The current stay."""
        return self.residences[-1]


@dataclass(frozen=True)
class Bond:
    """A relationship, read as "source is the ``kind`` of target"."""

    source: str
    target: str
    kind: str
    start: date | None
    end: date | None = None


@dataclass
class Household:
    """The people living at one address now."""

    key: str
    kind: str
    address: Address
    members: list[str]


@dataclass
class Population:
    """Everyone in the borough, their households and bonds, and the demonstration child."""

    today: date
    humans: dict[str, Human]
    households: list[Household]
    bonds: list[Bond]
    demo_child: str
    demo_household: str

    def household(self, key: str) -> Household:
        """Return the household with ``key``."""
        for household in self.households:
            if household.key == key:
                return household
        raise KeyError(key)

    def place_in_care(self, child: str, carers: Household, day: date) -> None:
        """Move ``child`` from their family into the carers' household from ``day``."""
        human = self.humans[child]
        self.household(human.household).members.remove(child)
        human.residence.end = day
        human.residences.append(Residence(carers.address, day, restricted=True))
        human.household = carers.key
        for carer in list(carers.members):
            self.bonds.append(Bond(carer, child, "foster_carer", day))
        carers.members.append(child)
        carers.kind = "foster_family"


def add_years(day: date, years: int) -> date:
    """Return the same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    """Return age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def year_group(birth: date, day: date) -> int:
    """Return the English school year group on ``day`` (0 is Reception, 11 is Year 11)."""
    academic_year = day.year if day.month >= 9 else day.year - 1
    cohort = birth.year if birth.month >= 9 else birth.year - 1
    return academic_year - cohort - 5


def simulate_population(
    people: int,
    today: date,
    rng: random.Random,
    gazetteer: Gazetteer,
    issuer: IdentifierIssuer,
) -> Population:
    """Simulate exactly ``people`` humans in households, including one demonstration family."""
    if people < MIN_PEOPLE:
        raise ValueError(f"a synthetic borough needs at least {MIN_PEOPLE} people, not {people}")
    builder = _Builder(rng, today, gazetteer, issuer)
    demo_child = builder.stepfamily(demo=True)
    demo_households = list(builder.households)
    builder.households.clear()
    kinds = list(HOUSEHOLD_MIX)
    weights = list(HOUSEHOLD_MIX.values())
    while (left := people - len(builder.humans)) > 0:
        if left >= _LARGEST_HOUSEHOLD:
            kind = rng.choices(kinds, weights)[0]
        elif left == 1:
            kind = "single"
        else:
            kind = rng.choice(("single", "couple"))
        builder.draw(kind)
    # The demonstration family sits at a random place in the listing, like any other.
    at = rng.randint(0, len(builder.households))
    builder.households[at:at] = demo_households
    return Population(
        today=today,
        humans=builder.humans,
        households=builder.households,
        bonds=builder.bonds,
        demo_child=demo_child,
        demo_household=builder.humans[demo_child].household,
    )


class _Builder:
    """Draws households one at a time, keeping every date consistent within a family."""

    def __init__(
        self, rng: random.Random, today: date, gazetteer: Gazetteer, issuer: IdentifierIssuer
    ) -> None:
        self.rng = rng
        self.today = today
        self.gazetteer = gazetteer
        self.issuer = issuer
        self.humans: dict[str, Human] = {}
        self.households: list[Household] = []
        self.bonds: list[Bond] = []
        self._household_count = 0

    # -- drawing households -------------------------------------------------------------------

    def draw(self, kind: str) -> None:
        if kind == "single":
            self.single()
        elif kind == "couple":
            self.couple(older=False)
        elif kind == "older_couple":
            self.couple(older=True)
        elif kind == "couple_with_children":
            self.couple_with_children(grandparent=False)
        elif kind == "three_generation":
            self.couple_with_children(grandparent=True)
        elif kind == "lone_parent":
            self.lone_parent()
        elif kind == "stepfamily":
            self.stepfamily(demo=False)
        else:
            raise ValueError(f"unknown household kind {kind!r}")

    def single(self) -> None:
        low, high = self.rng.choices(((18, 30), (30, 50), (50, 65), (65, 95)), (20, 20, 25, 35))[0]
        heritage = draw_heritage(self.rng)
        sex = self.rng.choice(("female", "male"))
        person = self.person(sex, self.ago(low, high), heritage.family_name(self.rng), heritage)
        settled = self.between(
            max(add_years(person.birth_date, 18), add_years(self.today, -30)),
            self.today - timedelta(days=30),
        )
        self.settle("single", [person], settled)

    def couple(self, older: bool) -> None:
        heritage = draw_heritage(self.rng)
        if older:
            first_birth = self.ago(66, 94)
        else:
            first_birth = self.ago(*self.rng.choice(((22, 38), (48, 66))))
        second_birth = min(
            first_birth + self.span(-5, 5), add_years(self.today, -60 if older else -18)
        )
        man = self.person("male", first_birth, heritage.family_name(self.rng), heritage)
        woman_heritage = self.partner_heritage(heritage)
        woman = self.person(
            "female", second_birth, woman_heritage.family_name(self.rng), woman_heritage
        )
        adult = max(add_years(first_birth, 18), add_years(second_birth, 18))
        if older:
            together = self.between(adult, add_years(adult, 15))
        else:
            together = self.between(
                max(adult, add_years(self.today, -25)), self.today - timedelta(days=90)
            )
        married = self.rng.random() < (0.9 if older else 0.5)
        self.name_partner(woman, man, married)
        self.pair(man, woman, "spouse" if married else "partner", together)
        self.settle("older_couple" if older else "couple", [man, woman], together)

    def couple_with_children(self, grandparent: bool) -> None:
        heritage = draw_heritage(self.rng)
        count = self.rng.choices((1, 2, 3, 4), (42, 40, 13, 5))[0]
        births = self.child_births(count)
        mother_birth = self.parent_birth(births[0] - self.span(20, 38), births, "female")
        father_birth = self.parent_birth(mother_birth - self.span(-2, 7), births, "male")
        father = self.person("male", father_birth, heritage.family_name(self.rng), heritage)
        mother_heritage = self.partner_heritage(heritage)
        mother = self.person(
            "female", mother_birth, mother_heritage.family_name(self.rng), mother_heritage
        )
        together = self.got_together(father, mother, births[0])
        married = self.rng.random() < 0.6
        self.name_partner(mother, father, married)
        self.pair(father, mother, "spouse" if married else "partner", together)
        surname = father.family_name if married or self.rng.random() < 0.7 else mother.family_name
        children = [
            self.child(birth, surname, (heritage, mother_heritage), mother, father)
            for birth in births
        ]
        kind = "three_generation" if grandparent else "couple_with_children"
        _, moved_in = self.settle(kind, [father, mother, *children], together)
        if grandparent:
            elder = self.grandparent(self.rng.choice((mother, mother, father)), children)
            arrived = self.between(moved_in + timedelta(days=30), self.today - timedelta(days=30))
            self.join(elder, self.households[-1], arrived)

    def lone_parent(self) -> None:
        heritage = draw_heritage(self.rng)
        sex = "female" if self.rng.random() < 0.9 else "male"
        other_sex = "male" if sex == "female" else "female"
        births = self.child_births(self.rng.choices((1, 2, 3), (50, 35, 15))[0])
        parent_birth = self.parent_birth(births[0] - self.span(18, 40), births, sex)
        parent = self.person(sex, parent_birth, heritage.family_name(self.rng), heritage)
        other: Human | None = None
        other_heritage = self.partner_heritage(heritage)
        if self.rng.random() < OTHER_PARENT_KNOWN_SHARE:
            other_birth = self.parent_birth(parent.birth_date - self.span(-3, 6), births, other_sex)
            other = self.person(
                other_sex, other_birth, other_heritage.family_name(self.rng), other_heritage
            )
        together = self.got_together(parent, other, births[0]) if other else births[0]
        surname = parent.family_name
        if other and self.rng.random() < 0.55:
            surname = other.family_name
        mother, father = (parent, other) if sex == "female" else (other, parent)
        children = [
            self.child(birth, surname, (heritage, other_heritage), mother, father)
            for birth in births
        ]
        previous, moved_in = self.settle("lone_parent", [parent, *children], together)
        if other is not None:
            separated = self.between(
                max(together + timedelta(days=60), births[-1] - timedelta(days=150)),
                self.today - timedelta(days=60),
            )
            self.pair(other, parent, "ex_partner", together, separated)
            self.move_out(other, parent, previous, moved_in, together, separated)

    def stepfamily(self, demo: bool) -> str:
        """Draw a mother, her children by a former partner, her new partner and their children.

        With ``demo`` the family is shaped for the demonstration: a school-age child by the
        former partner, and at least one younger half-sibling by the new partner. Returns the
        key of the child the demonstration is about (the youngest child of the first union).
        """
        heritage = draw_heritage(self.rng)
        ex_heritage = self.partner_heritage(heritage)
        new_heritage = self.partner_heritage(heritage)
        if demo:
            youngest_older = self.ago(8, 11)
            older_count = self.rng.choice((1, 2))
        else:
            youngest_older = self.ago(3, 16)
            older_count = self.rng.choices((1, 2), (60, 40))[0]
        older_births = [youngest_older]
        for _ in range(older_count - 1):
            older_births.insert(0, older_births[0] - self.span(1.2, 5))
        mother_age = self.span(19, 30) if demo else self.span(19, 34)
        mother_birth = self.parent_birth(older_births[0] - mother_age, older_births, "female")
        mother = self.person("female", mother_birth, heritage.family_name(self.rng), heritage)
        ex_birth = self.parent_birth(mother.birth_date - self.span(-2, 6), older_births, "male")
        ex = self.person("male", ex_birth, ex_heritage.family_name(self.rng), ex_heritage)
        first_together = self.got_together(mother, ex, older_births[0])
        latest_split = self.today - timedelta(days=round(1.5 * _YEAR_DAYS))
        if demo:
            separated = min(youngest_older + self.span(1, 3), latest_split)
            new_together = separated + self.span(0.5, 1.5)
            moved_in = new_together + self.span(0.2, 1)
        else:
            separated = min(youngest_older + self.span(0.3, 4), latest_split)
            new_together = min(separated + self.span(0.3, 3), self.ago(1, 1))
            moved_in = min(new_together + self.span(0.1, 1.5), self.today - timedelta(days=60))
        ex_married = self.rng.random() < 0.4
        self.name_partner(mother, ex, ex_married)
        older_surname = ex.family_name
        if not ex_married and self.rng.random() < 0.3:
            older_surname = mother.family_name
        older = [
            self.child(birth, older_surname, (heritage, ex_heritage), mother, ex)
            for birth in older_births
        ]
        partner_birth = min(mother.birth_date - self.span(-4, 6), add_years(new_together, -18))
        partner = self.person(
            "male", partner_birth, new_heritage.family_name(self.rng), new_heritage
        )
        new_count = (
            self.rng.choice((1, 2)) if demo else self.rng.choices((0, 1, 2), (25, 55, 20))[0]
        )
        new_births: list[date] = []
        earliest = new_together + timedelta(days=270)
        for _ in range(new_count):
            if new_births:
                earliest = new_births[-1] + timedelta(days=420)
            latest = min(self.today - timedelta(days=30), add_years(mother.birth_date, 44))
            if demo:
                latest = min(latest, earliest + self.span(2, 2))
            if earliest >= latest:
                break
            new_births.append(self.between(earliest, latest))
        if demo and not new_births:
            new_births.append(earliest)
        married = self.rng.random() < 0.35
        if married and self.rng.random() < 0.7:
            previous_names = [mother.other_names, mother.family_name]
            mother.other_names = "; ".join(name for name in previous_names if name)
            mother.family_name = partner.family_name
        new_surname = partner.family_name if self.rng.random() < 0.6 else mother.family_name
        younger = [
            self.child(birth, new_surname, (heritage, new_heritage), mother, partner)
            for birth in new_births
        ]
        self.pair(ex, mother, "ex_partner", first_together, separated)
        self.pair(partner, mother, "spouse" if married else "partner", new_together)
        for child in older:
            self.bonds.append(Bond(partner.key, child.key, "step_parent", moved_in))
        previous, home_from = self.settle(
            "stepfamily", [mother, *older, *younger], first_together, latest_move=moved_in
        )
        self.join(partner, self.households[-1], moved_in)
        self.move_out(ex, mother, previous, home_from, first_together, separated)
        return older[-1].key

    # -- people ----------------------------------------------------------------------------------

    def person(self, sex: str, birth: date, family_name: str, heritage: Heritage) -> Human:
        key = f"P{len(self.humans) + 1:06d}"
        human = Human(
            key=key,
            given_names=heritage.given_names(sex, birth.year, self.rng),
            family_name=family_name,
            sex=sex,
            birth_date=birth,
            nhs_number=self.issuer.nhs_number(),
        )
        self.humans[key] = human
        return human

    def child(
        self,
        birth: date,
        surname: str,
        heritages: tuple[Heritage, Heritage],
        mother: Human | None,
        father: Human | None,
    ) -> Human:
        sex = self.rng.choice(("female", "male"))
        child = self.person(sex, birth, surname, self.rng.choice(heritages))
        for parent in (mother, father):
            if parent is not None:
                self.parent(parent, child)
        return child

    def grandparent(self, parent: Human, children: list[Human]) -> Human:
        sex = "female" if self.rng.random() < 0.75 else "male"
        birth = max(parent.birth_date - self.span(20, 36), self.ago(94, 94))
        birth_name = parent.other_names.split("; ")[0] or parent.family_name
        heritage = heritage_of(birth_name) or draw_heritage(self.rng)
        elder = self.person(sex, birth, birth_name, heritage)
        self.parent(elder, parent)
        for child in children:
            self.bonds.append(Bond(elder.key, child.key, "grandparent", child.birth_date))
        return elder

    def parent(self, parent: Human, child: Human) -> None:
        if parent.sex == "female":
            child.mother = parent.key
            kind = "mother"
        else:
            child.father = parent.key
            kind = "father"
        self.bonds.append(Bond(parent.key, child.key, kind, child.birth_date))

    def pair(
        self, first: Human, second: Human, kind: str, start: date, end: date | None = None
    ) -> None:
        self.bonds.append(Bond(first.key, second.key, kind, start, end))

    def name_partner(self, woman: Human, man: Human, married: bool) -> None:
        """Keep ``woman``'s family name, or give her her husband's and keep hers as former."""
        own = woman.family_name
        if married and self.rng.random() < 0.85 and own != man.family_name:
            woman.family_name = man.family_name
            woman.other_names = own

    def enrol(self, child: Human) -> None:
        """Give a school-age child the UPN their first school allocated on entry to Reception."""
        group = year_group(child.birth_date, self.today)
        if not 0 <= group <= 11:
            return
        academic_year = self.today.year if self.today.month >= 9 else self.today.year - 1
        entry = date(academic_year - group, 9, 1)
        address = next(
            (
                stay.address
                for stay in child.residences
                if stay.start <= entry and (stay.end is None or stay.end > entry)
            ),
            child.residence.address,
        )
        if address.district:
            school = self.rng.choice(schools_in(address.district, "primary"))
            child.upn = self.issuer.upn(LA_CODE, school.establishment, entry.year)
        else:
            la_code = next(code for town, _, code in NEIGHBOURS if town == address.town)
            child.upn = self.issuer.upn(la_code, f"2{self.rng.randrange(1000):03d}", entry.year)

    # -- homes -----------------------------------------------------------------------------------

    def settle(
        self,
        kind: str,
        members: list[Human],
        settled: date,
        latest_move: date | None = None,
    ) -> tuple[Address | None, date]:
        """House ``members`` at a new address; some moved there from a previous one.

        Returns the previous address (or None) and the date they moved in.
        """
        latest = min(latest_move or self.today, self.today) - timedelta(days=60)
        previous: Address | None = None
        moved_in = settled
        if self.rng.random() < MOVED_SHARE and settled + timedelta(days=180) < latest:
            previous = self.gazetteer.previous_address()
            moved_in = self.between(settled + timedelta(days=180), latest)
        address = self.gazetteer.new_address()
        self._household_count += 1
        household = Household(f"H{self._household_count:06d}", kind, address, [])
        self.households.append(household)
        for member in members:
            if previous is not None and member.birth_date < moved_in:
                member.residences.append(
                    Residence(previous, max(settled, member.birth_date), moved_in)
                )
            member.residences.append(Residence(address, max(moved_in, member.birth_date)))
            member.household = household.key
            household.members.append(member.key)
            self.enrol(member)
        return previous, moved_in

    def join(self, human: Human, household: Household, day: date) -> None:
        """Move ``human`` into ``household`` on ``day``, from a place of their own if an adult."""
        if age_on(human.birth_date, day) >= 18:
            left_home = add_years(human.birth_date, 18)
            start = self.between(max(left_home, day - self.span(6, 6)), day - timedelta(days=30))
            if start < day:
                human.residences.append(Residence(self.gazetteer.previous_address(), start, day))
        human.residences.append(Residence(household.address, day))
        human.household = household.key
        household.members.append(human.key)

    def move_out(
        self,
        leaver: Human,
        partner: Human,
        previous: Address | None,
        moved_in: date,
        together: date,
        separated: date,
    ) -> None:
        """Record a separated parent's stay in the family home and their own home since."""
        family_home = partner.residence.address if moved_in <= separated else previous
        if family_home is not None:
            start = (
                max(together, moved_in) if family_home is partner.residence.address else together
            )
            if start < separated:
                leaver.residences.append(Residence(family_home, start, separated))
        address = self.gazetteer.new_address()
        leaver.residences.append(Residence(address, separated))
        self._household_count += 1
        household = Household(f"H{self._household_count:06d}", "single", address, [leaver.key])
        leaver.household = household.key
        self.households.append(household)

    # -- dates -----------------------------------------------------------------------------------

    def child_births(self, count: int) -> list[date]:
        """Birth dates of siblings, eldest first; some grown children still live at home."""
        births = [self.ago(0.05, 22)]
        for _ in range(count - 1):
            births.insert(0, births[0] - self.span(1.2, 6))
        return [birth for birth in births if age_on(birth, self.today) <= 25]

    def parent_birth(self, drawn: date, births: list[date], sex: str) -> date:
        """Clamp a parent's drawn birth date so they were 18 at the first birth and, for a
        mother, no older than 44 at the last."""
        born = min(drawn, add_years(births[0], -18))
        if sex == "female":
            born = max(born, add_years(births[-1], -44))
        return born

    def got_together(self, first: Human, second: Human | None, first_birth: date) -> date:
        adult = add_years(first.birth_date, 18)
        if second is not None:
            adult = max(adult, add_years(second.birth_date, 18))
        return min(max(adult, first_birth - self.span(0.8, 6)), first_birth)

    def partner_heritage(self, heritage: Heritage) -> Heritage:
        return heritage if self.rng.random() < 0.8 else draw_heritage(self.rng)

    def ago(self, low: float, high: float) -> date:
        return self.today - self.span(low, high)

    def span(self, low: float, high: float) -> timedelta:
        return timedelta(days=round(self.rng.uniform(low, high) * _YEAR_DAYS))

    def between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))
