"""The worked mappings in docs/mappings load their shapes of extract with the TOML alone."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.questions.services import services_engaged
from graph.store import LoadLog
from loaders.identity import record_node_id
from loaders.involvements import end_closed_involvements
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract
from loaders.registry import plan
from tests.fc_extract import CSC_AS_OF, SCHOOL_AS_OF, FcExtract, write_fc_extract
from tests.mapping_shapes import SHAPES

MAPPINGS = Path(__file__).parent.parent / "docs" / "mappings"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def fc(tmp_path_factory: pytest.TempPathFactory) -> FcExtract:
    found = write_fc_extract(tmp_path_factory.mktemp("fc") / "extract")
    shutil.copy(MAPPINGS / "family-context.toml", found.folder / "mapping.toml")
    return found


@pytest.fixture(scope="module")
def fc_read(fc: FcExtract) -> tuple[Extract, Quarantine]:
    extract, quarantine = Extract(), Quarantine()
    for module, path in plan([fc.folder]):
        module.read(path, quarantine, TODAY, extract)
    end_closed_involvements(extract, quarantine, TODAY)
    return extract, quarantine


@pytest.fixture(scope="module")
def fc_store(fc: FcExtract, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[EmbeddedStore, LoadLog]:
    store = EmbeddedStore(tmp_path_factory.mktemp("fc-store") / "store")
    return store, load_extract(store, [fc.folder], today=TODAY)


def test_family_context_extract_loads_balanced_with_nothing_refused(
        fc: FcExtract, fc_store: tuple[EmbeddedStore, LoadLog]) -> None:
    _, log = fc_store
    assert log.balanced and log.read == 2 * len(fc.rows)
    assert log.quarantined == 0, log.rejections[:3]


def test_family_context_addresses_split_into_lines_and_postcode(
        fc: FcExtract, fc_read: tuple[Extract, Quarantine]) -> None:
    extract, _ = fc_read
    people = {p.key: p for p in extract.people}
    for row in fc.rows:
        address = people[f"{row.system}/{row.record_id}"].address
        assert address is not None
        assert (address.line1, address.postcode) == (row.line1, row.postcode)
    assert any("\n" not in row.line1 and row.postcode for row in fc.rows)


def test_a_missing_postcode_warns_at_the_first_line_of_its_record_naming_the_column(
        fc: FcExtract, fc_read: tuple[Extract, Quarantine]) -> None:
    _, quarantine = fc_read
    missing = {(r.system, r.record_id) for r in fc.rows if not r.postcode}
    warned = [w for w in quarantine.warnings if w.field.endswith("(postcode)")]
    assert missing and len(warned) == len(missing)
    for warning in warned:
        assert warning.field in ("Address (postcode)", "Home Address (postcode)")
        lines = Path(warning.file).read_text(encoding="utf-8-sig").splitlines()
        record_id = lines[warning.row - 1].split(",", 1)[0]
        system = "csc" if warning.file.endswith("Social Care.csv") else "school"
        assert (system, record_id) in missing


def test_family_context_extract_dates_come_from_the_data(
        fc_store: tuple[EmbeddedStore, LoadLog]) -> None:
    _, log = fc_store
    assert log.detail["systems"] == {"csc": CSC_AS_OF.date().isoformat(),
                                     "school": SCHOOL_AS_OF.date().isoformat()}
    assert set(log.detail["coverage"]) == {"csc", "school"}


def test_family_context_closed_involvements_end_as_stated_or_inferred(
        fc: FcExtract, fc_read: tuple[Extract, Quarantine]) -> None:
    extract, quarantine = fc_read
    found = {(i.system, i.record_id): i for i in extract.involvements}
    for row in fc.rows:
        inv = found[(row.system, row.record_id)]
        assert (inv.status == "open") == row.open_on_extract
        assert inv.end == row.end
    inferred = [w for w in quarantine.warnings if w.field == "end"]
    assert inferred and all("closed with no end date" in w.reason for w in inferred)
    assert {"its last activity", "the day before the extract date"} <= {
        w.reason.split("(", 1)[1].rstrip(")") for w in inferred}


def test_services_engaged_never_lists_a_closed_involvement_as_open(
        fc: FcExtract, fc_store: tuple[EmbeddedStore, LoadLog]) -> None:
    store, _ = fc_store
    for row in fc.rows:
        key = f"{row.system}/{row.record_id}"
        person = store.record_owners([record_node_id(key)])[record_node_id(key)]
        as_of = (CSC_AS_OF if row.system == "csc" else SCHOOL_AS_OF).date()
        listed = [s for s in services_engaged(store, person, as_of=as_of)
                  if any(ref.system == row.system and ref.record_id == row.record_id
                         for ref in s.view.involvement.sources)]
        assert bool(listed) == row.open_on_extract, row


def test_school_contacts_are_kept_per_enrolment_and_schools_told_apart_by_urn(
        fc: FcExtract, fc_store: tuple[EmbeddedStore, LoadLog]) -> None:
    store, _ = fc_store
    leads: dict[str, str] = {}
    organisations: dict[str, str] = {}
    for row in fc.rows:
        if row.system != "school" or not row.open_on_extract:
            continue
        key = f"{row.system}/{row.record_id}"
        person = store.record_owners([record_node_id(key)])[record_node_id(key)]
        (school,) = [s.view for s in services_engaged(store, person,
                                                       as_of=SCHOOL_AS_OF.date())
                     if s.view.involvement.service == "School"]
        assert school.organisation is not None and school.lead is not None
        assert (school.organisation.kind, school.organisation.code) == ("school", row.school_urn)
        assert (school.lead.name, school.lead.phone) == ("", row.phone)
        leads[school.lead.id] = row.record_id
        organisations[row.school_urn] = school.organisation.id
    assert len(leads) == sum(r.system == "school" and r.open_on_extract for r in fc.rows)
    assert len(set(organisations.values())) == len(organisations) >= 2


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_worked_mapping_loads_its_shape(shape: str, tmp_path: Path) -> None:
    folder = tmp_path / shape
    expected = SHAPES[shape](folder)
    shutil.copy(MAPPINGS / f"{shape}.toml", folder / "mapping.toml")
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [folder], today=TODAY)
    assert log.balanced and (log.read, log.quarantined) == (expected.read, expected.quarantined)
    counts = store.counts()
    for label, number in expected.counts.items():
        assert counts.get(label, 0) == number, label
    assert log.detail["systems"] == expected.extract_dates
    for words in expected.warnings:
        assert any(words in w.reason for w in log.warnings), words
    store.close()
