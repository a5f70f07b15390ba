"""Tests for the synthetic borough: invariants, rates, determinism, every extract's format.

The identifier checks here are written again from shared/reference/uk_identifiers rather than
imported from the generator, so one mistake cannot pass itself. Formats are checked against the
reference specs (DERIVED_ssda903_tables.csv, the SSDA903 schema YAML, CIN_schema_2026.xsd).
"""

import csv
import itertools
import json
import re
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from loaders.pipeline import load_extract
from loaders.synthetic import BoroughSummary, generate_borough

TODAY = date(2026, 11, 23)
REFERENCE = Path(__file__).resolve().parent / "reference"
MAPPED = ("social_care", "early_help", "education", "police", "housing", "youth_justice")


def nhs_number_is_valid(value: str) -> bool:
    """Modulus 11: weights 10..2 over nine digits; 11 - remainder, 11 -> 0, 10 never valid."""
    if not re.fullmatch(r"\d{10}", value):
        return False
    check = 11 - sum(int(value[i]) * (10 - i) for i in range(9)) % 11
    if check == 10:
        return False
    return (0 if check == 11 else check) == int(value[9])


def upn_is_valid(value: str) -> bool:
    """DfE UPN: character k (k = 2..13) weighted by k, sum mod 23 indexes the check letters."""
    if not re.fullmatch(r"[A-Z]\d{12}", value):
        return False
    total = sum(int(value[k - 1]) * k for k in range(2, 14))
    return value[0] == "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[BoroughSummary, Path]:
    out = tmp_path_factory.mktemp("borough")
    return generate_borough(3000, 20261123, out, TODAY), out


# -- identifiers and determinism -----------------------------------------------------------------


def test_identifier_checks_agree_with_published_test_values() -> None:
    for valid in ("9000000009", "9000000017", "9693632109", "9733162043", "5900046192"):
        assert nhs_number_is_valid(valid)
    assert not nhs_number_is_valid("9912003890")
    assert upn_is_valid("A950000178301")
    for invalid in ("R247962919251", "X428558133462", "ASFFAGSVSV123", "R325"):
        assert not upn_is_valid(invalid)


def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    first = generate_borough(600, 42, tmp_path / "first", TODAY)
    second = generate_borough(600, 42, tmp_path / "second", TODAY)
    assert tree_bytes(tmp_path / "first") == tree_bytes(tmp_path / "second")
    assert first.records_by_system == second.records_by_system


def test_several_neighbourhoods_write_the_same_bytes_on_one_or_two_workers(
    tmp_path: Path,
) -> None:
    generate_borough(2600, 5, tmp_path / "one", TODAY, workers=1)
    summary = generate_borough(2600, 5, tmp_path / "two", TODAY, workers=2)
    assert summary.residents > 2000
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")


def test_different_seed_writes_different_people(tmp_path: Path) -> None:
    generate_borough(600, 1, tmp_path / "one", TODAY)
    generate_borough(600, 2, tmp_path / "two", TODAY)
    assert (tmp_path / "one" / "truth" / "people.csv").read_bytes() != (
        tmp_path / "two" / "truth" / "people.csv"
    ).read_bytes()


def test_summary_matches_the_files_written(borough: tuple[BoroughSummary, Path]) -> None:
    summary, out = borough
    assert summary.files == sorted(summary.files)
    assert set(summary.files) == {path for path in out.rglob("*") if path.is_file()}
    assert {p.name for p in summary.folders("mapped")} == set(MAPPED)
    assert summary.folders("fhir") == [out / "health"]
    assert 2700 <= summary.residents <= 3300


def test_every_identifier_passes_its_check(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    people = read(out / "truth" / "people.csv")
    assert all(nhs_number_is_valid(row["nhs_number"]) for row in people)
    assert all(upn_is_valid(row["upn"]) for row in people if row["upn"])
    assert len({row["nhs_number"] for row in people}) == len(people)
    assert len({row["upn"] for row in people if row["upn"]}) == sum(1 for r in people if r["upn"])


# -- the population's invariants -----------------------------------------------------------------


def check_population(out: Path) -> None:
    people = {row["person_key"]: row for row in read(out / "truth" / "people.csv")}
    born = {key: date.fromisoformat(row["birth_date"]) for key, row in people.items()}
    birth_parents: dict[str, set[str]] = defaultdict(set)
    for bond in read(out / "truth" / "relationships.csv"):
        assert bond["from_person"] != bond["to_person"]
        if bond["kind"] in ("mother", "father"):
            birth_parents[bond["to_person"]].add(bond["from_person"])
            gap = (born[bond["to_person"]] - born[bond["from_person"]]).days / 365.25
            assert 14 <= gap <= 60, bond
    assert all(len(parents) <= 2 for parents in birth_parents.values())
    stays: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in read(out / "truth" / "residences.csv"):
        assert row["to"] == "" or row["from"] <= row["to"], row
        stays[row["person_key"]].append((row["from"], row["to"] or "9999-12-31"))
    for key, spans in stays.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, (key, spans)  # never in two homes at once
    for row in read(out / "truth" / "involvements.csv"):
        person = people[row["person_key"]]
        assert row["start"] >= person["birth_date"], row
        if person["death_date"]:
            assert row["start"] <= person["death_date"], row
            assert row["end"] and row["end"] <= person["death_date"], row
        assert row["start"] <= TODAY.isoformat()
    members = Counter(row["person_key"] for row in read(out / "truth" / "households.csv"))
    assert max(members.values()) == 1  # nobody in two households today


def test_population_invariants_hold_at_a_fixed_seed(borough: tuple[BoroughSummary, Path]) -> None:
    check_population(borough[1])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32), people=st.integers(10, 400))
