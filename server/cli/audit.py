"""`famgraph audit`: verify the logs, anchor their heads; who looked at a person; what a
user looked at. A store folder holds one log, or one chain per famgraph process when
several serve one Neo4j (docs/audit.md): each command works on every chain it finds,
or on those named with --chain."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from server.audit import (
    Anchor,
    AuditLog,
    AuditRow,
    anchor_of,
    audit_path,
    chains,
    read_anchor,
    signed_head,
    verify,
)
from server.audit_rotation import rotate
from server.cli.output import err, one_line_errors, out
from server.settings import Settings

audit = typer.Typer(help="The audit log of every read.", no_args_is_help=True)
StoreDir = Annotated[Path, typer.Option("--store", help="Folder of the store.")]
AnchorFiles = Annotated[list[Path] | None, typer.Option(
    "--anchor", help="A head printed earlier by `famgraph audit anchor`: fail if its chain is"
                     " behind it or differs from it, and check every signature against its"
                     " key. Once per chain.")]
ChainNames = Annotated[list[str] | None, typer.Option(
    "--chain", help="Only this audit chain (a process's FAMGRAPH_AUDIT_CHAIN); again for"
                    " more. Default: every chain in the store folder.")]


def _logs(store: Path, only: list[str] | None) -> dict[str, Path]:
    """The chains asked for, by name: every one in the folder, or those named."""
    if only:
        with one_line_errors():
            wanted = {name: audit_path(store, name) for name in only}
        missing = [str(path) for path in wanted.values() if not path.exists()]
        if missing:
            err.print(f"famgraph: no audit log at {', '.join(missing)}")
            raise typer.Exit(1)
        return wanted
    found = chains(store)
    if not found:
        err.print(f"famgraph: no audit log at {audit_path(store)} nor in"
                  f" {store / 'audit-chains'}")
        raise typer.Exit(1)
    return found


def _label(chain: str, path: Path) -> str:
    return f"audit chain {chain} ({path})" if chain else f"audit log {path}"


def _opened(store: Path, only: list[str] | None) -> dict[str, Path]:
    """The logs, once opened: a log an earlier famgraph wrote is taken in first."""
    logs = _logs(store, only)
    with one_line_errors():
        for path in logs.values():
            AuditLog(path).close()
    return logs


def _verified(store: Path, only: list[str] | None, doing: str) -> dict[str, Path]:
    """The logs, once every one verifies; exit 1 naming each problem if any does not."""
    logs = _opened(store, only)
    failed = False
    for chain, path in logs.items():
        problem = verify(path)
        if problem is not None:
            err.print(f"famgraph: {_label(chain, path)} does not verify, so it is not {doing}:"
                      f" {problem}", markup=False)
            failed = True
    if failed:
        raise typer.Exit(1)
    return logs


def _anchors(files: list[Path] | None, logs: dict[str, Path]) -> dict[str, Anchor]:
    """Each anchor by the chain it names; an anchor naming a chain not being verified is
    an error, not something to skip."""
    by_chain: dict[str, Anchor] = {}
    with one_line_errors():
        for file in files or []:
            anchor = read_anchor(file)
            if anchor.chain not in logs:
                named = f"chain {anchor.chain}" if anchor.chain else "the store's one log"
                err.print(f"famgraph: anchor {file} is for {named}, which is not being verified")
                raise typer.Exit(1)
            by_chain[anchor.chain] = anchor
    return by_chain


@audit.command("verify")
def verify_command(store: StoreDir, anchor: AnchorFiles = None, chain: ChainNames = None
                   ) -> None:
    """Check every audit chain (or those named) and report each; exit 1 naming the first
    bad row or review of each chain that was edited, removed or reordered, or is behind its
    anchor."""
    logs = _opened(store, chain)
    pinned = _anchors(anchor, logs)
    failed = False
    for name, path in logs.items():
        problem = verify(path, pinned.get(name))
        if problem is not None:
            err.print(f"famgraph: {_label(name, path)}: {problem}", markup=False)
            failed = True
            continue
        head = signed_head(path)
        rows, reviews = (head.rows, head.reviews) if head else (0, 0)
        since = f", head signed {head.time}" if head else ""
        reached = "" if name not in pinned else f"; reaches the anchor of {pinned[name].head.time}"
        what = f"audit chain {name}" if name else "audit log"
        out.print(f"{what} intact: {rows} rows, {reviews} reviews{since}{reached}",
                  markup=False)
    if failed:
        raise typer.Exit(1)


@audit.command("anchor")
def anchor_command(store: StoreDir, chain: ChainNames = None) -> None:
    """Print each chain's signed head (rows, newest hash, reviews, time, signature, public
    key, chain) as one line of JSON, to keep where the servers cannot write; `verify
    --anchor` holds each chain to its own."""
    logs = _verified(store, chain, "anchored")
    for name, path in logs.items():
        anchor = anchor_of(path, name)
        if anchor is None:
            err.print(f"famgraph: {_label(name, path)} has nothing signed to anchor yet")
            raise typer.Exit(1)
        out.print(anchor.text(), markup=False)


def _print(rows: list[AuditRow]) -> None:
    """One JSON object per row, oldest first: easy to read and to hand to other tools."""
    for row in rows:
        out.print(json.dumps(asdict(row), sort_keys=True), markup=False)


def _across(store: Path, only: list[str] | None, person: str = "", user: str = ""
            ) -> list[AuditRow]:
    """Rows from every chain asked for, merged oldest first (each row names its chain)."""
    found: list[AuditRow] = []
    for path in _logs(store, only).values():
        log = AuditLog(path)
        try:
            found += log.rows_about(person) if person else log.rows_by(user)
        finally:
            log.close()
    return sorted(found, key=lambda row: row.time)


@audit.command("person")
def about_person(store: StoreDir, person_id: str, chain: ChainNames = None) -> None:
    """Who looked at this person, oldest first, across every chain."""
    _print(_across(store, chain, person=person_id))


@audit.command("user")
def by_user(store: StoreDir, user: str, chain: ChainNames = None) -> None:
    """Everything this user looked at, oldest first, across every chain."""
    _print(_across(store, chain, user=user))


@audit.command("rotate")
def rotate_command(
    store: StoreDir,
    keep_days: Annotated[float | None, typer.Option(
        "--keep-days", help="Remove sealed segments whose newest row is older than this many"
                            " days (default FAMGRAPH_AUDIT_KEEP_DAYS; 0 keeps them all).")
    ] = None,
    chain: ChainNames = None,
) -> None:
    """Seal each chain's rows into a signed segment of its own (verify checks segments and
    log as one chain), then remove segments past retention. Run as the account holding the
    keys."""
    logs = _verified(store, chain, "rotated")
    days = Settings.from_env(store_dir=store).audit_keep_days if keep_days is None else keep_days
    for name, path in logs.items():
        with one_line_errors():
            done = rotate(path, days)
        sealed = (f"sealed {done.rows} rows into {done.sealed.name}" if done.sealed
                  else "no rows to seal")
        where = f"chain {name}: " if name else ""
        out.print(f"{where}{sealed}; removed {len(done.removed)} segments past {days:g} days",
                  markup=False)
