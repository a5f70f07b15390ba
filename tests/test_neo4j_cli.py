"""Every store command and the app work against any Neo4j 5 given by URI."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from neo4j import Driver
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.errors import StoreError
from graph.neo4j.store import delete_everything
from server.app import create_app
from server.auth import DEMO_USERS
from server.cli.main import app as cli
from server.policy import Purpose
from server.settings import Mode, Settings
from server.stores import is_loopback, open_store
from tests.test_cli import PEOPLE

pytestmark = pytest.mark.neo4j

ROWS = ("health,H1,Amy,Hart,,female,1990-04-02,,,,1 Alder Road,,Eastbridge,EB1 4QT,,2015-01-01\n"
        "health,H2,Cara,Hart,,female,2016-06-01,,,,1 Alder Road,,Eastbridge,EB1 4QT,,2016-06-01\n")


def test_load_and_serve_against_neo4j(neo4j_server: tuple[str, str, str], neo4j_driver: Driver,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    delete_everything(neo4j_driver)
    uri, user, password = neo4j_server
    monkeypatch.setenv("FAMGRAPH_NEO4J_USER", user)
    monkeypatch.setenv("FAMGRAPH_NEO4J_PASSWORD", password)
    extract = tmp_path / "people.csv"
    extract.write_text(PEOPLE + ROWS)
    result = CliRunner().invoke(cli, ["load", "--store", str(tmp_path / "s"), "--neo4j", uri,
                                      str(extract)])
    assert result.exit_code == 0, result.output
    assert "read 2 = loaded 2 + quarantined 0" in result.output
    assert not (tmp_path / "s" / "graph.sqlite").exists(), "nothing went to the embedded store"

    settings = Settings.from_env(store_dir=tmp_path / "s", mode=Mode.DEMO, neo4j_uri=uri)
    app = create_app(settings)
    with TestClient(app) as client:
        bearer = app.state.auth.issue(DEMO_USERS["sam"], Purpose.MASH_SCREENING)
        found = client.post("/graphql", json={"query": '{ searchPeople(name: "Cara Hart") {'
                                              ' edges { node { person { id household {'
                                              ' members { relationshipToSubject person {'
                                              ' givenNames } } } } } } } }'},
                            headers={"Authorization": f"Bearer {bearer}"}).json()
    (edge,) = found["data"]["searchPeople"]["edges"]
    cara = edge["node"]
    assert cara["person"]["household"]["members"] == [
        {"relationshipToSubject": "unrelated adult", "person": {"givenNames": "Amy"}}]


def test_unreachable_neo4j_is_a_store_error_fast(tmp_path: Path) -> None:
    wrong = "not-it"
    settings = Settings(store_dir=tmp_path, neo4j_uri="bolt://127.0.0.1:1", neo4j_password=wrong)
    with pytest.raises(StoreError, match="cannot reach Neo4j"):
        open_store(settings)


def test_remote_neo4j_must_be_encrypted(tmp_path: Path) -> None:
    settings = Settings(store_dir=tmp_path, neo4j_uri="bolt://db.example.org:7687")
    with pytest.raises(StoreError, match="encrypted"):
        open_store(settings)


def test_every_store_command_works_on_neo4j(neo4j_server: tuple[str, str, str],
                                            neo4j_driver: Driver, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    delete_everything(neo4j_driver)
    uri, user, password = neo4j_server
    monkeypatch.setenv("FAMGRAPH_NEO4J_USER", user)
    monkeypatch.setenv("FAMGRAPH_NEO4J_PASSWORD", password)
    folder = tmp_path / "s"
    on_neo4j = ["--store", str(folder), "--neo4j", uri]
    extract = tmp_path / "people.csv"
    extract.write_text(PEOPLE + ROWS
                       + "school,S1,Cara,Hart,,female,2016-06-01,,,,1 Alder Road,,Eastbridge,"
                         "EB1 4QT,,2016-06-01\n"
                       + "health,,Bob,Lee,,male,2011-01-01,,,,1 Elm Row,,Town,EB1 4QT,,\n")

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, *on_neo4j])
        assert result.exit_code == 0, result.output
        return result.output

    def index() -> dict[str, str]:
        run("export-index", "--out", str(tmp_path / "index.csv"))
        with (tmp_path / "index.csv").open(encoding="utf-8") as handle:
            return {f"{r['system']}/{r['record_id']}": r["person_id"]
                    for r in csv.DictReader(handle)}

    assert "read 4 = loaded 3 + quarantined 1" in run("load", str(extract))
    assert "is required" in run("quarantine")
    run("unlink", "health/H2", "school/S1", "--reason", "two girls, checked", "--by", "kim")
    apart = index()
    assert set(apart) == {"health/H1", "health/H2", "school/S1"}
    assert apart["health/H2"] != apart["school/S1"]
    run("link", "health/H2", "school/S1", "--reason", "one girl after all", "--by", "kim")
    together = index()
    assert together["health/H2"] == together["school/S1"]

    truth = tmp_path / "truth.csv"
    truth.write_text("system,record_id,person_key\nhealth,H1,amy\nhealth,H2,cara\n"
                     "school,S1,cara\n", encoding="utf-8")
    assert json.loads(run("eval-linkage", "--truth", str(truth)))["pairwise"]["recall"] == 1.0
    (tmp_path / "demo.json").write_text(json.dumps({"system": "school", "record_id": "S1"}))
    assert run("demo-person", "--borough", str(tmp_path)).strip() == together["school/S1"]

    assert not (folder / "graph.sqlite").exists(), "nothing went to the embedded store"
    db = sqlite3.connect(folder / "audit.sqlite")
    operations = [json.loads(row)["operation"] for (row,) in db.execute("SELECT row FROM audit")]
    db.close()
    assert {"cli unlink", "cli link"} <= set(operations)


@pytest.mark.parametrize("uri", [
    "bolt://localhost.evil.example:7687", "bolt://x.example/?h=127.0.0.1",
    "bolt://127.0.0.1.example.org", "neo4j://[::2]:7687", "bolt://db.example.org#localhost",
    "bolt://user:localhost@db.example.org", "not a uri at all",
])
def test_only_a_loopback_host_counts_as_this_machine(uri: str) -> None:
    assert not is_loopback(uri)
    with pytest.raises(StoreError, match="encrypted"):
        open_store(Settings(store_dir=Path("unused"), neo4j_uri=uri))


@pytest.mark.parametrize("uri", [
    "bolt://localhost:7687", "bolt://LOCALHOST", "neo4j://127.0.0.1:7687",
    "bolt://127.9.8.7", "bolt://[::1]:7687",
])
def test_loopback_hosts_are_this_machine(uri: str) -> None:
    assert is_loopback(uri)
