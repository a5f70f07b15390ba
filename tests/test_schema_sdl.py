"""schema.graphql is the contract clients build against; it must equal the code's SDL."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from server.cli.main import app
from server.schema import schema_sdl

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_code() -> None:
    assert (ROOT / "schema.graphql").read_text() == schema_sdl(), (
        "schema.graphql is stale: run `famgraph schema --write schema.graphql`"
    )


def test_schema_check_command_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(schema_sdl().replace("householdHistory", "x") + "type Stale { a: Int }\n")
    result = CliRunner().invoke(app, ["schema", "--check", str(stale)])
    assert result.exit_code == 1
    assert CliRunner().invoke(app, ["schema", "--check", str(ROOT / "schema.graphql")]
                              ).exit_code == 0


def test_every_schema_field_is_named_by_some_test() -> None:
    """The surface test: a field no test mentions is a field nobody checked."""
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    fields = set(re.findall(r"^\s+(\w+)(?:\(|:)", schema_sdl(), re.MULTILINE))
    unnamed = sorted(f for f in fields if f not in tests)
    assert unnamed == []
