"""Generate a synthetic borough: simulate its people, then write each source system's extract.

Eastbridge is fictional. It is simulated one neighbourhood (about 5,000 people) at a time, each
from its own random streams, so a borough of any size streams to disk in bounded memory and the
neighbourhoods can run on several cores while the files stay byte-identical for a seed. Each
neighbourhood draws its households as they stood at the start of the history (1 January 2019),
lives through the years to ``today`` (``history``), and is then served by social care, early
help, education, police, housing, youth justice and community health (``services``).

Every system writes its own partial, possibly stale view (``systems``), one folder each:

==================  ==========  ==========================================================
folder              format      what
==================  ==========  ==========================================================
social_care         mapped      LCS-style CSV + mapping.toml
early_help          mapped      EHM-style CSV + mapping.toml
education           mapped      Capita ONE-style CSV (attendance, PA flags) + mapping.toml
police              mapped      nominals, DA notifications, MARAC cases + mapping.toml
housing             mapped      tenancies, occupants, arrears + mapping.toml
youth_justice       mapped      ChildView-style CSV + mapping.toml
health              fhir        FHIR R4 collection bundles, 1,000 patients a file
dfe_returns/ssda903 ssda903     the SSDA903 CSV tables for the last return year
dfe_returns/cin_census cin_census  one CIN census XML file (CIN_schema_2026.xsd)
==================  ==========  ==========================================================

Slips, at the rates in ``systems.common.NOISE_RATES`` (docs/synthetic-borough.md has the table):
typos, nicknames (William as Bill), swapped given and family names, day and month swapped in a
birth date, missing NHS numbers and UPNs, postcodes without their space or in lower case, and
contact records with no birth date; on top, every system's view is as of its last contact, so
addresses and family names go stale (a woman's maiden name in a system that knew her before her
marriage, hyphenated names, the flat a family left). Twins and same-name cousins are true.
The demonstration family's social-care records carry no slips.

Identifiers are valid but cannot be real: NHS numbers start 99 with a correct Modulus 11 check
digit, UPNs carry a correct DfE check letter, phone numbers are in Ofcom's drama range and the
postcode areas are unused.

Alongside the extracts, ``out/truth/`` holds the ground truth (which simulated person each
record is, their relationships, households and addresses over time, each record's slips), which
loaders never read, and ``out/demo.json`` names the demonstration child: a school-age child in a
stepfamily (mother, her partner, a younger half-sibling) open to social care with a lead
practitioner, and known to health and education.
"""

import json
import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from .calendar import census_date, year_group
from .history import History
from .identifiers import IdentifierIssuer
from .places import LA_CODE, Gazetteer, schools_of
from .population import MIN_PEOPLE, Builder, Population, build_population
from .services import ServiceRecords, record_services
from .systems import dfe, health, mapped
from .systems.common import csv_text
from .workforce import Workforce

#: The system the demonstration child is named in.
DEMO_SYSTEM = "social_care"
#: People simulated in one neighbourhood: small enough to hold in memory, large enough to hold
#: several schools, a foster carer or two and a few families known to each service.
NEIGHBOURHOOD_PEOPLE = 5_000
#: Patients in one FHIR bundle file (households are never split between files).
PATIENTS_PER_BUNDLE = 1_000
#: The folder of each system and the format it is written in.
FORMATS: dict[str, str] = {
    **{system: "mapped" for system in mapped.SYSTEMS},
    "health": "fhir",
    "dfe_returns/ssda903": "ssda903",
    "dfe_returns/cin_census": "cin_census",
}
HISTORY_START = date(2019, 1, 1)


@dataclass(frozen=True)
class DemoChild:
    """The record a demonstration starts from."""

    system: str
    record_id: str
    given_names: str
    family_name: str


@dataclass(frozen=True)
class BoroughSummary:
    """What :func:`generate_borough` made.

    ``people`` counts every human simulated (including those who died or moved away during the
    history); ``residents`` those living in the borough on the extract date.
    """

    people: int
    households: int
    records_by_system: dict[str, int]
    demo_child: DemoChild
    files: list[Path]
    out: Path = Path()
    residents: int = 0
    formats: dict[str, str] = field(default_factory=dict)

    def folders(self, *formats: str) -> list[Path]:
        """The system folders written in any of ``formats`` (all folders when none is named)."""
        return [
            self.out / folder
            for folder, name in sorted(self.formats.items())
            if not formats or name in formats
        ]


@dataclass(frozen=True)
class _Job:
    seed: int
    neighbourhood: int
    people: int
    today: date


