"""The options every store-reading command takes, and the one way they open the store (and
the accounts: users, grants, follows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from graph.store import Store
from server.cli.output import one_line_errors, out
from server.settings import Settings
from server.stores import Accounts, open_accounts, open_store

StoreDir = Annotated[Path, typer.Option(
    "--store", help="Folder of the embedded store (and, with --neo4j, of the audit log).")]
Neo4jUri = Annotated[str | None, typer.Option(
    "--neo4j", help="Use this Neo4j (bolt://...) instead of the embedded store; the user and "
                    "password come from FAMGRAPH_NEO4J_USER and FAMGRAPH_NEO4J_PASSWORD.")]


def open_from(store_dir: Path, neo4j: str | None) -> Store:
    """The store the options name, opened as settings (with the environment) say.

    Raises
    ------
    StoreError : the store cannot be opened or reached
    """
    return open_store(Settings.from_env(store_dir=store_dir, neo4j_uri=neo4j))


@contextmanager
def opened(store_dir: Path, neo4j: str | None) -> Iterator[Store]:
    """`open_from`'s store, closed when the block ends."""
    store = open_from(store_dir, neo4j)
    try:
        yield store
    finally:
        store.close()


def migrate(store: StoreDir, neo4j: Neo4jUri = None) -> None:
    """Bring the store to this famgraph's schema (every command and `serve` do so as they
    open it; this does nothing else). Idempotent: a current store is left as it is."""
    with one_line_errors(), opened(store, neo4j) as graph:
        counts = graph.counts()
    out.print(f"store at this famgraph's schema: {sum(counts.values()):,} nodes and edges")


@contextmanager
def accounts_opened(store_dir: Path, neo4j: str | None) -> Iterator[Accounts]:
    """The accounts the options and settings name (in Neo4j when it serves the graph),
    closed when the block ends; a store error is one line and exit 1."""
    with one_line_errors():
        accounts = open_accounts(Settings.from_env(store_dir=store_dir, neo4j_uri=neo4j))
    try:
        yield accounts
    finally:
        accounts.close()
