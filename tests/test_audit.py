"""The audit log's tamper evidence: hash chains of rows and reviews, signed checkpoints,
a signed head, and anchors kept outside the log."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from server.audit import HEAD_FILE, AuditLog, AuditRow, Review, signed_head, verify
from server.cli.main import app as cli


def row(n: int) -> AuditRow:
    return AuditRow(time="2026-11-23T10:00:00+00:00", user=f"u{n % 3}", role="r", agency="a",
                    purpose="mash_screening", basis="b", operation="op", document_hash="d",
                    person_id=f"p{n}", returned=("identity",), withheld=(), outcome="ok",
                    correlation_id=f"c{n}")


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Twelve rows in four writes, a signed checkpoint every five rows, and two reviews
    (after rows 6 and 12)."""
    log = AuditLog(tmp_path / "audit.sqlite", checkpoint_every=5)
    for start in (1, 4, 7, 10):
        log.append([row(n) for n in range(start, start + 3)])
        if start in (4, 10):
            log.raise_review("break_glass", f"u{start}", "1h: child admitted with injuries")
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


def _as_an_earlier_famgraph_left_it(path: Path, head_in_file: bool) -> None:
    """The same log as an earlier famgraph wrote it: head and checkpoints signing one
    statement, reviews not chained, and (before heads moved into the log) its head in a
    file of its own."""
    key = Ed25519PrivateKey.from_private_bytes((path.parent / "audit.key").read_bytes())

    def signed(seq: int, digest: str, stamp: str) -> str:
        return key.sign(f"famgraph-audit\n{seq}\n{digest}\n{stamp}".encode()).hex()

    db = sqlite3.connect(path)
    for seq, digest, stamp in db.execute("SELECT seq, hash, time FROM checkpoint").fetchall():
        db.execute("UPDATE checkpoint SET signature = ? WHERE seq = ?",
                   (signed(seq, digest, stamp), seq))
    seq, digest, stamp = db.execute("SELECT seq, hash, time FROM head").fetchone()
    db.execute("DROP TABLE head")
    if head_in_file:
        (path.parent / HEAD_FILE).write_text(json.dumps(
            {"seq": seq, "hash": digest, "time": stamp, "signature": signed(seq, digest, stamp)}))
    else:
        db.execute("CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT"
                   " NULL, hash TEXT NOT NULL, time TEXT NOT NULL, signature TEXT NOT NULL)")
        db.execute("INSERT INTO head VALUES (1, ?, ?, ?, ?)",
                   (seq, digest, stamp, signed(seq, digest, stamp)))
    db.execute("ALTER TABLE review DROP COLUMN prev_hash")
    db.execute("ALTER TABLE review DROP COLUMN hash")
    db.commit()
    db.close()


@pytest.mark.parametrize("head_in_file", [True, False], ids=["head file", "head in log"])
def test_a_log_an_earlier_famgraph_wrote_is_taken_in_when_first_opened(
        log_path: Path, head_in_file: bool) -> None:
    _as_an_earlier_famgraph_left_it(log_path, head_in_file)
    AuditLog(log_path).close()
    assert not (log_path.parent / HEAD_FILE).exists()
    assert verify(log_path) is None
    assert [r.kind for r in _reviews_of(log_path)] == ["break_glass", "break_glass"]
    tamper(log_path, "DELETE FROM review")  # now chained and under the head
    problem = verify(log_path)
    assert problem is not None and problem.what == "review" and problem.seq == 1


def test_verify_does_not_trust_an_earlier_famgraphs_head_before_the_log_is_opened(
        log_path: Path) -> None:
    """Its head signed what checkpoints sign: it could be a checkpoint copied in."""
    _as_an_earlier_famgraph_left_it(log_path, head_in_file=True)
    problem = verify(log_path)
    assert problem is not None and "earlier famgraph" in problem.reason


def test_truncation_is_caught_in_a_log_taken_in_from_an_earlier_famgraph(
        log_path: Path) -> None:
    _as_an_earlier_famgraph_left_it(log_path, head_in_file=True)
    AuditLog(log_path).close()
    _truncation_is_caught(log_path)


