"""What each service knows: who is on its books, its episodes and events, the family it records.

Rates are per family with children (a family's children are involved together), scaled so a
borough of 3,000 people has a few dozen children known to social care:

- social care: 3% of families have open involvement (a sixth of those with a child protection
  plan, a sixth with one child looked after), 1% more a closed episode in the last four years;
- early help: 4% of families (55% open); a family open to social care has only closed early help;
- education: every child in Reception to Year 11, with one parent or carer as contact;
- health: 97% of residents (registered with a GP); health visiting for every under-five.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .places import School, schools_in
from .population import Bond, Household, Human, Population, age_on, year_group
from .workforce import COUNCIL_DOMAIN, NHS_DOMAIN, Practitioner, Workforce

SYSTEMS = ("social_care", "early_help", "education", "health")

SOCIAL_CARE_OPEN_RATE = 0.03
SOCIAL_CARE_CLOSED_RATE = 0.01
CHILD_PROTECTION_SHARE = 1 / 6
LOOKED_AFTER_SHARE = 1 / 6
EARLY_HELP_RATE = 0.04
EARLY_HELP_OPEN_SHARE = 0.55
HEALTH_COVERAGE = 0.97

#: Which relationship kinds each system records between people it knows.
RECORDED_KINDS: dict[str, frozenset[str]] = {
    "social_care": frozenset(
        {
            "mother",
            "father",
            "step_parent",
            "foster_carer",
            "partner",
            "spouse",
            "ex_partner",
            "grandparent",
        }
    ),
    "early_help": frozenset(
        {
            "mother",
            "father",
            "step_parent",
            "partner",
            "spouse",
            "ex_partner",
            "grandparent",
        }
    ),
}
_CONTACT_PREFERENCE = ("mother", "father", "foster_carer", "step_parent", "grandparent")

SOCIAL_CARE_ORGANISATION = "Eastbridge Council Children's Social Care"
EARLY_HELP_ORGANISATION = "Eastbridge Council Early Help"
HEALTH_ORGANISATION = "Eastbridge Community Health NHS Trust"

#: CIN census primary need codes (2026 schema wording) with rough national shares.
_NEEDS: dict[str, float] = {
    "Abuse, neglect and exploitation": 57,
    "Child's disability": 10,
    "Parental disability or illness": 3,
    "Family in acute stress": 8,
    "Family dysfunction": 13,
    "Socially unacceptable behaviour": 2,
    "Low income": 1,
    "Absent parenting": 6,
}
#: Child protection categories of abuse (CIN census wording) with rough national shares.
_CATEGORIES: dict[str, float] = {
    "Neglect": 50,
    "Emotional abuse": 35,
    "Physical abuse": 7,
    "Sexual abuse": 4,
    "Multiple/not recommended": 4,
}
_REFERRERS = ("school", "health visitor", "police", "GP", "family member", "neighbour")
_EARLY_HELP_REASONS: dict[str, float] = {
    "Parenting support": 30,
    "School attendance": 20,
    "Child's behaviour": 18,
    "Housing and money worries": 14,
    "Parental mental health": 10,
    "Domestic abuse": 8,
}
_SENSITIVE_REASONS = frozenset({"Sexual abuse", "Domestic abuse"})

#: Each service: the system recording it, its level, and who delivers it (empty: named per case).
_SERVICES: dict[str, tuple[str, str, str]] = {
    "Child in need": ("social_care", "statutory", SOCIAL_CARE_ORGANISATION),
    "Child protection plan": ("social_care", "statutory", SOCIAL_CARE_ORGANISATION),
    "Looked after child": ("social_care", "statutory", SOCIAL_CARE_ORGANISATION),
    "Early help family support": ("early_help", "targeted", EARLY_HELP_ORGANISATION),
    "School": ("education", "universal", ""),
    "Health visiting": ("health", "universal", HEALTH_ORGANISATION),
}
#: What each system writes for each type of event: generic lines, never case notes.
_SUMMARIES: dict[tuple[str, str], str] = {
    ("social_care", "assessment"): "Child and family assessment completed",
    ("social_care", "plan_start"): "Child in need plan started",
    ("social_care", "s47"): "Section 47 enquiry started",
    ("social_care", "conference"): "Initial child protection conference held",
    ("social_care", "placement_start"): "Became looked after; placed with foster carers",
    ("social_care", "closure"): "Case closed",
    ("early_help", "referral"): "Request for early help received",
    ("early_help", "assessment"): "Early help assessment completed",
    ("early_help", "closure"): "Early help support ended",
    ("education", "exclusion"): "Suspension for a fixed period",
    ("education", "attendance_concern"): "Attendance below 90% this term",
    ("health", "new_birth_visit"): "New birth visit",
    ("health", "development_review"): "Development review",
}


@dataclass(frozen=True)
class Episode:
    """A service involvement with one person; open while ``end`` is None."""

    system: str
    person: str
    service: str
    level: str
    start: date
    end: date | None
    reason: str
    organisation: str
    lead: Practitioner | None
    sensitivity: str = "normal"


@dataclass(frozen=True)
class Happening:
    """A dated entry in one system's chronology about one person."""

    system: str
    person: str
    day: date
    type: str
    summary: str
    sensitivity: str = "normal"


