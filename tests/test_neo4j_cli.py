"""`famgraph load` and the app work against any Neo4j 5 given by URI."""

from __future__ import annotations

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
from server.stores import open_store
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
