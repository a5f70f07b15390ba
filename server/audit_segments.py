"""Sealed segments of the audit log: older rows moved out of `audit.sqlite`, each segment
signed, and the record of segments removed by retention (docs/audit.md).

A segment is an SQLite file in `audit-segments/` beside the log, named for the first and
last row it holds, with the rows exactly as they were chained (each still holding the
hash of the row before it), their checkpoints, and a seal: first and last row, the hash
the first row follows, the last row's hash, the times of the first and last rows, and an
Ed25519 signature over all of that. The segments and the live log make one chain: each
segment's first row follows the last row of the segment before; the live log's first
row follows the newest segment's last.

Retention removes whole segments, oldest first, and writes in the live log a signed
`retired` statement naming the last row removed and its hash, so the chain still starts
somewhere signed: a segment removed without it is rows missing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SEGMENTS_DIR = "audit-segments"
_NAME = re.compile(r"audit-(\d{12})-(\d{12})\.sqlite")

SEAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS seal (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    first_time TEXT NOT NULL,
    last_time TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""
RETIRED_SCHEMA = """
CREATE TABLE IF NOT EXISTS retired (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Seal:
    """What a segment holds, signed: rows `first`..`last`, following `prev_hash`."""

    first: int
    last: int
    prev_hash: str
    hash: str
    first_time: str
    last_time: str
    signature: str = ""

    def statement(self) -> bytes:
        return (f"famgraph-audit seal\n{self.first}\n{self.last}\n{self.prev_hash}\n"
                f"{self.hash}\n{self.first_time}\n{self.last_time}").encode()


@dataclass(frozen=True, slots=True)
class Retired:
    """Rows up to `seq` (the last with `hash`) were removed by retention at `time`."""

    seq: int
    hash: str
    time: str
    signature: str = ""

    def statement(self) -> bytes:
        return f"famgraph-audit retired\n{self.seq}\n{self.hash}\n{self.time}".encode()


def signature_holds(public: Ed25519PublicKey | None, signature: str, statement: bytes) -> bool:
    if public is None:
        return False
    try:
        public.verify(bytes.fromhex(signature), statement)
    except (InvalidSignature, ValueError):
        return False
    return True


def segment_name(first: int, last: int) -> str:
    return f"audit-{first:012d}-{last:012d}.sqlite"


def segments(log: Path) -> list[Path]:
    """The segment files beside the log `log`, oldest first."""
    folder = log.parent / SEGMENTS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.fullmatch(p.name))


def sealed_up_to(log: Path) -> int:
    """The last row the newest segment holds (by its name), or 0 if there is none."""
    found = segments(log)
    match = _NAME.fullmatch(found[-1].name) if found else None
    return int(match.group(2)) if match else 0


def read_seal(db: sqlite3.Connection) -> Seal | None:
    try:
        found = db.execute("SELECT first, last, prev_hash, hash, first_time, last_time,"
                           " signature FROM seal").fetchone()
    except sqlite3.Error:
        return None
    return None if found is None else Seal(*found)


def read_retired(db: sqlite3.Connection) -> Retired | None:
    try:
        found = db.execute("SELECT seq, hash, time, signature FROM retired").fetchone()
    except sqlite3.Error:
        return None  # a log never rotated has no such table
    return None if found is None else Retired(*found)
