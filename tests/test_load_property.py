"""Hypothesis properties of load_extract: whatever the files hold, a load either fails whole
with a LoadError and leaves the store as it was, or writes one balanced load log.

Each example opens its own store in a fresh temporary directory (tmp_path would be shared
between examples) and first loads a small good file, so "unchanged" is about a store with data.
"""

import csv
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from loaders.errors import LoadError
from loaders.formats.canonical_csv import FILE_KINDS, PEOPLE, RELATIONSHIP_KINDS, RELATIONSHIPS
from loaders.pipeline import load_extract

TODAY = date(2026, 11, 23)
PROPERTY = settings(max_examples=60, deadline=None, database=None)

# --- strategies ---------------------------------------------------------------------------------

CLEAN = st.characters(codec="utf-8", exclude_characters="\x00")  # any text a file can hold
AWKWARD = st.sampled_from(
    [
        *(",", '"', '""', "'", "\n", "\r\n", "\r", " ", "\t", "a,b"),
        *("Zoë", "李", "ß", "\u2028", "\ufeff", "\x85"),
    ]
)


def texts(max_size: int = 12) -> st.SearchStrategy[str]:
    """Text with the characters that break naive CSV handling over-represented (no NUL)."""
    return st.one_of(
        st.text(CLEAN, max_size=max_size),
        st.lists(st.one_of(AWKWARD, st.text(CLEAN, max_size=3)), max_size=4).map("".join),
    )


