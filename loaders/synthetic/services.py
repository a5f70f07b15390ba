"""What each service did over the simulated years: episodes, events and what each system knows.

Rates are tuned so that, on the extract date, the borough is close to DfE children's social care
statistics per 10,000 children (in need about 330, on a child protection plan about 40, looked
after about 70); docs/synthetic-borough.md sets target beside measured figures.

- social care: families are referred at a yearly rate that is higher for lone parents,
  stepfamilies and after a domestic abuse incident; a referral ends in no further action, a child
  in need plan, a section 47 enquiry and child protection plan, or a child becoming looked after
  (placed with foster carers in the borough, at a restricted address);
- early help: families at a yearly rate, for three to twelve months;
- youth justice: children aged 10 to 17, more often boys and children known to social care;
- education: every pupil from Reception to Year 11, with attendance by academic year (about a
  fifth persistently absent, missing 10% of sessions or more);
- police: a notification for every domestic abuse incident, naming victim, suspect and the
  children present; high-risk cases go to MARAC with a named officer;
- housing: a tenancy for every household that lives at a council-let address; about one
  in eight fall into rent arrears at some point, and some of those are served a notice
  seeking possession;
- health: GP registration for 98% of residents; health visiting for every child under five.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .calendar import academic_year_of, add_years, age_on, between, months, year_group
from .places import Address, School
from .population import Bond, Human, Population, Residence
from .workforce import COUNCIL_DOMAIN, NHS_DOMAIN, POLICE_DOMAIN, Practitioner, Workforce

#: Yearly chance that a family with children is referred to social care, before weighting.
REFERRAL_RATE = 0.025
#: What a referral leads to, with shares.
REFERRAL_OUTCOMES: dict[str, float] = {"nfa": 0.27, "cin": 0.52, "cp": 0.13, "lac": 0.08}
EARLY_HELP_RATE = 0.05
YOUTH_JUSTICE_RATE = 0.003
GP_REGISTERED = 0.98
#: Share of council tenancies that fall into rent arrears, and of those that reach a notice
#: seeking possession.
ARREARS_SHARE = 0.12
NOTICE_SHARE = 0.35
#: Share of pupils whose attendance runs low; most of them miss 10% of sessions or more.
LOW_ATTENDANCE_SHARE = 0.15

SOCIAL_CARE = "Eastbridge Council Children's Social Care"
EARLY_HELP = "Eastbridge Council Early Help"
HEALTH = "Eastbridge Community Health NHS Trust"
YOUTH_JUSTICE = "Eastbridge Youth Justice Service"
POLICE = "Eastshire Police"
HOUSING = "Eastbridge Council Housing"

#: CIN census primary need codes with rough national shares.
NEED_CODES: dict[str, float] = {
    "N1": 57,
    "N2": 10,
    "N3": 3,
    "N4": 8,
    "N5": 13,
    "N6": 2,
    "N7": 1,
    "N8": 6,
}
NEED_NAMES = {
    "N1": "Abuse, neglect and exploitation",
    "N2": "Child's disability",
    "N3": "Parental disability or illness",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
}
ABUSE_CATEGORIES: dict[str, float] = {"NEG": 50, "EMO": 35, "PHY": 7, "SAB": 4, "MUL": 4}
REFERRAL_SOURCES: dict[str, float] = {
    "5A": 28,
    "2A": 18,
    "3A": 8,
    "3B": 4,
    "1A": 6,
    "1B": 3,
    "6": 5,
    "4": 4,
    "8": 4,
    "7": 3,
    "9": 1,
    "10": 1,
}
EARLY_HELP_REASONS: dict[str, float] = {
    "Parenting support": 30,
    "School attendance": 20,
    "Child's behaviour": 18,
    "Housing and money worries": 14,
    "Parental mental health": 10,
    "Domestic abuse": 8,
}
YOUTH_JUSTICE_ORDERS: dict[str, float] = {
    "Triage": 30,
    "Youth Conditional Caution": 20,
    "Referral Order": 35,
    "Youth Rehabilitation Order": 15,
}


@dataclass
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
    code: str = ""
    ref: str = ""


@dataclass
class Happening:
    """A dated entry in one system's chronology about one person."""

    system: str
    person: str
    day: date
    type: str
    summary: str
    sensitivity: str = "normal"
    ref: str = ""


