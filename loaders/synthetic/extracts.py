"""How each source system writes what it knows: its record ids, the fields it holds, its slips.

Every system writes canonical CSV (DESIGN.md, "Canonical CSV"). The fields each one holds:

- social care: NHS number (missing for 2% of records), UPN for 90% of pupils, former names;
- early help: NHS number for 60% of children and no adults, UPN for half of pupils;
- education: UPN for every pupil, no NHS numbers; parents appear only as contacts;
- health: NHS number for everyone, no UPNs, former names.

Slips (the demonstration child is spared them):

- 3% of records in every system write the postcode without its space or in lower case;
- 2% of early-help records use a common short form of the first name (William as Bill).
"""

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .names import nickname_of
from .population import Population, age_on
from .services import ServiceRecords

PEOPLE_HEADER = (
    "system",
    "record_id",
    "given_names",
    "family_name",
    "other_names",
    "sex",
    "birth_date",
    "death_date",
    "nhs_number",
    "upn",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "uprn",
    "address_from",
)
ADDRESSES_HEADER = (
    "system",
    "record_id",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "uprn",
    "from",
    "to",
    "restricted",
)
RELATIONSHIPS_HEADER = (
    "system",
    "from_record_id",
    "to_record_id",
    "kind",
    "valid_from",
    "valid_to",
)
INVOLVEMENTS_HEADER = (
    "system",
    "record_id",
    "service",
    "level",
    "start",
    "end",
    "status",
    "reason",
    "organisation",
    "lead_name",
    "lead_role",
    "lead_team",
    "lead_phone",
    "lead_email",
    "sensitivity",
)
EVENTS_HEADER = ("system", "record_id", "date", "type", "summary", "sensitivity")
PERSONS_TRUTH_HEADER = ("system", "record_id", "person_key")
HOUSEHOLDS_TRUTH_HEADER = ("household_key", "person_key", "uprn", "kind")

HEADERS: dict[str, tuple[str, ...]] = {
    "people": PEOPLE_HEADER,
    "addresses": ADDRESSES_HEADER,
    "relationships": RELATIONSHIPS_HEADER,
    "involvements": INVOLVEMENTS_HEADER,
    "events": EVENTS_HEADER,
}

#: The files each system writes, always all of them (a header alone when it has no rows).
SYSTEM_TABLES: dict[str, tuple[str, ...]] = {
    "social_care": ("people", "addresses", "relationships", "involvements", "events"),
    "early_help": ("people", "addresses", "relationships", "involvements", "events"),
    "education": ("people", "relationships", "involvements", "events"),
    "health": ("people", "addresses", "relationships", "involvements", "events"),
}

POSTCODE_SLIP_RATE = 0.03
NICKNAME_RATE = 0.02
MISSING_NHS_RATE = 0.02


@dataclass(frozen=True)
class _Holds:
    """Which identifying fields a system keeps, and how it numbers its records."""

    id_format: str
    first_id: tuple[int, int]
    id_step: tuple[int, int]
    adult_nhs: float
    child_nhs: float
    upn: float
    other_names: bool


_HOLDS: dict[str, _Holds] = {
    "social_care": _Holds(
        id_format="SC{:06d}",
        first_id=(1000, 20000),
        id_step=(1, 40),
        adult_nhs=1 - MISSING_NHS_RATE,
        child_nhs=1 - MISSING_NHS_RATE,
        upn=0.9,
        other_names=True,
    ),
    "early_help": _Holds(
        id_format="EH-{}",
        first_id=(1000, 4000),
        id_step=(1, 9),
        adult_nhs=0.0,
        child_nhs=0.6,
        upn=0.5,
        other_names=False,
    ),
    "education": _Holds(
        id_format="ED{:07d}",
        first_id=(100_000, 300_000),
        id_step=(1, 15),
        adult_nhs=0.0,
        child_nhs=0.0,
        upn=1.0,
        other_names=False,
    ),
    "health": _Holds(
        id_format="H{:08d}",
        first_id=(10_000_000, 30_000_000),
        id_step=(1, 400),
        adult_nhs=1.0,
        child_nhs=1.0,
        upn=0.0,
        other_names=True,
    ),
}


@dataclass(frozen=True)
class Extract:
    """One system's extract: its record id for each person it knows, and its tables' rows."""

    system: str
    record_ids: dict[str, str]
    tables: dict[str, list[list[str]]]


