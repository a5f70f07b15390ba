"""`famgraph demo-person`: the person id of the generator's demo child, once loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from loaders.identity import record_node_id
from server.cli.output import err, one_line_errors, out
from server.cli.stores import Neo4jUri, StoreDir, opened


def demo_links(
    store: StoreDir,
    borough: Annotated[Path, typer.Option(help="Folder the borough was generated into.")],
    neo4j: Neo4jUri = None,
) -> None:
    """Print the person id the demo child's record resolved to."""
    hint = json.loads((borough / "demo.json").read_text())
    with one_line_errors(), opened(store, neo4j) as graph:
        owners = graph.record_owners([record_node_id(f"{hint['system']}/{hint['record_id']}")])
    if not owners:
        err.print("famgraph: the demo child's record is not in this store; load the borough")
        raise typer.Exit(1)
    out.print(next(iter(owners.values())))
