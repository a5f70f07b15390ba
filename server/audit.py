"""The append-only, hash-chained audit log: one row per person whose data left famgraph.

Each row holds the hash of the row before it, so an edit, deletion, reordering or
truncation breaks the chain at the first bad row, and `verify` names it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.errors import FamgraphError

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    row TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_person ON audit(json_extract(row, '$.person_id'));
CREATE INDEX IF NOT EXISTS audit_user ON audit(json_extract(row, '$.user'));
"""


class AuditUnavailable(FamgraphError):
    """Raised when audit rows cannot be written durably; the data must not be returned."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """Identifiers only, never personal values (SECURITY.md 18)."""

    time: str
    user: str
    role: str
    agency: str
    purpose: str
    basis: str
    operation: str
    document_hash: str
    person_id: str
    returned: tuple[str, ...]
    withheld: tuple[str, ...]
    outcome: str
    correlation_id: str


@dataclass(frozen=True, slots=True)
class Tampering:
    seq: int
    reason: str


def _hash(prev_hash: str, row_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{row_json}".encode()).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """Appends rows in one durable transaction per request, chaining each to the last."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def append(self, rows: list[AuditRow]) -> None:
        """Write every row durably or none.

        Raises
        ------
        AuditUnavailable : the rows could not be written; the caller must not return data
        """
        if not rows:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                last = self._db.execute(
                    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (last[0], last[1]) if last else (0, GENESIS)
                for row in rows:
                    seq += 1
                    text = json.dumps(asdict(row), sort_keys=True)
                    digest = _hash(prev, text)
                    self._db.execute(
                        "INSERT INTO audit(seq, row, prev_hash, hash) VALUES (?, ?, ?, ?)",
                        (seq, text, prev, digest),
                    )
                    prev = digest
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise AuditUnavailable(f"audit log {self.path} cannot be written: {exc}") from exc

    def rows_about(self, person_id: str) -> list[AuditRow]:
        """Who looked at this person, oldest first."""
        return self._select("json_extract(row, '$.person_id') = ?", person_id)

    def rows_by(self, user: str) -> list[AuditRow]:
        """Everything this user looked at, oldest first."""
        return self._select("json_extract(row, '$.user') = ?", user)

    def _select(self, where: str, value: str) -> list[AuditRow]:
        query = f"SELECT row FROM audit WHERE {where} ORDER BY seq"  # noqa: S608 - fixed text
        rows = []
        for (text,) in self._db.execute(query, (value,)):
            data = json.loads(text)
            data["returned"], data["withheld"] = tuple(data["returned"]), tuple(data["withheld"])
            rows.append(AuditRow(**data))
        return rows

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM audit").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def verify(path: Path) -> Tampering | None:
    """The first row that breaks the chain, or None if every row is as written.

    Losing the newest rows leaves a valid shorter chain; catching that needs the
    signed checkpoints of SECURITY.md 20, not yet written.
    """
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        prev, expected_seq = GENESIS, 1
        for seq, text, prev_hash, digest in db.execute(
            "SELECT seq, row, prev_hash, hash FROM audit ORDER BY seq"
        ):
            if seq != expected_seq:
                return Tampering(expected_seq, f"row {expected_seq} is missing")
            if prev_hash != prev:
                return Tampering(seq, "does not follow the row before it")
            if _hash(prev_hash, text) != digest:
                return Tampering(seq, "was changed after it was written")
            prev, expected_seq = digest, seq + 1
        return None
    finally:
        db.close()
