"""The `famgraph` command: every command registered here, each in its own module."""

from __future__ import annotations

import typer

from server.cli.audit import audit
from server.cli.backup import backup, restore
from server.cli.demo import demo_links
from server.cli.generate import generate
from server.cli.identity import eval_linkage, export_index, link, unlink
from server.cli.load import load, quarantine
from server.cli.mapping import mapping
from server.cli.schema import schema
from server.cli.serve import serve
from server.cli.stores import migrate
from server.cli.users import token, users
from server.logging_json import configure_logging
from server.settings import Settings

app = typer.Typer(
    name="famgraph",
    help="Family-context graph for children's services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks can carry personal data; never print them
)


@app.callback()
def logs() -> None:
    """Every command logs JSON lines to standard error (FAMGRAPH_LOG_LEVEL)."""
    configure_logging(Settings.from_env().log_level)


app.command()(generate)
app.command()(load)
app.command()(quarantine)
app.command()(serve)
app.command()(schema)
app.command("demo-person")(demo_links)
app.command()(token)
app.command()(link)
app.command()(unlink)
app.command("export-index")(export_index)
app.command("eval-linkage")(eval_linkage)
app.command()(backup)
app.command()(restore)
app.command()(migrate)
app.add_typer(audit, name="audit")
app.add_typer(users, name="users")
app.add_typer(mapping, name="mapping")

if __name__ == "__main__":
    app()