def _nhs_check(first_nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11


VALID_NHS = (
    st.text("0123456789", min_size=9, max_size=9)
    .filter(lambda nine: _nhs_check(nine) != 10)
    .map(lambda nine: f"{nine}{_nhs_check(nine)}")
)
NHS_NUMBERS = st.one_of(
    st.just(""),
    VALID_NHS,
    VALID_NHS.map(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}"),
    st.text("0123456789 -", max_size=13),
    texts(),
)
DATES = st.one_of(
    st.just(""),
    st.dates(min_value=date(1850, 1, 1), max_value=date(2035, 12, 31)).map(date.isoformat),
    texts(),
)
SYSTEMS = st.one_of(st.sampled_from(["lcs", "health"]), texts(6))
RECORD_IDS = st.one_of(st.sampled_from(["C1", "C2", "M1", "F1"]), texts(6))
POSTCODES = st.one_of(st.sampled_from(["LS8 3DR", "ls83dr", "M1 1AE", "Z2 1OG"]), texts(9))

PERSON_ROWS = st.fixed_dictionaries(
    {
        "system": SYSTEMS,
        "record_id": RECORD_IDS,
        "given_names": st.one_of(st.sampled_from(["Ann", "Ben", "Zoë"]), texts()),
        "family_name": st.one_of(st.sampled_from(["Lee", "O'Neill", ""]), texts()),
        "other_names": texts(),
        "sex": st.one_of(st.sampled_from(["F", "m", "unknown", ""]), texts(4)),
        "birth_date": DATES,
        "death_date": DATES,
        "nhs_number": NHS_NUMBERS,
        "upn": st.one_of(st.sampled_from(["", "A950000178301", "A123456789123"]), texts(13)),
        "address_line1": texts(),
        "address_line2": texts(),
        "town": texts(),
        "postcode": POSTCODES,
        "uprn": st.one_of(st.sampled_from(["", "100023336956", "000000199356"]), texts(13)),
        "address_from": DATES,
    }
)
RELATIONSHIP_ROWS = st.fixed_dictionaries(
    {
        "system": SYSTEMS,
        "from_record_id": RECORD_IDS,
        "to_record_id": RECORD_IDS,
        "kind": st.one_of(st.sampled_from(sorted(RELATIONSHIP_KINDS)), texts(10)),
        "valid_from": DATES,
        "valid_to": DATES,
    }
)
# Rows of any width, now and then holding a NUL, which makes the whole file a LoadError.
STRAY_ROWS = st.lists(
    st.lists(st.one_of(texts(4), texts(4), st.sampled_from(["\x00", "a\x00b"])), max_size=20),
    max_size=2,
)


def rows_of(header: Sequence[str], rows: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy:
    return st.lists(rows.map(lambda row: [row[c] for c in header]), max_size=6)


# --- helpers ------------------------------------------------------------------------------------


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """Write the file; return how many of its rows are not blank (the rows a reader counts)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return sum(1 for row in rows if any(value.strip() for value in row))


def good_person(**values: str) -> list[str]:
    row = dict.fromkeys(PEOPLE, "")
    row.update(system="lcs", family_name="Lee", address_line1="1 High St", postcode="LS8 3DR")
    row.update(values)
    return [row[column] for column in PEOPLE]


def open_loaded_store(root: Path) -> EmbeddedStore:
    """A store holding one good load: two people and a relationship between them."""
    good = root / "good"
    good.mkdir()
    write_rows(
        good / "people.csv",
        PEOPLE,
        [
            good_person(record_id="C1", given_names="Ann", birth_date="2015-03-02"),
            good_person(record_id="M1", given_names="Jo", birth_date="1990-05-05"),
        ],
    )
    write_rows(good / "rel.csv", RELATIONSHIPS, [["lcs", "M1", "C1", "mother", "", ""]])
    store = EmbeddedStore(root / "store")
    log = load_extract(store, [good], today=TODAY)
    assert (log.read, log.loaded, log.quarantined) == (3, 3, 0)
    return store


def check_load(store: EmbeddedStore, paths: list[Path], expected_read: int | None) -> None:
    """The property itself: LoadError and nothing changed, or one more balanced load log."""
    counts, logs = store.counts(), store.load_logs()
    try:
        log = load_extract(store, paths, today=TODAY)
    except LoadError as error:
        event("LoadError")
        assert error.file
        assert store.counts() == counts
        assert store.load_logs() == logs
        return
    event("loaded" if log.loaded else "all quarantined" if log.read else "no rows")
    assert log.read == log.loaded + log.quarantined
    if expected_read is not None:
        assert log.read == expected_read
    after = store.load_logs()
    assert len(after) == len(logs) + 1
    assert after[-1] == log


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(
    people_header=st.permutations(PEOPLE),
    people=rows_of(PEOPLE, PERSON_ROWS),
    relationships=rows_of(RELATIONSHIPS, RELATIONSHIP_ROWS),
    stray=STRAY_ROWS,
    stray_in_people=st.booleans(),
)
def test_generated_people_and_relationships_never_crash_a_load(
    people_header: list[str],
    people: list[list[str]],
    relationships: list[list[str]],
    stray: list[list[str]],
    stray_in_people: bool,
) -> None:
    # Rows were drawn in canonical column order; write them in the drawn header's order.
    reorder = [PEOPLE.index(column) for column in people_header]
    people = [[row[i] for i in reorder] for row in people]
    if stray_in_people:
        people = people + stray
    else:
        relationships = relationships + stray
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_loaded_store(root)
        try:
            extract = root / "extract"
            extract.mkdir()
            read = write_rows(extract / "people.csv", people_header, people)
            read += write_rows(extract / "relationships.csv", RELATIONSHIPS, relationships)
            check_load(store, [extract / "people.csv", extract / "relationships.csv"], read)
        finally:
            store.close()


HEADERS = [b""] + [",".join(columns).encode() + b"\r\n" for columns in FILE_KINDS.values()]


@PROPERTY
@given(
    header=st.sampled_from(HEADERS),
    bom=st.booleans(),
    body=st.one_of(st.binary(max_size=300), texts(300).map(str.encode)),
)
def test_arbitrary_bytes_as_a_file_are_a_load_error_or_a_balanced_load(
    header: bytes, bom: bool, body: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_loaded_store(root)
        try:
            path = root / "arbitrary.csv"
            path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + header + body)
            check_load(store, [path], None)
        finally:
            store.close()
