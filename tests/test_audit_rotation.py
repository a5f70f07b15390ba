"""Rotating the audit log into sealed segments: verify checks segments and log as one
chain, names what is cut or changed in a segment, and retention leaves a signed start."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from server.audit import AuditLog, anchor_of, verify
from server.audit_rotation import rotate
from server.audit_segments import SEGMENTS_DIR, segments
from server.cli.main import app as cli
from tests.test_audit import row, tamper


def written(path: Path, first: int, last: int, checkpoint_every: int = 5) -> None:
    log = AuditLog(path, checkpoint_every)
    for n in range(first, last + 1, 2):
        log.append([row(k) for k in range(n, min(n + 2, last + 1))])
    log.close()


def test_segments_and_log_verify_as_one_chain_and_writing_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 7)
    first = rotate(path)
    written(path, 8, 12)
    rotate(path)
    written(path, 13, 15)
    assert first.rows == 7 and len(segments(path)) == 2
    assert verify(path) is None
    live = sqlite3.connect(path).execute("SELECT min(seq), max(seq) FROM audit").fetchone()
    assert live == (13, 15)
    log = AuditLog(path)
    # Who looked: rows from every segment and the live log, in order.
    assert [r.person_id for r in log.rows_by("u1")] == [f"p{n}" for n in (1, 4, 7, 10, 13)]
    assert [r.person_id for r in log.rows_by("u1", limit=2, newest_first=True)] == ["p13", "p10"]
    log.close()
    verified = CliRunner().invoke(cli, ["audit", "verify", "--store", str(tmp_path)])
    assert verified.exit_code == 0 and "15 rows" in verified.output


def test_a_changed_or_missing_segment_is_named(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 6)
    rotate(path)
    written(path, 7, 9)
    rotate(path)
    older, newer = segments(path)
    tamper(older, "UPDATE audit SET row = replace(row, 'p3', 'p8') WHERE seq = 3")
    problem = verify(path)
    assert problem is not None and problem.seq == 3 and older.name in problem.reason
    older.unlink()
    problem = verify(path)
    assert problem is not None and problem.seq == 1 and "missing" in problem.reason
    newer.unlink()  # the newest segment gone: the live log no longer follows anything
    assert verify(path) is not None


def test_a_resealed_segment_without_the_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 4)
    rotate(path)
    (segment,) = segments(path)
    tamper(segment, "UPDATE seal SET last_time = '2000-01-01T00:00:00+00:00'")
    problem = verify(path)
    assert problem is not None and "seal" in problem.reason


def test_retention_removes_old_segments_and_leaves_a_signed_start(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 4)
    rotate(path)
    written(path, 5, 8)
    anchored = anchor_of(path)
    later = datetime(2026, 11, 23, 10, tzinfo=UTC) + timedelta(days=40)
    done = rotate(path, keep_days=30, now=later)  # rows are from 2026-11-23: all too old
    assert len(done.removed) == 2 and segments(path) == []
    assert verify(path) is None
    assert anchored is not None and verify(path, anchored) is None
    written(path, 9, 10)
    assert verify(path) is None
    tamper(path, "UPDATE retired SET seq = 3")
    problem = verify(path)
    assert problem is not None and "retired" in problem.reason


def test_a_rotation_stopped_before_removing_rows_still_verifies_and_finishes(
        tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 6)
    copy = tmp_path / "copy.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"VACUUM INTO '{copy}'")
    db.close()
    rotate(path)
    copy.replace(path)  # as if the rows' removal never committed
    assert verify(path) is None
    log = AuditLog(path)
    assert [r.person_id for r in log.rows_about("p3")] == ["p3"]  # once, not twice
    log.close()
    tamper(path, "UPDATE audit SET hash = 'x' || substr(hash, 2) WHERE seq = 6")
    assert verify(path) is not None
    tamper(path, "DELETE FROM audit")
    assert verify(path) is None
    written(path, 7, 8)
    rotate(path)
    assert verify(path) is None and len(list((tmp_path / SEGMENTS_DIR).iterdir())) == 2


def test_rotation_while_the_writer_writes_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    written(path, 1, 10)
    log = AuditLog(path, 5)
    stop = threading.Event()
    failures: list[BaseException] = []
    count = [10]

    async def keep_writing() -> None:
        while not stop.is_set():
            try:
                await log.append_async([row(count[0] + 1)])
                count[0] += 1
            except Exception as exc:
                failures.append(exc)

    writer = threading.Thread(target=lambda: asyncio.run(keep_writing()))
    writer.start()
    try:
        for _ in range(2):
            time.sleep(0.3)
            rotate(path)
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    log.close()
    assert failures == []
    assert verify(path) is None and len(segments(path)) == 2
    reread = AuditLog(path)
    assert len(reread.rows_by("u1")) == len([n for n in range(1, count[0] + 1) if n % 3 == 1])
    reread.close()
