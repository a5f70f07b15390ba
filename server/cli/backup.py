"""`famgraph backup` and `famgraph restore`: a consistent copy of a store folder, taken
while famgraph serves, and putting one back (docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.backup import restore_backup, take_backup
from server.cli.output import one_line_errors, out


def backup(
    store: Annotated[Path, typer.Option("--store", help="Folder of the store.")],
    to: Annotated[Path, typer.Option("--out", help="The backup file to write (.tar.gz).")],
    with_keys: Annotated[bool, typer.Option(
        "--with-keys", help="Also copy the audit signing key and the token secret; keep"
                            " such a backup where the keys may be.")] = False,
) -> None:
    """Copy the graph, audit log, users, grants, follows and public key, consistently."""
    with one_line_errors():
        summary = take_backup(store, to, with_keys)
    kept = "with" if summary.with_keys else "without"
    out.print(f"backed up {len(summary.files)} files of {store} to {summary.path}"
              f" ({kept} the signing key and token secret)")


def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file `famgraph backup` wrote.")],
    store: Annotated[Path, typer.Option("--store", help="Folder to restore into.")],
    force: Annotated[bool, typer.Option(
        help="Restore over a folder that is not empty (it is moved aside, not deleted).")
    ] = False,
) -> None:
    """Put a backup back as the store folder; then check it with `famgraph audit verify`."""
    with one_line_errors():
        replaced = restore_backup(backup_file, store, force)
    if replaced is not None:
        out.print(f"moved the folder that was there to {replaced}")
    out.print(f"restored {backup_file} into {store}; check it with:"
              f" famgraph audit verify --store {store}")
