"""Fixtures shared by every test: stores of each backend, loaded with named families."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.neo4j.store import Neo4jStore, delete_everything
from graph.store import GraphBatch, Store
from server.app import create_app
from server.settings import Mode, Settings
from tests.families import FAMILIES
from tests.viewers import access_store, bearer
from tools.neo4j.launcher import start


@pytest.fixture(autouse=True)
def _resolver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads in tests not about linkage use the deterministic rules: each Splink run costs
    seconds of SQL generation, and those tests assert nothing about who is who."""
    if request.node.get_closest_marker("splink") is None:
        from loaders import pipeline
        from loaders.identity.rules import RuleResolver

        monkeypatch.setattr(pipeline, "default_resolver", RuleResolver)


BACKENDS = [
    pytest.param("embedded", marks=pytest.mark.embedded),
    pytest.param("neo4j", marks=pytest.mark.neo4j),
]


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(uri, user, password) of a real Neo4j 5: FAMGRAPH_NEO4J_URI's if set, else the
    project's own, started for this test session and stopped after it."""
    uri = os.environ.get("FAMGRAPH_NEO4J_URI")
    if uri:
        yield (uri, os.environ.get("FAMGRAPH_NEO4J_USER", "neo4j"),
               os.environ.get("FAMGRAPH_NEO4J_PASSWORD", ""))
        return
    server = start(tmp_path_factory.mktemp("neo4j"))
    yield server.uri, server.user, server.password
    server.stop()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: tuple[str, str, str]) -> Iterator[Driver]:
    uri, user, password = neo4j_server
    driver = GraphDatabase.driver(uri, auth=(user, password), connection_acquisition_timeout=2.0,
                                  notifications_min_severity="OFF")
    driver.verify_connectivity()
    # Once a session, as a deployment does at every open; emptying the store between tests
    # keeps the schema.
    prepared = Neo4jStore(driver)
    prepared.migrate()
    prepared.prepare()
    yield driver
    driver.close()


def open_store(request: pytest.FixtureRequest, backend: str, directory: Path) -> Store:
    if backend == "embedded":
        return EmbeddedStore(directory)
    driver: Driver = request.getfixturevalue("neo4j_driver")
    delete_everything(driver)
    return Neo4jStore(driver)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend; the contract suite runs once per backend."""
    opened = open_store(request, request.param, tmp_path / "store")
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


Client = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Client]:
    """Apps over the access fixture and every family, made with the settings asked for,
    each client signed in as sam (a social worker)."""
    access_store(tmp_path, all_families=True)
    opened: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        settings.setdefault("mode", Mode.DEVELOPMENT)
        client = TestClient(create_app(Settings(store_dir=tmp_path, **settings)))
        client.__enter__()
        client.headers.update(bearer(client.app.state.auth, "sam"))  # type: ignore[attr-defined]
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
