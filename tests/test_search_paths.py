"""The narrow search path (`Store.search_matches`) ranks exactly what the old union of every
name key did, on a generated borough in both stores; and what it fixed on the way."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from bench.backends import copy_into, search_by_union
from graph.embedded import EmbeddedStore
from graph.model import Address, Claim, Person, Sex, SourceRef
from graph.neo4j.store import Neo4jStore, delete_everything
from graph.nicknames import variants_of
from graph.questions.search import _swapped, search_people
from graph.store import GraphBatch, SearchCriteria, Store, held_name_words
from loaders.identity.rules import RuleResolver
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough
from tests.families import person

TODAY = date(2025, 6, 1)
Ranked = list[tuple[str, float, tuple[str, ...]]]


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    root = tmp_path_factory.mktemp("search-borough")
    summary = generate_borough(people=1500, seed=23, out=root / "extracts", today=TODAY)
    store = EmbeddedStore(root / "store")
    load_extract(store, summary.folders(), resolver=RuleResolver(), today=TODAY)
    yield store
    store.close()


@pytest.fixture(scope="module")
def borough_in_neo4j(borough: EmbeddedStore, neo4j_driver: Driver) -> Store:
    delete_everything(neo4j_driver)
    store = Neo4jStore(neo4j_driver)
    copy_into(borough, store)
    return store


@pytest.fixture(scope="module")
def residents(borough: EmbeddedStore) -> list[Person]:
    people = borough.people(borough._durable.labelled_ids("Person"))
    return random.Random(3).sample(sorted(people.values(), key=lambda p: p.id), 80)


@pytest.fixture(scope="module")
def postcodes(borough: EmbeddedStore) -> list[str]:
    found = borough._labelled(Address)
    return sorted({a.postcode for a in found if isinstance(a, Address)})[:40]


def _slip(word: str, how: int) -> str:
    """One edit of a word: a letter changed, dropped, doubled or two swapped."""
    if len(word) < 4:
        return word
    i = 1 + how % (len(word) - 2)
    return [word[:i] + ("x" if word[i] != "x" else "y") + word[i + 1:],
            word[:i] + word[i + 1:],
            word[:i] + word[i] + word[i:],
            word[:i] + word[i + 1] + word[i] + word[i + 2:]][how % 4]


def searches_for(someone: Person, how: int) -> list[SearchCriteria]:
    """The ways front-door staff are given a person: whole, reversed, partly, loosely."""
    given = someone.given_names.split()
    first = given[0] if given else ""
    short = sorted(variants_of(first.lower()) - {first.lower()})
    old_names = [w for w in held_name_words(someone)
                 if w not in someone.display_name.lower()]
    born = someone.birth_date
    return [
        SearchCriteria(name=someone.display_name),
        SearchCriteria(name=someone.display_name, birth_date=born),
        SearchCriteria(name=f"{someone.family_name} {first}"),
        SearchCriteria(name=someone.family_name),
        SearchCriteria(name=first),
        SearchCriteria(name=f"{first} {_slip(someone.family_name, how)}", birth_date=born),
        SearchCriteria(name=f"{_slip(first, how)} {someone.family_name}"),
        SearchCriteria(name=f"{_slip(first, how)} {_slip(someone.family_name, how + 1)}"),
        SearchCriteria(name=_slip(someone.family_name, how)),
        SearchCriteria(name=f"{short[0] if short else first} {someone.family_name}"),
        SearchCriteria(name=" ".join([*old_names[:1], someone.family_name])),
        SearchCriteria(birth_date=_swapped(born) if born else None, name=first),
        SearchCriteria(nhs_number=someone.nhs_number, name=someone.family_name),
        SearchCriteria(upn=someone.upn, name=first),
    ]


def ranked(found: list[object]) -> Ranked:
    return [(c.person.id, c.score, c.matched) for c in found]  # type: ignore[attr-defined]


def assert_same(store: Store, criteria: SearchCriteria, **extra: object) -> Ranked:
    new = ranked(search_people(store, criteria, 100, **extra))  # type: ignore[arg-type]
    old = ranked(search_by_union(store, criteria, 100, **extra))  # type: ignore[arg-type]
    # Fixed: the union kept anyone one name word found if only the birth year agreed.
    assert new == [c for c in old if c[2] != ("birth_year",)], criteria
    return new


def test_every_way_of_asking_ranks_as_the_union_did(
    borough: EmbeddedStore, borough_in_neo4j: Store, residents: list[Person],
    postcodes: list[str],
) -> None:
    asked = 0
    for n, someone in enumerate(residents):
        for criteria in searches_for(someone, n):
            if criteria.empty:
                continue
            here = assert_same(borough, criteria)
            assert assert_same(borough_in_neo4j, criteria) == here, criteria
            asked += 1
    for n, postcode in enumerate(postcodes):
        criteria = SearchCriteria(postcode=postcode.lower().replace(" ", ""),
                                  name=residents[n].family_name)
        assert assert_same(borough, criteria) == assert_same(borough_in_neo4j, criteria)
    assert asked > 800


class Sample:
    """The borough's stores and words, short to print when Hypothesis reports an example."""

    def __init__(self, stores: tuple[Store, Store], residents: list[Person]) -> None:
        self.stores, self.residents = stores, residents
        self.words = sorted({w for p in residents for w in held_name_words(p)})

    def __repr__(self) -> str:
        return "Sample()"


