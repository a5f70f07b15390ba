"""`famgraph audit`: verify the log, anchor its head; who looked at a person; what a user
looked at."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from server.audit import AuditLog, AuditRow, anchor_of, read_anchor, signed_head, verify
from server.audit_rotation import rotate
from server.cli.output import err, one_line_errors, out
from server.settings import Settings

audit = typer.Typer(help="The audit log of every read.", no_args_is_help=True)
StoreDir = Annotated[Path, typer.Option("--store", help="Folder of the store.")]
AnchorFile = Annotated[Path | None, typer.Option(
    "--anchor", help="A head printed earlier by `famgraph audit anchor`: fail if the log is"
                     " behind it or differs from it, and check every signature against its"
                     " key.")]


def _log_path(store: Path) -> Path:
    path = store / "audit.sqlite"
    if not path.exists():
        err.print(f"famgraph: no audit log at {path}")
        raise typer.Exit(1)
    return path


def _opened(store: Path) -> Path:
    """The log's path, once opened: a log an earlier famgraph wrote is taken in first."""
    path = _log_path(store)
    with one_line_errors():
        AuditLog(path).close()
    return path


def _verified(store: Path, doing: str) -> Path:
    """The log's path, once it verifies; exit 1 naming the problem if it does not."""
    path = _opened(store)
    problem = verify(path)
    if problem is not None:
        err.print(f"famgraph: audit log {path} does not verify, so it is not {doing}:"
                  f" {problem}", markup=False)
        raise typer.Exit(1)
    return path


@audit.command("verify")
def verify_command(store: StoreDir, anchor: AnchorFile = None) -> None:
    """Exit 1 and name the first bad row or review if any was edited, removed or reordered,
    or if the log is behind the anchor."""
    path = _opened(store)
    with one_line_errors():
        pinned = None if anchor is None else read_anchor(anchor)
    problem = verify(path, pinned)
    if problem is not None:
        err.print(f"famgraph: audit log {path}: {problem}", markup=False)
        raise typer.Exit(1)
    head = signed_head(path)
    rows, reviews = (head.rows, head.reviews) if head else (0, 0)
    since = f", head signed {head.time}" if head else ""
    reached = "" if pinned is None else f"; reaches the anchor of {pinned.head.time}"
    out.print(f"audit log intact: {rows} rows, {reviews} reviews{since}{reached}",
              markup=False)


@audit.command("anchor")
def anchor_command(store: StoreDir) -> None:
    """Print the log's signed head (rows, newest hash, reviews, time, signature, public key)
    as one line of JSON, to keep where the server cannot write; `verify --anchor` holds the
    log to it."""
    path = _verified(store, "anchored")
    anchor = anchor_of(path)
    if anchor is None:
        err.print(f"famgraph: audit log {path} has nothing signed to anchor yet")
        raise typer.Exit(1)
    out.print(anchor.text(), markup=False)


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


@audit.command("rotate")
def rotate_command(
    store: StoreDir,
    keep_days: Annotated[float | None, typer.Option(
        "--keep-days", help="Remove sealed segments whose newest row is older than this many"
                            " days (default FAMGRAPH_AUDIT_KEEP_DAYS; 0 keeps them all).")
    ] = None,
) -> None:
    """Seal the log's rows into a signed segment (verify checks segments and log as one
    chain), then remove segments past retention. Run as the account holding the key."""
    path = _verified(store, "rotated")
    days = Settings.from_env(store_dir=store).audit_keep_days if keep_days is None else keep_days
    with one_line_errors():
        done = rotate(path, days)
    sealed = (f"sealed {done.rows} rows into {done.sealed.name}" if done.sealed
              else "no rows to seal")
    out.print(f"{sealed}; removed {len(done.removed)} segments past {days:g} days", markup=False)
