"""`famgraph backup` while famgraph serves, and `famgraph restore`: the copy verifies, and
holds what the store held."""

from __future__ import annotations

import sqlite3
import tarfile
import threading
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from server.app import create_app
from server.cli.main import app as cli
from server.settings import Mode, Settings
from tests.viewers import access_store, bearer

ASK = """query($id: ID!) { person(id: $id) { displayName household { members { person {
  displayName } } } } }"""


def served(store: Path) -> None:
    """Serve one read, so the folder holds the token secret and an audit log too."""
    with TestClient(create_app(Settings(store_dir=store, mode=Mode.DEVELOPMENT))) as client:
        sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]
        assert client.post("/graphql", json={"query": ASK, "variables": {"id": "kim"}},
                           headers=sam).status_code == 200


def rows(store: Path, table: str) -> int:
    db = sqlite3.connect(store / "audit.sqlite" if table != "users" else store / "users.sqlite")
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def test_a_backup_taken_mid_traffic_restores_and_verifies(tmp_path: Path) -> None:
    store = tmp_path / "store"
    access_store(store, all_families=True)
    graph = EmbeddedStore(store)
    counts = graph.counts()
    person = "kim"
    graph.close()
    backup = tmp_path / "famgraph.tar.gz"
    stop = threading.Event()
    answered: list[int] = []
    app = create_app(Settings(store_dir=store, mode=Mode.DEVELOPMENT))
    with TestClient(app) as client:
        sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]

        def traffic() -> None:
            while not stop.is_set():
                answer = client.post("/graphql", json={"query": ASK,
                                                       "variables": {"id": person}},
                                     headers=sam)
                answered.append(answer.status_code)

        reader = threading.Thread(target=traffic)
        reader.start()
        try:
            while len(answered) < 5:
                stop.wait(0.01)
            taken = CliRunner().invoke(cli, ["backup", "--store", str(store),
                                             "--out", str(backup)])
            during = len(answered)
            while len(answered) < during + 5:  # reads went on after the copy too
                stop.wait(0.01)
        finally:
            stop.set()
            reader.join()
    assert taken.exit_code == 0, taken.output
    assert set(answered) == {200}

    with tarfile.open(backup) as archive:
        names = set(archive.getnames())
    assert {"graph.sqlite", "audit.sqlite", "users.sqlite", "audit.pub"} <= names
    assert "audit.key" not in names and "secret.key" not in names  # not without --with-keys

    restored = tmp_path / "restored"
    put_back = CliRunner().invoke(cli, ["restore", str(backup), "--store", str(restored)])
    assert put_back.exit_code == 0, put_back.output
    copy = EmbeddedStore(restored)
    assert copy.counts() == counts
    copy.close()
    assert 0 < rows(restored, "audit") < rows(store, "audit")
    assert rows(restored, "users") == rows(store, "users")
    verified = CliRunner().invoke(cli, ["audit", "verify", "--store", str(restored)])
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


def test_restore_refuses_a_folder_that_is_not_empty_without_force(tmp_path: Path) -> None:
    store = tmp_path / "store"
    access_store(store, all_families=True)
    served(store)
    backup = tmp_path / "b.tar.gz"
    assert CliRunner().invoke(cli, ["backup", "--store", str(store), "--out", str(backup),
                                    "--with-keys"]).exit_code == 0
    with tarfile.open(backup) as archive:
        assert "secret.key" in archive.getnames()
    refused = CliRunner().invoke(cli, ["restore", str(backup), "--store", str(store)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    (store / "users.sqlite").unlink()  # what --force puts back
    forced = CliRunner().invoke(cli, ["restore", str(backup), "--store", str(store), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (store / "users.sqlite").is_file()
    assert len(list(tmp_path.glob("store.replaced-*"))) == 1  # moved aside, not deleted


def test_a_damaged_backup_is_refused_and_nothing_is_restored(tmp_path: Path) -> None:
    store = tmp_path / "store"
    access_store(store, all_families=True)
    served(store)
    backup = tmp_path / "b.tar.gz"
    assert CliRunner().invoke(cli, ["backup", "--store", str(store),
                                    "--out", str(backup)]).exit_code == 0
    backup.write_bytes(backup.read_bytes()[:-200])
    target = tmp_path / "restored"
    refused = CliRunner().invoke(cli, ["restore", str(backup), "--store", str(target)])
    assert refused.exit_code == 1 and "cannot read backup" in refused.output
    assert not target.exists()


def test_a_backup_carries_each_audit_chain_with_its_public_key(tmp_path: Path) -> None:
    """Processes sharing one Neo4j each keep an audit chain (audit-chains/NAME/) with its own
    keys: a restored copy must verify every chain, so each chain's public key goes too."""
    store = tmp_path / "store"
    access_store(store, all_families=True)
    for chain in ("web-1", "web-2"):
        settings = Settings(store_dir=store, mode=Mode.DEVELOPMENT, audit_chain=chain,
                            audit_checkpoint_rows=1)  # signed at once: each chain has a key
        with TestClient(create_app(settings)) as client:
            sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]
            assert client.post("/graphql", json={"query": ASK, "variables": {"id": "kim"}},
                               headers=sam).status_code == 200
    backup = tmp_path / "famgraph.tar.gz"
    taken = CliRunner().invoke(cli, ["backup", "--store", str(store), "--out", str(backup)])
    assert taken.exit_code == 0, taken.output
    with tarfile.open(backup) as archive:
        names = set(archive.getnames())
    for chain in ("web-1", "web-2"):
        assert {f"audit-chains/{chain}/audit.sqlite", f"audit-chains/{chain}/audit.pub"} <= names
        assert f"audit-chains/{chain}/audit.key" not in names
    restored = tmp_path / "restored"
    put_back = CliRunner().invoke(cli, ["restore", str(backup), "--store", str(restored)])
    assert put_back.exit_code == 0, put_back.output
    verified = CliRunner().invoke(cli, ["audit", "verify", "--store", str(restored)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.count("intact") >= 2, verified.output