@dataclass
class ServiceRecords:
    """Everything the four systems know, in terms of simulated people."""

    known: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SYSTEMS})
    episodes: list[Episode] = field(default_factory=list)
    happenings: list[Happening] = field(default_factory=list)
    bonds: dict[str, list[Bond]] = field(default_factory=lambda: {s: [] for s in SYSTEMS})


def record_services(
    population: Population, workforce: Workforce, rng: random.Random
) -> ServiceRecords:
    """Decide which families each service works with, and what each system records.

    Social care may place a child with foster carers, which moves them in ``population``.
    """
    return _Recorder(population, workforce, rng).record()


class _Recorder:
    def __init__(self, population: Population, workforce: Workforce, rng: random.Random) -> None:
        self.pop = population
        self.today = population.today
        self.workforce = workforce
        self.rng = rng
        self.records = ServiceRecords()
        self._seen: dict[str, set[str]] = {system: set() for system in SYSTEMS}
        self._open_to_social_care: set[str] = set()
        self._households = {household.key: household for household in population.households}
        self._bonds_to: dict[str, list[Bond]] = {}
        self._foster_homes = [
            household
            for household in population.households
            if household.kind == "couple"
            and all(
                35 <= age_on(population.humans[key].birth_date, self.today) <= 64
                for key in household.members
            )
        ]

    def record(self) -> ServiceRecords:
        families = [household for household in self.pop.households if self.children(household)]
        for household in families:
            self.social_care(household)
        for household in families:
            self.early_help(household)
        self.education()
        self.health()
        for system in ("social_care", "early_help"):
            known = self._seen[system]
            self.records.bonds[system] = [
                bond
                for bond in self.pop.bonds
                if bond.kind in RECORDED_KINDS[system]
                and bond.source in known
                and bond.target in known
            ]
        return self.records

    # -- social care -------------------------------------------------------------------------

    def social_care(self, household: Household) -> None:
        demo = household.key == self.pop.demo_household
        draw = self.rng.random()
        if demo:
            self.open_case(household, "cin", demo=True)
        elif draw < SOCIAL_CARE_OPEN_RATE:
            shares = {
                "cin": 1 - CHILD_PROTECTION_SHARE - LOOKED_AFTER_SHARE,
                "cp": CHILD_PROTECTION_SHARE,
                "lac": LOOKED_AFTER_SHARE,
            }
            self.open_case(household, self.weighted(shares), demo=False)
        elif draw < SOCIAL_CARE_OPEN_RATE + SOCIAL_CARE_CLOSED_RATE:
            self.closed_case(household)

    def open_case(self, household: Household, route: str, demo: bool) -> None:
        children = self.children(household)
        referred = self.days_ago(60 if route == "cin" else 90, 300 if demo else 540)
        assessed = referred + timedelta(days=self.rng.randint(10, 35))
        planned = assessed + timedelta(days=self.rng.randint(3, 20))
        district = household.address.district
        worker = self.workforce.lead(f"Assessment Team {district}", "Social Worker", COUNCIL_DOMAIN)
        need = self.weighted(_NEEDS)
        referral = f"Referral received from {self.rng.choice(_REFERRERS)}"
        placed: Human | None = None
        if route == "lac" and self._foster_homes:
            placed = self.rng.choice(children)
        elif route == "lac":
            route = "cp"
        for child in children:
            self.episode(child, "Child in need", referred, None, need, worker)
            self.event("social_care", child, referred, "referral", summary=referral)
            self.event("social_care", child, assessed, "assessment")
            self.event("social_care", child, planned, "plan_start")
            if route == "cp":
                self.protection_plan(child, referred, district)
        self.know_family("social_care", household, children)
        if placed is not None:
            self.looked_after(placed, planned)
        self._open_to_social_care.add(household.key)

    def protection_plan(self, child: Human, referred: date, district: str) -> None:
        enquiry = referred + timedelta(days=self.rng.randint(1, 7))
        conference = enquiry + timedelta(days=self.rng.randint(10, 15))
        category = self.weighted(_CATEGORIES)
        sensitivity = "sensitive" if category in _SENSITIVE_REASONS else "normal"
        team = f"Child Protection Team {district}"
        worker = self.workforce.lead(team, "Social Worker", COUNCIL_DOMAIN)
        plan = "Child protection plan"
        self.episode(child, plan, conference, None, category, worker, sensitivity=sensitivity)
        self.event("social_care", child, enquiry, "s47", sensitivity=sensitivity)
        self.event("social_care", child, conference, "conference", sensitivity=sensitivity)
        started = f"{plan} started"
        self.event("social_care", child, conference, "plan_start", started, sensitivity=sensitivity)

    def looked_after(self, child: Human, after: date) -> None:
        carers = self._foster_homes.pop(self.rng.randrange(len(self._foster_homes)))
        placed = self.between(after + timedelta(days=20), self.today - timedelta(days=7))
        self.pop.place_in_care(child.key, carers, placed)
        worker = self.workforce.lead("Children in Care Team", "Social Worker", COUNCIL_DOMAIN)
        reason = "Abuse, neglect and exploitation"
        self.episode(child, "Looked after child", placed, None, reason, worker)
        self.event("social_care", child, placed, "placement_start")
        for key in carers.members:
            self.know("social_care", key)

    def closed_case(self, household: Household) -> None:
        children = self.children(household)
        referred = self.days_ago(270, 1460)
        closed = min(
            referred + timedelta(days=self.rng.randint(45, 300)), self.today - timedelta(days=30)
        )
        team = f"Assessment Team {household.address.district}"
        worker = self.workforce.lead(team, "Social Worker", COUNCIL_DOMAIN)
        need = self.weighted(_NEEDS)
        referral = f"Referral received from {self.rng.choice(_REFERRERS)}"
        for child in children:
            self.episode(child, "Child in need", referred, closed, need, worker)
            self.event("social_care", child, referred, "referral", summary=referral)
            self.event("social_care", child, closed, "closure")
        self.know_family("social_care", household, children)

    # -- early help --------------------------------------------------------------------------

    def early_help(self, household: Household) -> None:
        demo = household.key == self.pop.demo_household
        if not demo and self.rng.random() >= EARLY_HELP_RATE:
            return
        children = self.children(household)
        stepped_up = household.key in self._open_to_social_care
        ended: date | None = None
        if demo or stepped_up or self.rng.random() >= EARLY_HELP_OPEN_SHARE:
            started = self.days_ago(420, 1400)
            worked = timedelta(days=self.rng.randint(90, 300))
            ended = min(started + worked, self.today - timedelta(days=200))
        else:
            started = self.days_ago(20, 360)
        reason = self.weighted(_EARLY_HELP_REASONS)
        sensitivity = "sensitive" if reason in _SENSITIVE_REASONS else "normal"
        team = f"Early Help Team {household.address.district}"
        worker = self.workforce.lead(team, "Family Support Worker", COUNCIL_DOMAIN)
        assessed = started + timedelta(days=self.rng.randint(7, 28))
        service = "Early help family support"
        for child in children:
            self.episode(child, service, started, ended, reason, worker, sensitivity=sensitivity)
            self.event("early_help", child, started, "referral")
            self.event("early_help", child, assessed, "assessment")
            if ended is not None:
                self.event("early_help", child, ended, "closure")
        for key in household.members:
            self.know("early_help", key)

    # -- education ---------------------------------------------------------------------------

    def education(self) -> None:
        # Indexed after social care has placed any looked-after children with foster carers.
        for bond in self.pop.bonds:
            self._bonds_to.setdefault(bond.target, []).append(bond)
        schools: dict[tuple[str, str], School] = {}
        for household in self.pop.households:
            for key in household.members:
                pupil = self.pop.humans[key]
                group = year_group(pupil.birth_date, self.today)
                if not (0 <= group <= 11 and pupil.upn):
                    continue
                phase = "primary" if group <= 6 else "secondary"
                if (household.key, phase) not in schools:
                    choices = schools_in(household.address.district, phase)
                    schools[household.key, phase] = self.rng.choice(choices)
                self.enrol(pupil, group, schools[household.key, phase])

    def enrol(self, pupil: Human, group: int, school: School) -> None:
        self.know("education", pupil.key)
        academic_year = self.today.year if self.today.month >= 9 else self.today.year - 1
        entry_group = 0 if school.phase == "primary" else 7
        started = date(academic_year - group + entry_group, 9, 1)
        stay = pupil.residence
        came_from_elsewhere = len(pupil.residences) < 2 or not pupil.residences[-2].address.district
        if stay.start > started and (came_from_elsewhere or stay.restricted):
            started = stay.start
        grade = "Reception" if group == 0 else f"Year {group}"
        lead = self.workforce.safeguarding_lead(school)
        self.episode(pupil, "School", started, None, grade, lead, organisation=school.name)
        if school.phase == "secondary" and self.rng.random() < 0.03:
            self.event("education", pupil, self.between(started, self.today), "exclusion")
        if self.rng.random() < 0.05:
            term_start = max(started, date(academic_year, 9, 1))
            self.event(
                "education", pupil, self.between(term_start, self.today), "attendance_concern"
            )
        contact = self.contact_of(pupil)
        if contact is not None:
            self.know("education", contact.source)
            self.records.bonds["education"].append(contact)

    def contact_of(self, pupil: Human) -> Bond | None:
        """The bond of the adult a school would list first as the pupil's contact."""
        household = set(self._households[pupil.household].members)
        bonds = [
            bond
            for bond in self._bonds_to.get(pupil.key, [])
            if bond.source in household and bond.end is None and bond.kind in _CONTACT_PREFERENCE
        ]
        bonds.sort(key=lambda bond: _CONTACT_PREFERENCE.index(bond.kind))
        return bonds[0] if bonds else None

    # -- health ------------------------------------------------------------------------------

    def health(self) -> None:
        for household in self.pop.households:
            for key in household.members:
                if key == self.pop.demo_child or self.rng.random() < HEALTH_COVERAGE:
                    self.know("health", key)
        known = self._seen["health"]
        for household in self.pop.households:
            for key in household.members:
                child = self.pop.humans[key]
                if key in known and age_on(child.birth_date, self.today) < 5:
                    self.health_visiting(child, household)
                    if child.mother in known:
                        bond = Bond(child.mother, key, "mother", child.birth_date)
                        self.records.bonds["health"].append(bond)

    def health_visiting(self, child: Human, household: Household) -> None:
        visited = child.birth_date + timedelta(days=self.rng.randint(10, 14))
        if visited > self.today:
            return
        team = f"Health Visiting Team {household.address.district}"
        visitor = self.workforce.lead(team, "Health Visitor", NHS_DOMAIN)
        programme = "Healthy Child Programme"
        self.episode(child, "Health visiting", visited, None, programme, visitor)
        self.event("health", child, visited, "new_birth_visit")
        for months, age in ((12, "One-year"), (27, "Two-year")):
            review = child.birth_date + timedelta(days=round(months * 30.44))
            self.event("health", child, review, "development_review", f"{age} development review")

    # -- helpers -----------------------------------------------------------------------------

    def children(self, household: Household) -> list[Human]:
        people = [self.pop.humans[key] for key in household.members]
        return [person for person in people if age_on(person.birth_date, self.today) < 18]

    def know_family(self, system: str, household: Household, children: list[Human]) -> None:
        """Know a household, and each child's parents wherever they live."""
        for key in household.members:
            self.know(system, key)
        for child in children:
            for parent in (child.mother, child.father):
                if parent is not None:
                    self.know(system, parent)

    def know(self, system: str, key: str) -> None:
        if key not in self._seen[system]:
            self._seen[system].add(key)
            self.records.known[system].append(key)

    def episode(
        self,
        person: Human,
        service: str,
        start: date,
        end: date | None,
        reason: str,
        lead: Practitioner,
        *,
        organisation: str = "",
        sensitivity: str = "normal",
    ) -> None:
        system, level, delivered_by = _SERVICES[service]
        by = organisation or delivered_by
        self.records.episodes.append(
            Episode(system, person.key, service, level, start, end, reason, by, lead, sensitivity)
        )

    def event(
        self,
        system: str,
        person: Human,
        day: date,
        kind: str,
        summary: str = "",
        *,
        sensitivity: str = "normal",
    ) -> None:
        """Note a dated event, unless it falls after the extract date."""
        if day <= self.today:
            text = summary or _SUMMARIES[system, kind]
            self.records.happenings.append(
                Happening(system, person.key, day, kind, text, sensitivity)
            )

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def weighted(self, shares: dict[str, float]) -> str:
        return self.rng.choices(list(shares), list(shares.values()))[0]
