"""A nightly delta: new and changed records compared within their blocks against the
store's, with the store's model, give the same people as relinking everything."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import LoadLog
from loaders.identity.evaluate import resolved_index
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


def load(store: EmbeddedStore, paths: list[Path]) -> LoadLog:
    return load_extract(store, paths, today=TODAY, resolver=resolver())


def test_a_delta_gives_the_people_of_a_full_run(borough: list[Path], tmp_path: Path) -> None:
    base = [p for p in borough if p.name != DELTA]
    night = [p for p in borough if p.name == DELTA]
    full = EmbeddedStore(tmp_path / "full")
    load(full, borough)
    batches = EmbeddedStore(tmp_path / "batches")
    load(batches, base)
    log = load(batches, night)
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
