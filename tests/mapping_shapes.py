"""Generated extracts in three more shapes councils send, for the worked mappings in
docs/mappings: a Liquidlogic-like social care and early help export, a school MIS export in
Windows-1252, and a police domestic-abuse notification list saved as Excel "Unicode text"
(UTF-16, tab-separated). Each writer returns what loading it must give, worked out here."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

FORENAMES = ("Amy", "Ben", "Cara", "Dev", "Ella", "Finn", "Gita", "Huw", "Iris", "Jon",
             "Siân", "Zoë")
SURNAMES = ("Hart", "Khan", "Lloyd", "Mensah", "Nowak", "O'Neill", "Price", "Rahman")
STREETS = ("Alder Road", "Birch Lane", "Canal Side", "Dock Street")


@dataclass(frozen=True, slots=True)
class Shape:
    """What loading one generated extract through its worked mapping must give."""

    read: int
    quarantined: int
    counts: dict[str, int]
    extract_dates: dict[str, str]
    warnings: tuple[str, ...] = field(default=())


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _postcode(rng: random.Random) -> str:
    return f"NW{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABD')}{rng.choice('EFG')}"


def liquidlogic(folder: Path, children: int = 24, seed: int = 5) -> Shape:
    """LCS persons, relationships and episodes, and an EHM sheet, dated in their names."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    persons = [["PERSONID", "FORENAME", "SURNAME", "GENDER", "DOB", "NHSNUMBER", "ADDRESS1",
                "ADDRESS2", "TOWN", "POSTCODE"]]
    relations = [["PERSONID", "RELATED_PERSONID", "RELATIONSHIP"]]
    episodes = [["PERSONID", "EPISODE_TYPE", "START_DATE", "END_DATE", "WORKER", "TEAM",
                 "WORKER_PHONE", "WORKER_EMAIL"]]
    ehm = [["Client ID", "Client Name", "DoB", "Post Code", "Episode Start", "Episode Closed",
            "Key Worker"]]
    for n in range(children):
        child, mother = f"{1000 + n}", f"{5000 + n}"
        family = rng.choice(SURNAMES)
        street = f"{rng.randrange(1, 99)} {rng.choice(STREETS)}"
        postcode = _postcode(rng)
        born = date(2010, 1, 1) + timedelta(days=rng.randrange(3000))
        gender = "X" if n == 0 else rng.choice("MFU")  # X is no code the mapping knows
        persons.append([child, rng.choice(FORENAMES), family, gender, born.strftime("%d/%m/%Y"),
                        "", street, "", "Northwick", postcode])
        persons.append([mother, rng.choice(FORENAMES), family, "F", "02/03/1985", "", street,
                        "", "Northwick", postcode])
        relations.append([mother, child, "MOT"])
        start = date(2021, 1, 1) + timedelta(days=rng.randrange(500))
        closed = n % 3 == 0
        episodes.append([child, rng.choice(("CIN", "CP", "LAC")), start.strftime("%d/%m/%Y"),
                         (start + timedelta(days=90)).strftime("%d/%m/%Y") if closed else "",
                         "Nair, Priya", "Assessment Team 2", "01632 960555",
                         "priya.nair@northwick.example"])
        if n % 2 == 0:
            ehm.append([f"EH{n:04d}", f"{family}, {rng.choice(FORENAMES)}", born.isoformat(),
                        postcode.replace(" ", "").lower(), start.isoformat(), "", "Sam Lee"])
    stamp = "20221015"
    for name, rows in ((f"LCS_Persons_{stamp}.csv", persons),
                       (f"LCS_Relationships_{stamp}.csv", relations),
                       (f"LCS_Episodes_{stamp}.csv", episodes),
                       (f"EHM_Episodes_{stamp}.csv", ehm)):
        (folder / name).write_text(_csv(rows), encoding="utf-8")
    ehm_rows = len(ehm) - 1
    return Shape(
        read=2 * children + children + children + 2 * ehm_rows,
        quarantined=0,
        counts={"Involvement": children + ehm_rows},
        extract_dates={"social_care": "2022-10-15", "early_help": "2022-10-15"},
        warnings=("'X' is not in the value map",),
    )


def school_mis(folder: Path, pupils: int = 30, seed: int = 6) -> Shape:
    """A school MIS pupil list: one-line addresses, C/L status codes, Windows-1252."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    rows = [["Adno", "UPN", "Legal Surname", "Legal Forename", "Gender", "DOB", "Address",
             "Enrolment Status", "Date of Admission", "Date of Leaving"]]
    current = 0
    for n in range(pupils):
        left = n % 4 == 0
        current += not left
        admitted = date(2019, 9, 1) + timedelta(days=365 * rng.randrange(3))
        rows.append([f"{n + 1:06d}", "", rng.choice(SURNAMES), rng.choice(FORENAMES),
                     rng.choice("MF"), f"{rng.randrange(1, 28):02d}/0{rng.randrange(1, 9)}/2012",
                     f"{rng.randrange(1, 99)} {rng.choice(STREETS)}, Northwick, "
                     f"{_postcode(rng)}",
                     "L" if left else "C", admitted.strftime("%d/%m/%Y"),
                     # A leaver with no leaving date: ended at the extract date, and said so.
                     "" if left and n % 8 == 0 else
                     (admitted + timedelta(days=300)).strftime("%d/%m/%Y") if left else ""])
    (folder / "Pupils.csv").write_bytes(_csv(rows).encode("cp1252"))
    return Shape(read=2 * pupils, quarantined=0,
                 counts={"Involvement": pupils, "Organisation": 1, "Practitioner": 1},
                 extract_dates={"education": "2022-10-14"},
                 warnings=("closed with no end date",))


def police_da(folder: Path, notifications: int = 20, seed: int = 7) -> Shape:
    """A domestic-abuse notification list saved as Excel "Unicode text"."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    rows = [["Nominal ID", "Name", "DOB", "Occurrence Date", "Role", "DASH Risk", "Address"]]
    for n in range(notifications):
        rows.append([f"N{n:05d}", f"{rng.choice(SURNAMES).upper()}, {rng.choice(FORENAMES)}",
                     f"{rng.randrange(1, 28):02d}/0{rng.randrange(1, 9)}/19{rng.randrange(70, 99)}",
                     f"{rng.randrange(1, 28):02d}/0{rng.randrange(1, 9)}/2022 "
                     f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
                     rng.choice(("Victim", "Perpetrator")),
                     rng.choice(("Standard", "Medium", "High")),
                     f"{rng.randrange(1, 99)} {rng.choice(STREETS)}\nNorthwick\n{_postcode(rng)}"])
    (folder / "DA_Notifications_2022-10-13.txt").write_bytes(
        _csv(rows, delimiter="\t").encode("utf-16"))
    return Shape(read=3 * notifications, quarantined=0,
                 counts={"Event": notifications, "RiskIndicator": notifications},
                 extract_dates={"police": "2022-10-13"})


SHAPES: dict[str, Callable[[Path], Shape]] = {
    "liquidlogic": liquidlogic,
    "school-mis": school_mis,
    "police-da": police_da,
}
