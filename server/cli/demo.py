"""`famgraph demo-person`: the person id of the generator's demo child, once loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graph.embedded import EmbeddedStore
from loaders.identity import record_node_id
from server.cli.output import err, out


def demo_links(
    store: Annotated[Path, typer.Option("--store", help="Folder of the loaded store.")],
    borough: Annotated[Path, typer.Option(help="Folder the borough was generated into.")],
) -> None:
    """Print the person id the demo child's record resolved to."""
    hint = json.loads((borough / "demo.json").read_text())
    graph = EmbeddedStore(store)
    owners = graph.record_owners([record_node_id(f"{hint['system']}/{hint['record_id']}")])
    graph.close()
    if not owners:
        err.print("famgraph: the demo child's record is not in this store; load the borough")
        raise typer.Exit(1)
    out.print(next(iter(owners.values())))
