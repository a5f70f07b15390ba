"""The embedded store survives restarts and kill -9 with every committed batch, no partial one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedStore, durability
from graph.embedded.keys import NAME, keys_of
from graph.errors import StoreError
from graph.model import ParentOf, Person, decode
from graph.questions.household import household_of
from graph.questions.search import search_people
from graph.store import GraphBatch, SearchCriteria
from tests.families import FAMILIES, TODAY

BATCH_SIZE = 400

WRITER = f"""
import sys
from pathlib import Path
from graph.embedded import EmbeddedStore, durability
from graph.model import Person
from graph.store import GraphBatch
store = EmbeddedStore(Path(sys.argv[1]))
for n in range(1_000_000):
    store.write(GraphBatch(nodes=[
        Person(id=f"b{{n}}-{{i}}", given_names="Batch", family_name=str(n))
        for i in range({BATCH_SIZE})
    ]))
    print(n, flush=True)
"""


def test_reopened_store_answers_as_before(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    for make in FAMILIES.values():
        store.write(make())
    before = (store.counts(), [m.person.id for m in household_of(store, "kim", TODAY).members])
    store.close()
    reopened = EmbeddedStore(tmp_path)
    after = (reopened.counts(), [m.person.id for m in household_of(reopened, "kim", TODAY).members])
    reopened.close()
    assert after == before


def test_kill_9_mid_load_keeps_every_committed_batch_and_no_partial_one(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert writer.stdout is not None
    committed = -1
    deadline = time.monotonic() + 60
    while committed < 5 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    time.sleep(0.05)  # let it get well into the next batch
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert committed >= 5, "the writer never got going"

    store = EmbeddedStore(tmp_path)
    per_batch = Counter(p.family_name for p in store.people(
        f"b{n}-{i}" for n in range(committed + 50) for i in range(BATCH_SIZE)).values())
    store.close()
    batches = sorted(int(n) for n in per_batch)
    assert all(count == BATCH_SIZE for count in per_batch.values()), "a batch was half written"
    assert batches == list(range(len(batches))), "batches are not a prefix of those written"
    assert len(batches) >= committed + 1, "a batch reported committed was lost"


def test_a_store_open_while_another_process_loads_sees_the_new_batches(tmp_path: Path) -> None:
    serving = EmbeddedStore(tmp_path)
    serving.write(FAMILIES["twins"]())
    loader = EmbeddedStore(tmp_path)  # as `famgraph load` would open it
    loader.write(FAMILIES["new_adult_in_household"]())
    loader.close()
    assert {m.person.id for m in household_of(serving, "zak", TODAY).members} == {"yva", "abe"}
    assert serving.counts()["Person"] == 6
    serving.close()


def test_what_a_store_has_read_gives_way_to_another_process_s_commit(tmp_path: Path) -> None:
    family = FAMILIES["new_adult_in_household"]()
    without_abe = GraphBatch(nodes=family.nodes, edges=[e for e in family.edges if e.src != "abe"])
    serving = EmbeddedStore(tmp_path)
    serving.write(without_abe)
    assert [m.person.id for m in household_of(serving, "zak", TODAY).members] == ["yva"]
    loader = EmbeddedStore(tmp_path)
    loader.write(family)
    loader.close()
    # The household's residents were read, and kept, before the loader's commit.
    assert {m.person.id for m in household_of(serving, "zak", TODAY).members} == {"yva", "abe"}
    serving.close()


def test_opening_a_store_decodes_none_of_its_nodes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path)
    for make in FAMILIES.values():
        store.write(make())
    store.close()
    decoded: list[str] = []

    def counting(cls: type[Any], data: dict[str, Any]) -> Any:
        decoded.append(cls.__name__)
        return decode(cls, data)

    monkeypatch.setattr(durability, "decode", counting)
    reopened = EmbeddedStore(tmp_path)
    assert decoded == []
    household_of(reopened, "kim", TODAY)
    reopened.close()
    assert 0 < len(decoded) < 60, "a question reads its neighbourhood, not the store"


def _answers(store: EmbeddedStore) -> tuple[object, ...]:
    return (store.counts(),
            [m.person.id for m in household_of(store, "kim", TODAY).members],
            [c.person.id for c in search_people(store, SearchCriteria(name="Kym Shaw"))],
            [p.id for p in store.search_candidates(SearchCriteria(postcode="eb2 7ld"), 50)],
            [i.involvement.id for i in store.involvements(["cal", "dee"], TODAY, True)],
            [r.id for r in store.risk_indicators(["cal", "dee", "eli"], TODAY)])


def _as_schema_1(path: Path) -> None:
    """Leave a store as famgraph wrote it before schema 2: no key tables, version 1."""
    db = sqlite3.connect(path / "graph.sqlite")
    db.executescript("DROP TABLE node_keys; DROP TABLE name_forms; DROP INDEX nodes_label;"
                     " UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    db.close()


def test_a_schema_1_store_is_migrated_by_its_one_step_and_answers_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.embedded.durability.MIGRATE_CHUNK", 3)  # nodes in pieces
    store = EmbeddedStore(tmp_path)
    for make in FAMILIES.values():
        store.write(make())
    before = _answers(store)
    store.close()
    _as_schema_1(tmp_path)
    migrated = EmbeddedStore(tmp_path)
    with pytest.raises(StoreError, match="older schema"):
        migrated.counts()  # its indexes would miss nodes: refused until migrated
    with pytest.raises(StoreError, match="older schema"):
        migrated.write(GraphBatch())
    migrated.migrate()
    assert _answers(migrated) == before
    assert before[2] and before[3], "the searches asked find someone"
    migrated.migrate()  # again: a no-op
    assert _answers(migrated) == before
    migrated.close()
    version = sqlite3.connect(tmp_path / "graph.sqlite").execute(
        "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(durability.SCHEMA_VERSION),)


def test_a_store_from_a_newer_famgraph_is_refused(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / "graph.sqlite")
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema 99"):
        EmbeddedStore(tmp_path)


def test_a_small_cache_never_loses_a_person_the_store_holds(tmp_path: Path) -> None:
    """Reading nodes not yet cached must not push out ones this same question wants."""
    from graph.model import Person
    from graph.store import GraphBatch

    ids = [f"P{n}" for n in range(6)]
    EmbeddedStore(tmp_path).write(GraphBatch(nodes=[
        Person(id=i, given_names="Ann", family_name=f"Lee{i}") for i in ids]))
    store = EmbeddedStore(tmp_path, cache_entries=3)
    store.people(ids[:3])
    assert sorted(store.people(["P0", "P3"])) == ["P0", "P3"]
    assert sorted(store.people(ids)) == ids
    assert sorted(store.people(ids[::-1])) == ids


def test_a_node_is_found_by_the_keys_of_its_last_written_form_only(tmp_path: Path) -> None:
    def name_keys(person: Person) -> set[str]:
        return {key for kind, key in keys_of(person) if kind == NAME}

    first = Person(id="P1", given_names="Ann", family_name="Lee")
    renamed = Person(id="P1", given_names="Ann", family_name="Hart")
    twice = Person(id="P2", given_names="Bea", family_name="Cole")
    last = Person(id="P2", given_names="Bea", family_name="Moss")
    store = EmbeddedStore(tmp_path)
    store.write(GraphBatch(nodes=[first]))
    # A later batch replaces P1; one batch writes P2 twice, the second form standing.
    store.write(GraphBatch(nodes=[renamed, twice, last]))
    held = store._durable
    assert held.ids_by_key(NAME, name_keys(first) - name_keys(renamed)) == set()
    assert held.ids_by_key(NAME, name_keys(renamed)) == {"P1"}
    assert held.ids_by_key(NAME, name_keys(twice) - name_keys(last)) == set()
    assert held.ids_by_key(NAME, name_keys(last)) == {"P2"}


def test_a_first_load_leaves_the_same_indexes_committed_or_not(tmp_path: Path) -> None:
    # A write to an empty store builds its secondary indexes after its rows (durability).
    store = EmbeddedStore(tmp_path)
    db = store._durable._db

    def indexes() -> set[tuple[str, str]]:
        return set(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))

    empty = indexes()
    assert {"node_keys_id", "nodes_label", "edges_src", "edges_dst"} <= {n for n, _ in empty}
    ann = Person(id="P1", given_names="Ann", family_name="Lee")
    with pytest.raises(StoreError, match="ghost"):
        store.write(GraphBatch(nodes=[ann], edges=[ParentOf("P1", "ghost")]))
    assert indexes() == empty
    assert store.counts() == {}
    # One first batch writing P1 twice: only the last form's keys stand.
    hart = Person(id="P1", given_names="Ann", family_name="Hart")
    bo = Person(id="P2", given_names="Bo", family_name="Hart")
    store.write(GraphBatch(nodes=[ann, hart, bo], edges=[ParentOf("P1", "P2")]))
    assert indexes() == empty
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    def names(person: Person) -> set[str]:
        return {key for kind, key in keys_of(person) if kind == NAME}

    assert store._durable.ids_by_key(NAME, names(ann) - names(hart)) == set()
    assert store._durable.ids_by_key(NAME, names(hart) - names(bo)) == {"P1"}
    assert [e.dst for e in store._durable.edges_at(["P1"], "src")["P1"]] == ["P2"]
