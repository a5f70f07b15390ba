"""`famgraph load` and `famgraph quarantine`: put extracts in a store, see what was refused."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from loaders.identity import STAGES
from loaders.pipeline import load_extract
from loaders.registry import plan
from server.cli.output import err, one_line_errors, out
from server.cli.stores import Neo4jUri, StoreDir, open_from, opened
from server.metrics import record_load

# How `famgraph load` names the model that resolved identities (LoadLog.detail["model_used"]).
MODEL_USED = {
    "trained": "linked by a model trained on this load",
    "stored": "linked by the store's last trained model",
    "default": "linked by famgraph's default model",
    "rules": "linked by the deterministic rules",
}


def load(
    store: StoreDir,
    paths: Annotated[list[Path], typer.Argument(help="Extract files or folders, any format.")],
    format_name: Annotated[
        str | None,
        typer.Option("--format", help="Read every path as this format instead of detecting."),
    ] = None,
    partial: Annotated[
        bool, typer.Option(help="Only some records: do not end what the load lacks.")
    ] = False,
    neo4j: Neo4jUri = None,
) -> None:
    """Load extracts in one all-or-nothing batch; print read = loaded + quarantined."""
    started = time.time()
    with one_line_errors(), reported(store, started):
        files = [path for _, path in plan(paths, format_name, skipped=_say_skipped)]
        graph = open_from(store, neo4j)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress:
                task = progress.add_task("reading", total=len(files))

                def advance(path: Path) -> None:
                    progress.update(task, advance=1, description=f"reading {path.name}")

                # Identity resolution is the long part of a large load: one step per stage.
                identities = progress.add_task("identities", total=len(STAGES), visible=False,
                                               start=False)

                def stage(name: str) -> None:
                    progress.update(task, visible=False)
                    progress.start_task(identities)  # its clock starts when reading ends
                    done = STAGES.index(name) if name in STAGES else 0
                    progress.update(identities, completed=done, visible=True,
                                    description=f"identities: {name}")

                log = load_extract(
                    graph, paths, format_name=format_name, partial=partial, progress=advance,
                    identity_progress=stage,
                )
        finally:
            graph.close()
        record_load(store, started, log)
    out.print(
        f"read {log.read} = loaded {log.loaded} + quarantined {log.quarantined}"
        f" ({len(log.warnings)} warnings: values dropped, or ends inferred for closed"
        " involvements;"
        f" {log.detail.get('records', 0)} person records as {log.detail.get('people', 0)} people;"
        f" {log.detail.get('ended', 0)} facts ended as no longer in their system's extract)"
    )
    if log.detail.get("model_used"):
        out.print(f"identities: {MODEL_USED.get(str(log.detail['model_used']), 'linked')}"
                  f" ({log.detail.get('model_reason', '')})")
    if log.quarantined or log.warnings:
        out.print(f"see them with: famgraph quarantine --store {store}"
                  + (f" --neo4j {neo4j}" if neo4j else "")
                  + (" --warnings" if log.warnings else ""))


def _say_skipped(path: Path, why: str) -> None:
    err.print(f"skipped {path}: {why}")


@contextlib.contextmanager
def reported(store: Path, started: float) -> Iterator[None]:
    """A load that fails is recorded as failed (metric and log line) before its error
    is printed; the store is as it was."""
    try:
        yield
    except BaseException as exc:
        record_load(store, started, None, exc)
        raise


def quarantine(
    store: StoreDir,
    neo4j: Neo4jUri = None,
    warnings: Annotated[
        bool, typer.Option(help="Also list values dropped with a warning.")
    ] = False,
) -> None:
    """List every row refused by every load, with file, row, field and reason."""
    with one_line_errors(), opened(store, neo4j) as graph:
        logs = graph.load_logs()
    table = Table("severity", "file", "row", "field", "reason")
    shown = 0
    for log in logs:
        items = [("rejected", r) for r in log.rejections]
        items += [("warning", r) for r in log.warnings] if warnings else []
        for severity, item in items:
            table.add_row(severity, item.file, str(item.row), item.field, item.reason)
            shown += 1
    if shown:
        out.print(table)
    else:
        out.print("nothing quarantined")
