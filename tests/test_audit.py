"""The audit log's tamper evidence: hash chain, signed checkpoints, signed head."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.audit import HEAD_FILE, AuditLog, AuditRow, verify
from server.cli.main import app as cli


def row(n: int) -> AuditRow:
    return AuditRow(time="2026-11-23T10:00:00+00:00", user=f"u{n % 3}", role="r", agency="a",
                    purpose="mash_screening", basis="b", operation="op", document_hash="d",
                    person_id=f"p{n}", returned=("identity",), withheld=(), outcome="ok",
                    correlation_id=f"c{n}")


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Twelve rows in four writes, a signed checkpoint every five rows."""
    log = AuditLog(tmp_path / "audit.sqlite", checkpoint_every=5)
    for start in (1, 4, 7, 10):
        log.append([row(n) for n in range(start, start + 3)])
    log.close()
    return tmp_path / "audit.sqlite"


def tamper(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def test_untouched_log_verifies(log_path: Path) -> None:
    assert verify(log_path) is None
    checkpoints = sqlite3.connect(log_path).execute("SELECT seq FROM checkpoint").fetchall()
    assert checkpoints == [(5,), (10,)]


def test_edited_row_is_named(log_path: Path) -> None:
    tamper(log_path, "UPDATE audit SET row = replace(row, 'p6', 'p9') WHERE seq = 6")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 6 and "changed" in problem.reason


def test_edited_row_with_recomputed_chain_is_caught_by_checkpoint(log_path: Path) -> None:
    """An editor who rehashes every later row still cannot re-sign the checkpoint."""
    import hashlib

    db = sqlite3.connect(log_path)
    rows = db.execute("SELECT seq, row FROM audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, text in rows:
        if seq == 3:
            text = text.replace("p3", "p8")
        digest = hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
        db.execute("UPDATE audit SET row = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   (text, prev, digest, seq))
        prev = digest
    db.commit()
    db.close()
    problem = verify(log_path)
    assert problem is not None and problem.seq == 5 and "checkpoint" in problem.reason


def test_deleted_row_is_named(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM audit WHERE seq = 4")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 4 and "missing" in problem.reason


def test_reordered_rows_are_named(log_path: Path) -> None:
    tamper(log_path, "UPDATE audit SET seq = -1 WHERE seq = 7",
           "UPDATE audit SET seq = 7 WHERE seq = 8", "UPDATE audit SET seq = 8 WHERE seq = -1")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 7


def _truncation_is_caught(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM audit WHERE seq > 11")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 12 and "missing" in problem.reason


def test_truncated_newest_rows_are_caught_by_the_signed_head(log_path: Path) -> None:
    _truncation_is_caught(log_path)


def test_truncation_past_a_checkpoint_is_caught_even_without_the_head(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM audit WHERE seq > 6", "DELETE FROM head")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 7


def test_forged_head_is_refused(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM audit WHERE seq > 11", "UPDATE head SET seq = 11")
    problem = verify(log_path)
    assert problem is not None and "signature" in problem.reason


def test_a_deleted_head_is_reported(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM head")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 12 and "head is gone" in problem.reason


def test_each_write_replaces_the_head_in_the_same_transaction(log_path: Path) -> None:
    db = sqlite3.connect(log_path)
    head = db.execute("SELECT seq, hash FROM head").fetchall()
    newest = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchall()
    db.close()
    assert head == newest and head[0][0] == 12


def _as_before_heads_moved(path: Path) -> None:
    """What an earlier famgraph left: the same log, its signed head in a file instead."""
    db = sqlite3.connect(path)
    seq, digest, stamp, signature = db.execute(
        "SELECT seq, hash, time, signature FROM head").fetchone()
    db.execute("DROP TABLE head")
    db.commit()
    db.close()
    (path.parent / HEAD_FILE).write_text(
        json.dumps({"seq": seq, "hash": digest, "time": stamp, "signature": signature}))


def test_a_log_with_its_head_in_a_file_verifies_and_still_catches_truncation(
        log_path: Path) -> None:
    _as_before_heads_moved(log_path)
    assert verify(log_path) is None
    _truncation_is_caught(log_path)


def test_opening_a_log_takes_its_head_file_in(log_path: Path) -> None:
    _as_before_heads_moved(log_path)
    log = AuditLog(log_path)
    log.close()
    assert not (log_path.parent / HEAD_FILE).exists()
    assert verify(log_path) is None
    _truncation_is_caught(log_path)


def test_a_newer_head_file_from_an_older_famgraph_replaces_the_head_in_the_log(
        log_path: Path) -> None:
    """The log was opened by this famgraph, then an older one wrote more rows and its
    head file, then this one opened it again."""
    db = sqlite3.connect(log_path)
    stale = db.execute("SELECT seq, hash, time, signature FROM head").fetchone()
    db.close()
    log = AuditLog(log_path)
    log.append([row(100)])
    log.close()
    _as_before_heads_moved(log_path)  # the newer head, now in a file
    db = sqlite3.connect(log_path)
    db.execute("CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT"
               " NULL, hash TEXT NOT NULL, time TEXT NOT NULL, signature TEXT NOT NULL)")
    db.execute("INSERT INTO head VALUES (1, ?, ?, ?, ?)", stale)
    db.commit()
    db.close()
    AuditLog(log_path).close()
    assert verify(log_path) is None


def test_rows_appended_without_the_key_are_caught(log_path: Path) -> None:
    tamper(log_path, "INSERT INTO audit(seq, row, prev_hash, hash) SELECT 13, row, hash, hash"
                     " FROM audit WHERE seq = 12")
    problem = verify(log_path)
    assert problem is not None and problem.seq == 13


@pytest.mark.parametrize("statement", [
    "UPDATE audit SET row = replace(row, 'u1', 'u2') WHERE seq = 4",
    "DELETE FROM audit WHERE seq = 9",
    "DELETE FROM audit WHERE seq = 12",
])
def test_audit_verify_command_exits_non_zero_naming_the_row(log_path: Path,
                                                             statement: str) -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", "--store", str(log_path.parent)])
    assert result.exit_code == 0 and "12 rows" in result.output
    tamper(log_path, statement)
    result = CliRunner().invoke(cli, ["audit", "verify", "--store", str(log_path.parent)])
    assert result.exit_code == 1 and "row " in result.output


def test_newest_first_queries_are_limited(log_path: Path) -> None:
    log = AuditLog(log_path)
    assert [r.person_id for r in log.rows_by("u1", limit=2, newest_first=True)] == ["p10", "p7"]
    assert [r.person_id for r in log.rows_about("p4")] == ["p4"]
    log.close()


def test_concurrent_requests_share_commits_and_keep_one_whole_chain(tmp_path: Path) -> None:
    import asyncio

    log = AuditLog(tmp_path / "audit.sqlite", checkpoint_every=7)

    async def requests() -> None:
        await asyncio.gather(*(log.append_async([row(n), row(n + 1000)]) for n in range(40)))

    asyncio.run(requests())
    assert log.count() == 80
    log.append([row(5000)])  # the synchronous path continues the same chain
    log.close()
    assert verify(tmp_path / "audit.sqlite") is None
    people = {r for (r,) in sqlite3.connect(tmp_path / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id') FROM audit")}
    assert people == {f"p{n}" for n in range(40)} | {f"p{n + 1000}" for n in range(40)} | {
        "p5000"}


def _people(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [p for (p,) in db.execute(
            "SELECT json_extract(row, '$.person_id') FROM audit ORDER BY seq")]
    finally:
        db.close()


def _refuse_rows(path: Path, refuse: bool) -> None:
    """A real write failure inside the writer process: the log itself refuses rows."""
    db = sqlite3.connect(path)
    if refuse:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON audit"
                   " BEGIN SELECT RAISE(ABORT, 'disk controller reset'); END")
    else:
        db.execute("DROP TRIGGER refuse")
    db.commit()
    db.close()


def test_every_waiting_request_fails_when_the_log_cannot_be_written_and_the_writer_goes_on(
    tmp_path: Path,
) -> None:
    import asyncio

    from server.audit import AuditUnavailable

    log = AuditLog(tmp_path / "audit.sqlite")

    async def requests() -> tuple[list[BaseException | None], BaseException | None]:
        await log.append_async([row(0)])  # the writer is up
        _refuse_rows(log.path, True)
        failed = await asyncio.gather(*(log.append_async([row(n)]) for n in range(1, 6)),
                                      return_exceptions=True)
        _refuse_rows(log.path, False)
        after = await asyncio.gather(log.append_async([row(9)]), return_exceptions=True)
        return failed, after[0]

    failed, after = asyncio.run(requests())
    assert all(isinstance(o, AuditUnavailable) for o in failed), failed
    assert all("disk controller reset" in str(o) for o in failed)
    assert after is None
    assert _people(log.path) == ["p0", "p9"]
    log.close()
    assert verify(log.path) is None

    async def after_close() -> None:
        await log.append_async([row(3)])

    with pytest.raises(AuditUnavailable):
        asyncio.run(after_close())


def test_a_request_waiting_when_the_writer_dies_fails_and_the_next_starts_a_new_writer(
    tmp_path: Path,
) -> None:
    import asyncio
    import os
    import signal

    from server.audit import AuditUnavailable

    log = AuditLog(tmp_path / "audit.sqlite")

    async def requests() -> tuple[BaseException | None, int, int]:
        await log.append_async([row(0)])
        first = log._pipes[asyncio.get_running_loop()].pid
        os.kill(first, signal.SIGSTOP)  # it holds the request, then dies with it
        waiting = asyncio.ensure_future(log.append_async([row(1)]))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        os.kill(first, signal.SIGKILL)
        outcome = (await asyncio.gather(waiting, return_exceptions=True))[0]
        await log.append_async([row(2)])
        return outcome, first, log._pipes[asyncio.get_running_loop()].pid

    outcome, first, second = asyncio.run(requests())
    assert isinstance(outcome, AuditUnavailable) and "stopped" in str(outcome)
    assert second != first
    assert _people(log.path) == ["p0", "p2"]
    log.close()
    assert verify(log.path) is None


def test_a_writer_that_stops_answering_is_given_up_and_the_next_request_gets_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import os
    import signal

    from server import audit
    from server.audit import AuditUnavailable

    monkeypatch.setattr(audit, "AUDIT_WAIT_SECONDS", 0.5)
    log = AuditLog(tmp_path / "audit.sqlite")

    async def requests() -> tuple[BaseException | None, int, int]:
        await log.append_async([row(0)])
        stuck = log._pipes[asyncio.get_running_loop()].pid
        os.kill(stuck, signal.SIGSTOP)  # alive, holding the pipe, answering nothing
        try:
            outcome = (await asyncio.gather(log.append_async([row(1)]),
                                            return_exceptions=True))[0]
            await log.append_async([row(2)])
            return outcome, stuck, log._pipes[asyncio.get_running_loop()].pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stuck, signal.SIGKILL)

    outcome, stuck, fresh = asyncio.run(requests())
    assert isinstance(outcome, AuditUnavailable) and "in time" in str(outcome)
    assert fresh != stuck
    assert _people(log.path) == ["p0", "p2"]
    log.close()
    assert verify(log.path) is None


def test_a_log_dropped_without_close_stops_its_writer(tmp_path: Path) -> None:
    import asyncio
    import gc
    import os

    log = AuditLog(tmp_path / "audit.sqlite")

    async def request(log: AuditLog) -> int:
        await log.append_async([row(0)])
        return log._pipes[asyncio.get_running_loop()].pid

    pid = asyncio.run(request(log))
    os.kill(pid, 0)  # running
    del log
    gc.collect()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped


def test_a_row_is_written_as_all_its_fields() -> None:
    row = AuditRow(time="t", user="sam", role="social_worker", agency="csc",
                   purpose="mash_screening", basis="b", operation="q", document_hash="d",
                   person_id="p", returned=("identity", "sources"), withheld=("upn",),
                   outcome="ok", correlation_id="c", break_glass=True)
    assert row.as_dict() == dataclasses.asdict(row)
    assert json.dumps(row.as_dict(), sort_keys=True) == json.dumps(dataclasses.asdict(row),
                                                                   sort_keys=True)


def test_rows_with_awkward_text_are_stored_exactly_as_hashed(tmp_path: Path) -> None:
    """Rows travel into SQLite inside one JSON array: escapes must come back unchanged."""
    awkward = 'q"uote \\back\\slash\nnew line é 🙂 \u2028 \x00'
    log = AuditLog(tmp_path / "audit.sqlite")
    log.append([dataclasses.replace(row(1), correlation_id=awkward, person_id="p-awkward"),
                row(2)])
    found = log.rows_about("p-awkward")
    log.close()
    assert [r.correlation_id for r in found] == [awkward]
    assert verify(tmp_path / "audit.sqlite") is None
