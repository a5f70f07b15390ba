"""The mapping language's steps, the data's own metadata, encodings, and what a load keeps."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from graph.model import Involvement, Person, ServiceLevel, Sex, SourceRef
from graph.questions.coverage import CoverageState, coverage_of, declared_in_loads
from graph.questions.services import services_engaged
from graph.store import GraphBatch
from loaders.errors import LoadError
from loaders.formats.canonical_doc import render
from loaders.involvements import end_closed_involvements
from loaders.mapping import read_mapped
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract
from loaders.registry import plan
from server.cli.main import app as cli

TODAY = date(2026, 11, 23)
DOCS = Path(__file__).parent.parent / "docs"
PEOPLE_HEADER = ("system,record_id,given_names,family_name,other_names,sex,birth_date,death_date,"
                 "nhs_number,upn,address_line1,address_line2,town,postcode,uprn,address_from\n")
INVOLVEMENTS = ("system,record_id,service,level,start,end,status,reason,organisation,lead_name,"
                "lead_role,lead_team,lead_phone,lead_email,sensitivity")


def mapped(tmp_path: Path, mapping: str, files: dict[str, str | bytes]
           ) -> tuple[Extract, Quarantine]:
    folder = tmp_path / "extract"
    folder.mkdir(exist_ok=True)
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    for name, body in files.items():
        if isinstance(body, bytes):
            (folder / name).write_bytes(body)
        else:
            (folder / name).write_text(body, encoding="utf-8")
    quarantine = Quarantine()
    extract = read_mapped(folder, quarantine, TODAY)
    end_closed_involvements(extract, quarantine, TODAY)
    return extract, quarantine


PEOPLE = """
system = "sc"
[[files]]
name = "p.csv"
kind = "people"
[files.columns]
record_id = { column = "Ref", trim = "#" }
given_names = { column = "Name", split = ",", take = "last" }
family_name = { column = "Name", split = ",", take = "first", case = "title" }
other_names = { columns = ["Alias 1", "Alias 2"], join = "; " }
sex = { column = "Gender", values = { Male = "male", Female = "female" }, default = "unknown" }
birth_date = { column = "Born", date_format = ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y"] }
upn = { column = "Notes", pattern = 'UPN:\\s*([A-Z][0-9]{12})' }
address_line1 = { column = "Address", split = "lines", take = "first" }
address_line2 = { column = "Address", split = "lines", take = "middle" }
postcode = { column = "Address", split = "lines", take = -1 }
town = { value = "Northwick" }
"""
PEOPLE_CSV = (
    'Ref,Name,Alias 1,Alias 2,Gender,Born,Notes,Address\n'
    '#101#,"HART, Amy",Amy Jo,,Female,2014-03-02 00:00:00,"seen; UPN: A123456789012 ok",'
    '"Flat 3\n12 Alder Road\nEast Side\nNW1 4QT"\n'
    '102,"Khan , Dev",D,Devan,Alien,02/04/2015,no upn here,"9 Dock Street\nNW2 1AB"\n'
)


def test_each_step_of_a_column_makes_its_canonical_value(tmp_path: Path) -> None:
    extract, quarantine = mapped(tmp_path, PEOPLE, {"p.csv": PEOPLE_CSV})
    amy, dev = extract.people
    assert (amy.record_id, amy.given_names, amy.family_name) == ("101", "Amy", "Hart")
    assert (amy.sex, amy.birth_date, amy.upn) == ("female", date(2014, 3, 2), "A123456789012")
    assert amy.address is not None and dev.address is not None
    assert (amy.address.line1, amy.address.line2, amy.address.town, amy.address.postcode) == (
        "Flat 3", "12 Alder Road, East Side", "Northwick", "NW1 4QT")
    assert (dev.address.line1, dev.address.line2, dev.address.postcode) == (
        "9 Dock Street", "", "NW2 1AB")
    assert (dev.given_names, dev.family_name, dev.other_names) == ("Dev", "Khan", "D; Devan")
    assert (dev.sex, dev.birth_date, dev.upn) == ("unknown", date(2015, 4, 2), None)
    fields = {(w.row, w.field): w.reason for w in quarantine.warnings}
    assert "'Alien' is not in the value map; 'unknown' used" in fields[(6, "Gender (sex)")]
    assert "does not match the pattern" in fields[(6, "Notes (upn)")]


@pytest.mark.parametrize(("change", "words"), [
    ('split = "lines", take = "middle"', 'take = "middle"'),
    ("take = -1", "take = 0"),
    ('trim = "#"', 'trim = "#", colour = "red"'),
    ("pattern = 'UPN:", "pattern = '(U)(P)"),
    ('default = "unknown"', "default = 3"),
    ('case = "title"', 'case = "proper"'),
    ('value = "Northwick"', 'value = "Northwick", column = "Ref"'),
])
def test_a_bad_column_spec_is_refused_naming_the_column(tmp_path: Path, change: str,
                                                       words: str) -> None:
    assert change in PEOPLE
    with pytest.raises(LoadError, match=r"mapping\.toml.*column"):
        mapped(tmp_path, PEOPLE.replace(change, words, 1), {"p.csv": PEOPLE_CSV})


def test_a_multiline_record_is_reported_at_its_first_line(tmp_path: Path) -> None:
    text = PEOPLE_CSV.replace("no upn here", "UPN: A12")
    _, quarantine = mapped(tmp_path, PEOPLE, {"p.csv": text})
    assert [w.row for w in quarantine.warnings if w.field == "Notes (upn)"] == [6]
    assert text.splitlines()[5].startswith("102,")


EXTRACT_DATES = """
system = "sc"
[extract]
{how}
[[files]]
name = "p_*.csv"
kind = "people"
[files.columns]
record_id = "Ref"
family_name = "Name"
"""


@pytest.mark.parametrize(("how", "expected"), [
    ('date_column = "As Of"\ndate_format = "%d/%m/%Y %H:%M"', date(2022, 10, 16)),
    ("date_from_file_name = '_(\\d{8})'\ndate_format = \"%Y%m%d\"", date(2022, 10, 15)),
    ("date = 2022-09-30", date(2022, 9, 30)),
])
def test_the_extract_date_comes_from_a_column_the_file_name_or_the_mapping(
        tmp_path: Path, how: str, expected: date) -> None:
    rows = "Ref,Name,As Of\n1,Hart,15/10/2022 09:00\n2,Khan,16/10/2022 07:30\n"
    extract, _ = mapped(tmp_path, EXTRACT_DATES.format(how=how), {"p_20221015.csv": rows})
    assert extract.extract_dates == {"sc": expected}


def test_a_file_name_without_the_date_stops_the_load(tmp_path: Path) -> None:
    how = "date_from_file_name = '_(\\d{8})'\ndate_format = \"%Y%m%d\""
    with pytest.raises(LoadError, match=r"p_latest\.csv: file name does not hold the extract"):
        mapped(tmp_path, EXTRACT_DATES.format(how=how), {"p_latest.csv": "Ref,Name\n1,H\n"})


def test_the_extract_date_is_the_as_of_of_the_load_and_of_its_records(tmp_path: Path) -> None:
    how = "date = 2022-09-30"
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "mapping.toml").write_text(EXTRACT_DATES.format(how=how)
                                         + '[coverage]\ncovers = "everyone"\nuntil = 2022-09-30\n')
    (folder / "p_1.csv").write_text("Ref,Name\n1,Hart\n")
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [folder], today=TODAY)
    assert log.detail["systems"] == {"sc": "2022-09-30"}
    declared = declared_in_loads(store)
    assert declared["sc"].until == date(2022, 9, 30)
    stranger = Person(id="x", given_names="X", family_name="Y", sex=Sex.UNKNOWN)
    (status,) = coverage_of(stranger, date(2023, 1, 1), {"sc": date(2022, 9, 30)}, declared)
    assert status.state is CoverageState.OUTSIDE_COVERAGE
    store.close()


def involvement_rows(*rows: str) -> str:
    return INVOLVEMENTS + ",organisation_kind,organisation_code,last_activity\n" + "\n".join(
        rows) + "\n"


def test_a_closed_status_ends_the_involvement_at_last_activity_or_before_the_load(
        tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE_HEADER + "sc,1,Amy,Hart,,f,2014-01-01,,,,,,,,,\n")
    (tmp_path / "involvements.csv").write_text(involvement_rows(
        "sc,1,Child in need,specialist,2021-01-01,,Historic,,,,,,,,,,,2021-05-01",
        "sc,1,Early help,targeted,2021-02-01,,Closed,,,,,,,,,,,",
        "sc,1,Youth club,universal,2021-03-01,,Not Specified,,,,,,,,,,,",
        f"sc,1,Family support,targeted,2021-04-01,,Closed,,,,,,,,,,,{TODAY.isoformat()}",
    ))
    extract, quarantine = Extract(), Quarantine()
    for module, path in plan([tmp_path]):
        module.read(path, quarantine, TODAY, extract)
    assert end_closed_involvements(extract, quarantine, TODAY) == 3
    ends = {i.service: (i.status, i.end) for i in extract.involvements}
    # Activity on the load day itself does not keep a closed service open that day.
    assert ends == {"Child in need": ("closed", date(2021, 5, 1)),
                    "Early help": ("closed", date(2026, 11, 22)),
                    "Youth club": ("open", None),
                    "Family support": ("closed", date(2026, 11, 22))}
    assert [w.row for w in quarantine.warnings if w.field == "end"] == [2, 3, 5]


def test_services_engaged_hides_a_stored_closed_involvement_that_has_no_end(
        tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    batch = GraphBatch()
    batch.nodes += [
        Person(id="amy", given_names="Amy", family_name="Hart", sex=Sex.FEMALE,
               sources=(SourceRef("sc", "1"),)),
        Involvement(id="I:old", person_id="amy", service="School", level=ServiceLevel.UNIVERSAL,
                    start=date(2020, 9, 1), status="closed"),
        Involvement(id="I:now", person_id="amy", service="GP", level=ServiceLevel.UNIVERSAL,
                    start=date(2020, 9, 1)),
    ]
    store.write(batch)
    assert [s.view.involvement.id for s in services_engaged(store, "amy", as_of=TODAY)] == [
        "I:now"]
    assert len(services_engaged(store, "amy", as_of=TODAY, include_closed=True)) == 2
    store.close()


def test_a_contact_with_no_name_is_kept_per_involvement_and_an_organisation_is_no_name(
        tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        PEOPLE_HEADER + "ed,1,Amy,Hart,,f,2014-01-01,,,,,,,,,\n"
        "ed,2,Dev,Khan,,m,2014-02-01,,,,,,,,,\n")
    (tmp_path / "involvements.csv").write_text(involvement_rows(
        "ed,1,School,universal,2021-09-01,,,,St Mary's,,,,01632 960101,,,school,100234,",
        "ed,2,School,universal,2021-09-01,,,,St Mary's,St Mary's,,,01632 960202,,,school,"
        "100871,",
    ))
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [tmp_path / "people.csv", tmp_path / "involvements.csv"],
                       today=TODAY)
    assert [w.field for w in log.warnings] == ["lead_name"]
    views = [store.involvements([p], TODAY)[0] for p in
             store.record_owners(["R:ed/1", "R:ed/2"]).values()]
    assert [(v.lead.name, v.lead.phone) for v in views if v.lead] == [
        ("", "01632 960101"), ("", "01632 960202")]
    assert [(v.organisation.kind, v.organisation.code) for v in views if v.organisation] == [
        ("school", "100234"), ("school", "100871")]
    store.close()


CANONICAL = (PEOPLE_HEADER + "sc,1,Siân,Hart,,f,2014-01-01,,,,,,,,,\n").replace("\n", "\r\n")


@pytest.mark.parametrize("data", [
    CANONICAL.encode("utf-8-sig"),
    CANONICAL.encode("utf-16"),
    CANONICAL.replace(",", "\t").encode("utf-16"),
])
def test_utf8_with_a_mark_and_utf16_text_are_read(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "people.csv").write_bytes(data)
    extract, quarantine = Extract(), Quarantine()
    for module, path in plan([tmp_path]):
        module.read(path, quarantine, TODAY, extract)
    assert [p.given_names for p in extract.people] == ["Siân"]


def test_windows_1252_is_refused_naming_it_and_how_to_resave(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_bytes(CANONICAL.encode("cp1252"))
    with pytest.raises(LoadError, match=r"Windows-1252.*re-save it from Excel as 'CSV UTF-8"):
        for module, path in plan([tmp_path]):
            module.read(path, Quarantine(), TODAY, Extract())


def test_a_mapped_windows_1252_file_is_told_to_set_the_encoding(tmp_path: Path) -> None:
    mapping = EXTRACT_DATES.format(how="date = 2022-09-30")
    with pytest.raises(LoadError, match='encoding = "cp1252"'):
        mapped(tmp_path, mapping, {"p_1.csv": "Ref,Name\n1,Siân\n".encode("cp1252")})
    extract, _ = mapped(tmp_path, 'encoding = "cp1252"\n' + mapping,
                        {"p_1.csv": "Ref,Name\n1,Siân\n".encode("cp1252")})
    assert extract.people[0].family_name == "Siân"


def test_a_utf16_file_no_loader_reads_is_refused_naming_its_encoding(tmp_path: Path) -> None:
    (tmp_path / "export.txt").write_bytes("Forename\tSurname\r\nAmy\tHart\r\n".encode("utf-16"))
    with pytest.raises(LoadError, match=r"UTF-16 text.*mapping\.toml"):
        list(plan([tmp_path]))


def test_a_folder_passes_over_the_generators_truth_and_demo_file_saying_so(
        tmp_path: Path) -> None:
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "persons.csv").write_text("system,record_id,person_key\n")
    (tmp_path / "demo.json").write_text("{}")
    (tmp_path / "people.csv").write_bytes(CANONICAL.encode())
    said: list[str] = []
    found = [path.name for _, path in plan([tmp_path], skipped=lambda p, why: said.append(
        p.name))]
    assert (found, said) == (["people.csv"], ["demo.json", "truth"])
    with pytest.raises(LoadError, match="no loader recognises"):
        list(plan([tmp_path / "demo.json"]))


def test_the_canonical_columns_page_is_what_the_code_accepts() -> None:
    assert (DOCS / "canonical-columns.md").read_text(encoding="utf-8") == render()
    assert CliRunner().invoke(cli, ["mapping", "columns"]).output == render()


def test_mapping_check_shows_rows_beside_their_source_with_every_warning(
        tmp_path: Path) -> None:
    mapped(tmp_path, PEOPLE, {"p.csv": PEOPLE_CSV})
    result = CliRunner().invoke(cli, ["mapping", "check", str(tmp_path / "extract"),
                                      "--rows", "2"])
    assert result.exit_code == 0, result.output
    assert "p.csv as people, row 6" in result.output
    assert "warning: row 6, Gender (sex): 'Alien' is not in the value map" in result.output


def test_mapping_suggest_proposes_a_mapping_that_reads_after_naming_the_system(
        tmp_path: Path) -> None:
    (tmp_path / "Pupils.csv").write_text(
        "Pupil ID,Forename,Surname,Gender,DOB,Home Address,Enrolment Status,Start Date\n"
        '7,Amy,Hart,Female,02/03/2014,"1 Alder Road\nNW1 4QT",Current,01/09/2021\n')
    result = CliRunner().invoke(cli, ["mapping", "suggest", str(tmp_path / "Pupils.csv")])
    assert result.exit_code == 0, result.output
    proposed = tomllib.loads(result.output)
    people, involvements = proposed["files"]
    assert (people["kind"], involvements["kind"]) == ("people", "involvements")
    assert people["columns"]["given_names"] == "Forename"
    assert people["columns"]["birth_date"]["date_format"] == "%d/%m/%Y"
    assert people["columns"]["postcode"]["take"] == "last"
    assert involvements["columns"]["status"]["values"] == {"Current": "open"}
    assert "REQUIRED, not found in the header" in result.output and "service, level" in (
        result.output)
    edited = result.output.replace('"CHANGE_ME"', '"ed"').replace(
        'kind = "involvements"\n[files.columns]\n',
        'kind = "involvements"\n[files.columns]\nservice = { value = "School" }\n'
        'level = { value = "universal" }\n')
    (tmp_path / "mapping.toml").write_text(edited)
    extract, quarantine = Extract(), Quarantine()
    read_mapped(tmp_path, quarantine, TODAY, extract)
    assert [(p.given_names, p.address.postcode if p.address else "") for p in extract.people] \
        == [("Amy", "NW1 4QT")]
    assert [(i.service, i.status, i.start) for i in extract.involvements] == [
        ("School", "open", date(2021, 9, 1))]


def test_a_user_name_refusal_states_the_rule(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["users", "add", "--store", str(tmp_path), "--name", "a",
                                      "--agency", "police", "--role", "police_officer",
                                      "--password-stdin"], input="a-long-enough-password\n")
    assert result.exit_code == 1
    assert "must be 2 to 64 characters: a lower-case letter first" in result.output


SNAPSHOT = """
system = "sc"
[extract]
date = {day}
[[files]]
name = "p.csv"
kind = "people"
[files.columns]
record_id = "Ref"
family_name = "Name"
[[files]]
name = "w.csv"
kind = "involvements"
[files.columns]
record_id = "Ref"
service = "Service"
start = "Start"
level = {{ value = "specialist" }}
"""


def test_what_a_later_extract_no_longer_lists_ends_the_day_before_that_extract(
        tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "p.csv").write_text("Ref,Name\n1,Hart\n")
    store = EmbeddedStore(tmp_path / "store")
    for day, work in (("2022-01-31", "Ref,Service,Start\n1,Child in need,2021-05-01\n"),
                      ("2022-10-15", "Ref,Service,Start\n")):
        (folder / "mapping.toml").write_text(SNAPSHOT.format(day=day))
        (folder / "w.csv").write_text(work)
        load_extract(store, [folder], today=TODAY)
    (ended,) = store.all_involvements()
    assert (ended.status, ended.end) == ("closed", date(2022, 10, 14))
    store.close()


def test_an_extract_date_column_no_file_has_stops_the_load(tmp_path: Path) -> None:
    how = 'date_column = "Extracted"'
    with pytest.raises(LoadError, match="date_column 'Extracted' gave no date"):
        mapped(tmp_path, EXTRACT_DATES.format(how=how), {"p_1.csv": "Ref,Name\n1,Hart\n"})
