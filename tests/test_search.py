"""searchPeople finds people the way front-door staff are given them: partly, loosely, wrongly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from graph.model import Claim, HasRecord, SourceRecord, SourceRef
from graph.questions.search import search_people
from graph.store import GraphBatch, SearchCriteria, Store


@pytest.fixture
def people(all_families: Store) -> Store:
    kim = all_families.people(["kim"])["kim"]
    all_families.write(GraphBatch(
        nodes=[replace(kim, upn="A950000178301",
                       claims=(Claim("upn", "A950000178301", SourceRef("education", "E7")),)),
               SourceRecord(id="R:education/E7", system="education", local_id="E7")],
        edges=[HasRecord("kim", "R:education/E7")]))
    return all_families


def ids(store: Store, **kwargs: object) -> list[str]:
    criteria = {k: v for k, v in kwargs.items() if k in SearchCriteria.__dataclass_fields__}
    extra = {k: v for k, v in kwargs.items() if k not in criteria}
    return [c.person.id for c in search_people(store, SearchCriteria(**criteria), 20,
                                               **extra)]  # type: ignore[arg-type]


def matched(store: Store, pid: str, **kwargs: object) -> tuple[str, ...]:
    criteria = {k: v for k, v in kwargs.items() if k in SearchCriteria.__dataclass_fields__}
    extra = {k: v for k, v in kwargs.items() if k not in criteria}
    found = search_people(store, SearchCriteria(**criteria), 20, **extra)  # type: ignore[arg-type]
    return next(c.matched for c in found if c.person.id == pid)


def test_surname_first_finds_the_same_person(people: Store) -> None:
    assert ids(people, name="Shaw Kim")[0] == "kim"


def test_short_form_finds_the_long_one(people: Store) -> None:
    assert matched(people, "ned", name="Edward Reid") == ("name_nickname",)


def test_a_name_that_sounds_the_same_is_found(people: Store) -> None:
    assert sorted(ids(people, name="Reed")) == ["max", "ned"]  # Reid, found by sound alone
    assert matched(people, "ned", name="Reed") == ("name_sounds_like",)


def test_a_one_letter_slip_matches_when_something_else_finds_them(people: Store) -> None:
    assert matched(people, "kim", name="Kim Shwa", birth_date=date(2014, 3, 9)) == (
        "name_spelling", "birth_date")


def test_swapped_day_and_month_still_find_the_child(people: Store) -> None:
    assert matched(people, "kim", birth_date=date(2014, 9, 3)) == ("birth_date_swapped",)


def test_birth_year_alone_narrows_a_name(people: Store) -> None:
    assert ids(people, name="Shaw", birth_year=2019) == ["pia"]


def test_a_past_postcode_finds_a_child_who_moved(people: Store) -> None:
    assert "rio" in ids(people, postcode="eb19xy")  # Rio lived there until 2024


def test_upn_and_a_systems_own_id(people: Store) -> None:
    assert ids(people, upn="a950000178301") == ["kim"]
    assert ids(people, record=("education", "E7")) == ["kim"]


def test_exact_beats_loose(people: Store) -> None:
    found = search_people(people, SearchCriteria(name="Kim Shaw"), 20)
    assert found[0].person.id == "kim" and found[0].matched == ("name",)


def test_nobody_for_an_empty_search(people: Store) -> None:
    assert ids(people) == []
