"""Tests for loaders/formats/canonical_csv.py, through read_canonical and load_extract.

Files are written inline by small helpers; the store is a real EmbeddedStore in tmp_path.
Every test that loads checks that the counts balance (read = loaded + quarantined).
"""

import csv
import gc
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.model import Person, Sensitivity
from graph.store import LoadLog
from loaders.errors import LoadError
from loaders.formats.canonical_csv import (
    ADDRESSES,
    EVENTS,
    FILE_KINDS,
    INVOLVEMENTS,
    PEOPLE,
    RELATIONSHIPS,
    RISK_INDICATORS,
    read_canonical,
)
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract

TODAY = date(2026, 11, 23)

Row = dict[str, str] | Sequence[str]


# --- helpers ------------------------------------------------------------------------------------


def person(**values: str) -> dict[str, str]:
    """A good people row (Ann Lee, born 2015, living in Leeds) with some values replaced."""
    row = dict.fromkeys(PEOPLE, "")
    row.update(
        system="lcs",
        record_id="C1",
        given_names="Ann",
        family_name="Lee",
        sex="F",
        birth_date="2015-03-02",
        address_line1="1 High Street",
        town="Leeds",
        postcode="LS8 3DR",
        address_from="2020-01-01",
    )
    row.update(values)
    return row


def relationship(source: str, target: str, kind: str = "mother", system: str = "lcs") -> Row:
    return {
        "system": system,
        "from_record_id": source,
        "to_record_id": target,
        "kind": kind,
        "valid_from": "",
        "valid_to": "",
    }


def involvement(**values: str) -> dict[str, str]:
    row = dict.fromkeys(INVOLVEMENTS, "")
    row.update(
        system="lcs",
        record_id="C1",
        service="Early Help",
        level="targeted",
        start="2025-01-06",
        lead_name="Sam Patel",
        organisation="Leeds City Council",
    )
    row.update(values)
    return row


def address(**values: str) -> dict[str, str]:
    row = dict.fromkeys(ADDRESSES, "")
    row.update(
        system="lcs",
        record_id="C1",
        address_line1="9 Low Road",
        town="Leeds",
        postcode="LS8 3DR",
        **{"from": "2016-01-01", "to": "2019-12-31", "restricted": "no"},
    )
    row.update(values)
    return row


def event(**values: str) -> dict[str, str]:
    row = {
        "system": "lcs",
        "record_id": "C1",
        "date": "2024-05-01",
        "type": "referral",
        "summary": "Referred by school",
        "sensitivity": "",
    }
    row.update(values)
    return row


