"""Tests for the synthetic borough: determinism, canonical files, valid identifiers, the demo child.

The identifier checks here are written again from shared/reference/uk_identifiers rather than
imported from the generator, so one mistake cannot pass itself.
"""

import csv
import json
import re
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.synthetic import BoroughSummary, generate_borough

TODAY = date(2026, 11, 23)


def columns(text: str) -> list[str]:
    """Split a header written the way DESIGN.md's "Canonical CSV" lists it."""
    return [column.strip() for column in text.split(",")]


HEADERS: dict[str, list[str]] = {
    "people": columns(
        "system, record_id, given_names, family_name, other_names, sex, birth_date, death_date, "
        "nhs_number, upn, address_line1, address_line2, town, postcode, uprn, address_from"
    ),
    "addresses": columns(
        "system, record_id, address_line1, address_line2, town, postcode, uprn, from, to, "
        "restricted"
    ),
    "relationships": columns("system, from_record_id, to_record_id, kind, valid_from, valid_to"),
    "involvements": columns(
        "system, record_id, service, level, start, end, status, reason, organisation, lead_name, "
        "lead_role, lead_team, lead_phone, lead_email, sensitivity"
    ),
    "events": columns("system, record_id, date, type, summary, sensitivity"),
}
SYSTEM_FILES: dict[str, set[str]] = {
    "social_care": {"people", "addresses", "relationships", "involvements", "events"},
    "early_help": {"people", "addresses", "relationships", "involvements", "events"},
    "education": {"people", "relationships", "involvements", "events"},
    "health": {"people", "addresses", "relationships", "involvements", "events"},
}
RELATIONSHIP_KINDS = set(
    columns(
        "mother, father, parent, step_parent, adoptive_parent, foster_carer, special_guardian, "
        "partner, spouse, ex_partner, grandparent, sibling, other"
    )
)
POSTCODE = re.compile(
    r"^(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}$"
)


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


def test_identifier_checks_agree_with_published_test_values() -> None:
    for valid in ("9000000009", "9000000017", "9693632109", "9733162043", "5900046192"):
        assert nhs_number_is_valid(valid)
    assert not nhs_number_is_valid("9912003890")
    assert upn_is_valid("A950000178301")
    assert upn_is_valid("H243278544154")
    for invalid in ("R247962919251", "X428558133462", "ASFFAGSVSV123", "R325"):
        assert not upn_is_valid(invalid)


def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    first = generate_borough(600, 42, tmp_path / "first", TODAY)
    second = generate_borough(600, 42, tmp_path / "second", TODAY)
    assert tree_bytes(tmp_path / "first") == tree_bytes(tmp_path / "second")
    assert first.records_by_system == second.records_by_system
    assert first.demo_child == second.demo_child


def test_different_seed_writes_different_people(tmp_path: Path) -> None:
    generate_borough(600, 1, tmp_path / "one", TODAY)
    generate_borough(600, 2, tmp_path / "two", TODAY)
    one = (tmp_path / "one" / "health" / "people.csv").read_bytes()
    two = (tmp_path / "two" / "health" / "people.csv").read_bytes()
    assert one != two


def test_summary_matches_the_files_written(borough: tuple[BoroughSummary, Path]) -> None:
    summary, out = borough
    assert summary.people == 3000
    assert summary.files == sorted(summary.files)
    assert all(path.is_file() for path in summary.files)
    assert set(summary.files) == {path for path in out.rglob("*") if path.is_file()}
    for system, count in summary.records_by_system.items():
        assert len(read(out / system / "people.csv")) == count


