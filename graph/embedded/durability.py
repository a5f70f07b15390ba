"""SQLite on disk: the embedded store of record, every committed batch and the indexes its
questions read by."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.changes import Change, decode_change, encode_change
from graph.embedded.keys import KEYED_LABELS, keys_of, name_forms_of
from graph.errors import StoreError, StoreLocked
from graph.model import EDGE_TYPES, NODE_TYPES, Edge, Node, decode, encode
from graph.store import GraphBatch, LoadLog, Rejection

# 1: nodes, edges, loads, changes, quarantine. 2: adds node_keys, name_forms and
# nodes_label, which let the store answer from disk instead of holding the graph in memory.
# 3: source records keyed by their linkage blocks too (the keys are indexed again).
SCHEMA_VERSION = 3
# Nodes decoded and indexed at a time when an older store file is migrated.
MIGRATE_CHUNK = 20_000

log = logging.getLogger(__name__)

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

# Schema 2: what each question looks nodes up by (graph.embedded.keys), written with the node.
_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS node_keys (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (kind, key, id)
) WITHOUT ROWID;
-- A rewritten node's old keys are found by its id.
CREATE INDEX IF NOT EXISTS node_keys_id ON node_keys(id);
CREATE TABLE IF NOT EXISTS name_forms (
    form TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (form, word)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_label ON nodes(label, id);
"""


# The types as placeholders, not a json_each list: SQLite would read that list again at
# every step of the walk (20 times slower at four steps).
_WITHIN = """
WITH RECURSIVE walk(id, steps) AS (
    VALUES (?, 0)
    UNION SELECT e.dst, walk.steps + 1 FROM walk JOIN edges e ON e.src = walk.id
        WHERE walk.steps < ? AND e.type IN (?, ?, ?)
    UNION SELECT e.src, walk.steps + 1 FROM walk JOIN edges e ON e.dst = walk.id
        WHERE walk.steps < ? AND e.type IN (?, ?, ?)
)
SELECT DISTINCT id FROM walk
"""


