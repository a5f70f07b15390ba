"""`famgraph generate`: write a synthetic borough's extracts and its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loaders.synthetic import generate_borough
from server.cli.output import one_line_errors, out


def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the borough into.")],
    people: Annotated[int, typer.Option(help="How many people to simulate.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
) -> None:
    """Generate a synthetic borough: one folder per source system, in that system's format."""
    with one_line_errors():
        summary = generate_borough(people=people, seed=seed, out=out_dir)
    out.print(
        f"{summary.residents} residents in {summary.households} households "
        f"({summary.people} people simulated since 2019)"
    )
    for system, count in sorted(summary.records_by_system.items()):
        out.print(f"  {system} ({summary.formats[system]}): {count} person records")
    child = summary.demo_child
    out.print(f"demo child: {child.system}/{child.record_id}")