@pytest.mark.parametrize("hide_head", [
    "DELETE FROM head",
    "DROP TABLE head",  # to pass for a log from before heads moved into it
])
def test_a_checkpoint_copied_into_a_head_file_is_not_taken_in(log_path: Path,
                                                               hide_head: str) -> None:
    """Head files are taken in once, from a log an earlier famgraph wrote; a checkpoint of
    this famgraph's signs a statement no head file held."""
    seq, digest, stamp, signature = sqlite3.connect(log_path).execute(
        "SELECT seq, hash, time, signature FROM checkpoint WHERE seq = 10").fetchone()
    tamper(log_path, "DELETE FROM audit WHERE seq > 10", hide_head)
    (log_path.parent / HEAD_FILE).write_text(
        json.dumps({"seq": seq, "hash": digest, "time": stamp, "signature": signature}))
    AuditLog(log_path).close()
    problem = verify(log_path)
    assert problem is not None and problem.seq in (10, 11)


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


def _reviews_of(path: Path) -> list[Review]:
    log = AuditLog(path)
    try:
        return log.reviews()[::-1]
    finally:
        log.close()


def _cut_back_to_checkpoint(path: Path, seq: int) -> None:
    """What a tester did: the rows after a checkpoint deleted, the checkpoint's signed text
    copied into the head."""
    tamper(path, f"DELETE FROM audit WHERE seq > {seq}",
           f"DELETE FROM checkpoint WHERE seq > {seq}",
           "UPDATE head SET (seq, hash, time, signature) = (SELECT seq, hash, time, signature"
           f" FROM checkpoint WHERE seq = {seq})")


@pytest.mark.parametrize("checkpoint", [5, 10])
def test_a_log_cut_back_to_a_checkpoint_with_the_checkpoint_as_its_head_is_caught(
        log_path: Path, checkpoint: int) -> None:
    _cut_back_to_checkpoint(log_path, checkpoint)
    problem = verify(log_path)
    assert problem is not None and "signed head" in problem.reason


def test_head_and_checkpoint_sign_different_statements(log_path: Path) -> None:
    from server.audit import Head, _checkpoint, _signature_ok

    public = Ed25519PrivateKey.from_private_bytes(
        (log_path.parent / "audit.key").read_bytes()).public_key()
    seq, digest, stamp, signature = sqlite3.connect(log_path).execute(
        "SELECT seq, hash, time, signature FROM checkpoint WHERE seq = 10").fetchone()
    assert _signature_ok(public, signature, _checkpoint(seq, digest, stamp))
    as_head = Head(seq, digest, 1, "0" * 64, stamp, signature)
    assert not as_head.signed_by(public)
    head = signed_head(log_path)
    assert head is not None and head.signed_by(public)
    assert (head.rows, head.reviews) == (12, 2)
    assert not _signature_ok(public, head.signature, _checkpoint(head.rows, head.hash, head.time))


def _write_more(path: Path) -> None:
    log = AuditLog(path, checkpoint_every=5)
    log.append([row(99)])
    log.close()


def test_rows_cut_from_the_end_stay_missing_after_the_next_write(log_path: Path) -> None:
    """The writer goes on from the signed head, not from whatever the table ends with."""
    tamper(log_path, "DELETE FROM audit WHERE seq > 11")
    _write_more(log_path)
    problem = verify(log_path)
    assert problem is not None and problem.seq == 12 and "missing" in problem.reason


def test_rows_added_without_the_key_stay_caught_after_the_next_write(log_path: Path) -> None:
    tamper(log_path, "INSERT INTO audit(seq, row, prev_hash, hash) SELECT 13, row, hash, hash"
                     " FROM audit WHERE seq = 12")
    _write_more(log_path)
    problem = verify(log_path)
    assert problem is not None and problem.seq in (13, 14)


@pytest.mark.parametrize("hide", [
    "DELETE FROM head",
    "UPDATE head SET seq = 11, hash = (SELECT hash FROM audit WHERE seq = 11)",  # forged
])
def test_a_cut_behind_a_removed_or_forged_head_stays_caught_after_the_next_write(
        log_path: Path, hide: str) -> None:
    tamper(log_path, "DELETE FROM audit WHERE seq > 11", hide)
    _write_more(log_path)
    problem = verify(log_path)
    assert problem is not None and problem.seq == 12 and "removed or forged" in problem.reason