# json.dumps's output, without its check for values that contain themselves: an encoded
# node holds only lists, dicts and plain values, and a load encodes every node it writes.
_to_json = json.JSONEncoder(check_circular=False).encode


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
            # Questions read indexes and a few rows at random: keep 64 MB of pages, not 2.
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store file {path}: {exc}") from exc

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.executescript(_KEYS_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )
        elif int(row[0]) not in (1, 2, SCHEMA_VERSION):
            raise StoreError(
                f"store file {self.path} has schema {row[0]}, this famgraph reads {SCHEMA_VERSION}"
            )

    def behind(self) -> bool:
        """Whether the file is at an older schema than this famgraph reads (`migrate`)."""
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return row is not None and int(row[0]) < SCHEMA_VERSION

    def migrate(self) -> None:
        """Index every node a schema-1 or schema-2 store holds, in one transaction; a store
        already at the current schema is left alone, and one killed part way is still at
        its old schema after."""
        if not self.behind():
            return
        self._db.executescript(_KEYS_SCHEMA)
        with self._writing():
            if not self.behind():
                return  # another process migrated it while this one waited
            log.info("migrating store file %s to schema %d", self.path, SCHEMA_VERSION)
            self._db.execute("DELETE FROM node_keys")
            rows = self._db.execute(
                "SELECT label, data FROM nodes WHERE label IN (SELECT value FROM json_each(?))",
                (json.dumps(KEYED_LABELS),))
            # In pieces: a borough's nodes decoded at once would hold gigabytes.
            while chunk := rows.fetchmany(MIGRATE_CHUNK):
                self._index([decode(NODE_TYPES[label], json.loads(data))
                             for label, data in chunk], replaced=())
            self._db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,))

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreLocked(
                f"store file {self.path} is being written by another process"
            ) from exc
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _index(self, nodes: Iterable[Node], replaced: Collection[str]) -> None:
        """File `nodes` under their keys, first forgetting the keys of the `replaced` ids.

        One statement a table for the whole batch: a statement a node was most of a load's
        writing time.
        """
        if replaced:
            self._db.executemany("DELETE FROM node_keys WHERE id = ?",
                                 ((node_id,) for node_id in replaced))
        self._db.executemany(
            "INSERT OR IGNORE INTO node_keys(kind, key, id) VALUES (?, ?, ?)",
            ((kind, key, node.id) for node in nodes for kind, key in keys_of(node)))
        self._db.executemany(
            "INSERT OR IGNORE INTO name_forms(form, word) VALUES (?, ?)",
            {form for node in nodes for form in name_forms_of(node)})

    def commit(self, batch: GraphBatch) -> int:
        """Write the batch and its nodes' keys in one transaction; return its sequence number.

        Raises
        ------
        StoreError : an edge names a node neither the batch nor the store holds
        """
        with self._writing(), self._indexes_after_if_empty() as empty:
            self._check_endpoints(batch)
            cursor = self._db.execute(
                "INSERT INTO batches(committed_at, nodes, edges) VALUES (?, ?, ?)",
                (datetime.now(UTC).isoformat(), len(batch.nodes), len(batch.edges)),
            )
            seq = int(cursor.lastrowid or 0)
            # A node written twice keeps its last form, and only that form's keys.
            latest = {node.id: node for node in batch.nodes}
            replaced = set() if empty else self.held(latest)
            self._db.executemany(
                "INSERT OR REPLACE INTO nodes(id, label, data, batch) VALUES (?, ?, ?, ?)",
                ((n.id, n.label, _to_json(encode(n)), seq) for n in batch.nodes),
            )
            self._index(latest.values(), replaced)
            self._db.executemany(
                "INSERT OR REPLACE INTO edges(key, type, src, dst, data, batch)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                ((e.key, e.type, e.src, e.dst, _to_json(encode(e)), seq) for e in batch.edges),
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
        return seq

    @contextlib.contextmanager
    def _indexes_after_if_empty(self) -> Iterator[bool]:
        """Inside a write transaction: if the store holds no nodes or edges yet, drop the
        secondary indexes of the tables a batch fills and build them again, each from its
        own definition, after the rows are in. Yields whether the store was empty.

        A first load is the borough-sized one, and its rows land at random places in those
        indexes: sorting every row once when the index is built is cheaper (at 100,000
        people the write's statements took a fifth less CPU, docs/stores.md). Both steps
        are in the caller's transaction, so a failed write rolls back to the indexes as
        they were.
        """
        empty = self._db.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM nodes) AND NOT EXISTS (SELECT 1 FROM edges)"
        ).fetchone()[0]
        deferred: list[tuple[str, str]] = []
        if empty:
            # `sql` is NULL for the indexes SQLite makes for a key: those stay.
            deferred = self._db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('nodes', 'edges', 'node_keys')").fetchall()
            for name, _ in deferred:
                self._db.execute(f'DROP INDEX "{name}"')
        yield bool(empty)
        for _, sql in deferred:
            self._db.execute(sql)

    def _check_endpoints(self, batch: GraphBatch) -> None:
        incoming = {node.id for node in batch.nodes}
        wanted = {end for edge in batch.edges for end in (edge.src, edge.dst)} - incoming
        held = self.held(wanted)
        for edge in batch.edges:
            for end in (edge.src, edge.dst):
                if end not in incoming and end not in held:
                    raise StoreError(f"{edge.type} edge {edge.key} names missing node {end!r}")

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

    # --- reading by index ----------------------------------------------------

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the same committed state (a WAL read transaction)."""
        self._db.execute("BEGIN")
        try:
            # The snapshot starts at the first read, so `data_version` is then its own.
            self._db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
            yield
        finally:
            self._db.execute("COMMIT")

    def held(self, ids: Collection[str]) -> set[str]:
        """Which of these node ids the store holds."""
        rows = self._db.execute(
            "SELECT id FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),))
        return {node_id for (node_id,) in rows}

    def nodes_by_id(self, ids: Collection[str]) -> dict[str, Node]:
        rows = self._db.execute(
            "SELECT id, label, data FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),))
        return {node_id: decode(NODE_TYPES[label], json.loads(data))
                for node_id, label, data in rows}

    def edges_at(self, ids: Collection[str], end: str) -> dict[str, list[Edge]]:
        """The edges whose `end` ("src" or "dst") is each of these node ids, oldest first."""
        column = {"src": "src", "dst": "dst"}[end]  # a column name cannot be a parameter
        rows = self._db.execute(
            f"SELECT {column}, type, data FROM edges"  # noqa: S608 - column from a fixed set
            f" WHERE {column} IN (SELECT value FROM json_each(?)) ORDER BY rowid",
            (json.dumps(list(ids)),))
        found: dict[str, list[Edge]] = {node_id: [] for node_id in ids}
        for node_id, kind, data in rows:
            found[node_id].append(decode(EDGE_TYPES[kind], json.loads(data)))
        return found

    def within(self, start: str, steps: int, types: tuple[str, str, str]) -> set[str]:
        """Ids within `steps` edges of `start` over edges of these types, either way round.

        A superset of what a walk that also checks dates reaches: the caller walks again
        over what this found, without another query a step.
        """
        rows = self._db.execute(_WITHIN, (start, steps, *types, steps, *types))
        return {node_id for (node_id,) in rows}

    def edges_around(self, ids: Collection[str]) -> tuple[dict[str, list[Edge]],
                                                          dict[str, list[Edge]]]:
        """The edges leaving and the edges reaching each of these node ids, oldest first,
        in one statement."""
        listed = json.dumps(list(ids))
        rows = self._db.execute(
            "SELECT 0, src, type, data, rowid FROM edges"
            " WHERE src IN (SELECT value FROM json_each(?))"
            " UNION ALL SELECT 1, dst, type, data, rowid FROM edges"
            " WHERE dst IN (SELECT value FROM json_each(?)) ORDER BY 5",
            (listed, listed))
        found: tuple[dict[str, list[Edge]], dict[str, list[Edge]]] = (
            {node_id: [] for node_id in ids}, {node_id: [] for node_id in ids})
        for reaching, node_id, kind, data, _ in rows:
            found[reaching][node_id].append(decode(EDGE_TYPES[kind], json.loads(data)))
        return found

    def ids_by_key(self, kind: str, keys: Iterable[str]) -> set[str]:
        rows = self._db.execute(
            "SELECT id FROM node_keys WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
            (kind, json.dumps(list(keys))))
        return {node_id for (node_id,) in rows}

    def ids_holding_each(self, kinds: Sequence[str], key_sets: Sequence[Collection[str]]
                         ) -> set[str]:
        """Ids holding, for each set of keys, one of them under one of `kinds`."""
        if not key_sets:
            return set()
        one = ("SELECT id FROM node_keys WHERE kind IN (SELECT value FROM json_each(?))"
               " AND key IN (SELECT value FROM json_each(?))")
        params: list[Any] = []
        for keys in key_sets:
            params += [json.dumps(list(kinds)), json.dumps(list(keys))]
        rows = self._db.execute(" INTERSECT ".join([one] * len(key_sets)), params)
        return {node_id for (node_id,) in rows}

    def words_by_form(self, forms: Iterable[str]) -> set[str]:
        rows = self._db.execute(
            "SELECT word FROM name_forms WHERE form IN (SELECT value FROM json_each(?))",
            (json.dumps(list(forms)),))
        return {word for (word,) in rows}

    def labelled(self, label: str, after: str | None = None) -> Iterator[Node]:
        """Every node with this label (with id above `after`, if given), by id."""
        rows = self._db.execute(
            "SELECT data FROM nodes WHERE label = ? AND (? IS NULL OR id > ?) ORDER BY id",
            (label, after, after))
        cls = NODE_TYPES[label]
        for (data,) in rows:
            yield decode(cls, json.loads(data))

    def labelled_ids(self, label: str) -> list[str]:
        rows = self._db.execute("SELECT id FROM nodes WHERE label = ? ORDER BY id", (label,))
        return [node_id for (node_id,) in rows]

    def counts(self) -> dict[str, int]:
        totals = dict(self._db.execute("SELECT label, count(*) FROM nodes GROUP BY label"))
        totals |= dict(self._db.execute("SELECT type, count(*) FROM edges GROUP BY type"))
        return {name: int(n) for name, n in totals.items()}

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

