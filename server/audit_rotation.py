"""Rotating the audit log into sealed segments, and removing segments past retention.

`famgraph audit rotate` runs this, from a timer, as the account that holds the signing
key (it signs each seal). It can run while famgraph serves. Rows are never changed once
written, so they are copied into the segment from a read snapshot while the writer goes
on appending; only removing them from the live log takes the write lock, in chunks
short enough that the writer's commits wait milliseconds, never its timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.audit import _SCHEMA, AuditLog, AuditUnavailable, audit_keys, now_utc
from server.audit_segments import (
    RETIRED_SCHEMA,
    SEAL_SCHEMA,
    SEGMENTS_DIR,
    Retired,
    Seal,
    read_retired,
    read_seal,
    sealed_up_to,
    segment_name,
    segments,
)

# Rows removed from the live log per write transaction (some tens of milliseconds).
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Rotation:
    sealed: Path | None  # the new segment, if the log had rows to seal
    rows: int
    removed: tuple[Path, ...]  # segments removed by retention


def rotate(log: Path, keep_days: float = 0.0, now: datetime | None = None) -> Rotation:
    """Seal every row of the live log into a new segment, then remove segments whose
    newest row is older than `keep_days` (0: keep every segment).

    Raises
    ------
    AuditUnavailable : the log cannot be read or written, or the segment written
    """
    AuditLog(log).close()  # a log an earlier famgraph wrote is taken in first
    key = audit_keys(log.parent)
    (log.parent / SEGMENTS_DIR).mkdir(exist_ok=True)
    db = sqlite3.connect(log, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA busy_timeout=30000")
        db.executescript(RETIRED_SCHEMA)
        _remove_sealed(db, log)  # rows a rotation sealed but stopped short of removing
        db.execute("BEGIN")  # a read snapshot: rows up to the newest now, as they are
        try:
            sealed, count = _seal(db, log, key)
        finally:
            db.execute("COMMIT")
        _remove_sealed(db, log)
        removed = _retire(db, log, key, keep_days, now or datetime.now(UTC))
    except sqlite3.Error as exc:
        raise AuditUnavailable(f"audit log {log} cannot be rotated: {exc}") from exc
    finally:
        db.close()
    return Rotation(sealed, count, removed)


def _seal(db: sqlite3.Connection, log: Path, key: Ed25519PrivateKey
          ) -> tuple[Path | None, int]:
    folder = log.parent / SEGMENTS_DIR
    first_last = db.execute("SELECT min(seq), max(seq) FROM audit").fetchone()
    if first_last[0] is None:
        return None, 0
    first, last = int(first_last[0]), int(first_last[1])
    prev_hash, first_text = db.execute(
        "SELECT prev_hash, row FROM audit WHERE seq = ?", (first,)).fetchone()
    last_hash, last_text = db.execute(
        "SELECT hash, row FROM audit WHERE seq = ?", (last,)).fetchone()
    unsigned = Seal(first, last, prev_hash, last_hash, json.loads(first_text)["time"],
                    json.loads(last_text)["time"])
    seal = dataclasses.replace(unsigned, signature=key.sign(unsigned.statement()).hex())
    final = folder / segment_name(first, last)
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)
    segment = sqlite3.connect(partial, isolation_level=None)
    try:
        segment.execute("PRAGMA synchronous=FULL")
        segment.executescript(_SCHEMA + SEAL_SCHEMA)
        segment.execute("BEGIN")
        segment.executemany("INSERT INTO audit(seq, row, prev_hash, hash) VALUES (?,?,?,?)",
                            db.execute("SELECT seq, row, prev_hash, hash FROM audit"
                                       " WHERE seq <= ? ORDER BY seq", (last,)))
        segment.executemany("INSERT INTO checkpoint(seq, hash, time, signature) VALUES (?,?,?,?)",
                            db.execute("SELECT seq, hash, time, signature FROM checkpoint"
                                       " WHERE seq <= ?", (last,)))
        segment.execute("INSERT INTO seal VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                        (seal.first, seal.last, seal.prev_hash, seal.hash, seal.first_time,
                         seal.last_time, seal.signature))
        segment.execute("COMMIT")
    finally:
        segment.close()
    os.replace(partial, final)
    _sync(folder)
    return final, last - first + 1


def _remove_sealed(db: sqlite3.Connection, log: Path) -> None:
    """Remove from the live log the rows the newest segment holds, oldest first, a chunk
    per transaction. Sealed and durable first, removed after: a rotation stopped between
    leaves rows in both, which verify accepts (the live log's older rows must end where
    the seal ends), who-looked questions read once, and the next rotation removes."""
    sealed = sealed_up_to(log)
    while True:
        oldest = db.execute("SELECT min(seq) FROM audit").fetchone()[0]
        if oldest is None or oldest > sealed:
            return
        upto = min(sealed, oldest + _CHUNK - 1)
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM audit WHERE seq <= ?", (upto,))
        db.execute("DELETE FROM checkpoint WHERE seq <= ?", (upto,))
        db.execute("COMMIT")


def _retire(db: sqlite3.Connection, log: Path, key: Ed25519PrivateKey, keep_days: float,
            now: datetime) -> tuple[Path, ...]:
    if keep_days <= 0:
        return ()
    cutoff = (now - timedelta(days=keep_days)).isoformat()
    expired: list[tuple[Path, Seal]] = []
    for file in segments(log):
        segment = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            seal = read_seal(segment)
        finally:
            segment.close()
        if seal is None or seal.last_time >= cutoff:
            break  # oldest first: the chain may only lose its beginning
        expired.append((file, seal))
    if not expired:
        return ()
    newest = expired[-1][1]
    before = read_retired(db)
    if before is None or before.seq < newest.last:
        unsigned = Retired(newest.last, newest.hash, now_utc())
        db.execute("INSERT OR REPLACE INTO retired VALUES (1, ?, ?, ?, ?)", (
            unsigned.seq, unsigned.hash, unsigned.time,
            key.sign(unsigned.statement()).hex()))
    for file, _ in expired:  # after the statement: a file left behind is skipped, not missed
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
    return tuple(file for file, _ in expired)


def _sync(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
