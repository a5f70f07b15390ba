"""`famgraph mapping`: write and try a mapping.toml before loading anything."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from loaders.formats.canonical_doc import render
from loaders.mapping import MAPPING_FILE, preview
from loaders.mapping_suggest import suggest as suggest_mapping
from server.cli.output import one_line_errors, out

mapping = typer.Typer(help="Write and try a mapping from a council CSV to canonical columns.",
                      no_args_is_help=True)


@mapping.command()
def check(
    path: Annotated[Path, typer.Argument(help=f"A {MAPPING_FILE}, or the folder holding it.")],
    rows: Annotated[int, typer.Option(min=1, help="How many records of each file.")] = 5,
) -> None:
    """Show each file's first records beside what the mapping makes of them, with every
    warning and refusal a load would give; nothing is written."""
    folder = path if path.is_dir() else path.parent
    refused = 0
    with one_line_errors():
        for shown in preview(folder, rows, date.today()):
            table = Table("source column", "source value", "canonical column", "value",
                          title=f"{Path(shown.file).name} as {shown.kind}, row {shown.row}"
                          + (" (refused)" if shown.refused else ""), title_justify="left")
            sources = list(shown.source.items())
            targets = [(k, v) for k, v in shown.fields.items() if v]
            for number in range(max(len(sources), len(targets))):
                source = sources[number] if number < len(sources) else ("", "")
                target = targets[number] if number < len(targets) else ("", "")
                table.add_row(source[0], source[1].replace("\n", " / "), *target)
            out.print(table)
            for number, problem in enumerate(shown.problems):
                severity = "refused" if shown.refused and number == 0 else "warning"
                out.print(f"  {severity}: row {problem.row}, {problem.field}: {problem.reason}",
                          markup=False)
            refused += shown.refused
    if refused:
        out.print(f"{refused} of the records shown would be refused")


@mapping.command()
def suggest(
    path: Annotated[Path, typer.Argument(help="A council CSV file.")],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Read it as this canonical kind (repeatable); default: "
                     "guessed from the header."),
    ] = None,
) -> None:
    """Print a mapping.toml proposed from the file's header and first rows, to edit."""
    with one_line_errors():
        out.print(suggest_mapping(path, kind), end="", markup=False)


@mapping.command()
def columns() -> None:
    """Print every canonical kind, column and allowed value (docs/canonical-columns.md)."""
    out.print(render(), end="", markup=False)
