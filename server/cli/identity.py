"""`famgraph link`, `unlink`, `export-index` and `eval-linkage`: people's decisions on
identity, the record-to-person index, and how well linkage scores against known truth."""

from __future__ import annotations

import csv
import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from loaders.identity.decisions import decide
from loaders.identity.evaluate import evaluate_store, resolved_index
from server.audit import AuditLog, AuditRow, now_utc
from server.cli.output import one_line_errors, out
from server.cli.stores import Neo4jUri, StoreDir, opened

Reason = Annotated[str, typer.Option("--reason", help="Why, in words a reviewer can check.")]
By = Annotated[
    str | None, typer.Option("--by", help="Who decided (default: your login name).")
]
RecordA = Annotated[str, typer.Argument(help="A source record, as system/record_id.")]
RecordB = Annotated[str, typer.Argument(help="The other source record.")]


def _audit(store: Path, user: str, operation: str, people: tuple[str, ...]) -> None:
    """A decision changes who a person is: the audit log says who did it and to whom."""
    log = AuditLog(store / "audit.sqlite")
    try:
        log.append(
            [
                AuditRow(
                    time=now_utc(),
                    user=user,
                    role="operator",
                    agency="famgraph",
                    purpose="identity_resolution",
                    basis="data controller's duty to keep records accurate (UK GDPR art. 5(1)(d))",
                    operation=operation,
                    document_hash="",
                    person_id=person,
                    returned=("identity",),
                    withheld=(),
                    outcome="ok",
                    correlation_id="cli",
                )
                for person in people
            ]
        )
    finally:
        log.close()


def _decide(store: Path, neo4j: str | None, a: str, b: str, action: str, reason: str,
            by: str | None) -> None:
    user = by or getpass.getuser()
    with one_line_errors():
        with opened(store, neo4j) as graph:
            outcome = decide(graph, a, b, action, reason, user, date.today())
        _audit(store, user, f"cli {action}", outcome.person_ids)
    people = ", ".join(outcome.person_ids)
    if action == "link":
        out.print(f"linked {a} and {b}: now person {people}")
    else:
        out.print(f"unlinked {a} and {b}: now persons {people}")


def link(store: StoreDir, a: RecordA, b: RecordB, reason: Reason, by: By = None,
         neo4j: Neo4jUri = None) -> None:
    """Say two records are one human; every later load keeps them together."""
    _decide(store, neo4j, a, b, "link", reason, by)


def unlink(store: StoreDir, a: RecordA, b: RecordB, reason: Reason, by: By = None,
           neo4j: Neo4jUri = None) -> None:
    """Say two records are different humans; every later load keeps them apart."""
    _decide(store, neo4j, a, b, "unlink", reason, by)


def export_index(
    store: StoreDir,
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    neo4j: Neo4jUri = None,
) -> None:
    """Write system,record_id,person_id for every source record (identifiers only)."""
    with one_line_errors(), opened(store, neo4j) as graph:
        index = resolved_index(graph)
    with out_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["system", "record_id", "person_id"])
        for key in sorted(index):
            system, _, record_id = key.partition("/")
            writer.writerow([system, record_id, index[key]])
    out.print(f"wrote {len(index)} records of {len(set(index.values()))} people to {out_file}")


def eval_linkage(
    store: StoreDir,
    truth: Annotated[
        Path, typer.Option("--truth", help="CSV of system,record_id,person_key.")
    ],
    neo4j: Neo4jUri = None,
) -> None:
    """Print pairwise precision, recall and F1 and cluster figures as JSON."""
    with one_line_errors(), opened(store, neo4j) as graph:
        figures = evaluate_store(graph, truth)
    print(json.dumps(figures, indent=2))
