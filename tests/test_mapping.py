"""Mapped CSV: a council's own columns onto the canonical ones through mapping.toml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.model import Sex
from loaders.errors import LoadError
from loaders.pipeline import load_extract

TODAY = date(2026, 11, 23)

MAPPING = """
system = "lcs"
date_format = "%d/%m/%Y"

[[files]]
name = "Persons*.csv"
kind = "people"
[files.columns]
record_id = "Person ID"
given_names = ["Forename", "Middle"]
family_name = "Surname"
sex = "Gender"
birth_date = "DOB"
nhs_number = "NHS No"
postcode = "Post Code"
address_line1 = "Address 1"
[files.values.sex]
1 = "male"
2 = "female"

[[files]]
name = "Work.csv"
kind = "involvements"
[files.columns]
record_id = "Person ID"
service = "Service"
start = "Start"
lead_name = "Worker"
lead_phone = "Phone"
[files.constants]
level = "statutory"
organisation = "Eastbridge Children's Social Care"
"""
PERSONS = (
    "Person ID,Forename,Middle,Surname,Gender,DOB,NHS No,Post Code,Address 1\n"
    "101,Amy,Jo,Hart,2,02/04/1990,943 476 5919,eb1 4qt,1 Alder Road\n"
    "102,Cara,,Hart,2,31/02/2017,,EB1 4QT,1 Alder Road\n"
    "103,,,,1,01/01/2000,,,\n"
)
WORK = (
    "Person ID,Service,Start,Worker,Phone\n"
    "101,Child in need,01/09/2026,Priya Nair,020 7946 0123\n"
)


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    folder = tmp_path / "lcs"
    folder.mkdir()
    (folder / "mapping.toml").write_text(MAPPING)
    (folder / "Persons_2026.csv").write_text(PERSONS)
    (folder / "Work.csv").write_text(WORK)
    return folder


def test_mapped_folder_loads_through_the_canonical_rules(extract: Path, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [extract], today=TODAY)
    assert (log.read, log.loaded, log.quarantined) == (4, 3, 1)
    (amy,) = [p for p in store.people(store.record_owners(["R:lcs/101"]).values()).values()]
    assert (amy.given_names, amy.sex, amy.birth_date) == ("Amy Jo", Sex.FEMALE, date(1990, 4, 2))
    assert amy.nhs_number == "9434765919"
    assert store.counts()["Involvement"] == 1
    store.close()


def test_rows_are_reported_with_the_source_column(extract: Path, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [extract], today=TODAY)
    assert [(r.row, r.field) for r in log.rejections] == [(4, "Surname (family_name)")]
    store.close()


def test_bad_optional_date_is_dropped_with_a_warning_naming_the_format(
        extract: Path, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [extract], today=TODAY)
    (problem,) = [w for w in log.warnings if w.row == 3]
    assert problem.field == "DOB (birth_date)" and "%d/%m/%Y" in problem.reason
    store.close()


def test_mapping_naming_a_missing_column_stops_the_load(extract: Path, tmp_path: Path) -> None:
    (extract / "Work.csv").write_text("Person ID,Service,Start,Worker\n101,CIN,01/09/2026,P\n")
    store = EmbeddedStore(tmp_path / "store")
    with pytest.raises(LoadError, match="Phone"):
        load_extract(store, [extract], today=TODAY)
    assert store.counts() == {} and store.load_logs() == []
    store.close()


@pytest.mark.parametrize(("change", "message"), [
    ('kind = "people"', 'kind = "persons"'),
    ("record_id = \"Person ID\"", "colour = \"Person ID\""),
    ("[files.constants]", "[files.constants]\nhair = \"red\""),
    ("system = \"lcs\"", "system = "),
])
def test_bad_mapping_is_refused_before_reading_data(extract: Path, tmp_path: Path, change: str,
                                                    message: str) -> None:
    (extract / "mapping.toml").write_text(MAPPING.replace(change, message, 1))
    store = EmbeddedStore(tmp_path / "store")
    with pytest.raises(LoadError, match=r"mapping\.toml"):
        load_extract(store, [extract], today=TODAY)
    store.close()
