"""How the CLI speaks: one line per problem on stderr, tables and counts on stdout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from graph.errors import FamgraphError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn famgraph's own errors into one line and exit code 1, never a traceback."""
    try:
        yield
    except FamgraphError as exc:
        err.print(f"famgraph: {exc}", markup=False)
        raise typer.Exit(1) from None

