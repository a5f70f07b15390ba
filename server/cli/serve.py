"""`famgraph serve`: the API and pages on one address."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from starlette.applications import Starlette

from server.app import create_app, freeze_loaded_heap
from server.cli.output import one_line_errors, out
from server.settings import Mode, Settings


def serve(
    store: Annotated[Path | None, typer.Option("--store", help="Folder of the store.")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    mode: Annotated[Mode | None, typer.Option(help="demo, development or production.")] = None,
    demo_person: Annotated[
        str | None, typer.Option(help="Person id whose pages to print links to.")
    ] = None,
    neo4j: Annotated[
        str | None, typer.Option("--neo4j", help="Serve from this Neo4j (bolt://...).")
    ] = None,
) -> None:
    """Serve GraphQL at /graphql and the pages, until interrupted."""
    settings = Settings.from_env(store_dir=store, host=host, port=port, mode=mode,
                                 neo4j_uri=neo4j)
    with one_line_errors():
        app = create_app(settings)
    freeze_loaded_heap()
    base = f"http://{settings.host}:{settings.port}"
    out.print(f"famgraph ({settings.mode.value} mode) on {base}")
    if settings.mode is not Mode.PRODUCTION:
        out.print(f"  GraphiQL:        {base}/graphql")
    if demo_person:
        out.print(f"  demo child page: {base}/people/{demo_person}")
        out.print(f"  genogram:        {base}/people/{demo_person}/genogram")
    if settings.mode is Mode.DEMO:
        out.print("  sign in as sam (children's social care), jo (school) or ida (audit),"
                  " password: demo")
    uvicorn.Server(server_config(app, settings)).run()


def server_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    """How `famgraph serve` runs the app. Sockets are spoken by the `websockets` package
    (its sans-I/O protocol), named here so that a machine without it fails at start
    rather than refusing every subscription. The event loop and HTTP parser are uvloop's
    and httptools' where installed (they are dependencies: the front-door bench's plain
    endpoint went from 356 to 458 requests a second with them)."""
    # A websocket message is capped like a request body (docs/security.md rule 30): uvicorn's own
    # default is 16 MiB.
    # log_config None: uvicorn keeps the JSON lines `famgraph` set up; its access log is
    # off (it writes query strings), the app writes its own (server.metrics.Observed).
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                          log_config=None, access_log=False,
                          ws="websockets-sansio", ws_max_size=settings.max_request_bytes)
