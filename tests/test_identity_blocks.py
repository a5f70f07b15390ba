"""The blocks a nightly delta asks the store for: every pair a blocking rule makes shares
a key, and both backends answer "the records in these blocks" alike."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from graph.embedded import EmbeddedStore
from graph.model import SourceRecord
from graph.store import RECORD_BLOCKS, GraphBatch, Store
from loaders.identity import blocks
from loaders.identity import settings as linkage
from loaders.identity.features import linkage_fields, row, rows_for
from loaders.quarantine import Quarantine
from loaders.records import Extract
from loaders.registry import plan
from loaders.synthetic import generate_borough

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def borough_rows(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    root = tmp_path_factory.mktemp("blocks")
    summary = generate_borough(people=300, seed=5, out=root, today=TODAY)
    extract, quarantine = Extract(), Quarantine()
    for module, path in plan([root / s for s in sorted(summary.records_by_system)], None):
        module.read(path, quarantine, TODAY, extract)
    rows, _ = rows_for(extract, [])
    return rows


def test_every_pair_a_blocking_rule_makes_shares_a_block(borough_rows: pa.Table) -> None:
    con = duckdb.connect()
    con.register("rows", borough_rows)
    pairs: set[tuple[str, str]] = set()
    for rule in linkage.BLOCKING_RULES:
        query = ("SELECT l.unique_id, r.unique_id FROM rows l JOIN rows r"
                 f" ON {rule} WHERE l.unique_id <> r.unique_id")
        pairs.update(con.execute(query).fetchall())
    by_key = {r["unique_id"]: r for r in borough_rows.to_pylist()}
    assert len(pairs) > 1000  # the borough's rules do pair records
    # Either record may be the fresh one: each must seek a block the other holds.
    missed = [(a, b) for a, b in pairs
              if not blocks.sought(by_key[a]) & blocks.held(by_key[b])
              or not blocks.sought(by_key[b]) & blocks.held(by_key[a])]
    assert missed == []
    # And the keys are narrower than "everyone": a record's blocks hold few others.
    holders: dict[str, int] = {}
    for one in by_key.values():
        for key in blocks.held(one):
            holders[key] = holders.get(key, 0) + 1
    reach = sum(holders.get(k, 0) for k in blocks.sought(by_key[sorted(by_key)[0]]))
    assert reach < len(by_key) / 10


def test_a_loaded_record_keeps_the_blocks_of_its_row() -> None:
    from loaders.records import PersonRecord, Where

    extract = Extract()
    extract.people.append(PersonRecord(
        system="gp", record_id="1", given_names="Amira", family_name="Khan", other_names="",
        sex="female", birth_date=date(2015, 3, 2), death_date=None, nhs_number=None,
        upn=None, address=None, where=Where("gp.csv", 2)))
    kept = linkage_fields(extract)["gp/1"]
    again = row("gp/1", "gp", {"given_names": "Amira", "family_name": "Khan",
                               "sex": "female", "birth_date": "2015-03-02"} | kept)
    assert kept[RECORD_BLOCKS].split() == sorted(blocks.held(again))
    assert blocks.held(again)


def _record(local_id: str, held: str | None) -> SourceRecord:
    fields = {"given_names": "X"} if held is None else {RECORD_BLOCKS: held}
    return SourceRecord(id=f"R:gp/{local_id}", system="gp", local_id=local_id, fields=fields)


def test_the_store_returns_the_records_in_any_block_asked(store: Store) -> None:
    many = [f"{n:016x}" for n in range(2500)]  # more words than one full-text query takes
    store.write(GraphBatch(nodes=[
        _record("1", f"{many[0]} aaaaaaaaaaaaaaaa"),
        _record("2", "bbbbbbbbbbbbbbbb"),
        _record("3", f"cccccccccccccccc {many[-1]}"),
        _record("4", None),  # kept before blocks were written: in every answer
        _record("5", ""),  # in no block at all
    ]))
    assert [r.id for r in store.source_records_in_blocks(["aaaaaaaaaaaaaaaa"])] == [
        "R:gp/1", "R:gp/4"]
    assert [r.id for r in store.source_records_in_blocks(many)] == [
        "R:gp/1", "R:gp/3", "R:gp/4"]
    assert [r.id for r in store.source_records_in_blocks([])] == ["R:gp/4"]
    found = store.source_records_in_blocks(["bbbbbbbbbbbbbbbb", "dddddddddddddddd"])
    assert [(r.id, r.fields) for r in found] == [
        ("R:gp/2", {RECORD_BLOCKS: "bbbbbbbbbbbbbbbb"}), ("R:gp/4", {"given_names": "X"})]


def test_a_rewritten_record_leaves_its_old_blocks(store: Store) -> None:
    store.write(GraphBatch(nodes=[_record("1", "aaaaaaaaaaaaaaaa")]))
    store.write(GraphBatch(nodes=[_record("1", "bbbbbbbbbbbbbbbb")]))
    assert store.source_records_in_blocks(["aaaaaaaaaaaaaaaa"]) == []
    assert [r.id for r in store.source_records_in_blocks(["bbbbbbbbbbbbbbbb"])] == ["R:gp/1"]


def test_a_store_kept_before_blocks_finds_its_records_after_migration(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s")
    store.write(GraphBatch(nodes=[_record("1", "aaaaaaaaaaaaaaaa")]))
    store.close()
    # As schema 2 left it: the record, but no block keys.
    db = sqlite3.connect(tmp_path / "s" / "graph.sqlite")
    db.executescript("DELETE FROM node_keys WHERE kind = 'block';"
                     " UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    db.close()
    store = EmbeddedStore(tmp_path / "s")
    store.migrate()
    assert [r.id for r in store.source_records_in_blocks(["aaaaaaaaaaaaaaaa"])] == ["R:gp/1"]
    store.close()