@dataclass
class CinCase:
    """One child's referral to social care, as the CIN census records it."""

    child: str
    referral: date
    source: str
    need: str
    closure: date | None
    closure_reason: str
    assessment: date | None
    assessment_end: date | None
    factors: list[str]
    plan: tuple[date, date | None] | None
    s47: date | None
    cp: tuple[date, date | None, str] | None
    cp_reviews: list[date]


@dataclass
class Placement:
    """One period of a looked-after child's care in one placement."""

    start: date
    end: date | None
    place: str
    legal_status: str
    provider: str
    postcode: str
    urn: str
    reason_ended: str
    change_reason: str


@dataclass
class CarePeriod:
    """One period of being looked after, for the SSDA903 return."""

    child: str
    need: str
    home_postcode: str
    placements: list[Placement]
    reviews: list[date]
    missing: list[tuple[str, date, date | None]]
    worker: Practitioner


@dataclass
class Attendance:
    """A pupil's sessions in one academic year."""

    person: str
    school: School
    academic_year: int
    possible: int
    authorised: int
    unauthorised: int

    @property
    def missed(self) -> int:
        return self.authorised + self.unauthorised


@dataclass
class Arrears:
    """A spell of rent arrears on a tenancy (``stage`` ARR), or a notice seeking possession
    served during one (NSP); open while ``end`` is None."""

    stage: str
    start: date
    end: date | None
    weeks: int


@dataclass
class Tenancy:
    ref: str
    address: Address
    start: date
    end: date | None
    lead: str
    members: list[tuple[str, date, date | None]]
    officer: Practitioner
    arrears: list[Arrears] = field(default_factory=list)


@dataclass
class Notification:
    ref: str
    day: date
    risk: str
    roles: list[tuple[str, str]]
    address: Address


@dataclass
class ServiceRecords:
    """Everything the services did, in terms of simulated people."""

    episodes: list[Episode] = field(default_factory=list)
    happenings: list[Happening] = field(default_factory=list)
    #: Per system, each person it knows and the date of its last contact (its view's date).
    known: dict[str, dict[str, date]] = field(default_factory=dict)
    cin_cases: list[CinCase] = field(default_factory=list)
    care: list[CarePeriod] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    tenancies: list[Tenancy] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    schools: dict[str, School] = field(default_factory=dict)

    def know(self, system: str, person: str, day: date) -> None:
        seen = self.known.setdefault(system, {})
        if person not in seen or seen[person] < day:
            seen[person] = day


def record_services(
    population: Population, workforce: Workforce, rng: random.Random
) -> ServiceRecords:
    """Decide which families each service worked with, and when.

    Social care may place a child with foster carers, which moves them in ``population``.
    """
    return _Recorder(population, workforce, rng).record()


def weighted(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), list(shares.values()))[0]


