"""`famgraph schema`: print the GraphQL SDL, or check schema.graphql against the code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.output import err, out
from server.schema import schema_sdl


def schema(
    check: Annotated[
        Path | None, typer.Option(help="Exit 1 if this file differs from the code's SDL.")
    ] = None,
    write: Annotated[Path | None, typer.Option(help="Write the SDL to this file.")] = None,
) -> None:
    """The SDL clients build against, exported from the code."""
    sdl = schema_sdl()
    if check is not None:
        if not check.exists() or check.read_text() != sdl:
            err.print(f"famgraph: {check} differs from the schema in the code; "
                      f"run: famgraph schema --write {check}")
            raise typer.Exit(1)
        return
    if write is not None:
        write.write_text(sdl)
        return
    out.print(sdl, end="", markup=False)