@dataclass
class _Neighbourhood:
    """What one neighbourhood hands back: text to append to each file, and small structures."""

    texts: dict[str, str]
    fhir: list[health.Serialised]
    ssda903: dict[str, list[list[str]]]
    cin: list[str]
    people: int
    residents: int
    households: int
    records: dict[str, int]
    demo: DemoChild | None


def history_start(today: date) -> date:
    """The day the simulated history begins: 1 January 2019, or two years back if later."""
    return min(HISTORY_START, today - timedelta(days=730))


def generate_borough(
    people: int, seed: int, out: Path, today: date | None = None, workers: int | None = None
) -> BoroughSummary:
    """Simulate a borough of about ``people`` residents and write its extracts to ``out``.

    Parameters
    ----------
    people:
        How many people to draw at the start of the history (at least 10); births, deaths and
        moves leave the borough within a few per cent of this on ``today``.
    seed:
        Seed for every random draw; the same arguments give byte-identical files, however many
        workers run.
    out:
        Folder to write into (created if missing). Files already there that this generator
        does not write are left alone.
    today:
        The extract date; ages, open episodes and address histories are as of this day.
        Defaults to the current date.
    workers:
        Processes simulating neighbourhoods side by side (default: one per core, at most one
        per neighbourhood).

    Returns
    -------
    BoroughSummary
        Counts, the demonstration child, the folders by format and every file written.

    Raises
    ------
    ValueError
        If ``people`` is below 10, too few to hold the demonstration family.
    """
    if people < MIN_PEOPLE:
        raise ValueError(f"a synthetic borough needs at least {MIN_PEOPLE} people, not {people}")
    today = date.today() if today is None else today
    count = max(1, round(people / NEIGHBOURHOOD_PEOPLE))
    sizes = [people // count + (1 if n < people % count else 0) for n in range(count)]
    jobs = [_Job(seed, n, size, today) for n, size in enumerate(sizes)]
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, today)
    workers = min(workers or os.cpu_count() or 1, count)
    totals = {"people": 0, "residents": 0, "households": 0}
    records: dict[str, int] = {}
    demo: DemoChild | None = None
    for result in _run(jobs, workers):
        writer.add(result)
        totals["people"] += result.people
        totals["residents"] += result.residents
        totals["households"] += result.households
        for system, number in result.records.items():
            records[system] = records.get(system, 0) + number
        demo = demo or result.demo
    assert demo is not None  # neighbourhood 0 always holds the demonstration family
    records["health"] = writer.fhir_patients
    records["dfe_returns/ssda903"] = len(writer.ssda903["Header"])
    records["dfe_returns/cin_census"] = len(writer.cin)
    files = writer.close()
    demo_file = out / "demo.json"
    demo_file.write_text(
        json.dumps({"system": demo.system, "record_id": demo.record_id}, indent=2) + "\n",
        encoding="utf-8",
    )
    files.append(demo_file)
    return BoroughSummary(
        people=totals["people"],
        households=totals["households"],
        records_by_system=records,
        demo_child=demo,
        files=sorted(files),
        out=out,
        residents=totals["residents"],
        formats=dict(FORMATS),
    )


def _run(jobs: list[_Job], workers: int) -> Iterator[_Neighbourhood]:
    if workers <= 1:
        yield from map(simulate_neighbourhood, jobs)
        return
    # Results come back in job order, so the files do not depend on which worker was quicker.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(simulate_neighbourhood, jobs)


def _stream(seed: int, neighbourhood: int, stage: str) -> random.Random:
    # A string seed is hashed with SHA-512, not Python's per-process hash, so it is stable.
    return random.Random(f"famgraph-synthetic:{seed}:{neighbourhood}:{stage}")