def test_any_borough_keeps_the_invariants(seed: int, people: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_borough(people, seed, out, TODAY)
        check_population(out)
        demo = json.loads((out / "demo.json").read_text())
        assert demo["system"] == "social_care"


def test_a_child_eighteen_by_the_end_of_assessment_is_not_placed() -> None:
    """Seed 194 with 200 people refers a boy weeks before his 18th birthday; care was once
    started when the assessment ended, after that birthday, so the foster stay ended (at 18)
    before it began."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_borough(200, 194, out, TODAY)
        check_population(out)


def test_a_separation_after_an_incident_near_the_extract_date_is_not_in_the_history() -> None:
    """Seed 863 with 100 people has a domestic abuse incident on 8 November, two weeks before the
    extract date; the abuser was once moved out 22 days later, after the extract date, so his new
    council flat's tenancy (and the end of the couple's bond) began after it."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_borough(100, 863, out, TODAY)
        check_population(out)


def test_a_child_who_dies_before_the_assessment_ends_is_not_placed() -> None:
    """Seed 1455 with 200 people refers a girl ten days before she dies; care was once started
    when the assessment ended, after her death, so she was placed with foster carers (and lived
    with them) weeks after she died."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_borough(200, 1455, out, TODAY)
        check_population(out)


def test_a_baby_who_dies_in_the_first_days_has_no_health_visiting() -> None:
    """Seed 1953 with 200 people has a baby who dies at eleven days old; health visiting starts
    at twelve days, and was once recorded for him the day after his death."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_borough(200, 1953, out, TODAY)
        check_population(out)


# -- rates at a fixed seed -----------------------------------------------------------------------


def test_household_size_and_services_are_near_english_figures(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _summary, out = borough
    sizes = Counter(row["household_key"] for row in read(out / "truth" / "households.csv"))
    assert 2.0 <= sum(sizes.values()) / len(sizes) <= 2.7
    assert 0.2 <= sum(1 for s in sizes.values() if s == 1) / len(sizes) <= 0.42
    people = {row["person_key"]: row for row in read(out / "truth" / "people.csv")}
    children = [
        key
        for key in {row["person_key"] for row in read(out / "truth" / "households.csv")}
        if age_on(date.fromisoformat(people[key]["birth_date"]), TODAY) < 18
    ]
    open_cin = {
        row["person_key"]
        for row in read(out / "truth" / "involvements.csv")
        if row["system"] == "social_care" and row["end"] == ""
    }
    rate = 10_000 * len(open_cin & set(children)) / len(children)
    assert 150 <= rate <= 700, rate
    attendance = read(out / "education" / "ONE_Attendance.csv")
    persistent = [
        row
        for row in attendance
        if (int(row["Authorised Absence"]) + int(row["Unauthorised Absence"]))
        >= 0.1 * int(row["Sessions Possible"])
    ]
    assert 0.1 <= len(persistent) / len(attendance) <= 0.32


# -- mapped CSV through the loaders --------------------------------------------------------------


@pytest.mark.parametrize("system", MAPPED)
def test_each_mapped_system_loads_with_balanced_counts(
    borough: tuple[BoroughSummary, Path], system: str, tmp_path: Path
) -> None:
    _, out = borough
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [out / system], today=TODAY)
    store.close()
    assert log.read == log.loaded + log.quarantined
    assert log.read > 0
    assert log.quarantined <= 0.01 * log.read, log.rejections[:5]