class _Recorder:
    def __init__(self, population: Population, workforce: Workforce, rng: random.Random) -> None:
        self.pop = population
        self.today = population.today
        self.start = population.start
        self.workforce = workforce
        self.rng = rng
        self.out = ServiceRecords()
        self.humans = population.humans
        #: Per household, every stay of its members.
        self.stays: dict[str, list[tuple[Human, Residence]]] = {}
        for human in self.humans.values():
            for stay in human.residences:
                if stay.household:
                    self.stays.setdefault(stay.household, []).append((human, stay))
        self.incidents_by_household: dict[str, list[date]] = {}
        for day, kind, household, _people in population.incidents:
            if kind == "da_incident":
                self.incidents_by_household.setdefault(household, []).append(day)
        self.known_to_social_care: set[str] = set()
        self._counter = 0

    def record(self) -> ServiceRecords:
        for key in sorted(self.stays):
            self.social_care(key)
        for key in sorted(self.stays):
            self.early_help(key)
        self.police()
        self.youth_justice()
        self.education()
        self.housing()
        self.health()
        return self.out

    # -- who was where ---------------------------------------------------------------------------

    def present(self, household: str, day: date) -> list[Human]:
        return [
            human
            for human, stay in self.stays.get(household, [])
            if stay.start <= day and (stay.end is None or stay.end > day) and human.alive_on(day)
        ]

    def family_window(self, household: str) -> tuple[date, date] | None:
        """The span in which the household had children, clipped to the simulated years."""
        spans = [
            (
                max(stay.start, self.start),
                min(stay.end or self.today, self.today, add_years(human.birth_date, 18)),
            )
            for human, stay in self.stays.get(household, [])
            if age_on(human.birth_date, self.today) < 25
            and stay.address.district
            and not stay.restricted
        ]
        spans = [(a, b) for a, b in spans if a < b]
        if not spans:
            return None
        return min(a for a, _ in spans), max(b for _, b in spans)

    def ref(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self.pop.neighbourhood:04d}{self._counter:05d}"

    # -- social care -----------------------------------------------------------------------------

    def social_care(self, household: str) -> None:
        demo = household == self.pop.demo_household
        window = self.family_window(household)
        if window is None:
            return
        first, last = window
        years = (last - first).days / 365.25
        people = self.present(household, first)
        adults = [h for h in people if age_on(h.birth_date, first) >= 18]
        weight = 1.0
        if len(adults) == 1:
            weight = 1.9
        kind = self.pop.households[household].kind
        if kind == "stepfamily":
            weight *= 1.4
        referrals: list[tuple[date, str]] = []
        if demo:
            referrals.append((self.today - timedelta(days=self.rng.randint(300, 560)), "cin"))
        elif self.rng.random() < min(0.95, REFERRAL_RATE * weight * years):
            referrals.append((between(self.rng, first, last), ""))
        for day in self.incidents_by_household.get(household, []):
            if self.rng.random() < 0.25:
                referrals.append((day + timedelta(days=self.rng.randint(1, 10)), "police"))
        taken_until = date.min
        for day, route in sorted(referrals):
            if day <= taken_until or day > self.today - timedelta(days=5):
                continue
            children = [h for h in self.present(household, day) if age_on(h.birth_date, day) < 18]
            if not children:
                continue
            taken_until = self.referral(household, day, children, route, demo)

    def referral(
        self, household: str, day: date, children: list[Human], route: str, demo: bool
    ) -> date:
        rng = self.rng
        outcome = "cin" if route == "cin" else weighted(rng, REFERRAL_OUTCOMES)
        source = "5A" if route == "police" else weighted(rng, REFERRAL_SOURCES)
        need = "N1" if outcome in ("cp", "lac") else weighted(rng, NEED_CODES)
        district = self.pop.households[household].address.district or "Central"
        worker = self.workforce.lead(f"Assessment Team {district}", "Social Worker", COUNCIL_DOMAIN)
        assessed = day + timedelta(days=rng.randint(2, 8))
        assessment_end = assessed + timedelta(days=rng.randint(10, 44))
        if outcome in ("cp", "lac") and assessment_end > self.today - timedelta(days=21):
            outcome = "cin"
        # A child is placed when the assessment ends, which can be weeks after the referral:
        # one who has turned 18 (or died) by then cannot become looked after.
        placeable = [
            c
            for c in children
            if assessment_end < add_years(c.birth_date, 18) and c.alive_on(assessment_end)
        ]
        if outcome == "lac" and not placeable:
            outcome = "cin"
        factors = rng.sample(
            ["1B", "2B", "3A", "3B", "4B", "4A", "16A", "17A", "21"], rng.randint(1, 3)
        )
        if route == "police" and "3B" not in factors:
            factors[0] = "3B"
        s47: date | None = None
        cp: tuple[date, date | None, str] | None = None
        cp_reviews: list[date] = []
        plan: tuple[date, date | None] | None = None
        if outcome == "nfa":
            closure: date | None = assessment_end
            reason = "RC8" if rng.random() < 0.6 else "RC9"
        else:
            plan_start = assessment_end + timedelta(days=rng.randint(1, 10))
            length = months(rng.uniform(3, 15) if outcome == "cin" else rng.uniform(6, 20))
            closure = plan_start + length
            if outcome == "cp":
                s47 = assessed + timedelta(days=rng.randint(0, 3))
                conference = s47 + timedelta(days=rng.randint(8, 15))
                cp_end = conference + months(rng.uniform(3, 18))
                category = weighted(rng, ABUSE_CATEGORIES)
                cp = (conference, cp_end if cp_end <= self.today else None, category)
                cp_reviews = [conference + months(3)]
                while cp_reviews[-1] + months(6) < min(cp_end, self.today):
                    cp_reviews.append(cp_reviews[-1] + months(6))
                cp_reviews = [r for r in cp_reviews if r <= min(cp_end, self.today)]
                closure = max(closure, cp_end + months(rng.uniform(1, 4)))
                plan_start = conference
            plan = (plan_start, None)
            reason = "RC7"
        if demo:
            closure = None
        placed: list[Human] = []
        if outcome == "lac":
            foster = self.foster_home(household, day)
            if foster is not None:
                under_18 = {c.key for c in placeable}
                placed = [
                    c for c in children if rng.random() < 0.8 and c.key in under_18
                ] or placeable[:1]
                ends = [
                    self.look_after(child, household, foster, assessment_end, need, worker)
                    for child in placed
                ]
                open_ends = [end for end in ends if end is None]
                closure = None if open_ends else max(e for e in ends if e is not None)
        if closure is not None and closure > self.today:
            closure = None
        if plan is not None:
            plan = (plan[0], closure)
        for child in children:
            child_closure = closure
            if child_closure is not None and add_years(child.birth_date, 18) < child_closure:
                child_closure = add_years(child.birth_date, 18)
            # The enquiry and conference come days after the referral: a child who has died by
            # then has neither.
            child_s47 = s47 if s47 is not None and child.alive_on(s47) else None
            child_cp = cp if cp is not None and child.alive_on(cp[0]) else None
            self.out.cin_cases.append(
                CinCase(
                    child.key,
                    day,
                    source,
                    need,
                    child_closure,
                    reason if child_closure else "",
                    assessed,
                    assessment_end if assessment_end <= self.today else None,
                    factors,
                    plan,
                    child_s47,
                    child_cp,
                    cp_reviews if child_cp is not None else [],
                )
            )
            self.episode(
                "social_care",
                child,
                "Child in need",
                "statutory",
                day,
                child_closure,
                NEED_NAMES[need],
                SOCIAL_CARE,
                worker,
                code="CIN",
            )
            self.event("social_care", child, day, "referral", "Referral received")
            self.event("social_care", child, assessed, "assessment", "Assessment started")
            if child_s47 is not None:
                self.event("social_care", child, child_s47, "s47", "Section 47 enquiry started")
            if child_cp is not None:
                cp_worker = self.workforce.lead(
                    f"Child Protection Team {district}", "Social Worker", COUNCIL_DOMAIN
                )
                self.episode(
                    "social_care",
                    child,
                    "Child protection plan",
                    "statutory",
                    child_cp[0],
                    child_cp[1],
                    child_cp[2],
                    SOCIAL_CARE,
                    cp_worker,
                    code="CP",
                    sensitivity="sensitive" if child_cp[2] == "SAB" else "normal",
                )
                self.event(
                    "social_care",
                    child,
                    child_cp[0],
                    "conference",
                    "Initial child protection conference",
                )
            if child_closure is not None:
                self.event("social_care", child, child_closure, "closure", "Case closed")
        self.know_family("social_care", household, day, closure or self.today, children)
        return closure or self.today

    def foster_home(self, household: str, day: date) -> str | None:
        for _ in range(30):
            key = self.rng.choice(list(self.stays))
            if key == household:
                continue
            people = self.present(key, day)
            if len(people) == 2 and all(35 <= age_on(p.birth_date, day) <= 64 for p in people):
                home = self.pop.households[key]
                if home.address.district and home.kind in ("couple", "older_couple"):
                    return key
        return None

    def look_after(
        self, child: Human, household: str, foster: str, day: date, need: str, worker: Practitioner
    ) -> date | None:
        """Place ``child`` with foster carers from ``day``; return the day care ended, if it has.

        ``child`` must be under 18 on ``day``: care ends at 18 at the latest.
        """
        rng = self.rng
        home = child.residence_on(day)
        home_postcode = home.address.postcode if home else ""
        carers = self.pop.households[foster]
        eighteen = add_years(child.birth_date, 18)
        if rng.random() < 0.35:
            ended: date | None = day + months(rng.uniform(1, 12))
            ended_reason = "E4A"
        else:
            ended = eighteen
            ended_reason = "E8"
        if ended is not None and ended > self.today:
            ended = None
        placements: list[Placement] = []
        start = day
        legal = rng.choice(("C2", "V2", "C1", "J2")) if rng.random() < 0.6 else "C2"
        while True:
            end = start + months(rng.uniform(4, 30))
            final = ended is None or end >= ended
            end_here = ended if final else end
            place = (
                rng.choice(("U1", "U3", "U4", "U6", "K2", "R1"))
                if placements
                else (rng.choice(("U1", "U3", "U4", "U6")))
            )
            urn = f"SC{rng.randint(100000, 999999)}" if place in ("K2", "R1") else "XXXXXXX"
            placements.append(
                Placement(
                    start,
                    end_here,
                    place,
                    legal,
                    "PR1" if place.startswith("U") else "PR4",
                    carers.address.postcode,
                    urn,
                    (ended_reason if end_here is not None else "") if final else "X1",
                    "" if final else rng.choice(("CARPL", "CHILD", "LAREQ", "PLACE", "OTHER")),
                )
            )
            if final or end_here is None or end_here >= self.today:
                if end_here is not None and end_here >= self.today:
                    placements[-1].end = None
                    placements[-1].reason_ended = ""
                break
            start = end_here
        reviews = [day + timedelta(days=20)]
        while reviews[-1] + months(6) < (ended or self.today):
            reviews.append(reviews[-1] + months(6))
        missing: list[tuple[str, date, date | None]] = []
        if age_on(child.birth_date, day) >= 12 and rng.random() < 0.15:
            gone = between(rng, day, ended or self.today)
            missing.append((rng.choice(("M", "A")), gone, gone + timedelta(days=rng.randint(0, 3))))
        self.out.care.append(
            CarePeriod(child.key, need, home_postcode, placements, reviews, missing, worker)
        )
        lac_worker = self.workforce.lead("Children in Care Team", "Social Worker", COUNCIL_DOMAIN)
        self.episode(
            "social_care",
            child,
            "Looked after child",
            "statutory",
            day,
            ended,
            "Looked after",
            SOCIAL_CARE,
            lac_worker,
            code="LAC",
        )
        self.event(
            "social_care",
            child,
            day,
            "placement_start",
            "Became looked after; placed with foster carers",
        )
        for _kind, gone, _back in missing:
            self.event("social_care", child, gone, "missing", "Missing from placement")
        carers_then = [carer for carer in self.present(foster, day) if carer is not child]
        self.move_into_care(child, household, foster, day, ended, eighteen)
        for carer in carers_then:
            self.out.know("social_care", carer.key, ended or self.today)
            self.pop.bonds.append(Bond(carer.key, child.key, "foster_carer", day, ended))
        return ended

    def move_into_care(
        self,
        child: Human,
        household: str,
        foster: str,
        day: date,
        ended: date | None,
        eighteen: date,
    ) -> None:
        """Rewrite the child's stays: with the carers from ``day``, then back with their mother
        (or, at 18, a flat of their own)."""
        carers = self.pop.households[foster]
        for stay in child.residences:
            if stay.household in self.stays:
                self.stays[stay.household] = [
                    (h, s) for h, s in self.stays[stay.household] if h is not child
                ]
        kept = [stay for stay in child.residences if stay.start < day]
        if kept and (kept[-1].end is None or kept[-1].end > day):
            kept[-1].end = day
        child.residences = kept
        child.residences.append(Residence(carers.address, day, ended, foster, True))
        for stay in child.residences:
            if stay.household:
                self.stays.setdefault(stay.household, []).append((child, stay))
        old = self.pop.households.get(child.household)
        if old is not None and child.key in old.members:
            old.members.remove(child.key)
        if ended is None:
            carers.members.append(child.key)
            child.household = foster
            return
        mother = self.humans.get(child.mother or "")
        later = [s for s in (mother.residences if mother else []) if s.end is None or s.end > ended]
        if ended >= eighteen or not later or ended < later[0].start:
            flat = Residence(carers.address, ended, None, "")
            child.residences.append(flat)
            child.household = ""
            return
        for stay in later:
            copy = Residence(
                stay.address, max(stay.start, ended), stay.end, stay.household, stay.restricted
            )
            child.residences.append(copy)
            self.stays.setdefault(stay.household, []).append((child, copy))
        current = self.pop.households.get(child.residences[-1].household)
        if child.residences[-1].end is None and current is not None and current.members:
            current.members.append(child.key)
            child.household = current.key
        else:
            child.household = ""

    def know_family(
        self, system: str, household: str, start: date, end: date, children: list[Human]
    ) -> None:
        for human in self.present(household, start):
            self.out.know(system, human.key, min(end, self.today))
        for child in children:
            if system == "social_care":
                self.known_to_social_care.add(child.key)
            for parent in (child.mother, child.father):
                if parent and self.humans[parent].birth_date < start:
                    self.out.know(system, parent, start)

    # -- early help ------------------------------------------------------------------------------

    def early_help(self, household: str) -> None:
        window = self.family_window(household)
        if window is None:
            return
        first, last = window
        years = (last - first).days / 365.25
        demo = household == self.pop.demo_household
        if not demo and self.rng.random() >= min(0.9, EARLY_HELP_RATE * years):
            return
        start = between(self.rng, first, last) if not demo else self.today - timedelta(days=900)
        if start > self.today - timedelta(days=5):
            return
        children = [h for h in self.present(household, start) if age_on(h.birth_date, start) < 18]
        if not children:
            return
        end: date | None = start + months(self.rng.uniform(3, 12))
        if end is not None and end > self.today:
            end = None
        reason = weighted(self.rng, EARLY_HELP_REASONS)
        district = self.pop.households[household].address.district or "Central"
        worker = self.workforce.lead(
            f"Early Help Team {district}", "Family Support Worker", COUNCIL_DOMAIN
        )
        sensitivity = "sensitive" if reason == "Domestic abuse" else "normal"
        for child in children:
            self.episode(
                "early_help",
                child,
                "Early help family support",
                "targeted",
                start,
                end,
                reason,
                EARLY_HELP,
                worker,
                sensitivity=sensitivity,
            )
            self.event("early_help", child, start, "referral", "Request for early help received")
            if end is not None:
                self.event("early_help", child, end, "closure", "Early help support ended")
        self.know_family("early_help", household, start, end or self.today, children)

    # -- police ----------------------------------------------------------------------------------

    def police(self) -> None:
        seen: dict[str, int] = {}
        for day, kind, household, people in sorted(self.pop.incidents):
            if kind != "da_incident":
                continue
            seen[household] = seen.get(household, 0) + 1
            risk = self.rng.choices(
                ("standard", "medium", "high"), (60, 30, 10 + 10 * seen[household])
            )[0]
            victim, suspect, *children = people
            address = self.humans[victim].residence_on(day)
            if address is None:
                continue
            roles = [(victim, "VICTIM"), (suspect, "SUSPECT")] + [(c, "CHILD") for c in children]
            ref = self.ref("DA")
            self.out.notifications.append(Notification(ref, day, risk, roles, address.address))
            for key, role in roles:
                self.out.know("police", key, day)
                summary = f"Domestic abuse notification ({role.lower()}, {risk} risk)"
                self.event(
                    "police",
                    self.humans[key],
                    day,
                    "da_notification",
                    summary,
                    sensitivity="sensitive",
                    ref=ref,
                )
            if risk == "high":
                officer = self.workforce.lead(
                    "Public Protection Unit", "DA Safeguarding Officer", POLICE_DOMAIN
                )
                end = day + months(self.rng.uniform(2, 6))
                self.episode(
                    "police",
                    self.humans[victim],
                    "MARAC domestic abuse case",
                    "specialist",
                    day,
                    end if end <= self.today else None,
                    "High risk domestic abuse",
                    POLICE,
                    officer,
                    sensitivity="sensitive",
                    ref=ref,
                )

    # -- youth justice ---------------------------------------------------------------------------

    def youth_justice(self) -> None:
        for human in self.humans.values():
            ten = add_years(human.birth_date, 10)
            eighteen = add_years(human.birth_date, 18)
            first, last = max(ten, self.start), min(eighteen, self.today)
            if first >= last or human.residence_on(first) is None:
                continue
            rate = YOUTH_JUSTICE_RATE * (1.6 if human.sex == "male" else 0.4)
            if human.key in self.known_to_social_care:
                rate *= 4
            years = (last - first).days / 365.25
            if self.rng.random() >= rate * years:
                continue
            start = between(self.rng, first, last)
            stay = human.residence_on(start)
            if stay is None or not stay.address.district:
                continue
            order = weighted(self.rng, YOUTH_JUSTICE_ORDERS)
            end: date | None = start + months(self.rng.uniform(3, 12))
            if end is not None and end > self.today:
                end = None
            worker = self.workforce.lead("Youth Justice Team", "YJS Case Manager", COUNCIL_DOMAIN)
            self.episode(
                "youth_justice",
                human,
                order,
                "specialist",
                start,
                end,
                "Offending behaviour",
                YOUTH_JUSTICE,
                worker,
                sensitivity="sensitive",
            )
            self.out.know("youth_justice", human.key, end or self.today)
            for parent in (human.mother, human.father):
                if parent and self.humans[parent].alive_on(start):
                    self.out.know("youth_justice", parent, start)

    # -- education -------------------------------------------------------------------------------

    def education(self) -> None:
        year_now = academic_year_of(self.today)
        primaries = {s.district: s for s in self.pop.schools if s.phase == "primary"}
        secondary = next(s for s in self.pop.schools if s.phase == "secondary")
        for human in self.humans.values():
            if not human.upn:
                continue
            for academic_year in (year_now - 1, year_now):
                term = date(academic_year, 9, 15)
                group = year_group(human.birth_date, term)
                if not 0 <= group <= 11:
                    continue
                stay = human.residence_on(term) if term <= self.today else None
                if stay is None or not stay.address.district:
                    continue
                school = (
                    secondary if group >= 7 else primaries.get(stay.address.district, secondary)
                )
                self.out.schools[school.urn] = school
                self.attend(human, school, academic_year)
                if academic_year == year_now or human.residence_on(self.today) is None:
                    self.enrolment(human, school, group, academic_year)

    def attend(self, human: Human, school: School, academic_year: int) -> None:
        rng = self.rng
        year_end = date(academic_year + 1, 7, 20)
        until = min(self.today, year_end)
        weeks = max(
            1,
            (until - date(academic_year, 9, 1)).days // 7
            - 2 * max(0, ((until - date(academic_year, 9, 1)).days // 7) // 7),
        )
        possible = min(380, weeks * 10)
        weight = 2.0 if human.key in self.known_to_social_care else 1.0
        if rng.random() < LOW_ATTENDANCE_SHARE * weight:
            rate = rng.uniform(0.085, 0.4)
        else:
            rate = rng.betavariate(1.6, 40)
        missed = min(possible, round(possible * rate))
        unauthorised = round(missed * rng.uniform(0.1, 0.6))
        self.out.know("education", human.key, min(until, self.today))
        self.out.attendance.append(
            Attendance(
                human.key, school, academic_year, possible, missed - unauthorised, unauthorised
            )
        )
        if possible and missed / possible >= 0.1:
            self.event(
                "education",
                human,
                until,
                "persistent_absence",
                f"Persistently absent in {academic_year}/{(academic_year + 1) % 100:02d}",
            )

    def enrolment(self, human: Human, school: School, group: int, academic_year: int) -> None:
        entry_group = 0 if school.phase == "primary" else 7
        start = date(academic_year - group + entry_group, 9, 1)
        arrived = human.residences[0].start
        for stay in human.residences:
            if not stay.address.district:
                arrived = stay.end or arrived
        start = max(start, arrived)
        here = human.residence_on(self.today)
        end = None
        if here is None or not here.address.district:
            left = max(
                (s.end for s in human.residences if s.address.district and s.end),
                default=self.today,
            )
            end = min(left, self.today)
        if end is not None and end <= start:
            return
        grade = "Reception" if group == 0 else f"Year {group}"
        lead = self.workforce.safeguarding_lead(school)
        self.episode(
            "education",
            human,
            "School",
            "universal",
            start,
            end,
            grade,
            school.name,
            lead,
            ref=school.urn,
        )
        self.out.know("education", human.key, end or self.today)
        if school.phase == "secondary" and self.rng.random() < 0.03:
            self.event(
                "education",
                human,
                between(self.rng, start, end or self.today),
                "exclusion",
                "Suspension for a fixed period",
            )
        for parent in (human.mother, human.father):
            if parent and self.humans[parent].household == human.household and human.household:
                self.out.know("education", parent, end or self.today)
                break

    # -- housing ---------------------------------------------------------------------------------

    def housing(self) -> None:
        for key in sorted(self.stays):
            spells: dict[str, list[tuple[Human, Residence]]] = {}
            for human, stay in self.stays[key]:
                if stay.address.social:
                    spells.setdefault(stay.address.uprn, []).append((human, stay))
            for stays in spells.values():
                start = min(stay.start for _, stay in stays)
                ends = [stay.end for _, stay in stays]
                end = None if any(e is None for e in ends) else max(e for e in ends if e)
                if end is not None and end < self.start:
                    continue
                adults = [h for h, s in stays if age_on(h.birth_date, max(start, s.start)) >= 18]
                if not adults:
                    continue
                lead = min(adults, key=lambda h: h.birth_date)
                address = stays[0][1].address
                officer = self.workforce.lead(
                    f"Housing Team {address.district}", "Housing Officer", COUNCIL_DOMAIN
                )
                tenancy = Tenancy(
                    self.ref("T"),
                    address,
                    start,
                    end,
                    lead.key,
                    [(h.key, s.start, s.end) for h, s in stays],
                    officer,
                )
                self.arrears(tenancy)
                self.out.tenancies.append(tenancy)
                for human, stay in stays:
                    self.out.know("housing", human.key, min(stay.end or self.today, self.today))
                    self.episode(
                        "housing",
                        human,
                        "Council tenancy",
                        "universal",
                        max(stay.start, self.start - timedelta(days=3650)),
                        stay.end,
                        "Lead tenant" if human is lead else "Household member",
                        HOUSING,
                        officer,
                        ref=tenancy.ref,
                    )

    def arrears(self, tenancy: Tenancy) -> None:
        # Its own generator, seeded by the tenancy: arrears came later than the rest of the
        # borough, and drawing from the shared stream would change every later draw.
        rng = random.Random(f"arrears/{tenancy.ref}/{tenancy.lead}")
        first = max(tenancy.start, self.start)
        last = min(tenancy.end or self.today, self.today)
        if first >= last or rng.random() >= ARREARS_SHARE:
            return
        start = between(rng, first, last)
        end: date | None = start + months(rng.uniform(1, 10))
        if end is not None and end > last:
            end = None if tenancy.end is None else last
        weeks = rng.randint(2, 20)
        tenancy.arrears.append(Arrears("ARR", start, end, weeks))
        if weeks >= 8 and rng.random() < NOTICE_SHARE:
            served = start + timedelta(days=7 * weeks)
            if served <= last and (end is None or served <= end):
                tenancy.arrears.append(Arrears("NSP", served, end, weeks))

    # -- health ----------------------------------------------------------------------------------

    def health(self) -> None:
        for human in self.humans.values():
            here = human.residence_on(self.today)
            died_here = (
                human.death_date is not None
                and human.residences
                and (human.residences[-1].address.district != "")
            )
            if (here is None or not here.address.district) and not died_here:
                continue
            if key_is_demo(self.pop, human) or self.rng.random() < GP_REGISTERED:
                self.out.know("health", human.key, human.death_date or self.today)
        known = self.out.known.get("health", {})
        for key in known:
            child = self.humans[key]
            five = add_years(child.birth_date, 5)
            first = max(child.birth_date + timedelta(days=12), child.residences[0].start)
            if five <= self.start or first >= self.today:
                continue
            # The first visit is due at twelve days old: a baby who died before it has none.
            if not child.alive_on(first):
                continue
            district = child.residence.address.district or "Central"
            visitor = self.workforce.lead(
                f"Health Visiting Team {district}", "Health Visitor", NHS_DOMAIN
            )
            end = five if five <= self.today else None
            self.episode(
                "health",
                child,
                "Health visiting",
                "universal",
                first,
                end,
                "Healthy Child Programme",
                HEALTH,
                visitor,
            )

    # -- helpers ---------------------------------------------------------------------------------

    def episode(
        self,
        system: str,
        person: Human,
        service: str,
        level: str,
        start: date,
        end: date | None,
        reason: str,
        organisation: str,
        lead: Practitioner | None,
        *,
        sensitivity: str = "normal",
        code: str = "",
        ref: str = "",
    ) -> None:
        if end is not None and end <= start:
            end = start + timedelta(days=1)
        if end is not None and end > self.today:
            end = None
        if person.death_date is not None and (end is None or end > person.death_date):
            end = max(person.death_date, start)
        self.out.episodes.append(
            Episode(
                system,
                person.key,
                service,
                level,
                start,
                end,
                reason,
                organisation,
                lead,
                sensitivity,
                code,
                ref,
            )
        )
        self.out.know(system, person.key, min(end or self.today, self.today))

    def event(
        self,
        system: str,
        person: Human,
        day: date,
        kind: str,
        summary: str,
        *,
        sensitivity: str = "normal",
        ref: str = "",
    ) -> None:
        """Note a dated event, unless it falls after the extract date."""
        if day <= self.today:
            self.out.happenings.append(
                Happening(system, person.key, day, kind, summary, sensitivity, ref)
            )


def key_is_demo(population: Population, human: Human) -> bool:
    return human.key == population.demo_child
