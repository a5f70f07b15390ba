"""Random family graphs written to both stores get the same answer to every question."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from graph.embedded import EmbeddedStore
from graph.model import (
    Involvement,
    ParentKind,
    ParentOf,
    PartnerKind,
    PartnerOf,
    PartnerStatus,
    Person,
    RiskIndicator,
    RiskKind,
    ServiceLevel,
    Sex,
    couple,
)
from graph.neo4j.store import Neo4jStore, delete_everything
from graph.questions.family import genogram_of
from graph.questions.household import household_of
from graph.questions.management_information import co_occurrence, re_referrals, transitions
from graph.questions.risk import risk_indicators
from graph.questions.search import search_people
from graph.questions.services import Scope, services_engaged
from graph.store import GraphBatch, SearchCriteria, Store
from tests.families import home, lives

pytestmark = pytest.mark.neo4j
BASE = date(1950, 1, 1)
NAMES = ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]


@st.composite
def families(draw: st.DrawFn) -> GraphBatch:
    size = draw(st.integers(2, 10))
    born = sorted(draw(st.lists(st.integers(0, 25_000), min_size=size, max_size=size)))
    batch = GraphBatch()
    people = [f"p{i}" for i in range(size)]
    for i, pid in enumerate(people):
        batch.nodes.append(Person(
            id=pid, given_names=draw(st.sampled_from(NAMES)), family_name=draw(
                st.sampled_from(["Lee", "Moss"])),
            sex=draw(st.sampled_from(list(Sex))), birth_date=BASE + timedelta(days=born[i])))
    for child in range(1, size):
        parents = draw(st.lists(st.integers(0, child - 1), max_size=2, unique=True))
        for parent in parents:
            if born[child] - born[parent] >= 16 * 365:
                kind = draw(st.sampled_from([ParentKind.BIRTH, ParentKind.BIRTH, ParentKind.STEP,
                                             ParentKind.FOSTER, ParentKind.ADOPTIVE]))
                batch.edges.append(ParentOf(people[parent], people[child], kind))
    for a, b in draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)),
                              max_size=4)):
        if a != b:
            src, dst = couple(people[a], people[b])
            ended = draw(st.booleans())
            start = BASE + timedelta(days=max(born[a], born[b]) + 18 * 365)
            batch.edges.append(PartnerOf(
                src, dst, draw(st.sampled_from(list(PartnerKind))),
                PartnerStatus.ENDED if ended else PartnerStatus.CURRENT,
                start, start + timedelta(days=900) if ended else None))
    households = [home(batch, f"h{n}", f"EB{n + 1} 4QT") for n in range(draw(st.integers(1, 3)))]
    for i, pid in enumerate(people):
        moved = BASE + timedelta(days=born[i] + draw(st.integers(0, 9000)))
        first = draw(st.sampled_from(households))
        if draw(st.booleans()):
            lives(batch, pid, first, moved)
        else:
            second = draw(st.sampled_from(households))
            lives(batch, pid, first, moved, moved + timedelta(days=400))
            lives(batch, pid, second, moved + timedelta(days=401))
        if draw(st.booleans()):
            start = BASE + timedelta(days=born[i] + draw(st.integers(0, 20_000)))
            batch.nodes.append(Involvement(
                id=f"i{i}", person_id=pid, service="Early help", level=ServiceLevel.TARGETED,
                start=start, end=start + timedelta(days=300) if draw(st.booleans()) else None))
        if draw(st.booleans()):
            start = BASE + timedelta(days=born[i] + draw(st.integers(0, 20_000)))
            batch.nodes.append(RiskIndicator(
                id=f"k{i}", person_id=pid, kind=draw(st.sampled_from(list(RiskKind))),
                valid_from=start,
                valid_to=start + timedelta(days=500) if draw(st.booleans()) else None))
    return batch


def answers(store: Store, batch: GraphBatch, day: date) -> dict[str, object]:
    result: dict[str, object] = {}
    people = [n for n in batch.nodes if isinstance(n, Person)]
    for person in people[:: max(1, len(people) // 4)]:  # a spread of subjects keeps it quick
        pid = person.id
        house = household_of(store, pid, day)
        result[f"household {pid}"] = sorted(
            (m.person.id, m.relationship, m.since) for m in house.members)
        for scope in Scope:
            result[f"services {pid} {scope}"] = sorted(
                (s.person_id, s.view.involvement.id, s.relationship)
                for s in services_engaged(store, pid, scope, day))
            result[f"risks {pid} {scope}"] = [
                (r.person_id, r.indicator.id, r.relationship)
                for r in risk_indicators(store, pid, scope, day)]
        genogram = genogram_of(store, pid, 3, day)
        result[f"genogram {pid}"] = (
            sorted((g.person.id, g.generation, g.relationship) for g in genogram.people),
            sorted((e.kind, e.src, e.dst, e.subtype, e.status) for e in genogram.edges))
    start = day - timedelta(days=3650)
    result["co-occurrence"] = co_occurrence(store, start, day)
    result["transitions"] = transitions(store, start, day)
    result["re-referrals"] = re_referrals(store, start, day)
    for name in NAMES:
        found = search_people(store, SearchCriteria(name=name), 50)
        result[f"search {name}"] = [(c.person.id, c.score, c.matched) for c in found]
    return result


@settings(max_examples=int(os.environ.get("FAMGRAPH_AGREE_EXAMPLES", "15")), deadline=None,
          database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=families(), offset=st.integers(0, 30_000))
def test_both_stores_answer_every_question_alike(neo4j_driver: Driver, batch: GraphBatch,
                                                 offset: int) -> None:
    day = BASE + timedelta(days=offset)
    delete_everything(neo4j_driver)
    graph = Neo4jStore(neo4j_driver)
    graph.write(batch)
    with tempfile.TemporaryDirectory() as folder:
        embedded = EmbeddedStore(Path(folder))
        embedded.write(batch)
        expected = answers(embedded, batch, day)
        embedded.close()
    assert answers(graph, batch, day) == expected