@pytest.fixture(scope="module")
def sample(borough: EmbeddedStore, borough_in_neo4j: Store, residents: list[Person]) -> Sample:
    return Sample((borough, borough_in_neo4j), residents)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.integers(0, 10**6), st.integers(-1, 7)), min_size=1,
                      max_size=3),
       born=st.none() | st.integers(0, 79), year=st.none() | st.integers(1950, 2025))
def test_made_up_names_rank_as_the_union_did(
    sample: Sample, picks: list[tuple[int, int]], born: int | None, year: int | None,
) -> None:
    """Words from anyone's names, some slipped (`how` -1 leaves a word alone), mixed."""
    words, residents = sample.words, sample.residents
    name = " ".join(_slip(words[i % len(words)], how) if how >= 0 else words[i % len(words)]
                    for i, how in picks)
    criteria = SearchCriteria(name=name, birth_date=(
        residents[born].birth_date if born is not None else None))
    here = assert_same(sample.stores[0], criteria, birth_year=year)
    assert assert_same(sample.stores[1], criteria, birth_year=year) == here


def test_an_nhs_number_written_in_groups_finds_the_person(all_families: Store) -> None:
    # The old path looked the number up with its spaces, so found nobody by it.
    kim = all_families.people(["kim"])["kim"]
    all_families.write(GraphBatch(nodes=[replace(kim, nhs_number="9434765919")]))
    found = search_people(all_families, SearchCriteria(nhs_number="943 476 5919"))
    assert [(c.person.id, c.matched) for c in found] == [("kim", ("nhs_number",))]


def test_a_former_name_confirms_but_does_not_find_alone(all_families: Store) -> None:
    kim = all_families.people(["kim"])["kim"]
    former = Claim("other_names", "Kimberley Lowe", SourceRef("health", "H-kim"))
    all_families.write(GraphBatch(nodes=[replace(kim, claims=(*kim.claims, former))]))
    assert search_people(all_families, SearchCriteria(name="Lowe")) == []
    found = search_people(all_families, SearchCriteria(name="Kim Lowe"))
    assert [(c.person.id, c.matched) for c in found] == [("kim", ("name",))]


def test_a_birth_year_narrows_but_finds_nobody_alone(all_families: Store) -> None:
    pia = all_families.people(["pia"])["pia"]
    assert pia.birth_date is not None and pia.birth_date.year == 2019
    # Pia shares "Shaw" but not "Nobody": her birth year alone no longer keeps her.
    assert search_people(all_families, SearchCriteria(name="Nobody Shaw"), birth_year=2019) \
        == []
    assert [c.person.id for c in search_people(all_families, SearchCriteria(name="Pia Shaw"),
                                               birth_year=2019)] == ["pia"]


def test_people_stored_before_search_keys_get_them(neo4j_driver: Driver) -> None:
    delete_everything(neo4j_driver)
    Neo4jStore(neo4j_driver).write(GraphBatch(nodes=[
        person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1))]))
    neo4j_driver.execute_query("MATCH (p:Person) REMOVE p.search_key_text")
    reopened = Neo4jStore(neo4j_driver)
    reopened.migrate()
    assert [c.person.id for c in search_people(reopened, SearchCriteria(name="Ann Lee"))] \
        == ["a"]


def test_a_upn_is_found_by_index_and_people_keyed_before_upns_get_them(
    neo4j_driver: Driver,
) -> None:
    delete_everything(neo4j_driver)
    pupil = replace(person("p", "Sam", "Okoro", Sex.MALE, date(2014, 5, 2)), upn="A123456789012")
    Neo4jStore(neo4j_driver).write(GraphBatch(nodes=[
        pupil, person("q", "Tia", "Okoro", Sex.FEMALE, date(2016, 1, 9))]))
    wanted = SearchCriteria(upn=" a123456789012 ")
    store = Neo4jStore(neo4j_driver)
    assert [c.person.id for c in search_people(store, wanted)] == ["p"]
    # Keys written before they held UPNs: the UPN search reads the index, so it would miss
    # the pupil until the store, opened again, keys them anew.
    neo4j_driver.execute_query("MATCH (p:Person {id: 'p'}) SET p.search_key_text = 'sam'")
    assert search_people(store, wanted) == []
    reopened = Neo4jStore(neo4j_driver)
    reopened.migrate()
    assert [c.person.id for c in search_people(reopened, wanted)] == ["p"]
