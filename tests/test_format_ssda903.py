"""Tests for loaders/formats/ssda903.py: the 903 return's twelve CSV tables and its XML form.

Every load goes through load_extract into a real EmbeddedStore, and every count balances
(read = loaded + quarantined). The public samples in shared/reference/ssda903 are loaded
with their counts written out; the tests that need them are skipped where that folder is
not beside the repository. Hypothesis feeds broken bytes, encodings and entity tricks.
"""

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from graph.model import Sensitivity, Sex
from graph.store import LoadLog
from loaders.errors import LoadError
from loaders.formats import ssda903
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract

TODAY = date(2026, 11, 23)
PROPERTY = settings(max_examples=50, deadline=None, database=None)
SAMPLES = Path(__file__).resolve().parent / "reference" / "ssda903" / "samples"

# UPNs with a right check letter (shared/reference/uk_identifiers).
UPN_1, UPN_2 = "A950000178301", "A123456789012"
VALID_UPNS = ["M801200005000", "M801200012919", "A801200020838", "M801200028757", "A801200036676",
              "N801200044595", "H801200052514", "W801200060433", "H801200068352",
              "W801200076271"]
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"


# --- helpers ------------------------------------------------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def table(path: Path, header: str, *rows: str) -> Path:
    return write(path, "\n".join((header, *rows)) + "\n")


def header_file(folder: Path, *rows: str) -> Path:
    return table(folder / "header.csv", HEADER, *rows)


def load(store: EmbeddedStore, *paths: Path) -> LoadLog:
    log = load_extract(store, list(paths), today=TODAY)
    assert log.read == log.loaded + log.quarantined
    return log


def read(path: Path) -> tuple[Extract, Quarantine]:
    extract, quarantine = Extract(), Quarantine()
    ssda903.read(path, quarantine, TODAY, extract)
    return extract, quarantine


def reasons(log: LoadLog) -> list[tuple[str, int, str, str]]:
    return [(Path(r.file).name, r.row, r.field, r.reason) for r in log.rejections]


def warnings(log: LoadLog | Quarantine) -> list[tuple[str, int, str, str]]:
    return [(Path(r.file).name, r.row, r.field, r.reason) for r in log.warnings]


@pytest.fixture
def graph_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


# --- the reference samples ----------------------------------------------------------------------


def test_header_sample_repeats_children_with_different_details_so_none_loads(
    graph_store: EmbeddedStore,
) -> None:
    log = load(graph_store, SAMPLES / "liia-tools-pipeline" / "SSDA903_2020_header.csv")
    assert (log.read, log.loaded, log.quarantined) == (5, 0, 5)
    assert {reason for *_, reason in reasons(log)} == {
        "the same CHILD is on rows 2, 3, 4 with different details; which is right cannot be "
        "told, so none is loaded",
        "the same CHILD is on rows 5, 6 with different details; which is right cannot be "
        "told, so none is loaded",
    }
    assert graph_store.counts().get("Person", 0) == 0


def test_episodes_sample_alone_names_no_loaded_child(graph_store: EmbeddedStore) -> None:
    log = load(graph_store, SAMPLES / "liia-tools-pipeline" / "SSDA903_2020_episodes.csv")
    # 5 episodes and the 4 valid placement postcodes among them; no header, so all orphans.
    assert (log.read, log.loaded, log.quarantined) == (9, 0, 9)
    assert ("SSDA903_2020_episodes.csv", 1, "TEST_COLUMN",
            "not columns of the 903 Episodes table; ignored") in warnings(log)
    assert ("SSDA903_2020_episodes.csv", 5, "PL_POST",
            "'2TR' is not a UK postcode; placement address not loaded") in warnings(log)
    assert ("SSDA903_2020_episodes.csv", 6, "RNE",
            "'*DUMMY*' is not an SSDA903 RNE code; left out") in warnings(log)