def build_extract(
    system: str, population: Population, records: ServiceRecords, rng: random.Random
) -> Extract:
    """Write down, in ``system``'s own terms, what it knows about the borough."""
    holds = _HOLDS[system]
    known = records.known[system]
    ids = _record_ids(holds, known, rng)
    order = {key: index for index, key in enumerate(known)}
    ordinary = [key for key in known if key != population.demo_child]
    slips = {
        key: rng.choice(("unspaced", "lower"))
        for key in ordinary
        if rng.random() < POSTCODE_SLIP_RATE
    }
    nicknamed: set[str] = set()
    if system == "early_help":
        eligible = [
            key for key in ordinary if nickname_of(population.humans[key].given_names) is not None
        ]
        wanted = min(len(eligible), round(NICKNAME_RATE * len(known)))
        nicknamed = set(rng.sample(eligible, wanted))

    people: list[list[str]] = []
    addresses: list[list[str]] = []
    for key in known:
        human = population.humans[key]
        child = age_on(human.birth_date, population.today) < 18
        share = holds.child_nhs if child else holds.adult_nhs
        keep_nhs = rng.random() < share or (
            key == population.demo_child and system in ("social_care", "health")
        )
        keep_upn = rng.random() < holds.upn
        given = human.given_names
        if key in nicknamed:
            given = nickname_of(given) or given
        stay = human.residence
        slip = slips.get(key, "")
        people.append(
            [
                system,
                ids[key],
                given,
                human.family_name,
                human.other_names if holds.other_names else "",
                human.sex,
                _iso(human.birth_date),
                "",
                human.nhs_number if keep_nhs else "",
                human.upn if keep_upn else "",
                stay.address.line1,
                stay.address.line2,
                stay.address.town,
                _written(stay.address.postcode, slip),
                stay.address.uprn,
                _iso(stay.start),
            ]
        )
        for past in human.residences:
            addresses.append(
                [
                    system,
                    ids[key],
                    past.address.line1,
                    past.address.line2,
                    past.address.town,
                    _written(past.address.postcode, slip),
                    past.address.uprn,
                    _iso(past.start),
                    _iso(past.end),
                    "true" if past.restricted else "false",
                ]
            )

    relationships = [
        [system, ids[bond.source], ids[bond.target], bond.kind, _iso(bond.start), _iso(bond.end)]
        for bond in records.bonds[system]
    ]
    involvements = [
        [
            system,
            ids[episode.person],
            episode.service,
            episode.level,
            _iso(episode.start),
            _iso(episode.end),
            "open" if episode.end is None else "closed",
            episode.reason,
            episode.organisation,
            *(
                (
                    episode.lead.name,
                    episode.lead.role,
                    episode.lead.team,
                    episode.lead.phone,
                    episode.lead.email,
                )
                if episode.lead
                else ("", "", "", "", "")
            ),
            episode.sensitivity,
        ]
        for episode in records.episodes
        if episode.system == system
    ]
    happenings = sorted(
        (happening for happening in records.happenings if happening.system == system),
        key=lambda happening: (happening.day, order[happening.person]),
    )
    events = [
        [
            system,
            ids[happening.person],
            _iso(happening.day),
            happening.type,
            happening.summary,
            happening.sensitivity,
        ]
        for happening in happenings
    ]
    tables = {
        "people": people,
        "addresses": addresses,
        "relationships": relationships,
        "involvements": involvements,
        "events": events,
    }
    return Extract(system, ids, {name: tables[name] for name in SYSTEM_TABLES[system]})


def write_extract(extract: Extract, out: Path) -> list[Path]:
    """Write ``extract`` as ``out/<system>/<table>.csv`` files; return their paths."""
    folder = out / extract.system
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in extract.tables.items():
        path = folder / f"{name}.csv"
        write_csv(path, HEADERS[name], rows)
        paths.append(path)
    return paths


def write_truth(out: Path, population: Population, extracts: list[Extract]) -> list[Path]:
    """Write ``out/truth/``: which simulated person each record is, and who lives together."""
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    persons = folder / "persons.csv"
    write_csv(
        persons,
        PERSONS_TRUTH_HEADER,
        [
            [extract.system, record_id, key]
            for extract in extracts
            for key, record_id in extract.record_ids.items()
        ],
    )
    households = folder / "households.csv"
    write_csv(
        households,
        HOUSEHOLDS_TRUTH_HEADER,
        [
            [household.key, key, household.address.uprn, household.kind]
            for household in population.households
            for key in household.members
        ],
    )
    return [persons, households]


def write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    """Write one UTF-8 CSV file with a header row and ``\\n`` line endings."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _record_ids(holds: _Holds, known: list[str], rng: random.Random) -> dict[str, str]:
    number = rng.randint(*holds.first_id)
    ids = {}
    for key in known:
        ids[key] = holds.id_format.format(number)
        number += rng.randint(*holds.id_step)
    return ids


def _written(postcode: str, slip: str) -> str:
    if slip == "unspaced":
        return postcode.replace(" ", "")
    if slip == "lower":
        return postcode.lower()
    return postcode


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()
