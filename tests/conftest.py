"""Fixtures shared by every test: stores of each backend, loaded with named families."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphBatch, Store
from tests.families import FAMILIES


@pytest.fixture(autouse=True)
def _resolver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads in tests not about linkage use the deterministic rules: each Splink run costs
    seconds of SQL generation, and those tests assert nothing about who is who."""
    if request.node.get_closest_marker("splink") is None:
        from loaders import pipeline
        from loaders.identity.rules import RuleResolver

        monkeypatch.setattr(pipeline, "default_resolver", RuleResolver)


BACKENDS = [pytest.param("embedded", marks=pytest.mark.embedded)]


def open_store(backend: str, directory: Path) -> Store:
    if backend == "embedded":
        return EmbeddedStore(directory)
    raise ValueError(backend)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend; the contract suite runs once per backend."""
    opened = open_store(request.param, tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture
def family_store(store: Store) -> Callable[..., Store]:
    """Writes the named families into the store, one batch each, and returns it."""

    def write(*names: str) -> Store:
        for name in names:
            store.write(FAMILIES[name]())
        return store

    return write


@pytest.fixture
def all_families(family_store: Callable[..., Store]) -> Store:
    return family_store(*FAMILIES)


def batch_of(*batches: GraphBatch) -> GraphBatch:
    merged = GraphBatch()
    for batch in batches:
        merged.nodes += batch.nodes
        merged.edges += batch.edges
    return merged
