"""Generate a synthetic borough: simulate its people, then write each source system's extract.

Eastbridge is fictional. Humans are simulated first (households, partners and former partners,
children, stepfamilies with half-siblings, grandparents, moves); then each of four source systems
(``social_care``, ``early_help``, ``education``, ``health``) writes its own partial view with its
own record ids as canonical CSV, under ``out/<system>/``. Nothing here reads or imports the
loaders, so a mistake in one cannot be hidden by the same mistake in the other.

Identifiers are valid but cannot be real: NHS numbers are in the 999 test range with a correct
Modulus 11 check digit, UPNs carry a correct DfE check letter, phone numbers are in Ofcom's drama
range and postcode areas are unused.

Noise, kept light so a simple resolver (the same valid NHS number, or the same normalised name,
birth date and postcode) merges most records:

- about 3% of records in every system write the postcode without its space or in lower case;
- about 2% of early-help records use a short form of the first name (William as Bill);
- about 2% of social-care records lack the NHS number;
- fields a system does not hold are empty (see ``extracts``: education holds no NHS numbers,
  health no UPNs, early help NHS numbers for only some children).

Alongside the extracts, ``out/truth/`` holds the ground truth (``persons.csv``: which simulated
person each record is; ``households.csv``: who lives together now), which loaders never read, and
``out/demo.json`` names the demonstration child: a school-age child in a stepfamily (mother, her
partner, a younger half-sibling) open to social care with a lead practitioner, and known to
health and education.

Same arguments, same bytes: every random draw comes from ``random.Random`` seeded from ``seed``,
one stream per stage, so extending one stage leaves the others' draws unchanged.
"""

import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .extracts import build_extract, write_extract, write_truth
from .identifiers import IdentifierIssuer
from .places import Gazetteer
from .population import simulate_population
from .services import SYSTEMS, record_services
from .workforce import Workforce

#: The system the demonstration child is named in.
DEMO_SYSTEM = "social_care"


@dataclass(frozen=True)
class DemoChild:
    """The record a demonstration starts from."""

    system: str
    record_id: str
    given_names: str
    family_name: str


@dataclass(frozen=True)
class BoroughSummary:
    """What :func:`generate_borough` made."""

    people: int
    households: int
    records_by_system: dict[str, int]
    demo_child: DemoChild
    files: list[Path]


def generate_borough(
    people: int, seed: int, out: Path, today: date | None = None
) -> BoroughSummary:
    """Simulate a borough of ``people`` humans and write its source-system extracts to ``out``.

    Parameters
    ----------
    people:
        How many humans to simulate (at least 10); exactly this many are simulated.
    seed:
        Seed for every random draw; the same arguments give byte-identical files.
    out:
        Folder to write into (created if missing). Files already there that this generator
        does not write are left alone.
    today:
        The extract date; ages, open episodes and address histories are as of this day.
        Defaults to the current date.

    Returns
    -------
    BoroughSummary
        Counts, the demonstration child and every file written.

    Raises
    ------
    ValueError
        If ``people`` is below 10, too few to hold the demonstration family.
    """
    today = date.today() if today is None else today
    issuer = IdentifierIssuer(_stream(seed, "identifiers"))
    gazetteer = Gazetteer(_stream(seed, "places"), issuer, people)
    population = simulate_population(people, today, _stream(seed, "population"), gazetteer, issuer)
    records = record_services(
        population, Workforce(_stream(seed, "workforce")), _stream(seed, "services")
    )
    extracts = [
        build_extract(system, population, records, _stream(seed, f"extract:{system}"))
        for system in SYSTEMS
    ]
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for extract in extracts:
        files.extend(write_extract(extract, out))
    files.extend(write_truth(out, population, extracts))

    demo_record = next(
        extract.record_ids[population.demo_child]
        for extract in extracts
        if extract.system == DEMO_SYSTEM
    )
    demo_file = out / "demo.json"
    demo_file.write_text(
        json.dumps({"system": DEMO_SYSTEM, "record_id": demo_record}, indent=2) + "\n",
        encoding="utf-8",
    )
    files.append(demo_file)
    child = population.humans[population.demo_child]
    return BoroughSummary(
        people=len(population.humans),
        households=sum(1 for household in population.households if household.members),
        records_by_system={extract.system: len(extract.record_ids) for extract in extracts},
        demo_child=DemoChild(DEMO_SYSTEM, demo_record, child.given_names, child.family_name),
        files=sorted(files),
    )


def _stream(seed: int, stage: str) -> random.Random:
    # A string seed is hashed with SHA-512, not Python's per-process hash, so it is stable.
    return random.Random(f"famgraph-synthetic:{seed}:{stage}")
