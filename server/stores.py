"""Choosing a store from settings: the embedded one, or Neo4j when a URI is given; and the
accounts (users, grants, follows) that go with it."""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from neo4j import Driver, GraphDatabase

from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.neo4j.store import READ_TIMEOUT, Neo4jStore
from graph.store import Store
from server.accounts_neo4j import Neo4jAccounts, Neo4jFollows, Neo4jUsers
from server.following import Following
from server.settings import Settings
from server.store_calls import INLINE, StoreCalls
from server.users import UserDirectory

# Fail fast into an error rather than hang a request (docs/security.md rule 24).
CONNECTION_TIMEOUT = 2.0
# Seconds the driver retries a read while Neo4j is away, and the first wait between tries:
# short, so a request that asks the store a few times in turn fails into 503 and
# Retry-After within its deadline, instead of waiting out the driver's default 30 s of
# retries that start a second apart.
READ_RETRY = 0.5
FIRST_RETRY_DELAY = 0.1
ENCRYPTED_SCHEMES = ("neo4j+s", "bolt+s")
# Store calls waiting on Neo4j at once, for the whole process: enough to keep both cores
# and the server busy, well under the driver's pool of 100 connections.
NEO4J_THREADS = 8
# A little past Neo4j's own timeout on a read, and within a request's default deadline.
NEO4J_PATIENCE = READ_TIMEOUT + 0.5
T = TypeVar("T")
_NEO4J_POOL = ThreadPoolExecutor(NEO4J_THREADS, thread_name_prefix="famgraph-neo4j")
# Each store's own calls (whether it was found away a moment ago), over the one pool.
_CALLS: weakref.WeakKeyDictionary[Store, StoreCalls] = weakref.WeakKeyDictionary()


class _OwnedNeo4jStore(Neo4jStore):
    """A Neo4j store that also closes the driver it was opened with."""

    def close(self) -> None:
        self._driver.close()


def is_loopback(uri: str) -> bool:
    """Whether the URI's host is this machine: `localhost`, 127.0.0.0/8 or ::1. Only the
    host part counts, so `bolt://localhost.example.org` or `bolt://x/?h=127.0.0.1` do not."""
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _neo4j_driver(settings: Settings) -> Driver:
    """A driver for the settings' Neo4j, connected.

    Raises
    ------
    StoreError : the URI is remote and unencrypted, or Neo4j cannot be reached
    """
    uri = settings.neo4j_uri
    if not is_loopback(uri) and urlsplit(uri).scheme not in ENCRYPTED_SCHEMES:
        raise StoreError(f"{uri} is not on this machine: use an encrypted neo4j+s:// or "
                         "bolt+s:// URI (docs/security.md rule 24)")
    driver = GraphDatabase.driver(
        uri, auth=(settings.neo4j_user, settings.neo4j_password),
        connection_acquisition_timeout=CONNECTION_TIMEOUT, connection_timeout=CONNECTION_TIMEOUT,
        max_transaction_retry_time=READ_RETRY, initial_retry_delay=FIRST_RETRY_DELAY,
        notifications_min_severity="OFF",
    )
    try:
        driver.verify_connectivity()
    except Exception as exc:
        driver.close()
        raise StoreError(f"cannot reach Neo4j at {uri}: {type(exc).__name__}") from exc
    return driver


def open_store(settings: Settings) -> Store:
    """The store the settings name, its schema in place and its questions planned.

    Raises
    ------
    StoreError : the store cannot be opened or reached, or a remote Neo4j is unencrypted
    """
    if not settings.neo4j_uri:
        embedded = EmbeddedStore(settings.store_dir)
        try:
            embedded.migrate()
        except Exception:
            embedded.close()
            raise
        return embedded

    def ready(driver: Driver) -> Store:
        store = _OwnedNeo4jStore(driver, settings.neo4j_database or None)
        store.migrate()
        store.prepare()
        return store

    return _on_neo4j(settings, ready)


def _on_neo4j(settings: Settings, make: Callable[[Driver], T]) -> T:
    """`make` over a new driver for the settings' Neo4j; the driver is closed if it fails.

    Raises
    ------
    StoreError : Neo4j cannot be reached, or a remote Neo4j is unencrypted
    """
    driver = _neo4j_driver(settings)
    try:
        return make(driver)
    except Exception as exc:
        driver.close()
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"cannot reach Neo4j at {settings.neo4j_uri}: {type(exc).__name__}"
                         ) from exc


@dataclass(frozen=True, slots=True)
class Accounts:
    """Who may sign in (users and grants) and who follows whom, opened together."""

    users: UserDirectory
    following: Following
    driver: Driver | None = None  # the accounts' own, when they are in Neo4j

    def close(self) -> None:
        self.users.close()
        self.following.close()
        if self.driver is not None:
            self.driver.close()


def open_accounts(settings: Settings) -> Accounts:
    """The accounts the settings name: with Neo4j, in Neo4j, so that every famgraph
    process serving that database signs in the same users and honours the same grants
    and follows (docs/neo4j.md); otherwise the SQLite files in the store folder.

    Raises
    ------
    StoreError : Neo4j cannot be reached, or a remote Neo4j is unencrypted
    """
    if not settings.neo4j_uri:
        return Accounts(UserDirectory(settings.store_dir), Following(settings.store_dir))

    def ready(driver: Driver) -> Accounts:
        shared = Neo4jAccounts(driver, settings.neo4j_database or None)
        shared.migrate()
        return Accounts(UserDirectory(Neo4jUsers(shared)), Following(Neo4jFollows(shared)),
                        driver)

    return _on_neo4j(settings, ready)


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


def calls_for(store: Store) -> StoreCalls:
    """How async code should ask this store: Neo4j's answers wait on the network, so they
    are asked on the process's pool of threads; the embedded store's are asked inline."""
    if not isinstance(store, Neo4jStore):
        return INLINE
    calls = _CALLS.get(store)
    if calls is None:
        calls = _CALLS[store] = StoreCalls(_NEO4J_POOL, NEO4J_PATIENCE)
    return calls