@pytest.mark.parametrize(("system", "kinds", "sensitivity"), [
    ("education", {"attendance"}, "normal"),
    ("police", {"domestic_abuse"}, "sensitive"),
    ("youth_justice", {"offending"}, "sensitive"),
    # Rent arrears are finances; a notice seeking possession during them is housing.
    ("housing", {"finances", "housing"}, "normal"),
])
def test_mapped_extracts_carry_risk_indicators_through_their_mapping(
    borough: tuple[BoroughSummary, Path], system: str, kinds: set[str], sensitivity: str,
    tmp_path: Path,
) -> None:
    _, out = borough
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [out / system], today=TODAY)
    risks = store.all_risk_indicators()
    store.close()
    assert risks, f"no risk indicator from {system}"
    assert {(r.kind.value, r.sensitivity.value) for r in risks} == {
        (kind, sensitivity) for kind in kinds}
    assert all(r.valid_from is not None and r.valid_from <= TODAY for r in risks)
    # Dated along the simulated history, not all on the extract date.
    assert len({r.valid_from for r in risks}) > 1


def test_cin_census_assessment_factors_load_as_risk_indicators_on_children(
    borough: tuple[BoroughSummary, Path], tmp_path: Path,
) -> None:
    _, out = borough
    store = EmbeddedStore(tmp_path / "store")
    log = load_extract(store, [out / "dfe_returns" / "cin_census"], today=TODAY)
    risks = store.all_risk_indicators()
    store.close()
    assert log.read == log.loaded + log.quarantined
    # The generator draws factors from 1B 2B 3A 3B 4A 4B (risks) and 16A 17A 21 (not).
    assert {r.kind.value for r in risks} == {"substance_misuse", "domestic_abuse",
                                             "mental_health"}
    assert all(r.summary.startswith("CIN assessment factor ") for r in risks)


