"""Choosing a store from settings: the embedded one, or Neo4j when a URI is given."""

from __future__ import annotations

from neo4j import GraphDatabase

from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.neo4j.store import Neo4jStore
from graph.store import Store
from server.settings import Settings

# Fail fast into an error rather than hang a request (docs/security.md rule 24).
CONNECTION_TIMEOUT = 2.0


class _OwnedNeo4jStore(Neo4jStore):
    """A Neo4j store that also closes the driver it was opened with."""

    def close(self) -> None:
        self._driver.close()


def open_store(settings: Settings) -> Store:
    """The store the settings name.

    Raises
    ------
    StoreError : the store cannot be opened or reached
    """
    if not settings.neo4j_uri:
        return EmbeddedStore(settings.store_dir)
    uri = settings.neo4j_uri
    loopback = any(host in uri for host in ("127.0.0.1", "localhost", "[::1]"))
    if not loopback and not uri.startswith(("neo4j+s://", "bolt+s://")):
        raise StoreError(f"{uri} is not on this machine: use an encrypted neo4j+s:// or "
                         "bolt+s:// URI (docs/security.md rule 24)")
    driver = GraphDatabase.driver(
        uri, auth=(settings.neo4j_user, settings.neo4j_password),
        connection_acquisition_timeout=CONNECTION_TIMEOUT, connection_timeout=CONNECTION_TIMEOUT,
        notifications_min_severity="OFF",
    )
    try:
        driver.verify_connectivity()
        return _OwnedNeo4jStore(driver, settings.neo4j_database or None)
    except Exception as exc:
        driver.close()
        raise StoreError(f"cannot reach Neo4j at {uri}: {type(exc).__name__}") from exc


def store_answers(store: Store) -> bool:
    """Whether the store can answer now: Neo4j is asked (within the connection timeout);
    the embedded store lives in this process and answers while it is open."""
    driver = getattr(store, "_driver", None)  # a Neo4j store keeps the driver it was given
    if driver is None:
        return True
    try:
        driver.verify_connectivity()
    except Exception:
        return False
    return True
