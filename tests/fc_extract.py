"""A generated two-system extract shaped like Social Finance's open Family Context sample.

Children's social care and a school each send one sheet: a row per child per involvement,
the address in one quoted cell over several lines with the postcode last, "Male/Female/
Other", "Current/Historic/Not Specified", datetimes such as "2022-10-15 00:00:00", a "Date
Current As Of" column, the lead practitioner's name, role, phone and email (a duty team's
number with no name on some), and the school's name, URN and contact number. The people are
bench/fc_sample.py's; what each row should become is returned beside the files, worked out
here without the loaders.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.fc_sample import generate

CSC_AS_OF = datetime(2022, 10, 15)
SCHOOL_AS_OF = datetime(2022, 10, 14)
# Two schools share a name: only their URNs tell them apart.
SCHOOLS = (
    ("St Mary's Primary School", "100234", "01632 960101"),
    ("St Mary's Primary School", "100871", "01632 960202"),
    ("Northwick Academy", "137455", "01632 960303"),
    ("Eastbury High School", "101009", "01632 960404"),
)
SERVICES = ("Child in Need", "Child Protection Plan", "Looked After Child", "Early Help")
CSC_HEADER = ("Person ID", "First Name", "Last Name", "Gender", "Date of Birth", "NHS Number",
              "Address", "Involvement Type", "Involvement Status", "Start Date", "End Date",
              "Last Contact", "Lead Practitioner", "Lead Practitioner Role",
              "Lead Practitioner Phone", "Lead Practitioner Email", "Date Current As Of")
SCHOOL_HEADER = ("Pupil ID", "Forename", "Surname", "Sex", "DOB", "UPN", "Home Address",
                 "School Name", "School URN", "School Contact Number", "Enrolment Status",
                 "Start Date", "End Date", "Date Current As Of")
GENDERS = {"M": "Male", "F": "Female"}


@dataclass(frozen=True, slots=True)
class Expected:
    """What one source row should become once loaded."""

    system: str
    record_id: str
    line1: str  # every address line but the postcode, joined with ", "
    postcode: str  # as normalised, '' when the source gave none
    service: str
    start: date
    end: date | None  # given, or inferred for a closed involvement that gave none
    open_on_extract: bool
    phone: str
    lead_name: str
    school_urn: str = ""


@dataclass(slots=True)
class FcExtract:
    folder: Path
    rows: list[Expected] = field(default_factory=list)
    truth: dict[str, str] = field(default_factory=dict)  # record key -> child id


def _stamp(day: date | datetime | None) -> str:
    if day is None:
        return ""
    return datetime(day.year, day.month, day.day).strftime("%Y-%m-%d %H:%M:%S")


def _postcode(text: str) -> str:
    compact = text.replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if compact else ""


def write_fc_extract(folder: Path, records: int = 300, seed: int = 3) -> FcExtract:
    """Write `Social Care.csv` and `School.csv` into `folder` (not the mapping)."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = generate(records, seed)
    rng = random.Random(seed)
    found = FcExtract(folder, truth=dict(sample.truth))
    csc_rows: list[list[str]] = []
    school_rows: list[list[str]] = []
    for record in sample.records:
        lines = [x for x in (record.line1, record.line2, record.town, record.postcode) if x]
        address = "\n".join(lines)
        line1 = ", ".join(lines[:-1])  # with no postcode, the town is the last line
        start = date(2019, 1, 1) + timedelta(days=rng.randrange(1000))
        status = rng.choice(("Current", "Current", "Historic", "Historic", "Not Specified"))
        given_end: date | None = None
        last: date | None = None
        if status == "Historic" and rng.random() < 0.5:
            given_end = start + timedelta(days=rng.randrange(30, 300))
        if status == "Not Specified" and rng.random() < 0.5:
            given_end = start + timedelta(days=rng.randrange(30, 300))
        as_of = CSC_AS_OF if record.system == "csc" else SCHOOL_AS_OF
        if record.system == "csc" and status == "Historic" and given_end is None \
                and rng.random() < 0.6:
            last = start + timedelta(days=rng.randrange(10, 200))
        closed = status == "Historic" or (status == "Not Specified" and given_end is not None)
        inferred = last or as_of.date() - timedelta(days=1)
        end = given_end or (max(inferred, start) if status == "Historic" else None)
        sex = GENDERS[record.sex] if rng.random() < 0.95 else "Other"
        if record.system == "csc":
            service = rng.choice(SERVICES)
            named = rng.random() < 0.8
            lead = (f"{rng.choice(('Priya', 'Tom', 'Ade', 'Sian'))} "
                    f"{rng.choice(('Nair', 'Hughes', 'Okoro', 'Evans'))}") if named else ""
            phone = f"01632 960{rng.randrange(100, 999)}"  # Ofcom's drama range
            csc_rows.append([
                record.record_id, record.given, record.family, sex, _stamp(record.birth_date),
                record.nhs or "", address, service, status, _stamp(start), _stamp(given_end),
                _stamp(last), lead, "Social Worker" if named else "Duty Team", phone,
                "duty@northwick.example" if not named else "", _stamp(CSC_AS_OF),
            ])
            found.rows.append(Expected("csc", record.record_id, line1,
                                       _postcode(record.postcode), service, start, end,
                                       not closed, phone, lead))
        else:
            name, urn, phone = rng.choice(SCHOOLS)
            school_rows.append([
                record.record_id, record.given, record.family, sex, _stamp(record.birth_date),
                record.upn or "", address, name, urn, phone, status, _stamp(start),
                _stamp(given_end), _stamp(SCHOOL_AS_OF),
            ])
            found.rows.append(Expected("school", record.record_id, line1,
                                       _postcode(record.postcode), "School", start, end,
                                       not closed, phone, "", urn))
    for name, header, rows in (("Social Care.csv", CSC_HEADER, csc_rows),
                               ("School.csv", SCHOOL_HEADER, school_rows)):
        with (folder / name).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return found
