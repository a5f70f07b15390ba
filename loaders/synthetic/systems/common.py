"""What every extract writer shares: a system's view of a person, its slips, its record ids.

A system sees a person as they were at its last contact with them: the family name they used
then, the address they lived at then. On top of that honest staleness each system makes slips
at its own documented rates (``NOISE_RATES``); every slip is written to the ground truth
(``truth/noise.csv``) so linkage can be scored on clean and noisy records apart.
"""

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date

from ..names import nickname_of, typo
from ..population import Human, Population

#: Per system, the share of person records carrying each kind of slip.
NOISE_RATES: dict[str, dict[str, float]] = {
    "social_care": {
        "typo": 0.005,
        "nickname": 0.01,
        "dob_swap": 0.003,
        "postcode_format": 0.03,
        "missing_nhs": 0.03,
        "missing_upn": 0.1,
    },
    "early_help": {
        "typo": 0.015,
        "nickname": 0.05,
        "dob_swap": 0.005,
        "postcode_format": 0.03,
        "missing_nhs": 0.4,
        "missing_upn": 0.5,
    },
    "education": {"typo": 0.005, "dob_swap": 0.002, "postcode_format": 0.03},
    "police": {
        "typo": 0.03,
        "nickname": 0.08,
        "swapped_names": 0.02,
        "dob_swap": 0.015,
        "postcode_format": 0.05,
    },
    "housing": {"typo": 0.015, "nickname": 0.03, "dob_swap": 0.005, "postcode_format": 0.04},
    "youth_justice": {
        "typo": 0.01,
        "nickname": 0.05,
        "dob_swap": 0.005,
        "postcode_format": 0.03,
        "missing_upn": 0.3,
    },
    "health": {"unverified_nhs": 0.02, "stale_address": 0.03},
}


@dataclass
class Seen:
    """One person as one system writes them, and the slips in what it wrote."""

    given_names: str
    family_name: str
    other_names: str
    birth_date: date | None
    nhs_number: str
    upn: str
    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str
    address_from: date | None
    restricted: bool
    noise: list[str] = field(default_factory=list)


def see(
    system: str,
    human: Human,
    day: date,
    population: Population,
    rng: random.Random,
    clean: bool = False,
) -> Seen:
    """How ``system`` writes ``human`` as of its last contact on ``day``."""
    rates = NOISE_RATES[system]
    noise: list[str] = []
    family = human.family_name_on(day)
    if family != human.family_name:
        noise.append("stale_name")
    given = human.given_names
    stay = human.residence_on(day) or human.residence
    current = human.residence_on(population.today)
    if current is not None and current.address.uprn != stay.address.uprn:
        noise.append("stale_address")
    birth: date | None = human.birth_date
    nhs = human.nhs_number
    upn = human.upn
    postcode = stay.address.postcode
    if not clean:
        draw = rng.random
        if draw() < rates.get("nickname", 0):
            short = nickname_of(given)
            if short:
                given = short
                noise.append("nickname")
        if draw() < rates.get("typo", 0):
            if draw() < 0.5:
                family = typo(family, rng)
            else:
                given = typo(given, rng)
            noise.append("typo")
        if draw() < rates.get("swapped_names", 0):
            given, family = family, given
            noise.append("swapped_names")
        swappable = birth is not None and birth.day <= 12 and birth.day != birth.month
        if birth is not None and draw() < rates.get("dob_swap", 0) and swappable:
            birth = birth.replace(month=birth.day, day=birth.month)
            noise.append("dob_swap")
        if draw() < rates.get("postcode_format", 0):
            postcode = postcode.replace(" ", "") if draw() < 0.5 else postcode.lower()
            noise.append("postcode_format")
        if draw() < rates.get("missing_nhs", 0):
            nhs = ""
            noise.append("missing_nhs")
        if upn and draw() < rates.get("missing_upn", 0):
            upn = ""
            noise.append("missing_upn")
    address = stay.address
    return Seen(
        given,
        family,
        human.other_names if family == human.family_name else "",
        birth,
        nhs,
        upn,
        address.line1,
        address.line2,
        address.town,
        postcode,
        address.uprn,
        stay.start,
        stay.restricted,
        noise,
    )


class RecordIds:
    """A system's own record numbers: ascending, with gaps, unique across the borough."""

    def __init__(self, pattern: str, neighbourhood: int, rng: random.Random, stride: int) -> None:
        self._pattern = pattern
        self._next = neighbourhood * stride + rng.randint(1, stride // 10)
        self._limit = (neighbourhood + 1) * stride
        self._rng = rng
        self.ids: dict[str, str] = {}

    def of(self, key: str) -> str:
        if key not in self.ids:
            if self._next >= self._limit:
                raise ValueError("a neighbourhood ran out of record numbers")
            self.ids[key] = self._pattern.format(self._next)
            self._next += self._rng.randint(1, 3)
        return self.ids[key]


def dmy(day: date | None) -> str:
    """dd/mm/yyyy, as case-management exports write dates."""
    return "" if day is None else day.strftime("%d/%m/%Y")


def iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def csv_text(rows: list[list[str]]) -> str:
    """Rows as CSV text with ``\\n`` line endings."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


SEX_CODES = {"male": "M", "female": "F"}
