"""Each full extract is a snapshot of its system: gone is ended, never deleted."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.model import SourceRecord
from graph.questions.household import household_of
from graph.questions.services import Scope, services_engaged
from loaders.formats.canonical_csv import INVOLVEMENTS, PEOPLE
from loaders.pipeline import load_extract

DAY_ONE, DAY_TWO = date(2026, 10, 1), date(2026, 11, 1)


def person(record_id: str, given: str, line1: str, moved_in: str) -> dict[str, str]:
    return {**dict.fromkeys(PEOPLE, ""), "system": "lcs", "record_id": record_id,
            "given_names": given, "family_name": "Hart", "sex": "female",
            "birth_date": "1990-01-01" if given != "Cara" else "2016-01-01",
            "address_line1": line1, "town": "Eastbridge", "postcode": "EB1 4QT",
            "address_from": moved_in}


def write(folder: Path, people: list[dict[str, str]], involvements: list[dict[str, str]] = ()
          ) -> Path:  # type: ignore[assignment]
    folder.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (("people.csv", PEOPLE, people),
                                ("involvements.csv", INVOLVEMENTS, involvements)):
        with (folder / name).open("w", newline="") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


CIN = {**dict.fromkeys(INVOLVEMENTS, ""), "system": "lcs", "record_id": "3",
       "service": "Child in need", "level": "statutory", "start": "2026-01-05"}


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    opened = EmbeddedStore(tmp_path / "store")
    first = write(tmp_path / "one", [person("1", "Amy", "1 Alder Road", "2015-01-01"),
                                     person("2", "Bea", "1 Alder Road", "2015-01-01"),
                                     person("3", "Cara", "1 Alder Road", "2016-01-01")], [CIN])
    load_extract(opened, [first], today=DAY_ONE)
    return opened


def owner(store: EmbeddedStore, record_id: str) -> str:
    return store.record_owners([f"R:lcs/{record_id}"])[f"R:lcs/{record_id}"]


def test_record_missing_from_newer_extract_is_ended_not_deleted(store: EmbeddedStore,
                                                                 tmp_path: Path) -> None:
    second = write(tmp_path / "two", [person("1", "Amy", "1 Alder Road", "2015-01-01"),
                                      person("3", "Cara", "1 Alder Road", "2016-01-01")], [CIN])
    log = load_extract(store, [second], today=DAY_TWO)
    assert log.detail["ended"] == 2  # Bea's record and her membership
    (bea_record,) = [r for r in store.source_records("lcs") if r.local_id == "2"]
    assert isinstance(bea_record, SourceRecord) and bea_record.ended == DAY_TWO
    cara = owner(store, "3")
    now = {m.person.given_names for m in household_of(store, cara, DAY_TWO).members}
    before = {m.person.given_names for m in household_of(store, cara, date(2026, 9, 1)).members}
    assert now == {"Amy"} and before == {"Amy", "Bea"}
    assert store.people([owner(store, "2")]), "the person is kept"


def test_changed_address_closes_the_old_period_and_opens_the_new(store: EmbeddedStore,
                                                                 tmp_path: Path) -> None:
    second = write(tmp_path / "two", [person("1", "Amy", "1 Alder Road", "2015-01-01"),
                                      person("2", "Bea", "9 Birch Lane", "2026-10-20"),
                                      person("3", "Cara", "1 Alder Road", "2016-01-01")], [CIN])
    load_extract(store, [second], today=DAY_TWO)
    bea = owner(store, "2")
    periods = sorted((m.valid_from, m.valid_to) for m in store.memberships([bea]))
    assert periods == [(date(2015, 1, 1), date(2026, 10, 19)), (date(2026, 10, 20), None)]
    assert household_of(store, bea, DAY_TWO).address.line1 == "9 Birch Lane"  # type: ignore[union-attr]
    assert household_of(store, bea, date(2026, 10, 1)).address.line1 == "1 Alder Road"  # type: ignore[union-attr]


def test_open_involvement_missing_from_newer_extract_is_closed(store: EmbeddedStore,
                                                               tmp_path: Path) -> None:
    people = [person("1", "Amy", "1 Alder Road", "2015-01-01"),
              person("2", "Bea", "1 Alder Road", "2015-01-01"),
              person("3", "Cara", "1 Alder Road", "2016-01-01")]
    load_extract(store, [write(tmp_path / "two", people)], today=DAY_TWO)
    cara = owner(store, "3")
    assert services_engaged(store, cara, Scope.CHILD, DAY_TWO) == []
    (was,) = services_engaged(store, cara, Scope.CHILD, date(2026, 6, 1))
    closed = was.view.involvement
    assert (closed.end, closed.status) == (date(2026, 10, 31), "closed")


def test_the_same_extract_again_ends_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    before = store.counts()
    again = write(tmp_path / "again", [person("1", "Amy", "1 Alder Road", "2015-01-01"),
                                       person("2", "Bea", "1 Alder Road", "2015-01-01"),
                                       person("3", "Cara", "1 Alder Road", "2016-01-01")], [CIN])
    log = load_extract(store, [again], today=DAY_ONE)
    assert log.detail["ended"] == 0 and store.counts() == before


def test_partial_load_ends_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    fix = write(tmp_path / "fix", [person("1", "Amy", "1 Alder Road", "2015-01-01")])
    log = load_extract(store, [fix], today=DAY_TWO, partial=True)
    assert log.detail["ended"] == 0
    assert all(r.ended is None for r in store.source_records("lcs"))