def test_attendance_shows_sessions_and_persistent_absence_is_an_event(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    rows = read(out / "education" / "ONE_Attendance.csv")
    assert all(int(row["Sessions Possible"]) > 0 for row in rows)
    flags = read(out / "education" / "ONE_PA_Flags.csv")
    assert flags and {row["Flag"] for row in flags} == {"PA"}
    assert "persistent_absence" in (out / "education" / "mapping.toml").read_text()


def test_noise_is_recorded_in_the_truth(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    kinds = Counter(row["noise"] for row in read(out / "truth" / "noise.csv"))
    for kind in (
        "typo",
        "nickname",
        "postcode_format",
        "stale_address",
        "no_birth_date",
        "missing_nhs",
    ):
        assert kinds[kind] > 0, kind


# -- FHIR ----------------------------------------------------------------------------------------


def test_fhir_bundles_hold_valid_resources_with_resolving_references(
    borough: tuple[BoroughSummary, Path],
) -> None:
    summary, out = borough
    patients = registrations = 0
    for path in sorted((out / "health").glob("*.json")):
        bundle = json.loads(path.read_text())
        assert bundle["resourceType"] == "Bundle" and bundle["type"] in ("collection", "searchset")
        ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
            if resource["resourceType"] == "Patient":
                patients += 1
                (identifier,) = resource["identifier"]
                assert identifier["system"] == "https://fhir.nhs.uk/Id/nhs-number"
                assert nhs_number_is_valid(identifier["value"])
                assert identifier["extension"][0]["url"].endswith("NHSNumberVerificationStatus")
                assert resource["gender"] in ("male", "female")
                date.fromisoformat(resource["birthDate"])
                assert "deceasedBoolean" in resource or "deceasedDateTime" in resource
                assert resource["name"][0]["family"]
                assert all("period" in address for address in resource["address"])
            elif resource["resourceType"] == "RelatedPerson":
                assert resource["patient"]["reference"] in ids
                coding = resource["relationship"][0]["coding"][0]
                assert coding["system"] == "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
                assert coding["code"] in RELATIONSHIP_CODES
            elif resource["resourceType"] == "EpisodeOfCare":
                assert resource["patient"]["reference"] in ids
                assert resource["status"] in ("active", "finished")
                if resource["type"][0]["text"] == "GP registration":
                    registrations += 1
                    practice = resource["managingOrganization"]["identifier"]
                    assert practice["system"] == "https://fhir.nhs.uk/Id/ods-organization-code"
                    assert re.fullmatch(r"[A-Z]\d{5}", practice["value"])
                else:
                    assert resource["careManager"]["reference"] in ids
    assert patients == summary.records_by_system["health"] == registrations


def relationship_codes() -> set[str]:
    text = REFERENCE / "fhir" / "uk-core" / "ValueSet-UKCore-PersonRelationshipType.xml"
    return set(re.findall(r'<code value="([^"]+)"', text.read_text()))


RELATIONSHIP_CODES = relationship_codes()


# -- DfE returns ---------------------------------------------------------------------------------


def schema_codes(table: str, column: str, year: int) -> set[str]:
    """Codes of one column from the SSDA903 schema YAML and its diffs up to ``year``."""
    folder = REFERENCE / "ssda903" / "liia-tools-pipeline"
    text = (folder / "SSDA903_schema_2017.yml").read_text()
    block = re.search(rf"\n    {table.lower()}:\n(.*?)(?=\n    \w+:\n|\Z)", text, re.S)
    assert block is not None
    column_block = re.search(
        rf"\n      {column}:\n(.*?)(?=\n      \w+:\n|\Z)", block.group(1), re.S
    )
    assert column_block is not None
    codes = set(re.findall(r'code: "([^"]+)"', column_block.group(1)))
    for diff_year in (2019, 2022, 2024, 2025, 2026):
        if diff_year > year:
            break
        diff = (folder / f"SSDA903_schema_{diff_year}.diff.yml").read_text()
        for match in re.finditer(
            rf"column_map\.{table.lower()}\.{column}\.category:\n(.*?)(?=\ncolumn_map|\Z)",
            diff,
            re.S,
        ):
            codes = set(re.findall(r'code: "([^"]+)"', match.group(1)))
    return codes


def test_ssda903_tables_have_exactly_the_specified_columns(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    for spec in read(REFERENCE / "ssda903" / "DERIVED_ssda903_tables.csv"):
        with (out / "dfe_returns" / "ssda903" / spec["typical_filename"]).open() as handle:
            assert next(csv.reader(handle)) == spec["columns"].split(","), spec["table"]


def test_ssda903_values_use_the_return_years_codes_and_dates(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    folder = out / "dfe_returns" / "ssda903"
    header = read(folder / "header.csv")
    episodes = read(folder / "episodes.csv")
    assert header and episodes
    year = 2026
    assert {row["SEX"] for row in header} <= schema_codes("header", "SEX", year) == {"M", "F", "U"}
    assert {row["ETHNIC"] for row in header} <= schema_codes("header", "ETHNIC", year)
    for column in ("RNE", "LS", "CIN", "PLACE"):
        assert {row[column] for row in episodes} <= schema_codes("episodes", column, year), column
    assert {row["REC"] for row in episodes} - {""} <= schema_codes("episodes", "REC", year)
    for row in episodes:
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", row["DECOM"])
    children = {row["CHILD"] for row in header}
    assert {row["CHILD"] for row in episodes} == children


def test_cin_census_validates_against_the_2026_schema(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    (path,) = (out / "dfe_returns" / "cin_census").glob("*.xml")
    schema = xmlschema.XMLSchema(REFERENCE / "cin_census" / "xsd" / "CIN_schema_2026.xsd")
    schema.validate(path)
    assert path.read_text().count("<Child>") > 0


# -- the demonstration child ---------------------------------------------------------------------


def test_demo_child_is_school_age_in_a_stepfamily_open_to_social_care(
    borough: tuple[BoroughSummary, Path],
) -> None:
    summary, out = borough
    demo = json.loads((out / "demo.json").read_text())
    truth = read(out / "truth" / "persons.csv")
    key = next(
        row["person_key"]
        for row in truth
        if (row["system"], row["record_id"]) == (demo["system"], demo["record_id"])
    )
    systems = {row["system"] for row in truth if row["person_key"] == key}
    assert {"social_care", "health", "education"} <= systems
    people = {row["person_key"]: row for row in read(out / "truth" / "people.csv")}
    child = people[key]
    assert 4 <= age_on(date.fromisoformat(child["birth_date"]), TODAY) <= 16
    home = read(out / "truth" / "households.csv")
    household = next(row["household_key"] for row in home if row["person_key"] == key)
    members = {row["person_key"] for row in home if row["household_key"] == household}
    assert child["mother"] in members and child["father"] not in members
    half = [
        m
        for m in members
        if m != key
        and people[m]["mother"] == child["mother"]
        and people[m]["father"]
        and people[m]["father"] != child["father"]
    ]
    assert half and people[half[0]]["father"] in members
    episodes = read(out / "social_care" / "LCS_Episodes.csv")
    assert any(
        row["Person ID"] == demo["record_id"]
        and row["End Date"] == ""
        and row["Worker Phone"].startswith("020 7946 0")
        for row in episodes
    )
    noisy = {(row["system"], row["record_id"]) for row in read(out / "truth" / "noise.csv")}
    assert ("social_care", demo["record_id"]) not in noisy
    assert summary.demo_child.record_id == demo["record_id"]


def test_too_few_people_for_the_demo_family_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 10"):
        generate_borough(9, 1, tmp_path, TODAY)
