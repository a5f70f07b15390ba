"""A nightly delta: new and changed records compared within their blocks against the
store's, with the store's model, give the same people as relinking everything."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from graph.embedded import EmbeddedStore
from graph.model import SourceRecord
from graph.store import LoadLog
from loaders.identity import STAGES
from loaders.identity.delta import candidates, part
from loaders.identity.evaluate import resolved_index
from loaders.identity.features import SCHEMA, row
from loaders.identity.scoring import Training
from loaders.identity.splink_resolver import SplinkResolver
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough

pytestmark = pytest.mark.splink

TODAY = date(2026, 11, 23)
# Never trained: both runs score with famgraph's default model, so any difference in the
# people is the delta's, not a model trained on other records.
UNTRAINED = Training(min_records=10**9)
DELTA = "police"  # a small system: its records are a few percent of the borough's


def resolver() -> SplinkResolver:
    return SplinkResolver(UNTRAINED, delta_min_store=0)


def people(store: EmbeddedStore) -> set[frozenset[str]]:
    """The store's people as sets of record keys (person ids aside)."""
    found: dict[str, set[str]] = defaultdict(set)
    for key, person in resolved_index(store).items():
        found[person].add(key)
    return {frozenset(keys) for keys in found.values()}


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("delta")
    summary = generate_borough(people=400, seed=3, out=root / "extracts", today=TODAY)
    return [root / "extracts" / s for s in sorted(summary.records_by_system)]


def load(store: EmbeddedStore, paths: list[Path], stages: list[str] | None = None) -> LoadLog:
    return load_extract(store, paths, today=TODAY, resolver=resolver(),
                        identity_progress=None if stages is None else stages.append)


def test_a_delta_gives_the_people_of_a_full_run(borough: list[Path], tmp_path: Path) -> None:
    base = [p for p in borough if p.name != DELTA]
    night = [p for p in borough if p.name == DELTA]
    full = EmbeddedStore(tmp_path / "full")
    load(full, borough)
    batches = EmbeddedStore(tmp_path / "batches")
    load(batches, base)
    stages: list[str] = []
    log = load(batches, night, stages)
    # The load was told each stage as it started (nothing trains: the store's model scores).
    assert stages == [s for s in STAGES if s != "training"]
    assert "delta" in str(log.detail["model_reason"])
    assert log.balanced and int(str(log.detail["records"])) > 0
    assert people(batches) == people(full)
    full.close()
    batches.close()


def test_a_reload_of_unchanged_records_is_a_delta_of_none(
    borough: list[Path], tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    load(store, borough)
    before = people(store)
    log = load(store, [p for p in borough if p.name == DELTA])
    assert str(log.detail["model_reason"]).startswith("a delta of 0 new or changed records")
    assert people(store) == before
    store.close()


def test_a_changed_record_is_fresh_and_relinked_as_a_full_run_would(
    borough: list[Path], tmp_path: Path
) -> None:
    police = next(p for p in borough if p.name == DELTA)
    changed = tmp_path / DELTA
    shutil.copytree(police, changed)
    nominals = changed / "NICHE_Nominals.csv"
    lines = nominals.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[2] = fields[2] + "a"  # a slip in the first nominal's forename
    lines[1] = ",".join(fields)
    nominals.write_text("".join(lines), encoding="utf-8")
    others = [p for p in borough if p.name != DELTA]
    full = EmbeddedStore(tmp_path / "full")
    load(full, [*others, changed])
    store = EmbeddedStore(tmp_path / "store")
    load(store, borough)
    log = load(store, [changed])
    assert str(log.detail["model_reason"]).startswith("a delta of 1 new or changed record")
    assert people(store) == people(full)
    full.close()
    store.close()


def test_candidates_are_the_stored_records_in_a_fresh_records_blocks() -> None:
    def one(key: str, given: str, family: str, born: str, postcode: str) -> dict[str, object]:
        return row(key, "gp", {"given_names": given, "family_name": family,
                               "birth_date": born, "postcode": postcode})

    rows = pa.Table.from_pylist([
        one("gp/new", "Amira", "Khan", "2015-03-02", "LS1 1AA"),
        one("gp/same-dob", "Aisha", "Begum", "2015-03-02", "LS9 9ZZ"),  # birth date, initial
        one("gp/same-home", "Amira", "Jones", "1980-01-01", "LS1 1AA"),  # postcode, name
        one("gp/other", "Zoe", "Smith", "1990-07-07", "LS2 2BB"),
    ], schema=SCHEMA)
    assert candidates(rows, {"gp/new"}) == {"gp/new", "gp/same-dob", "gp/same-home"}
    assert part({"gp/same-dob"}, {"gp/same-dob": "P1", "gp/other": "P1"}) == {
        "gp/same-dob", "gp/other"}


class _Watched(EmbeddedStore):
    """An embedded store that tells which records identity resolution read."""

    whole_reads = 0
    by_block = 0

    def all_source_records(self) -> list[SourceRecord]:
        self.whole_reads += 1
        return super().all_source_records()

    def source_records_in_blocks(self, blocks: Iterable[str]) -> list[SourceRecord]:
        found = super().source_records_in_blocks(blocks)
        self.by_block += len(found)
        return found


def test_a_delta_reads_the_records_in_its_blocks_not_the_whole_store(
    borough: list[Path], tmp_path: Path
) -> None:
    store = _Watched(tmp_path / "store")
    load(store, [p for p in borough if p.name != DELTA])
    held = store.counts()[SourceRecord.label]
    store.whole_reads = 0
    log = load(store, [p for p in borough if p.name == DELTA])
    assert "delta" in str(log.detail["model_reason"])
    assert store.whole_reads == 0
    assert 0 < store.by_block < held / 2
    store.close()
