"""Sources' coverage: declarations read from TOML, extract dates kept by every load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.errors import FamgraphError
from graph.model import Person, SourceRef
from graph.questions.coverage import (
    Coverage,
    CoverageState,
    coverage_of,
    latest_extracts,
    read_coverage,
)
from loaders.pipeline import load_extract
from tests.test_canonical_csv import people_file, person


def test_each_load_records_its_systems_extract_date(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [people_file(tmp_path / "a", person())], today=date(2026, 10, 1))
    load_extract(store, [people_file(tmp_path / "b", person(system="ehm", record_id="E1"))],
                 today=date(2026, 11, 2))
    load_extract(store, [people_file(tmp_path / "c", person(record_id="C2"))],
                 today=date(2026, 11, 20), partial=True)
    assert latest_extracts(store) == {"lcs": date(2026, 11, 20), "ehm": date(2026, 11, 2)}
    store.close()


def test_the_shipped_declarations_cover_every_system_the_generator_writes() -> None:
    declared = read_coverage()
    assert {"social_care", "early_help", "education", "health", "police", "housing",
            "youth_justice", "cin_census", "ssda903"} <= set(declared)
    assert declared["youth_justice"].ages == (10, 17)


@pytest.mark.parametrize("body, named", [
    ('[systems.x]\ncovers = "x"\nages = [19, 2]\n', "systems.x"),
    ('[systems.y]\nages = [2, 19]\n', "systems.y"),
    ('[systems.z]\ncovers = "z"\nsince = "soon"\n', "systems.z"),
    ("[systems\n", "cannot read"),
])
def test_a_bad_coverage_file_is_one_line_naming_the_system(tmp_path: Path, body: str,
                                                           named: str) -> None:
    path = tmp_path / "coverage.toml"
    path.write_text(body)
    with pytest.raises(FamgraphError, match=named):
        read_coverage(path)


def test_states_turn_on_age_on_the_day_asked_and_the_coverage_start() -> None:
    child = Person(id="p", given_names="A", family_name="B", birth_date=date(2016, 6, 15),
                   sources=(SourceRef("sc", "1"), SourceRef("sc", "2")))
    declared = {"yj": Coverage("yj", "10 to 17", (10, 17)),
                "sc": Coverage("sc", "all"),
                "ed": Coverage("ed", "since 2020", since=date(2020, 9, 1))}
    extracts = {"yj": date(2026, 11, 1), "sc": date(2026, 11, 1), "ed": date(2026, 11, 1)}

    def states(day: date) -> dict[str, tuple[CoverageState, int]]:
        return {s.system: (s.state, s.records)
                for s in coverage_of(child, day, extracts, declared)}

    assert states(date(2026, 6, 14))["yj"] == (CoverageState.OUTSIDE_COVERAGE, 0)  # nine
    assert states(date(2026, 6, 15))["yj"] == (CoverageState.NO_RECORD, 0)  # ten today
    assert states(date(2026, 6, 15))["sc"] == (CoverageState.RECORDS, 2)
    assert states(date(2019, 1, 1))["ed"] == (CoverageState.OUTSIDE_COVERAGE, 0)
    assert states(date(2021, 1, 1))["ed"] == (CoverageState.NO_RECORD, 0)
    assert coverage_of(child, date(2026, 1, 1), {}, {})[0].state is CoverageState.RECORDS
    assert coverage_of(child, date(2026, 1, 1), {}, {"yj": declared["yj"]})[1].state is (
        CoverageState.NOT_LOADED)
