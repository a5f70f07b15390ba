"""`famgraph audit`: verify the hash chain; who looked at a person; what a user looked at."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from server.audit import AuditLog, AuditRow, verify
from server.cli.output import err, out

audit = typer.Typer(help="The audit log of every read.", no_args_is_help=True)
StoreDir = Annotated[Path, typer.Option("--store", help="Folder of the store.")]


def _log_path(store: Path) -> Path:
    path = store / "audit.sqlite"
    if not path.exists():
        err.print(f"famgraph: no audit log at {path}")
        raise typer.Exit(1)
    return path


@audit.command("verify")
def verify_command(store: StoreDir) -> None:
    """Exit 1 and name the first bad row if any row was edited, removed or reordered."""
    path = _log_path(store)
    problem = verify(path)
    if problem is not None:
        err.print(f"famgraph: audit log {path}: row {problem.seq} {problem.reason}")
        raise typer.Exit(1)
    log = AuditLog(path)
    out.print(f"audit log intact: {log.count()} rows")
    log.close()


def _print(rows: list[AuditRow]) -> None:
    """One JSON object per row, oldest first: easy to read and to hand to other tools."""
    for row in rows:
        out.print(json.dumps(asdict(row), sort_keys=True), markup=False)


@audit.command("person")
def about_person(store: StoreDir, person_id: str) -> None:
    """Who looked at this person, oldest first."""
    log = AuditLog(_log_path(store))
    _print(log.rows_about(person_id))
    log.close()


@audit.command("user")
def by_user(store: StoreDir, user: str) -> None:
    """Everything this user looked at, oldest first."""
    log = AuditLog(_log_path(store))
    _print(log.rows_by(user))
    log.close()
