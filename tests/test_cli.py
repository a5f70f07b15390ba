"""The command line: one line per problem, non-zero exit, and every command exercised."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from server.app import create_app
from server.auth import DEMO_USERS
from server.cli.main import app as cli
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ("system,record_id,given_names,family_name,other_names,sex,birth_date,death_date,"
          "nhs_number,upn,address_line1,address_line2,town,postcode,uprn,address_from\n")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_quarantine_lists_each_refused_row(tmp_path: Path) -> None:
    extract = tmp_path / "people.csv"
    extract.write_text(PEOPLE
                       + "health,H1,Ann,Lee,,female,2010-01-01,,,,1 Elm Row,,Town,EB1 4QT,,\n"
                       + "health,,Bob,Lee,,male,2011-01-01,,,,1 Elm Row,,Town,EB1 4QT,,\n"
                       + "health,H3,Cy,Lee,,male,2012-01-01,,9434765918,,1 Elm Row,,Town,"
                       + "EB1 4QT,,\n"
                       )
    code, output = run("load", "--store", str(tmp_path / "s"), str(extract))
    assert code == 0 and "read 3 = loaded 2 + quarantined 1" in output
    code, output = run("quarantine", "--store", str(tmp_path / "s"), "--warnings")
    assert code == 0
    assert "record_id" in output and "is required" in output
    assert "nhs_number" in output and "modulus 11" in output


def test_load_of_missing_path_is_one_line_and_exit_1(tmp_path: Path) -> None:
    code, output = run("load", "--store", str(tmp_path / "s"), str(tmp_path / "nope"))
    assert code == 1
    # One line for people; the log line beside it (JSON, for the log collector) names
    # the failure's class, not the path.
    said = [line for line in output.splitlines() if not line.startswith("{")]
    logged = [line for line in output.splitlines() if line.startswith("{")]
    assert len(said) == 1 and "no such file or folder" in said[0]
    assert len(logged) == 1 and '"outcome": "failed"' in logged[0] and "nope" not in logged[0]


def test_audit_verify_passes_then_names_tampered_row(tmp_path: Path) -> None:
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path)
    store.write(FAMILIES["twins"]())
    store.close()
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEMO))
    with TestClient(app) as client:
        bearer = app.state.auth.issue(DEMO_USERS["jo"], Purpose.EARLY_HELP)
        client.post("/graphql", json={"query": '{ person(id: "vic") { household {'
                                      ' members { person { id } } } } }'},
                    headers={"Authorization": f"Bearer {bearer}"})
    code, output = run("audit", "verify", "--store", str(tmp_path))
    assert code == 0 and "3 rows" in output
    code, output = run("audit", "person", "--store", str(tmp_path), "wes")
    assert code == 0 and "jo" in output and "early_help" in output
    code, output = run("audit", "user", "--store", str(tmp_path), "jo")
    assert code == 0 and "vic" in output
    db = sqlite3.connect(tmp_path / "audit.sqlite")
    db.execute("UPDATE audit SET seq = 9 WHERE seq = 2")
    db.commit()
    db.close()
    code, output = run("audit", "verify", "--store", str(tmp_path))
    assert code == 1 and "row 2" in output


def test_generate_writes_a_borough(tmp_path: Path) -> None:
    code, output = run("generate", "--out", str(tmp_path), "--people", "200", "--seed", "3")
    assert code == 0 and "residents" in output and "demo child" in output
    assert (tmp_path / "social_care" / "mapping.toml").exists()
    assert "social_care (mapped)" in output and "health (fhir)" in output


def test_serve_refuses_a_corrupt_store_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "graph.sqlite").write_bytes(b"this is not a database" * 100)
    code, output = run("serve", "--store", str(tmp_path), "--port", "1")
    assert code == 1 and "cannot open store file" in output and "Traceback" not in output


def test_every_command_is_named_by_some_test() -> None:
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    commands = [c.name or c.callback.__name__ for c in cli.registered_commands]  # type: ignore[union-attr]
    commands += [g.name for g in cli.registered_groups if g.name]
    assert [c for c in commands if f'"{c}"' not in tests] == []


def test_migrate_brings_an_older_store_file_to_this_schema_and_says_so(tmp_path: Path) -> None:
    from graph.embedded import EmbeddedStore, durability
    from graph.errors import StoreError
    from graph.store import GraphBatch

    store = EmbeddedStore(tmp_path)
    for make in FAMILIES.values():
        store.write(make())
    held = store.counts()
    store.close()
    db = sqlite3.connect(tmp_path / "graph.sqlite")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    old = EmbeddedStore(tmp_path)
    with pytest.raises(StoreError, match=f"famgraph migrate --store {tmp_path}"):
        old.write(GraphBatch())  # its indexes would miss nodes: refused until migrated
    old.close()
    code, output = run("migrate", "--store", str(tmp_path))
    assert code == 0 and f"{sum(held.values()):,} nodes and edges" in output
    version = sqlite3.connect(tmp_path / "graph.sqlite").execute(
        "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(durability.SCHEMA_VERSION),)
    code, again = run("migrate", "--store", str(tmp_path))
    assert code == 0 and again == output