def test_each_system_writes_its_files(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    for system, tables in SYSTEM_FILES.items():
        assert {path.stem for path in (out / system).glob("*.csv")} == tables


def test_every_file_has_its_canonical_header(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    for system, tables in SYSTEM_FILES.items():
        for table in tables:
            with (out / system / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
                assert next(csv.reader(handle)) == HEADERS[table], f"{system}/{table}"
    with (out / "truth" / "persons.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == ["system", "record_id", "person_key"]


def test_values_are_canonical(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    for system in SYSTEM_FILES:
        for row in read(out / system / "people.csv"):
            assert row["system"] == system
            assert row["sex"] in {"male", "female", "unknown"}
            date.fromisoformat(row["birth_date"])
            date.fromisoformat(row["address_from"])
            assert re.fullmatch(r"\d{12}", row["uprn"])
        for row in read(out / system / "involvements.csv"):
            assert row["level"] in {"universal", "targeted", "specialist", "statutory"}
            assert row["status"] == ("open" if row["end"] == "" else "closed")
            assert row["sensitivity"] in {"normal", "sensitive", "restricted"}
            date.fromisoformat(row["start"])
        for row in read(out / system / "relationships.csv"):
            assert row["kind"] in RELATIONSHIP_KINDS
        for row in read(out / system / "events.csv"):
            assert date.fromisoformat(row["date"]) <= TODAY
        if "addresses" in SYSTEM_FILES[system]:
            for row in read(out / system / "addresses.csv"):
                assert row["restricted"] in {"true", "false"}
                if row["to"]:
                    assert date.fromisoformat(row["from"]) < date.fromisoformat(row["to"])


def test_every_nhs_number_passes_modulus_11(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    numbers = [
        row["nhs_number"]
        for system in SYSTEM_FILES
        for row in read(out / system / "people.csv")
        if row["nhs_number"]
    ]
    assert len(numbers) > 3000
    assert all(nhs_number_is_valid(number) for number in numbers)


def test_every_upn_passes_its_check_letter(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    upns = [
        row["upn"]
        for system in SYSTEM_FILES
        for row in read(out / system / "people.csv")
        if row["upn"]
    ]
    assert len(upns) > 300
    assert all(upn_is_valid(upn) for upn in upns)


def test_relationships_reference_people_of_the_same_system(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    for system in SYSTEM_FILES:
        ids = {row["record_id"] for row in read(out / system / "people.csv")}
        for row in read(out / system / "relationships.csv"):
            assert row["from_record_id"] in ids, (system, row)
            assert row["to_record_id"] in ids, (system, row)


def test_involvements_and_events_reference_people_of_the_same_system(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    for system in SYSTEM_FILES:
        ids = {row["record_id"] for row in read(out / system / "people.csv")}
        for table in ("involvements", "events"):
            assert {row["record_id"] for row in read(out / system / f"{table}.csv")} <= ids


def test_truth_names_every_record_once(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    truth = Counter((row["system"], row["record_id"]) for row in read(out / "truth/persons.csv"))
    records = Counter(
        (system, row["record_id"])
        for system in SYSTEM_FILES
        for row in read(out / system / "people.csv")
    )
    assert truth == records
    assert max(records.values()) == 1


def test_household_size_mean_is_about_two_point_four(
    borough: tuple[BoroughSummary, Path],
) -> None:
    summary, out = borough
    sizes = Counter(row["household_key"] for row in read(out / "truth" / "households.csv"))
    assert len(sizes) == summary.households
    assert 2.1 <= sum(sizes.values()) / len(sizes) <= 2.7
    assert 2.1 <= summary.people / summary.households <= 2.7


def test_social_care_knows_a_few_dozen_children(borough: tuple[BoroughSummary, Path]) -> None:
    _, out = borough
    children = {row["record_id"] for row in read(out / "social_care" / "involvements.csv")}
    assert 15 <= len(children) <= 100


def test_most_records_of_one_person_agree_on_name_birth_date_and_postcode(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    keys = {
        (row["system"], row["record_id"]): row["person_key"]
        for row in read(out / "truth" / "persons.csv")
    }
    seen: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for system in SYSTEM_FILES:
        for row in read(out / system / "people.csv"):
            seen[keys[system, row["record_id"]]].add(
                (row["given_names"], row["family_name"], row["birth_date"], row["postcode"])
            )
    agreeing = sum(1 for versions in seen.values() if len(versions) == 1)
    assert agreeing / len(seen) > 0.9
    assert agreeing < len(seen), "some records should carry the documented slips"


def test_postcodes_are_mostly_written_in_standard_form(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    postcodes = [row["postcode"] for row in read(out / "health" / "people.csv")]
    standard = sum(1 for postcode in postcodes if POSTCODE.match(postcode))
    assert 0.9 < standard / len(postcodes) < 1
    normalised = [postcode.upper().replace(" ", "") for postcode in postcodes]
    assert all(POSTCODE.match(f"{postcode[:-3]} {postcode[-3:]}") for postcode in normalised)


def demo_records(out: Path) -> tuple[str, dict[str, dict[str, str]], list[dict[str, str]]]:
    demo = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    assert demo["system"] == "social_care"
    people = {row["record_id"]: row for row in read(out / "social_care" / "people.csv")}
    assert demo["record_id"] in people
    return demo["record_id"], people, read(out / "social_care" / "relationships.csv")


def assert_school_age_child_in_stepfamily(out: Path) -> None:
    """The demo child lives with their mother, her partner (their step-parent), a half-sibling."""
    child, people, relationships = demo_records(out)
    assert 4 <= age_on(date.fromisoformat(people[child]["birth_date"]), TODAY) <= 16
    home = people[child]["uprn"]

    def parents_of(record: str) -> dict[str, str]:
        return {
            row["kind"]: row["from_record_id"]
            for row in relationships
            if row["to_record_id"] == record and row["kind"] in {"mother", "father"}
        }

    parents = parents_of(child)
    mother = parents["mother"]
    assert people[mother]["uprn"] == home
    partners = {
        row["from_record_id"] if row["to_record_id"] == mother else row["to_record_id"]
        for row in relationships
        if mother in (row["from_record_id"], row["to_record_id"])
        and row["kind"] in {"partner", "spouse"}
        and row["valid_to"] == ""
    }
    step_parents = {
        row["from_record_id"]
        for row in relationships
        if row["to_record_id"] == child and row["kind"] == "step_parent"
    }
    living_step_parents = {
        record
        for record in partners & step_parents
        if people[record]["uprn"] == home and record != parents.get("father")
    }
    assert living_step_parents
    half_siblings = [
        record
        for record in people
        if record != child
        and people[record]["uprn"] == home
        and len(set(parents_of(record).items()) & set(parents.items())) == 1
    ]
    assert half_siblings


def test_demo_child_is_school_age_in_a_stepfamily(borough: tuple[BoroughSummary, Path]) -> None:
    summary, out = borough
    assert_school_age_child_in_stepfamily(out)
    people = {row["record_id"]: row for row in read(out / "social_care" / "people.csv")}
    demo = people[summary.demo_child.record_id]
    assert (demo["given_names"], demo["family_name"]) == (
        summary.demo_child.given_names,
        summary.demo_child.family_name,
    )


def test_demo_child_has_an_open_social_care_involvement_with_a_lead(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    child, _, _ = demo_records(out)
    involvements = [
        row for row in read(out / "social_care" / "involvements.csv") if row["record_id"] == child
    ]
    assert any(
        row["status"] == "open" and row["lead_name"] and row["lead_phone"] for row in involvements
    )


def test_demo_child_is_known_to_health_and_education(
    borough: tuple[BoroughSummary, Path],
) -> None:
    _, out = borough
    child, _, _ = demo_records(out)
    truth = read(out / "truth" / "persons.csv")
    person = next(
        row["person_key"]
        for row in truth
        if row["system"] == "social_care" and row["record_id"] == child
    )
    systems = {row["system"] for row in truth if row["person_key"] == person}
    assert {"social_care", "health", "education"} <= systems


def test_too_few_people_for_the_demo_family_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 10"):
        generate_borough(9, 1, tmp_path, TODAY)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), people=st.integers(10, 160))
def test_any_borough_is_consistent(seed: int, people: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        summary = generate_borough(people, seed, out, TODAY)
        assert summary.people == people
        for system in SYSTEM_FILES:
            rows = read(out / system / "people.csv")
            ids = {row["record_id"] for row in rows}
            assert len(ids) == len(rows)
            assert all(nhs_number_is_valid(row["nhs_number"]) for row in rows if row["nhs_number"])
            assert all(upn_is_valid(row["upn"]) for row in rows if row["upn"])
            for row in read(out / system / "relationships.csv"):
                assert {row["from_record_id"], row["to_record_id"]} <= ids
        assert_school_age_child_in_stepfamily(out)