def risk(**values: str) -> dict[str, str]:
    row = {
        "system": "lcs",
        "record_id": "C1",
        "kind": "attendance",
        "from": "2024-07-20",
        "to": "",
        "summary": "Persistently absent in 2023/24",
        "sensitivity": "",
    }
    row.update(values)
    return row


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Row] = ()) -> Path:
    """A CSV file: the header, then rows given as dicts (by column) or lists (as written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[c] for c in header] if isinstance(row, dict) else row)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def people_file(folder: Path, *rows: Row, name: str = "people.csv") -> Path:
    return write_csv(folder / name, PEOPLE, rows)


def read(*paths: Path) -> tuple[Extract, Quarantine]:
    quarantine = Quarantine()
    return read_canonical(list(paths), quarantine, TODAY), quarantine


def load(store: EmbeddedStore, *paths: Path) -> LoadLog:
    """Load through the pipeline and check the counts balance, as every load must."""
    log = load_extract(store, list(paths), today=TODAY)
    assert log.read == log.loaded + log.quarantined
    return log


def owner(store: EmbeddedStore, system: str, record_id: str) -> str:
    node_id = f"R:{system}/{record_id}"
    owners = store.record_owners([node_id])
    assert node_id in owners, f"{node_id} has no person"
    return owners[node_id]


def person_of(store: EmbeddedStore, system: str, record_id: str) -> Person:
    person_id = owner(store, system, record_id)
    return store.people([person_id])[person_id]


def where(log: LoadLog) -> set[tuple[str, int, str]]:
    return {(r.file, r.row, r.field) for r in log.rejections}


def warned(log: LoadLog) -> set[tuple[str, int, str]]:
    return {(r.file, r.row, r.field) for r in log.warnings}


@pytest.fixture
def graph_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


# --- file kinds ---------------------------------------------------------------------------------

ONE_ROW_OF_EACH_KIND: dict[str, tuple[tuple[str, ...], Row, str]] = {
    "people": (PEOPLE, person(), "people"),
    "addresses": (ADDRESSES, address(), "addresses"),
    "relationships": (RELATIONSHIPS, relationship("M1", "C1"), "relationships"),
    "involvements": (INVOLVEMENTS, involvement(), "involvements"),
    "events": (EVENTS, event(), "events"),
    "risk_indicators": (RISK_INDICATORS, risk(), "risks"),
}


@pytest.mark.parametrize("kind", sorted(ONE_ROW_OF_EACH_KIND))
def test_file_kind_is_told_by_its_header(tmp_path: Path, kind: str) -> None:
    header, row, records = ONE_ROW_OF_EACH_KIND[kind]
    extract, quarantine = read(write_csv(tmp_path / "any-name.csv", header, [row]))
    assert len(getattr(extract, records)) == 1
    assert extract.read == 1
    assert quarantine.rejected == []


def test_the_six_kinds_are_those_of_the_design() -> None:
    assert set(FILE_KINDS) == {"people", "addresses", "relationships", "involvements", "events",
                               "risk_indicators"}


@pytest.mark.parametrize("kind", sorted(ONE_ROW_OF_EACH_KIND))
def test_header_columns_in_any_order_are_recognised(tmp_path: Path, kind: str) -> None:
    header, row, records = ONE_ROW_OF_EACH_KIND[kind]
    shuffled = list(reversed(header))
    extract, quarantine = read(write_csv(tmp_path / "reversed.csv", shuffled, [row]))
    assert len(getattr(extract, records)) == 1
    assert quarantine.rejected == []


def test_people_columns_in_another_order_keep_their_meaning(tmp_path: Path) -> None:
    header = sorted(PEOPLE)
    path = write_csv(tmp_path / "people.csv", header, [person(given_names="Zoë", family_name="Ng")])
    extract, _ = read(path)
    record = extract.people[0]
    assert (record.given_names, record.family_name) == ("Zoë", "Ng")
    assert record.birth_date == date(2015, 3, 2)
    assert record.address is not None and record.address.postcode == "LS8 3DR"


def test_header_is_read_regardless_of_case_and_padding(tmp_path: Path) -> None:
    header = [f" {column.upper()} " for column in RELATIONSHIPS]
    row = ["lcs", "M1", "C1", "mother", "", ""]
    extract, _ = read(write_csv(tmp_path / "rel.csv", header, [row]))
    assert len(extract.relationships) == 1


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_header_missing_a_column_is_load_error_naming_the_file(tmp_path: Path, kind: str) -> None:
    path = write_csv(tmp_path / f"{kind}.csv", FILE_KINDS[kind][:-1])
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_header_with_an_extra_column_is_load_error_naming_the_file(
    tmp_path: Path, kind: str
) -> None:
    path = write_csv(tmp_path / f"{kind}.csv", (*FILE_KINDS[kind], "notes"))
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_header_with_a_duplicated_column_is_load_error_naming_the_file(tmp_path: Path) -> None:
    # Seventeen columns where a people file has sixteen: one more than the kind allows.
    path = write_csv(tmp_path / "people.csv", (*PEOPLE, "record_id"))
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_empty_file_is_load_error_naming_the_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "people.csv", "")
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_file_with_nul_bytes_is_load_error_naming_the_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "people.csv", ",".join(PEOPLE) + "\nlcs,C\x001" + "," * 14 + "\n")
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_broken_csv_is_load_error_naming_the_file(tmp_path: Path) -> None:
    # A quoted field past the csv module's field limit is not a CSV file we can read.
    huge = '"' + "x" * (csv.field_size_limit() + 10) + '"'
    path = write_text(tmp_path / "events.csv", ",".join(EVENTS) + f"\nlcs,C1,2024-01-01,{huge},,\n")
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)


def test_missing_path_is_load_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        read(tmp_path / "nowhere.csv")
    assert caught.value.file == str(tmp_path / "nowhere.csv")


def test_folder_is_read_file_by_file(tmp_path: Path) -> None:
    people_file(tmp_path / "extract", person(), person(record_id="M1", given_names="Jo"))
    write_csv(tmp_path / "extract" / "rel.csv", RELATIONSHIPS, [relationship("M1", "C1")])
    extract, _ = read(tmp_path / "extract")
    assert (len(extract.people), len(extract.relationships), extract.read) == (2, 1, 3)


def test_a_load_gives_the_cycle_collector_back_whether_it_commits_or_fails(
    tmp_path: Path,
) -> None:
    people_file(tmp_path / "good", person())
    store = EmbeddedStore(tmp_path / "store")
    seen: list[bool] = []
    load_extract(store, [tmp_path / "good"], today=TODAY,
                 progress=lambda _: seen.append(gc.isenabled()))
    with pytest.raises(LoadError):
        load_extract(store, [tmp_path / "nowhere.csv"], today=TODAY)
    assert seen == [False]  # paused while reading
    assert gc.isenabled()


# --- rejected rows ------------------------------------------------------------------------------


@pytest.fixture
def mixed_people(tmp_path: Path) -> Path:
    """Line 1 header; 2 good; 3 no record_id; 4 no name; 5 three fields; 6 good."""
    return people_file(
        tmp_path / "extract",
        person(record_id="C1"),
        person(record_id=""),
        person(record_id="C3", given_names="", family_name=""),
        ["lcs", "C4", "Ann"],
        person(record_id="C5", given_names="Ben"),
    )


def test_row_without_record_id_is_quarantined_at_its_line(
    graph_store: EmbeddedStore, mixed_people: Path
) -> None:
    log = load(graph_store, mixed_people)
    assert (str(mixed_people), 3, "record_id") in where(log)


def test_row_without_any_name_is_quarantined_at_its_line(
    graph_store: EmbeddedStore, mixed_people: Path
) -> None:
    log = load(graph_store, mixed_people)
    [rejection] = [r for r in log.rejections if r.row == 4]
    assert rejection.file == str(mixed_people)
    assert rejection.field in ("given_names", "family_name")


def test_row_with_wrong_number_of_fields_is_quarantined_at_its_line(
    graph_store: EmbeddedStore, mixed_people: Path
) -> None:
    log = load(graph_store, mixed_people)
    [rejection] = [r for r in log.rejections if r.row == 5]
    assert (rejection.file, rejection.field) == (str(mixed_people), "")
    assert "3 fields" in rejection.reason and "16" in rejection.reason


def test_good_rows_load_beside_quarantined_ones(
    graph_store: EmbeddedStore, mixed_people: Path
) -> None:
    log = load(graph_store, mixed_people)
    assert (log.read, log.loaded, log.quarantined) == (5, 2, 3)
    assert graph_store.counts()["Person"] == 2
    assert owner(graph_store, "lcs", "C1") != owner(graph_store, "lcs", "C5")


def test_quarantined_rows_are_kept_with_the_load_log(
    graph_store: EmbeddedStore, mixed_people: Path
) -> None:
    log = load(graph_store, mixed_people)
    [stored] = graph_store.load_logs()
    assert where(stored) == where(log)
    assert stored.quarantined == 3


def test_row_number_counts_blank_lines_and_multi_line_fields(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    blank = "," * (len(PEOPLE) - 1)
    text = "\n".join(
        [
            ",".join(PEOPLE),
            'lcs,C1,"Ann\nMarie",Lee' + "," * 12,  # lines 2-3: one row over two lines
            "",  # line 4: blank
            blank,  # line 5: only empty fields, not a row
            "lcs,,Bob,Lee" + "," * 12,  # line 6: no record_id
            "",
        ]
    )
    path = write_text(tmp_path / "people.csv", text)
    log = load(graph_store, path)
    assert where(log) == {(str(path), 6, "record_id")}
    assert (log.read, log.loaded) == (2, 1)


def test_field_longer_than_any_canonical_value_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(other_names="x" * 5_000), person(record_id="C2"))
    log = load(graph_store, path)
    assert where(log) == {(str(path), 2, "other_names")}
    assert log.loaded == 1


# --- bad optional values: the row stays, the value goes, a warning names the field --------------


def test_nhs_number_failing_modulus_11_is_dropped_with_a_warning(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(nhs_number="9912003890"))
    log = load(graph_store, path)
    assert (log.loaded, log.quarantined) == (1, 0)
    assert (str(path), 2, "nhs_number") in warned(log)
    found = person_of(graph_store, "lcs", "C1")
    assert found.nhs_number is None
    assert not [c for c in found.claims if c.field == "nhs_number"]


def test_valid_nhs_number_written_with_spaces_is_kept_without_them(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    log = load(graph_store, people_file(tmp_path, person(nhs_number="943 476 5919")))
    assert log.warnings == ()
    assert person_of(graph_store, "lcs", "C1").nhs_number == "9434765919"


def test_bad_postcode_keeps_the_row_with_a_warning_naming_postcode(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(postcode="Z2 1OG"))
    log = load(graph_store, path)
    assert (log.loaded, log.quarantined) == (1, 0)
    assert (str(path), 2, "postcode") in warned(log)


def test_bad_postcode_value_is_dropped(graph_store: EmbeddedStore, tmp_path: Path) -> None:
    load(graph_store, people_file(tmp_path, person(postcode="Z2 1OG")))
    found = person_of(graph_store, "lcs", "C1")
    assert [c.value for c in found.claims if c.field == "postcode"] == []


def test_unparseable_birth_date_is_dropped_with_a_warning(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(birth_date="02/03/2015"))
    log = load(graph_store, path)
    assert (log.loaded, log.quarantined) == (1, 0)
    assert (str(path), 2, "birth_date") in warned(log)
    assert person_of(graph_store, "lcs", "C1").birth_date is None


def test_future_birth_date_is_dropped_with_a_warning(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(birth_date="2026-11-24"))
    log = load(graph_store, path)
    assert (log.loaded, log.quarantined) == (1, 0)
    assert (str(path), 2, "birth_date") in warned(log)
    assert person_of(graph_store, "lcs", "C1").birth_date is None


def test_upn_with_wrong_check_letter_is_kept_with_a_warning(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(upn="A123456789123"))
    log = load(graph_store, path)
    assert (str(path), 2, "upn") in warned(log)
    assert person_of(graph_store, "lcs", "C1").upn == "A123456789123"


def test_death_before_birth_is_dropped_with_a_warning(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(death_date="2010-01-01"))
    log = load(graph_store, path)
    assert (str(path), 2, "death_date") in warned(log)
    assert person_of(graph_store, "lcs", "C1").death_date is None


# --- encoding -----------------------------------------------------------------------------------


def test_byte_order_mark_at_file_start_is_accepted(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    header = ",".join(PEOPLE)
    text = header + "\nlcs,C1,Zoë,Lee" + "," * 12 + "\n"
    path = write_text(tmp_path / "people.csv", text, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    log = load(graph_store, path)
    assert (log.read, log.loaded) == (1, 1)
    assert person_of(graph_store, "lcs", "C1").given_names == "Zoë"


def test_non_utf8_file_is_load_error_naming_the_file(tmp_path: Path) -> None:
    text = ",".join(PEOPLE) + "\nlcs,C1,Zoë,Lee" + "," * 12 + "\n"
    path = write_text(tmp_path / "people.csv", text, encoding="latin-1")
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)
    assert "UTF-8" in caught.value.reason


def test_load_with_a_non_utf8_file_leaves_the_store_unchanged(tmp_path: Path) -> None:
    first = people_file(tmp_path / "first", person())
    good = people_file(tmp_path / "second", person(record_id="C2", given_names="Ben"))
    text = ",".join(PEOPLE) + "\nlcs,C3,Zoë,Lee" + "," * 12 + "\n"
    bad = write_text(tmp_path / "second" / "z-latin1.csv", text, encoding="latin-1")
    store = EmbeddedStore(tmp_path / "store")
    load(store, first)
    counts, logs = store.counts(), store.load_logs()
    with pytest.raises(LoadError) as caught:
        load_extract(store, [good, bad], today=TODAY)
    assert caught.value.file == str(bad)
    assert (store.counts(), store.load_logs()) == (counts, logs)
    assert store.record_owners(["R:lcs/C2"]) == {}
    store.close()
    reopened = EmbeddedStore(tmp_path / "store")
    assert (reopened.counts(), reopened.load_logs()) == (counts, logs)
    reopened.close()


# --- rows that name other records ---------------------------------------------------------------


def test_relationship_between_loaded_records_becomes_an_edge(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person(), person(record_id="M1", given_names="Jo", birth_date="1990-05-05"))
    write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("M1", "C1", "mother")])
    log = load(graph_store, folder)
    assert (log.read, log.loaded, log.quarantined) == (3, 3, 0)
    assert graph_store.counts()["PARENT_OF"] == 1


def test_relationship_from_an_unknown_record_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person())
    rel = write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("NOBODY", "C1")])
    log = load(graph_store, folder)
    assert where(log) == {(str(rel), 2, "from_record_id")}
    assert "PARENT_OF" not in graph_store.counts()


def test_relationship_to_an_unknown_record_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person())
    rel = write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("C1", "NOBODY", "parent")])
    log = load(graph_store, folder)
    assert where(log) == {(str(rel), 2, "to_record_id")}


def test_relationship_naming_a_record_of_another_system_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person(), person(record_id="M1", given_names="Jo"))
    rel = write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("M1", "C1", system="health")])
    log = load(graph_store, folder)
    assert where(log) == {(str(rel), 2, "from_record_id")}


def test_relationship_to_a_record_loaded_earlier_is_accepted(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    load(graph_store, people_file(tmp_path / "first", person()))
    folder = tmp_path / "second"
    people_file(folder, person(record_id="M1", given_names="Jo", birth_date="1990-05-05"))
    write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("M1", "C1", "mother")])
    log = load(graph_store, folder)
    assert (log.loaded, log.quarantined) == (2, 0)
    assert graph_store.counts()["PARENT_OF"] == 1


def test_relationship_with_unknown_kind_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person(), person(record_id="M1", given_names="Jo"))
    rel = write_csv(folder / "rel.csv", RELATIONSHIPS, [relationship("M1", "C1", "aunt")])
    log = load(graph_store, folder)
    assert where(log) == {(str(rel), 2, "kind")}


def test_involvement_ending_before_it_starts_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person())
    inv = write_csv(
        folder / "inv.csv",
        INVOLVEMENTS,
        [involvement(start="2025-03-01", end="2025-02-28"), involvement(service="CAMHS")],
    )
    log = load(graph_store, folder)
    assert where(log) == {(str(inv), 2, "end")}
    assert (log.read, log.loaded, log.quarantined) == (3, 2, 1)
    assert graph_store.counts()["Involvement"] == 1


def test_involvement_for_an_unknown_record_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "extract"
    people_file(folder, person())
    inv = write_csv(folder / "inv.csv", INVOLVEMENTS, [involvement(record_id="NOBODY")])
    log = load(graph_store, folder)
    assert where(log) == {(str(inv), 2, "record_id")}


# --- reloads and identity -----------------------------------------------------------------------


@pytest.fixture
def family_extract(tmp_path: Path) -> Path:
    folder = tmp_path / "family"
    people_file(
        folder,
        person(nhs_number="9434765919"),
        person(record_id="M1", given_names="Jo", birth_date="1990-05-05"),
        person(record_id="F1", given_names="Raj", family_name="Shah", birth_date="1988-01-09"),
    )
    write_csv(
        folder / "rel.csv",
        RELATIONSHIPS,
        [
            relationship("M1", "C1", "mother"),
            relationship("F1", "C1", "father"),
            relationship("M1", "F1", "partner"),
        ],
    )
    write_csv(folder / "inv.csv", INVOLVEMENTS, [involvement()])
    write_csv(folder / "events.csv", EVENTS, [event()])
    write_csv(folder / "addresses.csv", ADDRESSES, [address()])
    return folder


def test_loading_the_same_extract_twice_leaves_counts_unchanged(
    graph_store: EmbeddedStore, family_extract: Path
) -> None:
    first = load(graph_store, family_extract)
    assert (first.read, first.quarantined) == (9, 0)
    counts = graph_store.counts()
    second = load(graph_store, family_extract)
    assert (second.read, second.loaded) == (first.read, first.loaded)
    assert graph_store.counts() == counts


@pytest.mark.splink
def test_loading_the_same_extract_twice_keeps_person_ids(
    graph_store: EmbeddedStore, family_extract: Path
) -> None:
    load(graph_store, family_extract)
    before = [owner(graph_store, "lcs", r) for r in ("C1", "M1", "F1")]
    load(graph_store, family_extract)
    assert [owner(graph_store, "lcs", r) for r in ("C1", "M1", "F1")] == before
    assert len(set(before)) == 3


def test_each_load_adds_one_load_log(graph_store: EmbeddedStore, family_extract: Path) -> None:
    load(graph_store, family_extract)
    load(graph_store, family_extract)
    assert [log.read for log in graph_store.load_logs()] == [9, 9]


@pytest.mark.splink
def test_records_of_two_systems_sharing_a_valid_nhs_number_become_one_person(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    social = people_file(tmp_path / "lcs", person(nhs_number="9434765919"))
    health = people_file(
        tmp_path / "health",
        person(
            system="health",
            record_id="H77",
            given_names="Annie",
            birth_date="2015-03-20",
            postcode="M1 1AE",
            nhs_number="943 476 5919",
        ),
    )
    log = load(graph_store, social, health)
    assert (log.loaded, log.quarantined) == (2, 0)
    assert owner(graph_store, "lcs", "C1") == owner(graph_store, "health", "H77")
    assert graph_store.counts()["Person"] == 1


@pytest.mark.splink
def test_a_record_sharing_a_valid_nhs_number_with_an_earlier_load_joins_that_person(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    load(graph_store, people_file(tmp_path / "lcs", person(nhs_number="9434765919")))
    earlier = owner(graph_store, "lcs", "C1")
    health = person(system="health", record_id="H77", given_names="A", nhs_number="9434765919")
    load(graph_store, people_file(tmp_path / "health", health))
    assert owner(graph_store, "health", "H77") == earlier
    assert graph_store.counts()["Person"] == 1


@pytest.mark.splink
def test_records_with_same_name_birth_date_and_postcode_become_one_person(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(
        tmp_path,
        person(),
        person(system="edu", record_id="E5", given_names="ANN", postcode="ls83dr"),
    )
    load(graph_store, path)
    assert owner(graph_store, "lcs", "C1") == owner(graph_store, "edu", "E5")


@pytest.mark.splink
def test_records_with_different_valid_nhs_numbers_stay_two_people(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(
        tmp_path,
        person(nhs_number="9434765919"),
        person(system="health", record_id="H1", nhs_number="9000000009"),
    )
    log = load(graph_store, path)
    assert log.loaded == 2
    assert owner(graph_store, "lcs", "C1") != owner(graph_store, "health", "H1")
    assert graph_store.counts()["Person"] == 2


@pytest.mark.splink
def test_records_with_different_nhs_numbers_do_not_join_through_an_earlier_record(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    # An earlier record without an NHS number matches both by name, birth date and postcode;
    # that must not make one person of two records whose NHS numbers differ.
    load(graph_store, people_file(tmp_path / "first", person(system="edu", record_id="E1")))
    second = people_file(
        tmp_path / "second",
        person(system="health", record_id="H1", nhs_number="9434765919"),
        person(system="health", record_id="H2", nhs_number="9000000009"),
    )
    load(graph_store, second)
    assert owner(graph_store, "health", "H1") != owner(graph_store, "health", "H2")


@pytest.mark.splink
def test_twins_named_in_a_non_latin_script_stay_two_people(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    # Same birth date, same postcode, same family name, different given names.
    path = people_file(
        tmp_path,
        person(record_id="T1", given_names="明", family_name="李"),
        person(record_id="T2", given_names="华", family_name="李"),
    )
    load(graph_store, path)
    assert owner(graph_store, "lcs", "T1") != owner(graph_store, "lcs", "T2")


def test_system_name_with_a_slash_is_quarantined_so_record_keys_cannot_collide(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    # Keys are "system/record_id": system "a/b" record "c" would collide with "a" + "b/c".
    path = people_file(
        tmp_path,
        person(system="a/b", record_id="c", given_names="Al", birth_date="2001-01-01"),
        person(system="a", record_id="b/c", given_names="Bo", birth_date="1990-01-01"),
    )
    log = load(graph_store, path)
    assert (log.loaded, log.quarantined) == (1, 1)
    assert [(r.row, r.field) for r in log.rejections] == [(2, "system")]
    assert graph_store.counts()["SourceRecord"] == 1


def test_a_file_named_twice_is_read_once(graph_store: EmbeddedStore, tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    path = people_file(folder, person(record_id="once"))
    log = load_extract(graph_store, [folder, path], today=TODAY)
    assert (log.read, log.loaded) == (1, 1)


def test_nameless_record_with_a_upn_joins_the_named_child(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    people_file(first, person(system="edu", record_id="E1", given_names="Ann",
                              upn="A950000178301", birth_date="2015-03-02"))
    people_file(second, person(system="ssda903", record_id="C9", given_names="",
                               family_name="", upn="A950000178301", birth_date="2015-03-02"))
    load(graph_store, first)
    log = load(graph_store, second)
    assert log.loaded == 1
    owners = graph_store.record_owners(["R:edu/E1", "R:ssda903/C9"])
    assert owners["R:edu/E1"] == owners["R:ssda903/C9"]


def test_record_with_no_name_and_no_identifier_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = people_file(tmp_path, person(given_names="", family_name="", nhs_number="", upn=""))
    log = load(graph_store, path)
    assert [r.reason for r in log.rejections] == ["a person needs a name, an NHS number or a UPN"]


# --- risk indicators ----------------------------------------------------------------------------


def test_risk_indicator_loads_onto_its_person_sensitive_by_default(
    tmp_path: Path, graph_store: EmbeddedStore
) -> None:
    log = load(graph_store, people_file(tmp_path, person()),
               write_csv(tmp_path / "risks.csv", RISK_INDICATORS, [risk()]))
    assert (log.read, log.loaded, log.quarantined) == (2, 2, 0)
    found = graph_store.risk_indicators([owner(graph_store, "lcs", "C1")], TODAY)
    assert [(r.kind.value, r.valid_from, r.summary, r.sensitivity.value) for r in found] == [
        ("attendance", date(2024, 7, 20), "Persistently absent in 2023/24", "sensitive")]


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"kind": "gambling"}, "kind", "is not one of"),
        ({"kind": ""}, "kind", "is not one of"),
        ({"from": ""}, "from", "is required"),
        ({"from": "2024-02-30"}, "from", ""),
        ({"to": "2024-01-01"}, "to", "is before from"),
        ({"sensitivity": "secret"}, "sensitivity", "is not one of"),
        ({"record_id": ""}, "record_id", "is required"),
    ],
)
def test_bad_risk_row_is_quarantined_with_file_row_field_and_reason(
    tmp_path: Path, values: dict[str, str], field: str, reason: str
) -> None:
    path = write_csv(tmp_path / "risks.csv", RISK_INDICATORS, [risk(), risk(**values)])
    extract, quarantine = read(path)
    assert len(extract.risks) == 1
    [rejection] = quarantine.rejected
    assert (rejection.file, rejection.row, rejection.field) == (str(path), 3, field)
    assert reason in rejection.reason


def test_risk_for_unknown_record_is_quarantined_and_counts_balance(
    tmp_path: Path, graph_store: EmbeddedStore
) -> None:
    log = load(graph_store, people_file(tmp_path, person()),
               write_csv(tmp_path / "risks.csv", RISK_INDICATORS,
                         [risk(), risk(record_id="NOPE")]))
    assert (log.read, log.loaded, log.quarantined) == (3, 2, 1)
    assert {r.field for r in log.rejections} == {"record_id"}


def test_a_refuge_stays_restricted_when_a_later_load_gives_it_as_a_plain_address(
    tmp_path: Path,
) -> None:
    """The people file names the refuge as the current address with no flag; only the
    address history says it is restricted. Loaded again alone, it must not make the refuge
    an ordinary address, nor its postcode an ordinary claim."""
    store = EmbeddedStore(tmp_path / "store")
    refuge = {"address_line1": "1 Safe Street", "postcode": "LS9 9ZZ", "town": "Leeds"}
    people = people_file(tmp_path / "first", person(**refuge))
    history = write_csv(tmp_path / "first" / "addresses.csv", ADDRESSES,
                        [address(**refuge, **{"from": "2025-01-01", "to": "",
                                              "restricted": "yes"})])
    load(store, people, history)
    load(store, people_file(tmp_path / "again", person(**refuge)))
    person_id = owner(store, "lcs", "C1")
    view = store.household(person_id, TODAY)
    assert view.address is not None and view.address.sensitivity is Sensitivity.RESTRICTED
    claims = [c for c in store.people([person_id])[person_id].claims if c.field == "postcode"]
    assert claims and all(c.sensitivity is Sensitivity.RESTRICTED for c in claims)


def test_two_rows_of_one_record_each_keep_their_claims(
    tmp_path: Path, graph_store: EmbeddedStore
) -> None:
    """An extract that repeats a record id (a system that exports a person's history as
    rows) loses neither row's names: search by either still finds the person."""
    folder = tmp_path / "x"
    folder.mkdir()
    people_file(folder, person(), person(given_names="Annabel"))
    load(graph_store, folder)
    claimed = {c.value for c in person_of(graph_store, "lcs", "C1").claims
               if c.field == "given_names"}
    assert claimed == {"Ann", "Annabel"}
