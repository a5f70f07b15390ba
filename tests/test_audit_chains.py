"""Audit chains of several famgraph processes (docs/audit.md): each process's log in a
folder of its own with its own key, every row naming its chain, and the `famgraph audit`
commands checking and searching every chain they find."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.audit import AuditLog, AuditRow, AuditUnavailable, audit_path, chains
from server.budget import Budget
from server.cli.main import app as cli


def row(n: int, minute: int) -> AuditRow:
    return AuditRow(time=f"2026-11-23T10:{minute:02d}:00+00:00", user="hv", role="r",
                    agency="a", purpose="mash_screening", basis="b", operation="op",
                    document_hash="d", person_id="fay" if n % 2 else f"p{n}",
                    returned=("identity",), withheld=(), outcome="ok", correlation_id=f"c{n}")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Two chains, web1 and web2, in one store folder (as two processes sharing it, or as
    gathered from two hosts), three rows each, their times interleaved."""
    for chain, minutes in (("web1", (1, 3, 5)), ("web2", (2, 4, 6))):
        log = AuditLog(audit_path(tmp_path, chain), checkpoint_every=2, chain=chain)
        log.append([row(n, minute) for n, minute in enumerate(minutes, 1)])
        log.close()
    return tmp_path


def famgraph(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.output


def test_each_chain_has_its_own_folder_key_and_rows_that_name_it(store: Path) -> None:
    assert chains(store) == {name: store / "audit-chains" / name / "audit.sqlite"
                             for name in ("web1", "web2")}
    keys = {(store / "audit-chains" / name / "audit.pub").read_bytes() for name in chains(store)}
    assert len(keys) == 2
    for name, path in chains(store).items():
        texts = sqlite3.connect(path).execute("SELECT row FROM audit").fetchall()
        assert {json.loads(text)["chain"] for (text,) in texts} == {name}


def test_a_chain_name_that_is_not_a_folder_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditUnavailable, match="chain name"):
        audit_path(tmp_path, "../elsewhere")
    assert audit_path(tmp_path) == tmp_path / "audit.sqlite"


def test_verify_reports_every_chain_and_names_the_one_that_was_changed(store: Path) -> None:
    code, output = famgraph("audit", "verify", "--store", str(store))
    assert code == 0
    assert "audit chain web1 intact: 3 rows" in output
    assert "audit chain web2 intact: 3 rows" in output
    db = sqlite3.connect(store / "audit-chains" / "web2" / "audit.sqlite")
    db.execute("UPDATE audit SET row = replace(row, 'hv', 'xx') WHERE seq = 2")
    db.commit()
    db.close()
    code, output = famgraph("audit", "verify", "--store", str(store))
    assert code == 1
    assert "audit chain web1 intact: 3 rows" in output
    assert "audit chain web2" in output and "row 2" in output
    code, output = famgraph("audit", "verify", "--store", str(store), "--chain", "web1")
    assert code == 0 and "web2" not in output


def test_each_chain_is_held_to_its_own_anchor(store: Path, tmp_path: Path) -> None:
    code, output = famgraph("audit", "anchor", "--store", str(store))
    assert code == 0
    anchors = [json.loads(line) for line in output.splitlines()]
    assert [a["chain"] for a in anchors] == ["web1", "web2"]
    files = []
    for anchor in anchors:
        files += ["--anchor", str(tmp_path / f"{anchor['chain']}.json")]
        (tmp_path / f"{anchor['chain']}.json").write_text(json.dumps(anchor))
    log = AuditLog(audit_path(store, "web2"), chain="web2")
    log.append([row(9, 7)])
    log.close()
    code, output = famgraph("audit", "verify", "--store", str(store), *files)
    assert code == 0 and output.count("reaches the anchor") == 2
    db = sqlite3.connect(store / "audit-chains" / "web1" / "audit.sqlite")
    db.execute("DELETE FROM audit")
    db.execute("DELETE FROM checkpoint")
    db.execute("DELETE FROM head")
    db.commit()
    db.close()
    code, output = famgraph("audit", "verify", "--store", str(store), *files)
    assert code == 1 and "audit chain web1" in output and "anchor" in output
    code, output = famgraph("audit", "verify", "--store", str(store), "--chain", "web2", *files)
    assert code == 1 and "anchor" in output and "web1" in output


def test_who_looked_reads_every_chain_oldest_first(store: Path) -> None:
    code, output = famgraph("audit", "person", "--store", str(store), "fay")
    assert code == 0
    rows = [json.loads(line) for line in output.splitlines()]
    assert [(r["chain"], r["time"][11:16]) for r in rows] == [
        ("web1", "10:01"), ("web2", "10:02"), ("web1", "10:05"), ("web2", "10:06")]


def test_a_budget_shared_by_processes_gives_each_its_share() -> None:
    assert Budget(120).per_minute == 120
    assert Budget(120, 4).per_minute == 30
    assert Budget(3, 4).per_minute == 1
    shared = Budget(120, 4)
    allowed = sum(shared.take("hv", now=0.0) == 0 for _ in range(100))
    assert allowed == 30