def test_episodes_sample_loads_for_children_a_header_names(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    header = header_file(tmp_path, f"689661,1,11/07/2015,WBRI,{UPN_1},,",
                         f"249901,2,07/01/2013,WBRI,{UPN_2},,")
    log = load(graph_store, header, SAMPLES / "liia-tools-pipeline" / "SSDA903_2020_episodes.csv")
    assert (log.read, log.loaded, log.quarantined) == (11, 11, 0)
    counts = graph_store.counts()
    assert (counts["Person"], counts["Involvement"], counts["Address"]) == (2, 5, 3)
    assert counts.get("Event", 0) == 0


def test_broken_values_sample_is_warned_row_by_row(graph_store: EmbeddedStore) -> None:
    log = load(graph_store, SAMPLES / "liia-tools" / "SSDA903_episodes_for_testing_fixes_INPUT.csv")
    assert (log.read, log.loaded, log.quarantined) == (23, 0, 23)
    assert {reason for *_, reason in reasons(log)} == {
        "names no person record in this load or in the store"
    }
    said = warnings(log)
    name = "SSDA903_episodes_for_testing_fixes_INPUT.csv"
    assert (name, 1, "LA, YEAR", "not columns of the 903 Episodes table; ignored") in said
    iso = [w for w in said if w[3].startswith("dates are ISO 8601")]
    assert [(row, column) for _, row, column, _ in iso] == [(2, "DECOM"), (2, "DEC")]
    postcodes = [w for w in said if w[2] == "PL_POST"]
    assert len(postcodes) == 22  # every placement postcode but one blank is not a postcode
    assert postcodes[0] == (name, 2, "PL_POST",
                            "'FGH 3' is not a UK postcode; placement address not loaded")


def test_broken_values_sample_loads_its_episodes_once_the_children_are_known(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    children = ["NORULE_BAD", "NORULE_NEW", "NORULE_SUT", "RULE1_BAD", "RULE1A_BAD",
                "RULE2_BAD", "RULE3_BAD", "RULE3A_BAD", "RULE4_BAD", "RULE5_BAD"]
    rows = [f"{c},1,01/01/2010,WBRI,{u},," for c, u in zip(children, VALID_UPNS, strict=True)]
    header = header_file(tmp_path, *rows)
    sample = SAMPLES / "liia-tools" / "SSDA903_episodes_for_testing_fixes_INPUT.csv"
    log = load(graph_store, header, sample)
    assert (log.read, log.loaded, log.quarantined) == (33, 33, 0)
    assert graph_store.counts()["Involvement"] == 23
    assert "Address" not in graph_store.counts()


def test_header_and_episodes_samples_together_balance(graph_store: EmbeddedStore) -> None:
    folder = SAMPLES / "liia-tools-pipeline"
    log = load(graph_store, folder / "SSDA903_2020_header.csv",
               folder / "SSDA903_2020_episodes.csv")
    assert (log.read, log.loaded, log.quarantined) == (14, 0, 14)


def test_xml_sample_loads_every_child_and_episode(graph_store: EmbeddedStore) -> None:
    log = load(graph_store, SAMPLES / "csc-data-synthesizer" / "generated_903.xml")
    # 261 children, 507 episodes, 271 valid placement postcodes.
    assert (log.read, log.loaded, log.quarantined) == (1039, 1039, 0)
    counts = graph_store.counts()
    assert (counts["Person"], counts["Involvement"]) == (261, 507)
    assert counts.get("Event", 0) == 0
    first = warnings(log)[0]
    assert first == ("generated_903.xml", 3, "EXPSSDA903/CHILD[1]/HEADER/UPN",
                     "check letter does not match; kept as given")


# --- Header -------------------------------------------------------------------------------------


def test_header_row_becomes_a_nameless_person_known_by_upn(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    log = load(graph_store, header_file(tmp_path, f"C1,2,01/05/2008,WBRI,{UPN_1},0,"))
    assert (log.read, log.loaded, log.quarantined, log.warnings) == (1, 1, 0, ())
    owner = graph_store.record_owners(["R:ssda903/C1"])["R:ssda903/C1"]
    child = graph_store.people([owner])[owner]
    assert (child.given_names, child.family_name) == ("", "")
    assert (child.upn, child.sex, child.birth_date) == (UPN_1, Sex.FEMALE, date(2008, 5, 1))


@pytest.mark.parametrize(("code", "sex"), [("1", "male"), ("2", "female"), ("M", "male"),
                                           ("F", "female"), ("U", "unknown")])
def test_sex_codes_of_both_eras_are_read(tmp_path: Path, code: str, sex: str) -> None:
    extract, quarantine = read(header_file(tmp_path, f"C1,{code},01/05/2008,WBRI,{UPN_1},,"))
    assert [p.sex for p in extract.people] == [sex]
    assert quarantine.warnings == []


def test_sex_code_of_the_other_era_is_read_with_one_note(tmp_path: Path) -> None:
    path = table(tmp_path / "header_2025.csv", HEADER, f"C1,1,01/05/2008,WBRI,{UPN_1},,",
                 f"C2,2,01/05/2009,WBRI,{UPN_2},,")
    extract, quarantine = read(path)
    assert [p.sex for p in extract.people] == ["male", "female"]
    assert warnings(quarantine) == [("header_2025.csv", 2, "SEX", "SEX code 1 is not the 2025 "
                                     "return's code set (M/F/U); read all the same")]


def test_mother_gives_an_event_dated_by_her_childs_birth(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = header_file(tmp_path, f"C1,2,01/05/2008,WBRI,{UPN_1},1,03/02/2024")
    log = load(graph_store, path)
    assert (log.read, log.loaded, log.quarantined) == (2, 2, 0)
    assert graph_store.counts()["Person"] == 1
    extract, _ = read(path)
    (event,) = extract.events
    assert (event.record_id, event.date, event.type) == ("C1", date(2024, 2, 3), "mother")
    assert (event.sensitivity, event.where.file) == ("sensitive", f"{path}#MC_DOB")


def test_mother_without_her_childs_birth_date_is_warned(tmp_path: Path) -> None:
    extract, quarantine = read(header_file(tmp_path, f"C1,2,01/05/2008,WBRI,{UPN_1},1,"))
    assert (len(extract.people), extract.events) == (1, [])
    assert [w[2:] for w in warnings(quarantine)] == [
        ("MC_DOB", "MOTHER=1 but no date of birth of her child; nothing to load")]


def test_mother_event_in_the_future_is_quarantined_but_she_is_loaded(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    path = header_file(tmp_path, f"C1,2,01/05/2008,WBRI,{UPN_1},1,03/02/2027")
    log = load(graph_store, path)
    assert (log.read, log.loaded, log.quarantined) == (2, 1, 1)
    assert reasons(log) == [("header.csv#MC_DOB", 2, "MC_DOB", "2027-02-03 is in the future")]


@pytest.mark.parametrize("upn", ["UN1", "UN5", "un2", ""])
def test_child_without_a_known_upn_is_quarantined(
    graph_store: EmbeddedStore, tmp_path: Path, upn: str
) -> None:
    log = load(graph_store, header_file(tmp_path, f"C1,1,01/05/2008,WBRI,{upn},,"))
    assert (log.read, log.loaded, log.quarantined) == (1, 0, 1)
    ((_, row, column, reason),) = reasons(log)
    assert (row, column) == (2, "UPN")
    assert reason.endswith("and the 903 holds no name or NHS number: nothing identifies the child")


def test_upn_with_a_wrong_check_letter_is_kept_with_a_warning(tmp_path: Path) -> None:
    extract, quarantine = read(header_file(tmp_path, "C1,1,01/05/2008,WBRI,3412,,"))
    assert [p.upn for p in extract.people] == ["3412"]
    assert warnings(quarantine) == [("header.csv", 2, "UPN",
                                     "check letter does not match; kept as given")]


def test_child_repeated_with_the_same_details_loads_once(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    row = f"C1,1,01/05/2008,WBRI,{UPN_1},,"
    log = load(graph_store, header_file(tmp_path, row, row))
    assert (log.read, log.loaded, log.quarantined) == (2, 1, 1)
    assert reasons(log) == [("header.csv", 3, "CHILD",
                             "repeats the CHILD of row 2: one row per child")]


def test_bad_birth_date_is_dropped_with_a_warning_naming_dob(tmp_path: Path) -> None:
    extract, quarantine = read(header_file(tmp_path, f"C1,1,31/02/2008,WBRI,{UPN_1},,"))
    assert [p.birth_date for p in extract.people] == [None]
    assert warnings(quarantine) == [("header.csv", 2, "DOB",
                                     "'31/02/2008' is not a date (DD/MM/YYYY); value dropped")]


# --- Episodes -----------------------------------------------------------------------------------

EPISODES = ",".join(ssda903.EPISODES.columns)


def test_episode_becomes_a_looked_after_involvement_with_its_codes(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", EPISODES,
                 "C1,01/04/2022,S,C2,N1,U4,PR4,01/06/2023,X1,CARPL,LS8 3DR,,SC123",
                 "C1,01/06/2023,P,C2,N1,U4,PR1,,,,LS8 3DR,,")
    extract, quarantine = read(path)
    closed, open_ = extract.involvements
    assert (closed.service, closed.level, closed.status) == ("Looked after child", "statutory",
                                                              "closed")
    assert (closed.start, closed.end) == (date(2022, 4, 1), date(2023, 6, 1))
    assert closed.reason == "RNE=S LS=C2 CIN=N1 PLACE=U4 REC=X1 REASON_PLACE_CHANGE=CARPL"
    assert closed.organisation == "Private provision"
    assert (open_.status, open_.end) == ("open", None)
    assert open_.organisation == "Own provision (by the local authority)"
    assert (extract.addresses, quarantine.warnings) == ([], [])


def test_placement_postcode_becomes_a_restricted_address_for_the_episode(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    header = header_file(tmp_path, f"C1,1,01/05/2008,WBRI,{UPN_1},,")
    episodes = table(tmp_path / "episodes.csv", EPISODES,
                     "C1,01/04/2022,S,C2,N1,U4,PR4,01/06/2023,X1,,,m11ae,")
    log = load(graph_store, header, episodes)
    assert (log.read, log.loaded, log.quarantined) == (3, 3, 0)
    owner = graph_store.record_owners(["R:ssda903/C1"])["R:ssda903/C1"]
    (stay,) = graph_store.memberships([owner])
    assert (stay.valid_from, stay.valid_to, stay.sensitivity) == (
        date(2022, 4, 1), date(2023, 6, 1), Sensitivity.RESTRICTED)
    extract, _ = read(episodes)
    (address,) = extract.addresses
    assert (address.postcode, address.restricted) == ("M1 1AE", True)


def test_adoption_episode_is_a_restricted_involvement(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", EPISODES, "C1,01/04/2022,S,E1,N1,A4,PR1,,,,,,")
    extract, _ = read(path)
    assert [i.sensitivity for i in extract.involvements] == ["restricted"]


def test_episode_with_a_bad_start_is_quarantined_with_its_address(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    header = header_file(tmp_path, f"C1,1,01/05/2008,WBRI,{UPN_1},,")
    episodes = table(tmp_path / "episodes.csv", EPISODES,
                     "C1,31/02/2022,S,C2,N1,U4,PR4,,,,,M1 1AE,")
    log = load(graph_store, header, episodes)
    assert (log.read, log.loaded, log.quarantined) == (2, 1, 1)
    assert reasons(log) == [("episodes.csv", 2, "DECOM", "'31/02/2022' is not a date (DD/MM/YYYY)")]


def test_episode_ending_before_it_starts_is_quarantined_naming_dec(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", EPISODES,
                 "C1,01/04/2022,S,C2,N1,U4,PR4,01/03/2022,,,,,")
    extract, quarantine = Extract(), Quarantine()
    ssda903.read(path, quarantine, TODAY, extract)
    assert [(r.row, r.field) for r in quarantine.rejected] == [(2, "DEC")]
    assert extract.read == 1


def test_columns_are_told_in_any_case_and_a_missing_one_is_read_as_blank(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", "child,Decom,rne,LS,cin,place,dec",
                 "C1,01/04/2022,S,C2,N1,U4,")
    extract, quarantine = read(path)
    assert [i.reason for i in extract.involvements] == ["RNE=S LS=C2 CIN=N1 PLACE=U4"]
    assert warnings(quarantine) == [(
        "episodes.csv", 1, "PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN",
        "missing from the header; read as blank")]


def test_child_id_longer_than_any_canonical_value_is_quarantined(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", EPISODES, "C" * 1_001 + ",01/04/2022" + "," * 11)
    extract, quarantine = read(path)
    assert (extract.read, extract.involvements) == (1, [])
    assert [(r.row, r.field, r.reason) for r in quarantine.rejected] == [
        (2, "CHILD", "longer than 1000 characters")]


def test_reviews_under_the_old_column_name_dor_are_read(tmp_path: Path) -> None:
    path = table(tmp_path / "reviews.csv", "CHILD,DOB,DOR,REVIEW_CODE",
                 "C1,01/05/2008,01/10/2022,PN1")
    assert ssda903.claims(path)
    extract, _ = read(path)
    assert [(e.type, e.date) for e in extract.events] == [("review", date(2022, 10, 1))]


def test_row_with_the_wrong_number_of_fields_is_quarantined(tmp_path: Path) -> None:
    path = table(tmp_path / "episodes.csv", EPISODES, "C1,01/04/2022,S")
    extract, quarantine = read(path)
    assert extract.read == 1
    assert [(r.row, r.reason) for r in quarantine.rejected] == [
        (2, "has 3 fields, the header has 13")]


# --- the event tables ---------------------------------------------------------------------------

EVENT_TABLES = [
    ("missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END",
     "C1,01/05/2008,M,03/03/2023,05/03/2023",
     [("missing", date(2023, 3, 3), "missing from placement; returned 2023-03-05", "normal")]),
    ("missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END", "C1,01/05/2008,A,10/03/2023,",
     [("absence", date(2023, 3, 10),
       "away from placement without authorisation; no return date recorded", "normal")]),
    ("reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE", "C1,01/05/2008,01/10/2022,PN1",
     [("review", date(2022, 10, 1), "looked-after child review; participation PN1", "normal")]),
    ("uasc.csv", "CHILD,SEX,DOB,DUC", "C1,2,01/05/2008,01/05/2026",
     [("UASC ceased", date(2026, 5, 1), "unaccompanied asylum-seeking child status ceased",
       "sensitive")]),
    ("oc2_2024.csv", "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,"
     "TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED",
     "C1,01/05/2008,12,,0,1,1,1,1,1,,",
     [("outcomes", date(2024, 3, 31), "at 31 March: SDQ_SCORE=12 CONVICTED=0 HEALTH_CHECK=1 "
       "IMMUNISATIONS=1 TEETH_CHECK=1 HEALTH_ASSESSMENT=1 SUBSTANCE_MISUSE=1", "sensitive")]),
    ("oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM,YEAR", "C1,01/05/2004,YES,F1,B1,2023",
     [("care leaver", date(2023, 3, 31),
       "care leaver at 31 March: IN_TOUCH=YES ACTIV=F1 ACCOM=B1", "normal")]),
    ("ad1.csv", "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR",
     "C1,01/06/2015,01/02/2021,01/06/2021,1,2,MF,L0",
     [("adoption decision", date(2021, 2, 1), "decision that the child should be placed for "
       "adoption; FOSTER_CARE=1 NB_ADOPTR=2 SEX_ADOPTR=MF LS_ADOPTR=L0", "restricted"),
      ("adoption match", date(2021, 6, 1), "matched with adopters", "restricted")]),
    ("placed.csv", "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED",
     "C1,01/06/2015,01/02/2021,01/03/2022,RD1",
     [("adoption decision", date(2021, 2, 1),
       "decision that the child should be placed for adoption", "restricted"),
      ("adoption decision reversed", date(2022, 3, 1),
       "should no longer be placed for adoption; REASON_PLACED_CEASED=RD1", "restricted")]),
    ("prevperm.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", "C1,01/05/2008,P2,301,zz/zz/2015",
     [("previous permanence", date(2015, 1, 1),
       "PREV_PERM=P2 LA_PERM=301 (date known to the year only)", "restricted")]),
    ("prevperm.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", "C1,01/05/2008,P1,,zz/06/2015",
     [("previous permanence", date(2015, 6, 1), "PREV_PERM=P1 (date known to the month only)",
       "restricted")]),
    ("sw.csv", "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON",
     "C1,01/05/2008,SW123,01/04/2022,01/09/2023,LEFTRL",
     [("social worker", date(2022, 4, 1), "social worker SW123; until 2023-09-01; "
       "SW_REASON=LEFTRL", "normal")]),
    ("dolo.csv", "CHILD,DOB,DOLO_START,DOLO_END", "C1,01/05/2008,01/01/2024,01/06/2024",
     [("deprivation of liberty", date(2024, 1, 1), "deprivation of liberty order; until "
       "2024-06-01", "sensitive")]),
]


@pytest.mark.parametrize(("name", "columns", "row", "expected"), EVENT_TABLES,
                         ids=[f"{case[0]}-{n}" for n, case in enumerate(EVENT_TABLES)])
def test_event_table_row_becomes_dated_events(
    graph_store: EmbeddedStore, tmp_path: Path, name: str, columns: str, row: str,
    expected: list[tuple[str, date, str, str]],
) -> None:
    path = table(tmp_path / name, columns, row)
    extract, quarantine = read(path)
    assert [(e.type, e.date, e.summary, e.sensitivity) for e in extract.events] == expected
    assert (quarantine.rejected, quarantine.warnings) == ([], [])
    log = load(graph_store, header_file(tmp_path / "h", f"C1,1,01/05/2004,WBRI,{UPN_1},,"), path)
    assert (log.read, log.loaded, log.quarantined) == (1 + len(expected), 1 + len(expected), 0)
    assert graph_store.counts()["Event"] == len(expected)


@pytest.mark.parametrize(("name", "columns", "row", "column"), [
    ("uasc.csv", "CHILD,SEX,DOB,DUC", "C1,2,01/05/2008,", "DUC"),
    ("oc3.csv", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM", "C1,01/05/2004,YES,F1,B1", "YEAR"),
    ("prevperm.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", "C1,01/05/2008,Z1,,", "DATE_PERM"),
    ("missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END", "C1,01/05/2008,M,,", "MIS_START"),
])
def test_event_row_without_a_date_is_quarantined_naming_the_column(
    tmp_path: Path, name: str, columns: str, row: str, column: str
) -> None:
    extract, quarantine = read(table(tmp_path / name, columns, row))
    assert (extract.read, extract.events) == (1, [])
    assert [(r.row, r.field) for r in quarantine.rejected] == [(2, column)]


def test_unknown_code_is_left_out_of_the_summary_with_a_warning(tmp_path: Path) -> None:
    path = table(tmp_path / "reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE",
                 "C1,01/05/2008,01/10/2022,PN9")
    extract, quarantine = read(path)
    assert [e.summary for e in extract.events] == ["looked-after child review"]
    assert warnings(quarantine) == [("reviews.csv", 2, "REVIEW_CODE",
                                     "'PN9' is not an SSDA903 REVIEW_CODE code; left out")]


def test_collection_year_is_read_from_file_names() -> None:
    assert [ssda903.collection_year(n) for n in (
        "oc2_2024.csv", "SSDA903_2023-24_oc3.csv", "oc2_2023_2024.csv", "oc2.csv",
        "oc2_2019_2024.csv")] == [2024, 2024, 2024, None, None]


# --- telling tables apart -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [t.name for t in ssda903.TABLES])
def test_every_table_is_told_by_its_own_header(tmp_path: Path, kind: str) -> None:
    (wanted,) = [t for t in ssda903.TABLES if t.name == kind]
    assert ssda903.tables_fitting(wanted.columns) == [wanted]
    path = table(tmp_path / "any.csv", ",".join(wanted.columns).lower())
    assert ssda903.claims(path)


def test_header_fitting_no_table_is_not_claimed(graph_store: EmbeddedStore,
                                                tmp_path: Path) -> None:
    path = table(tmp_path / "other.csv", "CHILD,NAME", "C1,Ann")
    assert not ssda903.claims(path)
    with pytest.raises(LoadError, match="no loader recognises this file"):
        load_extract(graph_store, [path], today=TODAY)


def test_header_fitting_two_tables_equally_is_load_error_naming_them(tmp_path: Path) -> None:
    path = table(tmp_path / "mixed.csv", "CHILD,REVIEW,MIS_START", "C1,01/01/2020,01/01/2020")
    with pytest.raises(LoadError) as caught:
        read(path)
    assert caught.value.file == str(path)
    assert caught.value.reason == "header fits more than one SSDA903 table: Reviews, Missing"


def test_header_repeating_a_column_is_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="header repeats column CHILD"):
        read(table(tmp_path / "header.csv", HEADER + ",child", ""))


# --- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_are_read(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "header.csv", f"{HEADER}\nC1,1,01/05/2008,WBRI,{UPN_1},,\n",
                 encoding)
    assert ssda903.claims(path)
    extract, quarantine = read(path)
    assert (len(extract.people), quarantine.warnings) == (1, [])


def test_windows_1252_file_is_read_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "episodes.csv", f"{EPISODES},LA\n"
                 "C1,01/04/2022,S,C2,N1,U4,PR4,,,,,,,Hammersmith £\n", "cp1252")
    extract, quarantine = read(path)
    assert len(extract.involvements) == 1
    assert ("episodes.csv", 1, "", "is not UTF-8 (byte 144); read as Windows-1252") in warnings(
        quarantine)


def test_file_with_nul_bytes_is_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="NUL"):
        read(write(tmp_path / "header.csv", f"{HEADER}\nC1\x00,1\n"))


# --- the XML form -------------------------------------------------------------------------------

XML_CHILD = f"""<?xml version="1.0" encoding="UTF-8"?>
<EXPSSDA903><CHILD><HEADER><CHILDID>C1</CHILDID><UPN>{UPN_1}</UPN><SEX>2</SEX>
<DOB>01/05/2008</DOB><ETHNIC>WBRI</ETHNIC><UASC>1</UASC><DUC>01/05/2026</DUC>
<AMISSING><MISSING>M</MISSING><MIS_START>03/03/2023</MIS_START><MIS_END/></AMISSING>
<AREVIEW><REVIEW>01/10/2022</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
<MOTHER>1</MOTHER><MC_DOB>03/02/2024</MC_DOB></HEADER>
<EPISODE><DECOM>01/04/2022</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
<PL_POST>M1 1AE</PL_POST><PLACE_PROVIDER>PR4</PLACE_PROVIDER><DEC/><REC/></EPISODE>
</CHILD></EXPSSDA903>
"""


def test_xml_return_is_read_into_the_same_tables(graph_store: EmbeddedStore,
                                                 tmp_path: Path) -> None:
    path = write(tmp_path / "903.xml", XML_CHILD)
    assert ssda903.claims(path)
    log = load(graph_store, path)
    # person, mother event, UASC, missing, review; episode and its placement address.
    assert (log.read, log.loaded, log.quarantined) == (7, 7, 0)
    counts = graph_store.counts()
    assert (counts["Person"], counts["Event"], counts["Involvement"]) == (1, 4, 1)
    extract, _ = read(path)
    assert sorted(e.type for e in extract.events) == ["UASC ceased", "missing", "mother",
                                                      "review"]
    assert [i.reason for i in extract.involvements] == ["RNE=S LS=C2 CIN=N1 PLACE=U4"]


def test_xml_problems_name_the_element_by_its_path_and_position(tmp_path: Path) -> None:
    path = write(tmp_path / "903.xml", XML_CHILD.replace("<DECOM>01/04/2022", "<DECOM>2022/04/01"))
    extract, quarantine = read(path)
    assert [(r.row, r.field, r.reason) for r in quarantine.rejected] == [
        (20, "EXPSSDA903/CHILD[1]/EPISODE[1]/DECOM", "'2022/04/01' is not a date (DD/MM/YYYY)")]
    assert extract.addresses == []


@pytest.mark.parametrize("document", [
    '<?xml version="1.0"?><!DOCTYPE EXPSSDA903 [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
    '&a;&a;&a;&a;&a;&a;&a;">]><EXPSSDA903><CHILD><HEADER><CHILDID>&b;</CHILDID></HEADER>'
    '</CHILD></EXPSSDA903>',
    '<?xml version="1.0"?><!DOCTYPE EXPSSDA903 [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>',
], ids=["billion-laughs", "external-entity"])
def test_xml_declaring_entities_is_refused_before_parsing(
    graph_store: EmbeddedStore, tmp_path: Path, document: str
) -> None:
    path = write(tmp_path / "903.xml", document)
    assert ssda903.claims(path)
    with pytest.raises(LoadError, match="declares a DOCTYPE or ENTITY"):
        load_extract(graph_store, [path], today=TODAY)
    assert graph_store.counts() == {}


def test_xml_that_is_not_a_903_return_is_not_claimed(tmp_path: Path) -> None:
    assert not ssda903.claims(write(tmp_path / "other.xml", "<Message><Children/></Message>"))
    assert not ssda903.claims(write(tmp_path / "broken.xml", "<EXPSS"))


# --- properties ---------------------------------------------------------------------------------

TEXTS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
DATES = st.one_of(
    st.just(""),
    st.dates(min_value=date(1850, 1, 1), max_value=date(2035, 12, 31)).flatmap(
        lambda d: st.sampled_from([d.strftime("%d/%m/%Y"), d.isoformat(), d.strftime("%d-%b-%y"),
                                   f"zz/zz/{d.year}", f"zz/{d.month:02}/{d.year}"])),
    TEXTS,
)
UPNS = st.sampled_from(["", UPN_1, UPN_2, "UN1", "3412", "a950000178301"])
CODES = st.sampled_from(sorted({c for codes in ssda903.CODES.values() for c in codes}
                               | {"", "PR1", "PR9", "M", "F", "1", "2", "YES", "*DUMMY*"}))
POSTCODES = st.sampled_from(["", "M1 1AE", "ls83dr", "Z8 5", "2TR"])


def _value(column: str) -> st.SearchStrategy[str]:
    if column == "CHILD":
        return st.one_of(st.sampled_from(["C1", "C2", "", " C1 ", "C" * 1_500]), TEXTS)
    if column in ("DOB", "MC_DOB", "DECOM", "DEC", "REVIEW", "DUC", "DATE_INT", "DATE_MATCH",
                  "DATE_PLACED", "DATE_PLACED_CEASED", "DATE_PERM", "MIS_START", "MIS_END",
                  "SW_DECOM", "SW_DEC", "DOLO_START", "DOLO_END"):
        return DATES
    if column == "UPN":
        return st.one_of(UPNS, TEXTS)
    if column in ("PL_POST", "HOME_POST"):
        return st.one_of(POSTCODES, TEXTS)
    return st.one_of(CODES, TEXTS, st.just("x" * 1_500))


@st.composite
def table_files(draw: st.DrawFn) -> tuple[str, str]:
    """A 903 table (name, CSV text): a real header, perhaps an extra column, generated rows."""
    chosen = draw(st.sampled_from(ssda903.TABLES))
    columns = list(draw(st.permutations(chosen.columns)))
    if draw(st.booleans()):
        columns.append(draw(st.sampled_from(["YEAR", "LA", "TEST_COLUMN"])))
    rows = draw(st.lists(st.fixed_dictionaries({c: _value(c) for c in columns}), max_size=5))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(draw(st.sampled_from([str.upper, str.lower, str.title]))(c) for c in columns)
    writer.writerows([row[c] for c in columns] for row in rows)
    return f"{chosen.name.lower()}_{draw(st.sampled_from(['2024', 'x']))}.csv", out.getvalue()


def good_store(root: Path) -> EmbeddedStore:
    store = EmbeddedStore(root / "store")
    good = header_file(root / "good", f"C1,1,01/05/2008,WBRI,{UPN_1},,")
    assert load(store, good).loaded == 1
    return store


def check_read(path: Path) -> None:
    """The reader's own promise: a LoadError naming the file, or every row counted once."""
    ssda903.claims(path)  # a sniff never raises
    extract, quarantine = Extract(), Quarantine()
    try:
        ssda903.read(path, quarantine, TODAY, extract)
    except LoadError as error:
        assert error.file == str(path)
        return
    assert extract.read == extract.rows() + quarantine.rejected_rows()


def check_load(store: EmbeddedStore, paths: Sequence[Path]) -> None:
    """LoadError with the store as it was, or one more balanced load log."""
    counts, logs = store.counts(), store.load_logs()
    try:
        log = load_extract(store, list(paths), today=TODAY)
    except LoadError as error:
        assert error.file
        assert (store.counts(), store.load_logs()) == (counts, logs)
        return
    assert log.read == log.loaded + log.quarantined
    assert store.load_logs() == [*logs, log]


def encoded(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "utf-32"])
CUTS = st.none() | st.integers(min_value=0, max_value=400)


@PROPERTY
@given(file=table_files(), encoding=ENCODINGS, cut=CUTS)
def test_generated_tables_in_any_encoding_read_balanced_or_fail_whole(
    file: tuple[str, str], encoding: str, cut: int | None
) -> None:
    name, text = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(encoded(text, encoding)[:cut])
        check_read(path)


@PROPERTY
@given(header=st.sampled_from([t.columns for t in ssda903.TABLES]), body=st.binary(max_size=300),
       suffix=st.sampled_from([".csv", ".xml"]))
def test_arbitrary_bytes_after_a_903_header_read_balanced_or_fail_whole(
    header: tuple[str, ...], body: bytes, suffix: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"table{suffix}"
        path.write_bytes(",".join(header).encode() + b"\n" + body)
        check_read(path)


XML_TRICKS = st.sampled_from([
    '<!DOCTYPE EXPSSDA903 [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    '<!DOCTYPE EXPSSDA903 SYSTEM "http://example.invalid/x.dtd">',
    '<!DOCTYPE EXPSSDA903 [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    "",
])
XML_BODY = XML_CHILD.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "")


@st.composite
def xml_returns(draw: st.DrawFn) -> bytes:
    """The inline 903 XML, perhaps behind a DOCTYPE trick, spliced, cut and re-encoded."""
    at = draw(st.integers(min_value=0, max_value=len(XML_BODY)))
    splice = draw(st.sampled_from(["", "&b;", "&x;", "<![CDATA[<", "\ufeff", "é", "</CHILD>",
                                   "<CHILD><HEADER/></CHILD>", "x" * 2_000]))
    text = draw(XML_TRICKS) + XML_BODY[:at] + splice + XML_BODY[at:]
    cut = draw(st.none() | st.integers(min_value=0, max_value=len(text)))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text[:cut].encode(encoding, errors="replace")


@PROPERTY
@given(document=xml_returns())
def test_broken_and_hostile_903_xml_reads_balanced_or_fails_whole(document: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "903.xml"
        path.write_bytes(document)
        check_read(path)


@settings(max_examples=25, deadline=None, database=None)
@given(file=table_files(), document=xml_returns(), encoding=ENCODINGS, cut=CUTS)
def test_a_load_of_903_files_is_balanced_or_leaves_the_store_as_it_was(
    file: tuple[str, str], document: bytes, encoding: str, cut: int | None
) -> None:
    name, text = file
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = good_store(root)
        try:
            extract = root / "extract"
            extract.mkdir()
            (extract / name).write_bytes(encoded(text, encoding)[:cut])
            (extract / "903.xml").write_bytes(document)
            check_load(store, [extract])
        finally:
            store.close()