def simulate_neighbourhood(job: _Job) -> _Neighbourhood:
    """Simulate one neighbourhood and render every system's share of the extracts."""
    n, seed, today = job.neighbourhood, job.seed, job.today
    issuer = IdentifierIssuer(_stream(seed, n, "identifiers"), block=n)
    gazetteer = Gazetteer(_stream(seed, n, "places"), issuer, n)
    schools = schools_of(n)
    start = history_start(today)
    population = build_population(
        job.people, start, today, n, _stream(seed, n, "population"), gazetteer, issuer, schools
    )
    builder = Builder(
        _stream(seed, n, "arrivals"),
        start,
        gazetteer,
        issuer,
        n,
        schools,
        population.humans,
        population.households,
        population.bonds,
    )
    History(population, builder, _stream(seed, n, "history")).run()
    builder.today = today
    if n == 0:
        builder.rng = _stream(seed, n, "demo")
        population.demo_child = builder.stepfamily(demo=True)
        population.demo_household = population.humans[population.demo_child].household
    for human in population.humans.values():
        stay = human.residence_on(today)
        if stay is not None and 0 <= year_group(human.birth_date, today) <= 11:
            builder.enrol(human, today)
    records = record_services(
        population, Workforce(seed, _stream(seed, n, "workforce")), _stream(seed, n, "services")
    )
    texts: dict[str, str] = {}
    counts: dict[str, int] = {}
    truth: list[list[str]] = []
    noise: list[list[str]] = []
    child_ids: dict[str, str] = {}
    demo: DemoChild | None = None
    for system, (write, _mapping) in mapped.WRITERS.items():
        extract = write(population, records, _stream(seed, n, f"extract:{system}"))
        for name, rows in extract.rows.items():
            texts[f"{system}/{name}"] = csv_text(rows)
        counts[system] = len(extract.truth)
        truth += [[system, record, key] for record, key in extract.truth]
        noise += [[system, record, kind] for record, kind in extract.noise]
        if system == DEMO_SYSTEM:
            child_ids = {key: record for record, key in extract.truth}
            if population.demo_child:
                child = population.humans[population.demo_child]
                demo = DemoChild(
                    DEMO_SYSTEM, child_ids[child.key], child.given_names, child.family_name
                )
    groups, health_truth, health_noise = health.health(
        population, records, _stream(seed, n, "extract:health")
    )
    truth += [["health", record, key] for record, key in health_truth]
    noise += [["health", record, kind] for record, kind in health_noise]
    reference = census_date(today)
    tables = dfe.ssda903(population, records, child_ids, reference, _stream(seed, n, "ssda903"))
    cin = dfe.cin_children(population, records, child_ids, reference)
    # A DfE return carries no system name of its own: its records are known by the return's
    # name (the folder's last part), so the truth names them so too and can be scored.
    truth += [["ssda903", row[0], _key(child_ids, row[0])] for row in tables["Header"]]
    truth += [
        ["cin_census", _child_id(element), _key(child_ids, _child_id(element))]
        for element in cin
    ]
    texts["truth/persons.csv"] = csv_text(truth)
    texts["truth/noise.csv"] = csv_text(noise)
    texts.update(_truth(population, records))
    residents = sum(
        1
        for human in population.humans.values()
        if (stay := human.residence_on(today)) is not None and stay.address.district
    )
    households = sum(
        1
        for household in population.households.values()
        if household.members and household.address.district
    )
    return _Neighbourhood(
        texts, groups, tables, cin, len(population.humans), residents, households, counts, demo
    )


def _key(child_ids: dict[str, str], record: str) -> str:
    return next(key for key, value in child_ids.items() if value == record)


def _child_id(element: str) -> str:
    return element.split("<LAchildID>", 1)[1].split("</LAchildID>", 1)[0]


TRUTH_HEADERS: dict[str, list[str]] = {
    "truth/persons.csv": ["system", "record_id", "person_key"],
    "truth/noise.csv": ["system", "record_id", "noise"],
    "truth/people.csv": [
        "person_key",
        "given_names",
        "family_name",
        "other_names",
        "sex",
        "birth_date",
        "death_date",
        "nhs_number",
        "upn",
        "mother",
        "father",
        "ethnicity",
    ],
    "truth/relationships.csv": ["from_person", "to_person", "kind", "valid_from", "valid_to"],
    "truth/households.csv": ["household_key", "person_key", "uprn", "kind"],
    "truth/residences.csv": [
        "person_key",
        "household_key",
        "uprn",
        "address_line1",
        "postcode",
        "address_kind",
        "social_housing",
        "from",
        "to",
        "restricted",
    ],
    "truth/involvements.csv": ["person_key", "system", "service", "start", "end"],
}