def test_deleting_every_review_is_caught(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM review")
    problem = verify(log_path)
    assert problem is not None and (problem.what, problem.seq) == ("review", 1)
    assert "missing" in problem.reason


def test_an_edited_review_is_named(log_path: Path) -> None:
    tamper(log_path, "UPDATE review SET detail = 'routine check' WHERE id = 1")
    problem = verify(log_path)
    assert problem is not None and (problem.what, problem.seq) == ("review", 1)
    assert "changed" in problem.reason


def test_a_deleted_review_is_named(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM review WHERE id = 1")
    problem = verify(log_path)
    assert problem is not None and str(problem) == "review 1 is missing"


def test_a_review_added_without_the_key_is_caught(log_path: Path) -> None:
    tamper(log_path, "INSERT INTO review SELECT 3, time, kind, user, detail, hash, hash"
                     " FROM review WHERE id = 2")
    problem = verify(log_path)
    assert problem is not None and (problem.what, problem.seq) == ("review", 3)


def test_reviews_cut_from_the_end_stay_missing_after_the_next_write(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM review WHERE id = 2")
    _write_more(log_path)
    log = AuditLog(log_path)
    log.raise_review("many_people", "u1", "51 distinct people within 10 minutes")
    log.close()
    problem = verify(log_path)
    assert problem is not None and str(problem) == "review 2 is missing"


def test_the_server_hands_reviews_to_the_writer_and_never_reads_the_signing_key(
        tmp_path: Path) -> None:
    import asyncio

    log = AuditLog(tmp_path / "audit.sqlite", checkpoint_every=3)

    async def serving() -> None:
        await log.append_async([row(1)])
        waiting = asyncio.ensure_future(log.append_async([row(2), row(3)]))
        log.raise_review("break_glass", "u1", "1h: child admitted with injuries")  # sync
        await asyncio.gather(waiting, log.append_async([row(4)]))
        log.raise_review("many_people", "u1", "51 distinct people within 10 minutes")

    asyncio.run(serving())
    assert log._key is None
    assert [r.kind for r in log.reviews()] == ["many_people", "break_glass"]
    log.close()
    assert verify(tmp_path / "audit.sqlite") is None
    head = signed_head(tmp_path / "audit.sqlite")
    assert head is not None and (head.rows, head.reviews) == (4, 2)


def test_a_review_the_writer_cannot_take_fails_and_the_next_gets_another_writer(
        tmp_path: Path) -> None:
    import asyncio
    import os
    import signal

    from server.audit import AuditUnavailable

    log = AuditLog(tmp_path / "audit.sqlite")

    async def serving() -> BaseException | None:
        await log.append_async([row(1)])
        os.kill(log._pipes[asyncio.get_running_loop()].pid, signal.SIGKILL)
        try:
            log.raise_review("break_glass", "u1", "1h: child admitted with injuries")
        except AuditUnavailable as exc:
            failed: BaseException | None = exc
        else:
            failed = None
        log.raise_review("break_glass", "u2", "1h: child admitted with injuries")
        return failed

    failed = asyncio.run(serving())
    assert isinstance(failed, AuditUnavailable)
    assert [r.user for r in log.reviews()] == ["u2"]
    log.close()
    assert verify(tmp_path / "audit.sqlite") is None


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", *args])
    return result.exit_code, result.output


def _anchor(path: Path) -> Path:
    code, printed = run("anchor", "--store", str(path.parent))
    assert code == 0, printed
    file = path.parent.parent / f"anchor-{path.parent.name}.json"
    file.write_text(printed)
    return file


def test_anchor_prints_the_signed_head_and_the_log_verifies_against_it(log_path: Path) -> None:
    anchor = _anchor(log_path)
    printed = json.loads(anchor.read_text())
    assert (printed["rows"], printed["reviews"]) == (12, 2)
    assert {"hash", "time", "signature", "public_key"} <= set(printed)
    _write_more(log_path)
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 0 and "13 rows, 2 reviews" in output and "reaches the anchor" in output


def test_a_log_put_back_to_an_earlier_signed_head_is_caught_by_a_later_anchor(
        log_path: Path) -> None:
    """The one cut no signature inside the log can catch: rows, reviews and head all
    put back as they were (a copy of the file, or a head saved and restored)."""
    saved = sqlite3.connect(log_path).execute(
        "SELECT seq, hash, time, signature, reviews, review_hash FROM head").fetchone()
    _write_more(log_path)
    anchor = _anchor(log_path)
    tamper(log_path, "DELETE FROM audit WHERE seq > 12",
           "UPDATE head SET (seq, hash, time, signature, reviews, review_hash) ="
           f" ({', '.join(repr(v) for v in saved)})")
    code, _ = run("verify", "--store", str(log_path.parent))
    assert code == 0  # whole and signed: only the anchor knows it went further
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and output.strip().count("\n") == 0
    assert "row 13 and later rows are missing: the anchor" in output


@pytest.mark.parametrize("emptied", [
    ("DELETE FROM audit", "DELETE FROM checkpoint", "DELETE FROM head", "DELETE FROM review"),
    ("DROP TABLE audit", "DROP TABLE checkpoint", "DROP TABLE head", "DROP TABLE review"),
], ids=["rows deleted", "tables dropped"])
def test_an_emptied_log_is_intact_without_an_anchor_and_fails_against_one(
        log_path: Path, emptied: tuple[str, ...]) -> None:
    anchor = _anchor(log_path)
    tamper(log_path, *emptied)
    code, output = run("verify", "--store", str(log_path.parent))
    assert code == 0 and "0 rows" in output
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and output.strip().count("\n") == 0
    assert "row 1 and later rows are missing" in output


def test_reviews_deleted_after_the_anchor_with_the_head_signed_again_fail_against_it(
        log_path: Path) -> None:
    """Even if the writer (holding the key) signs a log whose reviews are gone."""
    anchor = _anchor(log_path)
    tamper(log_path, "DELETE FROM review", "DELETE FROM head", "DELETE FROM audit",
           "DELETE FROM checkpoint")
    _write_more(log_path)
    assert verify(log_path) is None
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and "missing: the anchor" in output


def test_a_log_rewritten_and_signed_with_a_new_key_fails_against_the_anchor(
        log_path: Path) -> None:
    """Whoever can write the store folder can put their own key beside the log; the anchor
    holds the key that signed it."""
    anchor = _anchor(log_path)
    people = _people(log_path)
    for name in ("audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm", "audit.key",
                 "audit.pub"):
        (log_path.parent / name).unlink(missing_ok=True)
    log = AuditLog(log_path, checkpoint_every=5)
    log.append([dataclasses.replace(row(1), person_id=p) for p in people if p != "p6"])
    log.append([row(13)])
    log.close()
    assert verify(log_path) is None
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and output.strip().count("\n") == 0


def test_a_log_with_a_different_row_at_the_anchored_row_fails_against_it(
        log_path: Path) -> None:
    """The anchored row was rewritten and the log re-signed (by someone holding the key)."""
    anchor = _anchor(log_path)
    people = _people(log_path)
    key = log_path.parent / "audit.key"
    kept = key.read_bytes()
    for name in ("audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm"):
        (log_path.parent / name).unlink(missing_ok=True)
    assert key.read_bytes() == kept
    log = AuditLog(log_path, checkpoint_every=5)
    log.append([dataclasses.replace(row(1), person_id=p) for p in people])
    log.raise_review("break_glass", "u4", "1h: child admitted with injuries")
    log.raise_review("break_glass", "u10", "1h: child admitted with injuries")
    log.close()
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and "is not what it was when anchored" in output


def test_an_anchor_not_signed_by_its_own_key_is_refused_in_one_line(log_path: Path) -> None:
    anchor = _anchor(log_path)
    forged = json.loads(anchor.read_text())
    forged["rows"] = 3
    anchor.write_text(json.dumps(forged))
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and output.strip().count("\n") == 0 and "not signed" in output
    anchor.write_text("not json")
    code, output = run("verify", "--store", str(log_path.parent), "--anchor", str(anchor))
    assert code == 1 and output.strip().count("\n") == 0 and "cannot be read" in output


def test_anchor_refuses_a_log_that_does_not_verify(log_path: Path) -> None:
    tamper(log_path, "DELETE FROM review WHERE id = 1")
    code, output = run("anchor", "--store", str(log_path.parent))
    assert code == 1 and "review 1 is missing" in output and "famgraph-audit" not in output


def test_a_new_signing_key_is_read_only(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    log.append([row(1)])
    log.close()
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o400


def test_the_writer_warns_when_it_could_change_the_signing_key(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Tests run as one user, so the key is always within reach here."""
    import asyncio

    log = AuditLog(tmp_path / "audit.sqlite")
    asyncio.run(log.append_async([row(1)]))
    log.close()
    warned = capfd.readouterr().err
    assert "famgraph audit writer: warning: " in warned
    assert f"{tmp_path / 'audit.key'} is writable by this process" in warned
    assert "docs/audit.md" in warned


def test_a_key_another_user_owns_in_a_folder_this_one_cannot_write_is_not_exposed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from server.audit import audit_keys, key_exposure

    audit_keys(tmp_path)
    assert key_exposure(tmp_path) is not None
    owner = (tmp_path / "audit.key").stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert key_exposure(tmp_path) is None
