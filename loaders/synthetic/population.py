"""The borough's humans: who they are, where they live and lived, and who they are to each other.

This is the truth the source systems each see part of. ``build_population`` draws the households
of one neighbourhood as they stood when the simulated history starts (each with a plausible past:
earlier addresses, former partners, grandparents living nearby); ``history`` then lives through
the years to the extract date. Household kinds are drawn from a mix tuned so that, after the
history, the borough is close to English census figures (docs/synthetic-borough.md).
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .calendar import YEAR_DAYS, add_years, age_on, between, span, year_group
from .identifiers import IdentifierIssuer
from .names import Heritage, draw_heritage, ethnicity_of, heritage_of
from .places import LA_CODE, NEIGHBOURS, Address, Gazetteer, School

#: Share of each household kind drawn (former partners living alone are added on top).
HOUSEHOLD_MIX: dict[str, float] = {
    "single": 0.11,
    "couple": 0.13,
    "older_couple": 0.105,
    "couple_with_children": 0.31,
    "lone_parent": 0.075,
    "stepfamily": 0.015,
    "three_generation": 0.02,
    "grandparent_carer": 0.005,
    "hmo": 0.008,
}
#: Share of households that moved to their current address from a recorded previous one.
MOVED_SHARE = 0.45
#: Share of lone parents whose children's other parent lives in the borough.
OTHER_PARENT_KNOWN_SHARE = 0.75
#: Share of new parents whose own parents live in the borough (grandparents, aunts, cousins).
LOCAL_ELDERS_SHARE = 0.4
#: Share of children named after a cousin already in the borough (same-name cousins).
COUSIN_NAME_SHARE = 0.04
#: Share of couples with a history of domestic abuse that may come to the police's notice.
ABUSIVE_SHARE = 0.08
#: Share of births that are twins (England: about 1 in 65 maternities).
TWIN_SHARE = 0.015
MIN_PEOPLE = 10


@dataclass
class Residence:
    """A stay at one address with one household; ``end`` is None while it lasts."""

    address: Address
    start: date
    end: date | None = None
    household: str = ""
    restricted: bool = False


@dataclass
class NameSpell:
    """A family name someone used until ``until`` (an earlier name, before marriage)."""

    family_name: str
    until: date


@dataclass
class Human:
    """One simulated person; ``residences`` run oldest first and the last is current."""

    key: str
    given_names: str
    family_name: str
    sex: str
    birth_date: date
    nhs_number: str
    heritage: str
    ethnicity: str
    other_names: str = ""
    upn: str = ""
    mother: str | None = None
    father: str | None = None
    death_date: date | None = None
    household: str = ""
    residences: list[Residence] = field(default_factory=list)
    earlier_names: list[NameSpell] = field(default_factory=list)

    @property
    def residence(self) -> Residence:
        """The current (or last) stay."""
        return self.residences[-1]

    def residence_on(self, day: date) -> Residence | None:
        """The stay that held ``day``, if any."""
        for stay in reversed(self.residences):
            if stay.start <= day and (stay.end is None or stay.end > day):
                return stay
        return None

    def family_name_on(self, day: date) -> str:
        """The family name this person used on ``day``."""
        for spell in self.earlier_names:
            if day < spell.until:
                return spell.family_name
        return self.family_name

    def alive_on(self, day: date) -> bool:
        return self.birth_date <= day and (self.death_date is None or self.death_date > day)

    def change_family_name(self, name: str, day: date) -> None:
        """Take a new family name from ``day``; the old one is kept as a former name."""
        if name == self.family_name:
            return
        self.earlier_names.append(NameSpell(self.family_name, day))
        former = [self.other_names, self.family_name] if self.other_names else [self.family_name]
        self.other_names = "; ".join(dict.fromkeys(former))
        self.family_name = name


@dataclass
class Bond:
    """A relationship, read as "source is the ``kind`` of target"."""

    source: str
    target: str
    kind: str
    start: date | None
    end: date | None = None


@dataclass
class Household:
    """The people living at one address now; ``kind`` is how it was drawn, not what it is now."""

    key: str
    kind: str
    address: Address
    members: list[str]
    abusive: bool = False


@dataclass
class Population:
    """Everyone in one neighbourhood, their households and bonds, and its demonstration child."""

    neighbourhood: int
    start: date
    today: date
    humans: dict[str, Human]
    households: dict[str, Household]
    bonds: list[Bond]
    schools: list[School]
    demo_child: str = ""
    demo_household: str = ""
    #: Dated happenings of the history (a DA incident, a flight to a refuge), for services.
    incidents: list[tuple[date, str, str, tuple[str, ...]]] = field(default_factory=list)
    #: People the history leaves alone: the demonstration family.
    protected: set[str] = field(default_factory=set)


def build_population(
    people: int,
    start: date,
    today: date,
    neighbourhood: int,
    rng: random.Random,
    gazetteer: Gazetteer,
    issuer: IdentifierIssuer,
    schools: list[School],
) -> Population:
    """Draw about ``people`` humans in households as they were on ``start``."""
    builder = Builder(rng, start, gazetteer, issuer, neighbourhood, schools)
    kinds = list(HOUSEHOLD_MIX)
    weights = list(HOUSEHOLD_MIX.values())
    # Elders first, so younger families can have parents living nearby.
    while len(builder.humans) < people * 0.12:
        builder.draw("older_couple" if rng.random() < 0.7 else "older_single")
    while (left := people - len(builder.humans)) > 0:
        if left >= 8:
            kind = rng.choices(kinds, weights)[0]
        else:
            kind = "single" if left == 1 else rng.choice(("single", "couple"))
        builder.draw(kind)
    return Population(
        neighbourhood=neighbourhood,
        start=start,
        today=today,
        humans=builder.humans,
        households=builder.households,
        bonds=builder.bonds,
        schools=schools,
    )


class Builder:
    """Draws households one at a time, keeping every date consistent within a family."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        gazetteer: Gazetteer,
        issuer: IdentifierIssuer,
        neighbourhood: int,
        schools: list[School],
        humans: dict[str, Human] | None = None,
        households: dict[str, Household] | None = None,
        bonds: list[Bond] | None = None,
    ) -> None:
        self.rng = rng
        self.today = today
        self.gazetteer = gazetteer
        self.issuer = issuer
        self.neighbourhood = neighbourhood
        self.schools = schools
        self.humans: dict[str, Human] = {} if humans is None else humans
        self.households: dict[str, Household] = {} if households is None else households
        self.bonds: list[Bond] = [] if bonds is None else bonds
        #: Older people by birth year, who may be the parents of a younger adult.
        self._elders: list[Human] = []
        self._children_of: dict[str, list[str]] = {}
        self._spouse: dict[str, str] = {}

    # -- drawing households -------------------------------------------------------------------

    def draw(self, kind: str) -> None:
        if kind == "single":
            self.single()
        elif kind == "older_single":
            self.single(older=True)
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
        elif kind == "grandparent_carer":
            self.grandparent_carer()
        elif kind == "hmo":
            self.hmo()
        else:
            raise ValueError(f"unknown household kind {kind!r}")

    def single(self, older: bool = False) -> None:
        bands = ((65, 95),) if older else ((18, 30), (30, 50), (50, 65), (65, 95))
        low, high = self.rng.choices(bands, (1,) if older else (22, 24, 24, 30))[0]
        heritage = draw_heritage(self.rng)
        sex = self.rng.choice(("female", "male"))
        person = self.adult(sex, self.ago(low, high), heritage)
        settled = self.between(
            max(add_years(person.birth_date, 18), add_years(self.today, -30)),
            self.today - timedelta(days=30),
        )
        self.settle("single", [person], settled)
        if age_on(person.birth_date, self.today) >= 55:
            self._elders.append(person)

    def hmo(self) -> None:
        """Four to seven unrelated adults renting rooms in one house."""
        sharers = []
        for _ in range(self.rng.randint(4, 7)):
            heritage = draw_heritage(self.rng)
            sex = self.rng.choice(("female", "male", "male"))
            sharers.append(self.adult(sex, self.ago(19, 45), heritage, local=False))
        youngest_adult = max(add_years(person.birth_date, 18) for person in sharers)
        settled = self.between(
            max(youngest_adult, add_years(self.today, -4)), self.today - timedelta(days=30)
        )
        self.settle("hmo", sharers, settled, address_kind="hmo")

    def couple(self, older: bool) -> None:
        heritage = draw_heritage(self.rng)
        if older:
            first_birth = self.ago(62, 92)
        else:
            first_birth = self.ago(*self.rng.choice(((22, 38), (45, 64))))
        second_birth = min(
            first_birth + self.span(-5, 5), add_years(self.today, -58 if older else -18)
        )
        man = self.adult("male", first_birth, heritage, local=not older)
        woman_heritage = self.partner_heritage(heritage)
        woman = self.adult("female", second_birth, woman_heritage, local=not older)
        adult = max(add_years(first_birth, 18), add_years(second_birth, 18))
        if older:
            together = self.between(adult, add_years(adult, 15))
        else:
            together = self.between(
                max(adult, add_years(self.today, -25)), self.today - timedelta(days=90)
            )
        married = self.rng.random() < (0.92 if older else 0.68)
        self.name_partner(woman, man, married, together)
        self.pair(man, woman, "spouse" if married else "partner", together)
        self.settle("older_couple" if older else "couple", [man, woman], together)
        if age_on(first_birth, self.today) >= 50 or age_on(second_birth, self.today) >= 50:
            self._elders.extend((man, woman))

    def couple_with_children(self, grandparent: bool) -> None:
        heritage = draw_heritage(self.rng)
        count = self.rng.choices((1, 2, 3, 4, 5), (38, 40, 15, 5, 2))[0]
        births = self.child_births(count)
        mother_birth = self.parent_birth(births[0] - self.span(20, 38), births, "female")
        father_birth = self.parent_birth(mother_birth - self.span(-2, 7), births, "male")
        father = self.adult("male", father_birth, heritage)
        mother_heritage = self.partner_heritage(heritage)
        mother = self.adult("female", mother_birth, mother_heritage)
        together = self.got_together(father, mother, births[0])
        married = self.rng.random() < 0.8
        self.name_partner(mother, father, married, together)
        self.pair(father, mother, "spouse" if married else "partner", together)
        surname = father.family_name if married or self.rng.random() < 0.7 else mother.family_name
        children = self.children(births, surname, heritage, mother_heritage, mother, father)
        kind = "three_generation" if grandparent else "couple_with_children"
        household, moved_in = self.settle(kind, [father, mother, *children], together)
        household.abusive = self.rng.random() < ABUSIVE_SHARE
        free = [p for p in (mother, mother, father) if p.mother is None or p.father is None]
        if grandparent and free:
            elder = self.grandparent(self.rng.choice(free), children)
            arrived = self.between(moved_in + timedelta(days=30), self.today - timedelta(days=30))
            self.join(elder, household, arrived)

    def lone_parent(self) -> None:
        heritage = draw_heritage(self.rng)
        sex = "female" if self.rng.random() < 0.9 else "male"
        other_sex = "male" if sex == "female" else "female"
        births = self.child_births(self.rng.choices((1, 2, 3, 4), (48, 34, 13, 5))[0])
        parent_birth = self.parent_birth(births[0] - self.span(18, 40), births, sex)
        parent = self.adult(sex, parent_birth, heritage)
        other: Human | None = None
        other_heritage = self.partner_heritage(heritage)
        if self.rng.random() < OTHER_PARENT_KNOWN_SHARE:
            other_birth = self.parent_birth(parent.birth_date - self.span(-3, 6), births, other_sex)
            other = self.adult(other_sex, other_birth, other_heritage)
        together = self.got_together(parent, other, births[0]) if other else births[0]
        surname = parent.family_name
        if other and self.rng.random() < 0.55:
            surname = other.family_name
        mother, father = (parent, other) if sex == "female" else (other, parent)
        children = self.children(births, surname, heritage, other_heritage, mother, father)
        previous_start = together
        household, moved_in = self.settle("lone_parent", [parent, *children], together)
        if other is not None:
            separated = self.between(
                max(together + timedelta(days=60), births[-1] - timedelta(days=150)),
                self.today - timedelta(days=60),
            )
            self.pair(other, parent, "ex_partner", together, separated)
            previous = parent.residences[0].address if len(parent.residences) > 1 else None
            self.move_out(other, parent, previous, moved_in, previous_start, separated)
            household.abusive = self.rng.random() < ABUSIVE_SHARE * 1.5

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
        mother = self.adult("female", mother_birth, heritage, local=not demo)
        ex_birth = self.parent_birth(mother.birth_date - self.span(-2, 6), older_births, "male")
        ex = self.adult("male", ex_birth, ex_heritage, local=not demo)
        first_together = self.got_together(mother, ex, older_births[0])
        latest_split = self.today - timedelta(days=round(1.5 * YEAR_DAYS))
        if demo:
            separated = min(youngest_older + self.span(1, 3), latest_split)
            new_together = separated + self.span(0.5, 1.5)
            moved_in = new_together + self.span(0.2, 1)
        else:
            separated = min(youngest_older + self.span(0.3, 4), latest_split)
            new_together = min(separated + self.span(0.3, 3), self.ago(1, 1))
            moved_in = min(new_together + self.span(0.1, 1.5), self.today - timedelta(days=60))
        ex_married = self.rng.random() < 0.4
        self.name_partner(mother, ex, ex_married, first_together)
        older_surname = ex.family_name
        if not ex_married and self.rng.random() < 0.3:
            older_surname = mother.family_name
        older = self.children(older_births, older_surname, heritage, ex_heritage, mother, ex)
        partner_birth = min(mother.birth_date - self.span(-4, 6), add_years(new_together, -18))
        partner = self.adult("male", partner_birth, new_heritage, local=not demo)
        new_count = (
            self.rng.choice((1, 2)) if demo else self.rng.choices((0, 1, 2), (20, 55, 25))[0]
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
            mother.change_family_name(partner.family_name, new_together + self.span(0.2, 1))
        new_surname = partner.family_name if self.rng.random() < 0.6 else mother.family_name
        younger = self.children(new_births, new_surname, heritage, new_heritage, mother, partner)
        self.pair(ex, mother, "ex_partner", first_together, separated)
        self.pair(partner, mother, "spouse" if married else "partner", new_together)
        for child in older:
            self.bonds.append(Bond(partner.key, child.key, "step_parent", moved_in))
        household, home_from = self.settle(
            "stepfamily", [mother, *older, *younger], first_together, latest_move=moved_in
        )
        household.abusive = not demo and self.rng.random() < ABUSIVE_SHARE * 1.3
        previous = mother.residences[0].address if len(mother.residences) > 1 else None
        self.join(partner, household, moved_in)
        self.move_out(ex, mother, previous, home_from, first_together, separated)
        return older[-1].key

    def grandparent_carer(self) -> None:
        """Grandparents bringing up a grandchild whose own parents cannot (kinship care)."""
        heritage = draw_heritage(self.rng)
        births = self.child_births(self.rng.choices((1, 2), (70, 30))[0], oldest=17)
        mother_birth = self.parent_birth(births[0] - self.span(17, 30), births, "female")
        mother = self.adult("female", mother_birth, heritage, local=False)
        children = self.children(births, mother.family_name, heritage, heritage, mother, None)
        grandmother = self.person(
            "female",
            max(mother_birth - self.span(19, 30), self.ago(80, 80)),
            heritage,
            mother.family_name,
        )
        self.parent(grandmother, mother)
        elders = [grandmother]
        if self.rng.random() < 0.55:
            grandfather = self.person(
                "male", grandmother.birth_date - self.span(-2, 5), heritage, mother.family_name
            )
            self.parent(grandfather, mother)
            self.pair(grandfather, grandmother, "spouse", add_years(grandmother.birth_date, 22))
            elders.insert(0, grandfather)
        moved = self.between(births[-1] + timedelta(days=60), self.today - timedelta(days=60))
        household, _ = self.settle(
            "grandparent_carer", elders, add_years(grandmother.birth_date, 30)
        )
        for child in children:
            child.residences.append(
                Residence(self.gazetteer.previous_address(), child.birth_date, moved)
            )
            self.join(child, household, moved)
            for elder in elders:
                self.bonds.append(Bond(elder.key, child.key, "special_guardian", moved))
        # The mother lives elsewhere, outside the borough.
        mother.residences.append(Residence(self.gazetteer.elsewhere(), add_years(mother_birth, 18)))

    # -- people ----------------------------------------------------------------------------------

    def person(self, sex: str, birth: date, heritage: Heritage, family_name: str) -> Human:
        key = f"P{self.neighbourhood:04d}{len(self.humans) + 1:06d}"
        human = Human(
            key=key,
            given_names=heritage.given_names(sex, birth.year, self.rng),
            family_name=family_name,
            sex=sex,
            birth_date=birth,
            nhs_number=self.issuer.nhs_number(),
            heritage=heritage.label,
            ethnicity=ethnicity_of(heritage.label, heritage.label, self.rng),
        )
        self.humans[key] = human
        return human

    def adult(self, sex: str, birth: date, heritage: Heritage, local: bool = True) -> Human:
        """An adult, whose own parents may live in the borough (so their children have
        grandparents, aunts, uncles and cousins nearby)."""
        elders = self.elders_for(birth) if local and self.rng.random() < LOCAL_ELDERS_SHARE else []
        if elders:
            father = next((elder for elder in elders if elder.sex == "male"), None)
            birth_name = (father or elders[0]).family_name
            family_heritage = heritage_of(birth_name) or heritage
            human = self.person(sex, birth, family_heritage, birth_name)
            human.heritage = elders[0].heritage
            human.ethnicity = elders[0].ethnicity
            for elder in elders:
                self.parent(elder, human)
            return human
        return self.person(sex, birth, heritage, heritage.family_name(self.rng))

    def elders_for(self, birth: date) -> list[Human]:
        """A living couple (or one person) of the right age to be parents of someone born then."""
        for _ in range(6):
            if not self._elders:
                return []
            elder = self.rng.choice(self._elders)
            gap = (birth - elder.birth_date).days / YEAR_DAYS
            if 20 <= gap <= 40 and (elder.sex == "male" or gap <= 42):
                spouse = self._spouse.get(elder.key)
                chosen = [elder]
                if spouse is not None and self.rng.random() < 0.8:
                    chosen.append(self.humans[spouse])
                return [
                    person
                    for person in chosen
                    if (birth - person.birth_date).days / YEAR_DAYS >= 17
                ]
        return []

    def children(
        self,
        births: list[date],
        surname: str,
        heritage: Heritage,
        other: Heritage,
        mother: Human | None,
        father: Human | None,
    ) -> list[Human]:
        made: list[Human] = []
        for birth in births:
            made.append(self.child(birth, surname, (heritage, other), mother, father))
            if self.rng.random() < TWIN_SHARE:
                made.append(self.child(birth, surname, (heritage, other), mother, father))
        return made

    def child(
        self,
        birth: date,
        surname: str,
        heritages: tuple[Heritage, Heritage],
        mother: Human | None,
        father: Human | None,
    ) -> Human:
        sex = self.rng.choice(("female", "male"))
        first, second = heritages if self.rng.random() < 0.5 else heritages[::-1]
        child = self.person(sex, birth, first, surname)
        child.ethnicity = ethnicity_of(first.label, second.label, self.rng)
        for parent in (mother, father):
            if parent is not None:
                self.parent(parent, child)
        cousin = self.cousin_name(child)
        if cousin:
            child.given_names = cousin
        return child

    def cousin_name(self, child: Human) -> str:
        """Sometimes the first name of a cousin of the same sex (named after a grandparent)."""
        if self.rng.random() >= COUSIN_NAME_SHARE:
            return ""
        for parent_key in (child.father, child.mother):
            if parent_key is None:
                continue
            parent = self.humans[parent_key]
            for grand in (parent.mother, parent.father):
                for aunt in self._children_of.get(grand or "", []):
                    if aunt == parent_key:
                        continue
                    for cousin in self._children_of.get(aunt, []):
                        if self.humans[cousin].sex == child.sex:
                            return self.humans[cousin].given_names
        return ""

    def grandparent(self, parent: Human, children: list[Human]) -> Human:
        sex = "female" if self.rng.random() < 0.75 else "male"
        if parent.mother is not None:
            sex = "male"
        elif parent.father is not None:
            sex = "female"
        birth = max(parent.birth_date - self.span(20, 36), self.ago(94, 94))
        birth_name = (
            parent.earlier_names[0].family_name if parent.earlier_names else parent.family_name
        )
        heritage = heritage_of(birth_name) or draw_heritage(self.rng)
        elder = self.person(sex, birth, heritage, birth_name)
        self.parent(elder, parent)
        return elder

    def parent(self, parent: Human, child: Human) -> None:
        if parent.sex == "female":
            child.mother = parent.key
            kind = "mother"
        else:
            child.father = parent.key
            kind = "father"
        self.bonds.append(Bond(parent.key, child.key, kind, child.birth_date))
        self._children_of.setdefault(parent.key, []).append(child.key)

    def pair(
        self, first: Human, second: Human, kind: str, start: date, end: date | None = None
    ) -> None:
        self.bonds.append(Bond(first.key, second.key, kind, start, end))
        if kind == "spouse" and end is None:
            self._spouse[first.key] = second.key
            self._spouse[second.key] = first.key

    def name_partner(self, woman: Human, man: Human, married: bool, together: date) -> None:
        """Keep ``woman``'s family name, or take her husband's (or both, hyphenated)."""
        if not married or woman.family_name == man.family_name:
            return
        draw = self.rng.random()
        wedding = min(together + self.span(0.2, 3), self.today - timedelta(days=1))
        if draw < 0.8:
            woman.change_family_name(man.family_name, wedding)
        elif draw < 0.88:
            woman.change_family_name(f"{woman.family_name}-{man.family_name}", wedding)

    def enrol(self, child: Human, day: date) -> None:
        """Give a school-age child the UPN their first school allocated on entry to Reception."""
        if child.upn:
            return
        group = year_group(child.birth_date, day)
        if not 0 <= group <= 13:
            return
        academic_year = day.year if day.month >= 9 else day.year - 1
        entry = date(academic_year - group, 9, 1)
        stay = child.residence_on(entry) or child.residence
        primaries = [school for school in self.schools if school.phase == "primary"]
        school = self.rng.choice(primaries)
        if stay.address.district:
            child.upn = self.issuer.upn(LA_CODE, school.establishment, entry.year)
        else:
            la_code = next(code for town, _, code in NEIGHBOURS if town == stay.address.town)
            child.upn = self.issuer.upn(la_code, school.establishment, entry.year)

    # -- homes -----------------------------------------------------------------------------------

    def new_household(self, kind: str, address: Address) -> Household:
        key = f"H{self.neighbourhood:04d}{len(self.households) + 1:06d}"
        household = Household(key, kind, address, [])
        self.households[key] = household
        return household

    def settle(
        self,
        kind: str,
        members: list[Human],
        settled: date,
        latest_move: date | None = None,
        address_kind: str = "",
    ) -> tuple[Household, date]:
        """House ``members`` at a new address; some moved there from a previous one.

        Returns the household and the date they moved in.
        """
        latest = min(latest_move or self.today, self.today) - timedelta(days=60)
        previous: Address | None = None
        moved_in = settled
        if self.rng.random() < MOVED_SHARE and settled + timedelta(days=180) < latest:
            previous = self.gazetteer.previous_address()
            moved_in = self.between(settled + timedelta(days=180), latest)
        household = self.new_household(kind, self.gazetteer.new_address(kind=address_kind))
        for member in members:
            if previous is not None and member.birth_date < moved_in:
                member.residences.append(
                    Residence(previous, max(settled, member.birth_date), moved_in)
                )
            member.residences.append(
                Residence(household.address, max(moved_in, member.birth_date), None, household.key)
            )
            member.household = household.key
            household.members.append(member.key)
            self.enrol(member, self.today)
        return household, moved_in

    def join(self, human: Human, household: Household, day: date) -> None:
        """Move ``human`` into ``household`` on ``day``, from a place of their own if an adult."""
        if age_on(human.birth_date, day) >= 18 and not human.residences:
            left_home = add_years(human.birth_date, 18)
            start = self.between(max(left_home, day - self.span(6, 6)), day - timedelta(days=30))
            if start < day:
                human.residences.append(Residence(self.gazetteer.previous_address(), start, day))
        human.residences.append(Residence(household.address, day, None, household.key))
        human.household = household.key
        household.members.append(human.key)
        self.enrol(human, self.today)

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
        household = self.new_household("single", self.gazetteer.new_address())
        leaver.residences.append(Residence(household.address, separated, None, household.key))
        leaver.household = household.key
        household.members.append(leaver.key)

    # -- dates -----------------------------------------------------------------------------------

    def child_births(self, count: int, oldest: float = 22) -> list[date]:
        """Birth dates of siblings, eldest first; some grown children still live at home."""
        births = [self.ago(0.05, oldest)]
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
        return span(self.rng, low, high)

    def between(self, start: date, end: date) -> date:
        return between(self.rng, start, end)
