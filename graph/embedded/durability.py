"""SQLite on disk: the embedded store's durable copy of every committed batch."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from graph.changes import Change, decode_change, encode_change
from graph.errors import StoreError, StoreLocked
from graph.model import EDGE_TYPES, NODE_TYPES, Edge, Node, decode, encode
from graph.store import GraphBatch, LoadLog, Rejection

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    committed_at TEXT NOT NULL,
    nodes INTEGER NOT NULL,
    edges INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    data TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches(seq)
);
CREATE TABLE IF NOT EXISTS edges (
    key TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    data TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches(seq)
);
CREATE INDEX IF NOT EXISTS edges_src ON edges(src);
CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst);
CREATE TABLE IF NOT EXISTS loads (
    batch INTEGER PRIMARY KEY REFERENCES batches(seq),
    source TEXT NOT NULL,
    read INTEGER NOT NULL,
    loaded INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    detail TEXT NOT NULL
);
-- What each load learned for followers; `people` lets a follower's question use an index.
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch INTEGER NOT NULL REFERENCES batches(seq),
    recorded_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS change_people (
    person_id TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES changes(seq),
    PRIMARY KEY (person_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    batch INTEGER NOT NULL REFERENCES batches(seq),
    severity TEXT NOT NULL CHECK (severity IN ('rejected', 'warning')),
    file TEXT NOT NULL,
    row INTEGER NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL
);
-- A load's rejections are read by batch (every load log, every request asking "as of").
CREATE INDEX IF NOT EXISTS quarantine_batch ON quarantine(batch);
"""


class Durable:
    """One SQLite file in WAL mode with full fsync: a returned `commit` survives kill -9."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            # isolation_level=None: transactions are begun and ended explicitly below.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store file {path}: {exc}") from exc

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"store file {self.path} has schema {row[0]}, this famgraph reads {SCHEMA_VERSION}"
            )

    def commit(self, batch: GraphBatch) -> int:
        """Write the batch in one transaction; return its sequence number."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreLocked(
                f"store file {self.path} is being written by another process"
            ) from exc
        try:
            cursor = self._db.execute(
                "INSERT INTO batches(committed_at, nodes, edges) VALUES (?, ?, ?)",
                (datetime.now(UTC).isoformat(), len(batch.nodes), len(batch.edges)),
            )
            seq = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT OR REPLACE INTO nodes(id, label, data, batch) VALUES (?, ?, ?, ?)",
                ((n.id, n.label, json.dumps(encode(n)), seq) for n in batch.nodes),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO edges(key, type, src, dst, data, batch)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                ((e.key, e.type, e.src, e.dst, json.dumps(encode(e)), seq) for e in batch.edges),
            )
            if batch.log is not None:
                self._write_log(seq, batch.log)
            for change in batch.changes:
                number = self._db.execute(
                    "INSERT INTO changes(batch, recorded_at, data) VALUES (?, ?, ?)",
                    (seq, change.recorded_at, encode_change(change)),
                ).lastrowid
                self._db.executemany(
                    "INSERT OR IGNORE INTO change_people(person_id, seq) VALUES (?, ?)",
                    [(person_id, number) for person_id in change.people],
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return seq

    def _write_log(self, seq: int, log: LoadLog) -> None:
        self._db.execute(
            "INSERT INTO loads(batch, source, read, loaded, quarantined, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (seq, log.source, log.read, log.loaded, log.quarantined, json.dumps(dict(log.detail))),
        )
        self._db.executemany(
            "INSERT INTO quarantine(batch, severity, file, row, field, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(seq, "rejected", r.file, r.row, r.field, r.reason) for r in log.rejections]
            + [(seq, "warning", r.file, r.row, r.field, r.reason) for r in log.warnings],
        )

    def nodes(self, after_batch: int = 0) -> Iterator[Node]:
        """Nodes last written by a batch numbered above `after_batch`, in batch order."""
        rows = self._db.execute(
            "SELECT label, data FROM nodes WHERE batch > ? ORDER BY batch, rowid", (after_batch,)
        )
        for label, data in rows:
            yield decode(NODE_TYPES[label], json.loads(data))

    def edges(self, after_batch: int = 0) -> Iterator[Edge]:
        """Edges last written by a batch numbered above `after_batch`, in batch order."""
        rows = self._db.execute(
            "SELECT type, data FROM edges WHERE batch > ? ORDER BY batch, rowid", (after_batch,)
        )
        for kind, data in rows:
            yield decode(EDGE_TYPES[kind], json.loads(data))

    def changes(
        self, after: int, first: int, person_ids: list[str] | None, since: str | None
    ) -> list[Change]:
        """Committed changes above `after`, oldest first (see `Store.changes`)."""
        # The people travel as one JSON parameter, so the statement is fixed text.
        rows = self._db.execute(
            "SELECT c.seq, c.data FROM changes c WHERE c.seq > ?"
            " AND (? IS NULL OR c.recorded_at >= ?)"
            " AND (? IS NULL OR c.seq IN (SELECT p.seq FROM change_people p"
            "      WHERE p.person_id IN (SELECT value FROM json_each(?))))"
            " ORDER BY c.seq LIMIT ?",
            (after, since, since, None if person_ids is None else 1,
             json.dumps(person_ids or []), max(first, 0)),
        ).fetchall()
        return [decode_change(data, seq) for seq, data in rows]

    def last_change(self) -> int:
        row = self._db.execute("SELECT max(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def last_batch(self) -> int:
        row = self._db.execute("SELECT max(seq) FROM batches").fetchone()
        return int(row[0] or 0)

    def data_version(self) -> int:
        """Changes whenever another connection commits; cheap enough to ask on every read."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def load_logs(self) -> list[LoadLog]:
        logs = []
        rows = self._db.execute(
            "SELECT batch, source, read, loaded, quarantined, detail FROM loads ORDER BY batch"
        ).fetchall()
        for seq, source, read, loaded, quarantined, detail in rows:
            kept: dict[str, list[Rejection]] = {"rejected": [], "warning": []}
            for severity, *where in self._db.execute(
                "SELECT severity, file, row, field, reason FROM quarantine WHERE batch = ?"
                " ORDER BY rowid",
                (seq,),
            ):
                kept[severity].append(Rejection(*where))
            logs.append(
                LoadLog(
                    source,
                    read,
                    loaded,
                    quarantined,
                    tuple(kept["rejected"]),
                    tuple(kept["warning"]),
                    json.loads(detail),
                )
            )
        return logs

    def close(self) -> None:
        self._db.close()

