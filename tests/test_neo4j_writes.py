"""Writing to Neo4j in pieces: a batch larger than one UNWIND statement is still one
transaction, all of it written or none, and its edges are found through the indexes."""

from __future__ import annotations

from datetime import date

import pytest
from neo4j import Driver

from graph.errors import StoreError
from graph.model import ParentOf, Sex
from graph.neo4j.store import ROWS_PER_STATEMENT, Neo4jStore, delete_everything
from graph.store import GraphBatch
from tests.families import person

pytestmark = pytest.mark.neo4j

# More people than one statement holds, so a batch of them spans two statements.
MANY = ROWS_PER_STATEMENT + 50


def _people(count: int) -> GraphBatch:
    people = [person(f"p{n}", "Ann", f"Lee{n}", Sex.FEMALE, date(2010, 1, 1))
              for n in range(count)]
    # Each person a parent of the next: as many edges as people, less one.
    parents = [ParentOf(f"p{n}", f"p{n + 1}") for n in range(count - 1)]
    return GraphBatch(nodes=people, edges=parents)


@pytest.fixture
def neo(neo4j_driver: Driver) -> Neo4jStore:
    delete_everything(neo4j_driver)
    return Neo4jStore(neo4j_driver)


def test_a_batch_of_several_statements_is_written_whole(neo: Neo4jStore) -> None:
    neo.write(_people(MANY))
    counts = neo.counts()
    assert (counts["Person"], counts["PARENT_OF"]) == (MANY, MANY - 1)
    assert set(neo.kin(f"p{MANY - 1}", 1, date(2026, 1, 1)).people) == {
        f"p{MANY - 2}", f"p{MANY - 1}"}


def test_a_bad_edge_in_a_later_statement_leaves_the_store_as_it_was(
        neo: Neo4jStore) -> None:
    neo.write(GraphBatch(nodes=[person("kept", "Kay", "Moss", Sex.FEMALE, date(2011, 2, 2))]))
    before = neo.counts()
    batch = _people(MANY)
    # The missing node is named by the last edge: the first statement's edges (and every
    # node) are written before the bad one is found, inside the same transaction.
    bad = GraphBatch(nodes=batch.nodes, edges=[*batch.edges, ParentOf("p0", "ghost")])
    with pytest.raises(StoreError, match="ghost"):
        neo.write(bad)
    assert neo.counts() == before
    assert neo.people(["p0", f"p{MANY - 1}"]) == {}


def test_no_edge_key_index_is_left_for_merge_to_scan(
        neo: Neo4jStore, neo4j_driver: Driver) -> None:
    # An index on edge keys made Neo4j plan each MERGE of an edge as a scan of all of them.
    neo4j_driver.execute_query("CREATE INDEX member_of_key IF NOT EXISTS "
                               "FOR ()-[r:MEMBER_OF]-() ON (r.key)")
    neo.migrate()
    on_edges = neo4j_driver.execute_query(
        "SHOW INDEXES YIELD name, entityType, properties "
        "WHERE entityType = 'RELATIONSHIP' AND 'key' IN properties RETURN name").records
    assert not [r["name"] for r in on_edges]


def test_decoded_values_are_kept_for_questions_not_for_whole_labels(neo: Neo4jStore) -> None:
    """A management-information aggregate reads a whole label: kept, it would push out
    every family kept for the front door."""
    from graph.model import Involvement, ServiceLevel
    from graph.neo4j import store as neo4j_store

    batch = _people(50)
    batch.nodes += [Involvement(id=f"I{n}", person_id=f"p{n}", service="School",
                                level=ServiceLevel.UNIVERSAL, start=date(2020, 1, 1))
                    for n in range(50)]
    neo.write(batch)
    neo4j_store._decoded.cache_clear()
    assert len(neo.all_involvements()) == 50 and len(neo.source_records("x")) == 0
    assert neo4j_store._decoded.cache_info().currsize == 0
    ids = [f"p{n}" for n in range(10)]
    first = neo.people(ids)
    assert neo4j_store._decoded.cache_info().currsize == 10
    again = neo.people(ids)
    assert all(again[i] is first[i] for i in ids), "asked again, decoded once"