def _truth(population: Population, records: Any) -> dict[str, str]:
    iso = _iso
    people = []
    residences = []
    for human in population.humans.values():
        people.append(
            [
                human.key,
                human.given_names,
                human.family_name,
                human.other_names,
                human.sex,
                iso(human.birth_date),
                iso(human.death_date),
                human.nhs_number,
                human.upn,
                human.mother or "",
                human.father or "",
                human.ethnicity,
            ]
        )
        for stay in human.residences:
            residences.append(
                [
                    human.key,
                    stay.household,
                    stay.address.uprn,
                    stay.address.line1,
                    stay.address.postcode,
                    stay.address.kind,
                    "true" if stay.address.social else "false",
                    iso(stay.start),
                    iso(stay.end),
                    "true" if stay.restricted else "false",
                ]
            )
    bonds = [
        [bond.source, bond.target, bond.kind, iso(bond.start), iso(bond.end)]
        for bond in population.bonds
    ]
    households = [
        [household.key, key, household.address.uprn, household.kind]
        for household in population.households.values()
        if household.address.district
        for key in household.members
    ]
    involvements = [
        [e.person, e.system, e.service, iso(e.start), iso(e.end)] for e in records.episodes
    ]
    return {
        "truth/people.csv": csv_text(people),
        "truth/relationships.csv": csv_text(bonds),
        "truth/households.csv": csv_text(households),
        "truth/residences.csv": csv_text(residences),
        "truth/involvements.csv": csv_text(involvements),
    }


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


class _Writer:
    """Streams every neighbourhood's share into the borough's files, in neighbourhood order."""

    def __init__(self, out: Path, today: date) -> None:
        self.out = out
        self.today = today
        self.handles: dict[str, TextIO] = {}
        self.paths: list[Path] = []
        for system, (_write, mapping) in mapped.WRITERS.items():
            folder = out / system
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
            self.paths.append(folder / "mapping.toml")
            extract = _write_headers(system)
            for name, header in extract.items():
                self._open(f"{system}/{name}", header)
        for name, header in TRUTH_HEADERS.items():
            self._open(name, header)
        (out / "health").mkdir(parents=True, exist_ok=True)
        self.bundle: list[health.Serialised] = []
        self.bundle_patients = 0
        self.bundles = 0
        self.fhir_patients = 0
        self.ssda903: dict[str, list[list[str]]] = {table: [] for table in dfe.SSDA903_TABLES}
        self.cin: list[str] = []

    def _open(self, name: str, header: list[str]) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8", newline="")
        handle.write(csv_text([header]))
        self.handles[name] = handle
        self.paths.append(path)

    def add(self, result: _Neighbourhood) -> None:
        for name, text in result.texts.items():
            self.handles[name].write(text)
        for group in result.fhir:
            self.bundle.append(group)
            self.bundle_patients += group.patients
            self.fhir_patients += group.patients
            if self.bundle_patients >= PATIENTS_PER_BUNDLE:
                self._flush_bundle()
        for table, rows in result.ssda903.items():
            self.ssda903[table] += rows
        self.cin += result.cin

    def _flush_bundle(self) -> None:
        if not self.bundle:
            return
        self.bundles += 1
        path = self.out / "health" / f"bundle-{self.bundles:04d}.json"
        entries: list[str] = []
        practitioners: dict[str, str] = {}
        for group in self.bundle:
            entries += group.entries
            practitioners.update(group.practitioners)
        entries += [practitioners[key] for key in sorted(practitioners)]
        head = json.dumps({
            "resourceType": "Bundle",
            "id": f"eastbridge-health-{self.bundles:04d}",
            "type": "collection",
            "timestamp": f"{self.today.isoformat()}T00:00:00Z",
        }, separators=(",", ":"))
        with path.open("w", encoding="utf-8") as handle:
            handle.write(head[:-1] + ',"entry":[\n')
            handle.write(",\n".join(entries))
            handle.write("\n]}\n")
        self.paths.append(path)
        self.bundle = []
        self.bundle_patients = 0

    def close(self) -> list[Path]:
        self._flush_bundle()
        for handle in self.handles.values():
            handle.close()
        folder = self.out / "dfe_returns" / "ssda903"
        folder.mkdir(parents=True, exist_ok=True)
        for table, (name, columns) in dfe.SSDA903_TABLES.items():
            path = folder / name
            path.write_text(csv_text([list(columns), *self.ssda903[table]]), encoding="utf-8")
            self.paths.append(path)
        folder = self.out / "dfe_returns" / "cin_census"
        folder.mkdir(parents=True, exist_ok=True)
        reference = census_date(self.today)
        path = folder / f"{LA_CODE}_cin_{reference.year}.xml"
        path.write_text(
            dfe.cin_census_document(self.cin, reference, LA_CODE, self.today), encoding="utf-8"
        )
        self.paths.append(path)
        return self.paths


def _write_headers(system: str) -> dict[str, list[str]]:
    writer, _mapping = mapped.WRITERS[system]
    empty = Population(0, HISTORY_START, HISTORY_START, {}, {}, [], [])
    return writer(empty, ServiceRecords(), random.Random(0)).headers
