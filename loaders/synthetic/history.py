"""The years between the start of the simulation and the extract date, lived month by month.

Each month every household may meet one happening, at annual rates close to English figures:
births, deaths, couples forming and separating, new partners moving in (making stepfamilies),
young adults leaving home, children moving to their other parent, older parents moving in with
a grown child, whole households moving within the borough, leaving it or arriving, domestic
abuse incidents and, rarely, a mother and her children fleeing to a refuge (a restricted address).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import add_years, age_on, between, months
from .names import draw_heritage
from .places import Address
from .population import Bond, Builder, Household, Human, Population, Residence

#: Annual rates of each happening, per household that can meet it (or per person for deaths).
RATES: dict[str, float] = {
    "move": 0.075,
    "leave_borough": 0.035,
    "arrive": 0.031,
    "separate_with_children": 0.022,
    "separate_without_children": 0.04,
    "birth_couple": 0.13,
    "birth_alone": 0.012,
    "repartner_lone_parent": 0.07,
    "couple_up": 0.06,
    "leave_home": 0.08,
    "child_to_other_parent": 0.03,
    "elder_moves_in": 0.04,
    "da_incident_abusive": 1.3,
    "da_incident_other": 0.01,
    "refuge_after_incident": 0.025,
    "separate_after_incident": 0.12,
    "marry": 0.16,
}
#: Kinds of arriving households, drawn like the first households.
ARRIVING_KINDS: dict[str, float] = {
    "single": 0.27,
    "couple": 0.27,
    "couple_with_children": 0.33,
    "lone_parent": 0.1,
    "hmo": 0.03,
}


#: Rates a household's month can draw from; a draw beyond them means a quiet month.
_PATH_RATES = (
    "move",
    "leave_borough",
    "separate_without_children",
    "birth_couple",
    "marry",
    "repartner_lone_parent",
    "couple_up",
    "birth_alone",
    "elder_moves_in",
    "leave_home",
    "child_to_other_parent",
)
_QUIET = sum(RATES[name] for name in _PATH_RATES) + RATES["da_incident_other"]
_QUIET_ABUSIVE = _QUIET + RATES["da_incident_abusive"]


def annual_death_risk(age: int) -> float:
    """Chance of dying within a year at ``age`` (a Gompertz curve near England's life table)."""
    if age < 1:
        return 0.004
    return min(0.5, 0.000012 * 1.105**age + 0.0001)


_QUARTERLY_DEATH = [annual_death_risk(age) / 4 for age in range(111)]


@dataclass
class _Refuge:
    household: str
    leave_on: date


class History:
    """Lives a neighbourhood's population through from its start date to the extract date."""

    def __init__(self, population: Population, builder: Builder, rng: random.Random) -> None:
        self.pop = population
        self.builder = builder
        self.rng = rng
        self.partner_of: dict[str, Bond] = {}
        self.bonds_from: dict[str, list[Bond]] = {}
        self._indexed = 0
        self.sync()
        self.refuges: list[_Refuge] = []
        self._keys: list[str] = []

    def sync(self) -> None:
        """Index the bonds made since the last call."""
        for bond in self.pop.bonds[self._indexed :]:
            if bond.kind in ("partner", "spouse") and bond.end is None:
                self.partner_of[bond.source] = bond
                self.partner_of[bond.target] = bond
            self.bonds_from.setdefault(bond.source, []).append(bond)
        self._indexed = len(self.pop.bonds)

    def bond(self, source: str, target: str, kind: str, start: date) -> Bond:
        made = Bond(source, target, kind, start)
        self.pop.bonds.append(made)
        self.sync()
        return made

    def run(self) -> None:
        day = date(self.pop.start.year, self.pop.start.month, 1)
        month = 0
        while day < self.pop.today:
            following = (day + timedelta(days=32)).replace(day=1)
            end = min(following, self.pop.today)
            self.month(day, end - timedelta(days=1), deaths=month % 3 == 0)
            day = following
            month += 1

    # -- one month -------------------------------------------------------------------------------

    def month(self, first: date, last: date, deaths: bool) -> None:
        live = [household for household in self.pop.households.values() if household.members]
        self._keys = [household.key for household in live]
        for refuge in [r for r in self.refuges if r.leave_on <= last]:
            self.refuges.remove(refuge)
            household = self.pop.households[refuge.household]
            if household.members:
                self.relocate(household, self.builder.gazetteer.new_address(), refuge.leave_on)
        arrivals = sum(1 for _ in live if self.rng.random() < RATES["arrive"] / 12)
        for _ in range(arrivals):
            self.arrive(between(self.rng, first, last))
        for household in live:
            if deaths:
                for key in list(household.members):
                    human = self.pop.humans[key]
                    risk = _QUARTERLY_DEATH[min(110, first.year - human.birth_date.year)]
                    if self.rng.random() < risk:
                        self.die(human, household, between(self.rng, first, last))
                if not household.members:
                    continue
            self.household_month(household, first, last)

    def household_month(self, household: Household, first: date, last: date) -> None:
        rng = self.rng
        draw = rng.random() * 12
        if draw >= (_QUIET_ABUSIVE if household.abusive else _QUIET) or household.kind == "refuge":
            return
        day = between(rng, first, last)
        people = self.members(household)
        adults = [human for human in people if age_on(human.birth_date, day) >= 18]
        children = [human for human in people if age_on(human.birth_date, day) < 18]
        couple = self.couple_in(household, adults)
        if not adults:
            return
        if draw < RATES["move"]:
            self.relocate(household, self.builder.gazetteer.new_address(), day)
            return
        draw -= RATES["move"]
        if draw < RATES["leave_borough"]:
            self.relocate(household, self.builder.gazetteer.elsewhere(), day, leaving=True)
            return
        draw -= RATES["leave_borough"]
        if couple is not None:
            abusive = household.abusive
            rate = RATES["da_incident_abusive" if abusive else "da_incident_other"]
            if draw < rate:
                self.incident(household, couple, children, day)
                return
            draw -= rate
            rate = RATES["separate_with_children" if children else "separate_without_children"]
            if couple.kind == "spouse":
                rate *= 0.6
            if draw < rate:
                self.separate(household, couple, day)
                return
            draw -= rate
            woman = next(
                (
                    self.pop.humans[k]
                    for k in (couple.source, couple.target)
                    if self.pop.humans[k].sex == "female"
                ),
                None,
            )
            if woman is not None and 18 <= age_on(woman.birth_date, day) <= 44:
                rate = RATES["birth_couple"] * (0.35 if len(children) >= 3 else 1.0)
                if age_on(woman.birth_date, day) > 36:
                    rate *= 0.4
                if draw < rate:
                    other = self.pop.humans[
                        couple.source if couple.target == woman.key else couple.target
                    ]
                    self.birth(woman, other, household, day)
                    return
                draw -= rate
            if couple.kind == "partner" and draw < RATES["marry"]:
                self.marry(couple, day)
                return
            draw -= RATES["marry"]
        elif len(adults) == 1 and household.kind != "hmo":
            adult = adults[0]
            age = age_on(adult.birth_date, day)
            if children and draw < RATES["repartner_lone_parent"] and age < 55:
                self.new_partner(household, adult, children, day)
                return
            draw -= RATES["repartner_lone_parent"]
            if not children and 20 <= age <= 60 and draw < RATES["couple_up"]:
                self.new_partner(household, adult, [], day)
                return
            draw -= RATES["couple_up"]
            if adult.sex == "female" and 18 <= age <= 44 and draw < RATES["birth_alone"]:
                self.birth(adult, None, household, day)
                return
            draw -= RATES["birth_alone"]
            if age >= 75 and draw < RATES["elder_moves_in"]:
                self.elder_moves_in(adult, household, day)
                return
            draw -= RATES["elder_moves_in"]
        if draw < RATES["leave_home"]:
            for human in adults:
                if 18 <= age_on(human.birth_date, day) <= 30 and self.parent_in(human, people):
                    self.leave_home(human, household, day)
                    return
            return
        draw -= RATES["leave_home"]
        if (
            children
            and couple is None
            and len(adults) == 1
            and (draw < RATES["child_to_other_parent"])
        ):
            self.child_to_other_parent(rng.choice(children), adults[0], household, day)

    # -- happenings ------------------------------------------------------------------------------

    def relocate(
        self, household: Household, address: Address, day: date, leaving: bool = False
    ) -> None:
        """Move the whole household to ``address`` from ``day``."""
        for human in self.members(household):
            moved = self.end_stay(human, day)
            human.residences.append(Residence(address, moved, None, household.key))
        household.address = address
        if leaving:
            # Gone from the borough: the household lives on in its members' pasts only.
            for key in household.members:
                self.pop.humans[key].household = ""
            household.members = []
            household.kind = "left"
        else:
            household.kind = "moved" if household.kind == "refuge" else household.kind

    def arrive(self, day: date) -> None:
        """A household moves into the borough from elsewhere, with its own past."""
        before = set(self.pop.households)
        self.builder.today = day
        kind = self.rng.choices(list(ARRIVING_KINDS), list(ARRIVING_KINDS.values()))[0]
        self.builder.draw(kind)
        for key in [k for k in self.pop.households if k not in before]:
            household = self.pop.households[key]
            for human in self.members(household):
                current = human.residences[-1]
                if human.birth_date < day and current.start < day:
                    came_from = self.builder.gazetteer.elsewhere()
                    human.residences = [
                        Residence(came_from, max(human.birth_date, current.start), day),
                        Residence(current.address, day, None, household.key),
                    ]
                elif human.birth_date >= day:
                    human.residences = [
                        Residence(current.address, human.birth_date, None, household.key)
                    ]
        self.sync()
        self.builder.today = self.pop.today

    def die(self, human: Human, household: Household, day: date) -> None:
        human.death_date = self.end_stay(human, day)
        household.members.remove(human.key)
        human.household = ""
        bond = self.partner_of.pop(human.key, None)
        if bond is not None:
            bond.end = day
            self.partner_of.pop(bond.source if bond.target == human.key else bond.target, None)
        for step in self.bonds_to_from(human.key, "step_parent"):
            step.end = day
        remaining = self.members(household)
        if remaining and all(age_on(r.birth_date, day) < 18 for r in remaining):
            for child in remaining:
                self.rehome_child(child, household, day)

    def rehome_child(self, child: Human, household: Household, day: date) -> None:
        """A child left with no adult at home goes to their other parent or a grandparent."""
        candidates = [child.father, child.mother]
        for parent_key in (child.mother, child.father):
            if parent_key:
                parent = self.pop.humans[parent_key]
                candidates += [parent.mother, parent.father]
        for key in candidates:
            if not key:
                continue
            carer = self.pop.humans[key]
            if carer.death_date is None and carer.household:
                target = self.pop.households[carer.household]
                self.move_person(child, household, target, day)
                if key not in (child.mother, child.father):
                    self.bond(key, child.key, "special_guardian", day)
                return
        # No family in the borough: an aunt from elsewhere moves in to care for them.
        heritage = draw_heritage(self.rng)
        aunt = self.builder.person(
            "female", child.birth_date - timedelta(days=365 * 25), heritage, child.family_name
        )
        aunt.residences.append(
            Residence(self.builder.gazetteer.elsewhere(), add_years(aunt.birth_date, 18), day)
        )
        aunt.residences.append(Residence(household.address, day, None, household.key))
        aunt.household = household.key
        household.members.append(aunt.key)
        self.bond(aunt.key, child.key, "special_guardian", day)

    def incident(
        self, household: Household, couple: Bond, children: list[Human], day: date
    ) -> None:
        """A domestic abuse incident the police are called to."""
        people = [self.pop.humans[couple.source], self.pop.humans[couple.target]]
        victim = next((p for p in people if p.sex == "female"), people[1])
        abuser = people[0] if victim is people[1] else people[1]
        present = tuple(child.key for child in children)
        self.pop.incidents.append(
            (day, "da_incident", household.key, (victim.key, abuser.key, *present))
        )
        draw = self.rng.random()
        if draw < RATES["refuge_after_incident"]:
            self.flee(household, victim, abuser, children, day + timedelta(days=1))
        elif draw < RATES["refuge_after_incident"] + RATES["separate_after_incident"]:
            parted = day + timedelta(days=self.rng.randint(1, 40))
            # The history ends the day before the extract date: a parting due later than that
            # has not happened yet (it would move the abuser into a home from after the extract).
            if parted < self.pop.today:
                self.separate(household, couple, parted, leaver=abuser)

    def flee(
        self, household: Household, victim: Human, abuser: Human, children: list[Human], day: date
    ) -> None:
        """The victim and the children go to a refuge; its address is restricted."""
        self.end_partnership(victim.key, day)
        refuge = self.builder.new_household("refuge", self.builder.gazetteer.refuge())
        for human in (victim, *children):
            moved = self.end_stay(human, day)
            household.members.remove(human.key)
            human.residences.append(Residence(refuge.address, moved, None, refuge.key, True))
            human.household = refuge.key
            refuge.members.append(human.key)
        for step in self.bonds_to_from(abuser.key, "step_parent"):
            step.end = day
        household.abusive = False
        self.pop.incidents.append((day, "refuge", refuge.key, (victim.key, *refuge.members[1:])))
        self.refuges.append(_Refuge(refuge.key, day + months(self.rng.uniform(3, 9))))

    def separate(
        self, household: Household, couple: Bond, day: date, leaver: Human | None = None
    ) -> None:
        """The couple part; one (more often the man) moves to a home of their own."""
        if couple.end is not None:
            return
        people = [self.pop.humans[couple.source], self.pop.humans[couple.target]]
        if leaver is None:
            men = [p for p in people if p.sex == "male"]
            leaver = men[0] if men and self.rng.random() < 0.85 else self.rng.choice(people)
        if leaver.key not in household.members:
            return
        self.end_partnership(leaver.key, day)
        for step in self.bonds_to_from(leaver.key, "step_parent"):
            step.end = day
        home = self.builder.new_household("single", self.builder.gazetteer.new_address())
        self.move_person(leaver, household, home, day)
        household.abusive = False

    def end_partnership(self, key: str, day: date) -> None:
        bond = self.partner_of.pop(key, None)
        if bond is None:
            return
        self.partner_of.pop(bond.source if bond.target == key else bond.target, None)
        bond.kind = "ex_partner"
        bond.end = day

    def birth(self, mother: Human, father: Human | None, household: Household, day: date) -> None:
        heritage = draw_heritage(self.rng)
        married = (
            father is not None
            and self.partner_of.get(father.key) is not None
            and (self.partner_of[father.key].kind == "spouse")
        )
        surname = mother.family_name
        if father is not None and (married or self.rng.random() < 0.7):
            surname = father.family_name
        babies = [self.builder.child(day, surname, (heritage, heritage), mother, father)]
        if self.rng.random() < 0.015:
            babies.append(self.builder.child(day, surname, (heritage, heritage), mother, father))
        for baby in babies:
            mother_human = self.pop.humans[mother.key]
            baby.heritage = mother_human.heritage
            baby.residences.append(Residence(household.address, day, None, household.key))
            baby.household = household.key
            household.members.append(baby.key)
        self.sync()

    def marry(self, couple: Bond, day: date) -> None:
        couple.kind = "spouse"
        people = [self.pop.humans[couple.source], self.pop.humans[couple.target]]
        woman = next((p for p in people if p.sex == "female"), None)
        man = next((p for p in people if p.sex == "male"), None)
        if woman is not None and man is not None:
            draw = self.rng.random()
            if draw < 0.75:
                woman.change_family_name(man.family_name, day)
            elif draw < 0.85:
                woman.change_family_name(f"{woman.family_name}-{man.family_name}", day)

    def new_partner(
        self, household: Household, adult: Human, children: list[Human], day: date
    ) -> None:
        """A new partner moves in: from a home of their own in the borough, or from elsewhere."""
        age = age_on(adult.birth_date, day)
        wanted = "male" if adult.sex == "female" else "female"
        partner: Human | None = None
        for _ in range(8):
            other = self.pop.households[self.rng.choice(self._keys)]
            if other is household or len(other.members) != 1 or other.kind == "refuge":
                continue
            candidate = self.pop.humans[other.members[0]]
            if (
                candidate.sex == wanted
                and abs(age_on(candidate.birth_date, day) - age) <= 8
                and (
                    candidate.key not in self.partner_of
                    and age_on(candidate.birth_date, day) >= 18
                    and candidate.key not in (adult.mother, adult.father)
                    and adult.key not in (candidate.mother, candidate.father)
                    and not self.related(candidate, adult)
                )
            ):
                partner = candidate
                self.move_person(candidate, other, household, day)
                break
        if partner is None:
            heritage = draw_heritage(self.rng)
            birth = adult.birth_date + timedelta(days=self.rng.randint(-6 * 365, 6 * 365))
            birth = min(birth, add_years(day, -19))
            partner = self.builder.person(wanted, birth, heritage, heritage.family_name(self.rng))
            partner.residences.append(
                Residence(self.builder.gazetteer.previous_address(), add_years(birth, 18), day)
            )
            partner.residences.append(Residence(household.address, day, None, household.key))
            partner.household = household.key
            household.members.append(partner.key)
        together = day - timedelta(days=self.rng.randint(60, 500))
        self.bond(
            partner.key, adult.key, "partner", max(together, add_years(partner.birth_date, 18))
        )
        for child in children:
            if partner.key not in (child.mother, child.father):
                self.bond(partner.key, child.key, "step_parent", day)

    def related(self, one: Human, other: Human) -> bool:
        """Whether two people share a parent."""
        return bool({one.mother, one.father} & {other.mother, other.father} - {None})

    def leave_home(self, human: Human, household: Household, day: date) -> None:
        hmos = (
            [
                self.pop.households[key]
                for key in self._keys[:: max(1, len(self._keys) // 200)]
                if self.pop.households[key].kind == "hmo"
                and len(self.pop.households[key].members) < 7
            ]
            if self.rng.random() < 0.15
            else []
        )
        if hmos:
            self.move_person(human, household, self.rng.choice(hmos), day)
            return
        home = self.builder.new_household("single", self.builder.gazetteer.new_address(kind="flat"))
        self.move_person(human, household, home, day)

    def child_to_other_parent(
        self, child: Human, parent: Human, household: Household, day: date
    ) -> None:
        other_key = child.father if parent.key == child.mother else child.mother
        if not other_key:
            return
        other = self.pop.humans[other_key]
        if other.death_date is not None or not other.household:
            return
        target = self.pop.households[other.household]
        if target.kind in ("refuge", "hmo") or target is household:
            return
        self.move_person(child, household, target, day)
        partner = self.partner_of.get(other.key)
        if partner is not None:
            step = partner.source if partner.target == other.key else partner.target
            if step in target.members:
                self.bond(step, child.key, "step_parent", day)

    def elder_moves_in(self, elder: Human, household: Household, day: date) -> None:
        for bond in self.bonds_from.get(elder.key, []):
            if bond.kind not in ("mother", "father"):
                continue
            child = self.pop.humans[bond.target]
            if child.death_date is None and child.household and child.household != household.key:
                target = self.pop.households[child.household]
                if target.kind not in ("refuge", "hmo") and len(target.members) >= 2:
                    self.move_person(elder, household, target, day)
                    return

    # -- helpers ---------------------------------------------------------------------------------

    def move_person(self, human: Human, source: Household, target: Household, day: date) -> None:
        moved = self.end_stay(human, day)
        if human.key in source.members:
            source.members.remove(human.key)
        human.residences.append(Residence(target.address, moved, None, target.key))
        human.household = target.key
        target.members.append(human.key)

    def end_stay(self, human: Human, day: date) -> date:
        """End the current stay on ``day`` (or the day after it began); return that day."""
        stay = human.residences[-1]
        moved = max(day, stay.start + timedelta(days=1), stay.end or day)
        if stay.end is None:
            stay.end = moved
        return moved

    def members(self, household: Household) -> list[Human]:
        return [self.pop.humans[key] for key in household.members]

    def couple_in(self, household: Household, adults: list[Human]) -> Bond | None:
        for adult in adults:
            bond = self.partner_of.get(adult.key)
            if bond is not None and bond.end is None:
                other = bond.source if bond.target == adult.key else bond.target
                if other in household.members:
                    return bond
        return None

    def parent_in(self, human: Human, people: list[Human]) -> bool:
        return any(person.key in (human.mother, human.father) for person in people)

    def bonds_to_from(self, source: str, kind: str) -> list[Bond]:
        return [
            bond
            for bond in self.bonds_from.get(source, [])
            if bond.kind == kind and bond.end is None
        ]
