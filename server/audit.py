"""The append-only, hash-chained audit log: one row per person whose data left famgraph.

Each row holds the hash of the row before it, so an edit, deletion or reordering
breaks the chain at the first bad row, and `verify` names it. Losing the newest rows
leaves a shorter chain that is still whole, so the log also signs checkpoints with
an Ed25519 key kept beside it: one every `checkpoint_every` rows, and a signed head
naming the newest row, replaced in the same transaction as every write. A checkpoint
or head that names rows the log no longer has is truncation.

The head used to be a file of its own (`audit.head`), replaced after every commit: a
second fsync and half a dozen more system calls per commit, each of which gave up the
interpreter lock and had to win it back from the requests. Inside the log it is as
hard to forge (it is signed) and as easy to delete (verify reports a missing head), and
it can never disagree with the rows after a crash. A log that still has the file takes
its head into the log on first open.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sqlite3
import threading
import weakref
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from graph.errors import FamgraphError
from server.audit_pipe import WriterFailed, WriterPipe

GENESIS = "0" * 64
HEAD_FILE = "audit.head"
PRIVATE_KEY_FILE = "audit.key"
PUBLIC_KEY_FILE = "audit.pub"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    row TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_person ON audit(json_extract(row, '$.person_id'));
CREATE INDEX IF NOT EXISTS audit_user ON audit(json_extract(row, '$.user'));
CREATE TABLE IF NOT EXISTS checkpoint (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS review (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    user TEXT NOT NULL,
    detail TEXT NOT NULL
);
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
    break_glass: bool = False
    grant: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The row's fields by name, as `dataclasses.asdict` gives them (every value is a
        string, a bool or a tuple of strings) for a tenth of the time: the server makes one
        per person per request."""
        return {name: getattr(self, name) for name in _ROW_FIELDS}


_ROW_FIELDS = tuple(f.name for f in fields(AuditRow))


@dataclass(frozen=True, slots=True)
class Review:
    """Something a person should look at: a break-glass, an unusual number of people."""

    time: str
    kind: str
    user: str
    detail: str


@dataclass(frozen=True, slots=True)
class Tampering:
    seq: int
    reason: str


# How long a request waits for its audit rows to be durable before it fails closed.
AUDIT_WAIT_SECONDS = 30.0


def _hash(prev_hash: str, row_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{row_json}".encode()).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _signed_text(seq: int, digest: str, time: str) -> bytes:
    return f"famgraph-audit\n{seq}\n{digest}\n{time}".encode()


def audit_keys(directory: Path) -> Ed25519PrivateKey:
    """The key that signs checkpoints, made on first use; its public half sits beside it."""
    private = directory / PRIVATE_KEY_FILE
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private.write_bytes(key.private_bytes_raw())
        private.chmod(0o600)
        (directory / PUBLIC_KEY_FILE).write_bytes(key.public_key().public_bytes_raw())
    return Ed25519PrivateKey.from_private_bytes(private.read_bytes())


class AuditLog:
    """Appends rows in one durable transaction per request, chaining each to the last."""

    def __init__(self, path: Path, checkpoint_every: int = 1000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.checkpoint_every = max(1, checkpoint_every)
        self._key = audit_keys(path.parent)
        self._lock = threading.Lock()
        self._pipes: dict[asyncio.AbstractEventLoop, WriterPipe] = {}
        self._pipes_lock = threading.Lock()
        self._closed = False
        # A log dropped without `close` still stops its writers, not at interpreter exit.
        self._stop_writers = weakref.finalize(self, _close_all, self._pipes)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._adopt_head_file()

    def _adopt_head_file(self) -> None:
        """Move a head written by an earlier famgraph (its own file) into the log, as is:
        it stays signed, and the file goes only once the log holds it durably."""
        path = self.path.parent / HEAD_FILE
        head = _head_file(path)
        if head is None:  # none, or another process has just taken it in
            return
        with self._lock:
            # The newer of the two: an older famgraph run against this log since it was
            # last opened here wrote its heads to the file.
            self._db.execute(
                "INSERT INTO head(id, seq, hash, time, signature) VALUES (1, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
                " time = excluded.time, signature = excluded.signature"
                " WHERE excluded.seq > head.seq", head)
        path.unlink(missing_ok=True)

    def append(self, rows: list[AuditRow]) -> None:
        """Write every row durably or none.

        Raises
        ------
        AuditUnavailable : the rows could not be written; the caller must not return data
        """
        if rows:
            self.commit_texts([row_text(row) for row in rows])

    async def append_async(self, rows: list[AuditRow]) -> None:
        """`append` for the event loop: it waits for the durable commit without blocking
        other requests. The writer is a process of its own (`server.audit_pipe` says why),
        and the rows of requests finishing together share one commit (one fsync, one
        signed head), which is what lets audit keep up under concurrent load.

        Raises
        ------
        AuditUnavailable : the rows could not be written; the caller must not return data
        """
        if not rows:
            return
        pipe = self._pipe(asyncio.get_running_loop())
        done = pipe.send([row_text(row) for row in rows])
        try:
            # Fail closed rather than hang: a request whose rows are not durable in time
            # gets a 503, never its data, and the next request gets another writer.
            await asyncio.wait_for(asyncio.shield(done), AUDIT_WAIT_SECONDS)
        except TimeoutError:
            pipe.abandon(f"did not commit within {AUDIT_WAIT_SECONDS:g} s")
            raise AuditUnavailable(f"audit log {self.path} did not commit in time") from None
        except WriterFailed as exc:
            raise AuditUnavailable(f"audit log {self.path} cannot be written: {exc}") from None

    def _pipe(self, loop: asyncio.AbstractEventLoop) -> WriterPipe:
        """This loop's writer, started on first use and again if the last one failed."""
        finished: list[WriterPipe] = []  # writers of closed loops: stopped outside the lock
        try:
            with self._pipes_lock:
                if self._closed:
                    raise AuditUnavailable(f"audit log {self.path} is closed")
                pipe = self._pipes.get(loop)
                if pipe is not None and pipe.failed is None:
                    return pipe
                finished = [p for p in self._pipes.values() if p.loop.is_closed()]
                for old in finished:
                    del self._pipes[old.loop]
                try:
                    pipe = self._pipes[loop] = WriterPipe(
                        ["-m", "server.audit_writer", str(self.path),
                         str(self.checkpoint_every)], loop)
                except OSError as exc:  # no process could be started: fail closed
                    raise AuditUnavailable(
                        f"audit log {self.path} has no writer: {type(exc).__name__}") from exc
                return pipe
        finally:
            for old in finished:
                old.close()

    def commit_texts(self, texts: list[str]) -> None:
        """One transaction: the rows (each its `row_text`), any checkpoint they reach, and
        the new signed head. The rows go in as one statement over a JSON array, not one
        statement per row: about five SQLite calls a commit, whatever its size.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                last = self._db.execute(
                    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (last[0], last[1]) if last else (0, GENESIS)
                stamp = now_utc()
                chained, checkpoints = [], []
                for text in texts:
                    seq += 1
                    digest = _hash(prev, text)
                    chained.append((seq, text, prev, digest))
                    if seq % self.checkpoint_every == 0:
                        checkpoints.append((seq, digest, stamp, self._sign(seq, digest, stamp)))
                    prev = digest
                self._db.execute(
                    "INSERT INTO audit(seq, row, prev_hash, hash) SELECT value ->> 0,"
                    " value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
                    (json.dumps(chained),),
                )
                if checkpoints:
                    self._db.executemany(
                        "INSERT INTO checkpoint(seq, hash, time, signature) VALUES (?,?,?,?)",
                        checkpoints,
                    )
                self._db.execute(
                    "INSERT OR REPLACE INTO head(id, seq, hash, time, signature)"
                    " VALUES (1, ?, ?, ?, ?)",
                    (seq, prev, stamp, self._sign(seq, prev, stamp)),
                )
                self._db.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise AuditUnavailable(f"audit log {self.path} cannot be written: {exc}") from exc

    def _sign(self, seq: int, digest: str, stamp: str) -> str:
        return self._key.sign(_signed_text(seq, digest, stamp)).hex()

    def raise_review(self, kind: str, user: str, detail: str) -> None:
        """Queue something for a person to review; identifiers and the user's own words only."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO review(time, kind, user, detail) VALUES (?, ?, ?, ?)",
                    (now_utc(), kind, user, detail),
                )
            except sqlite3.Error as exc:
                raise AuditUnavailable(f"review queue {self.path} cannot be written") from exc

    def reviews(self, limit: int = 100) -> list[Review]:
        """The newest reviews first."""
        with self._lock:  # the writer's connection: never read mid-transaction
            return [
                Review(*r) for r in self._db.execute(
                    "SELECT time, kind, user, detail FROM review ORDER BY id DESC LIMIT ?",
                    (limit,),
                )
            ]

    def rows_about(
        self, person_id: str, limit: int | None = None, newest_first: bool = False
    ) -> list[AuditRow]:
        """Who looked at this person, oldest first (or the newest `limit`)."""
        return self._select("person_id", person_id, limit, newest_first)

    def rows_by(
        self, user: str, limit: int | None = None, newest_first: bool = False
    ) -> list[AuditRow]:
        """Everything this user looked at, oldest first (or the newest `limit`)."""
        return self._select("user", user, limit, newest_first)

    def _select(
        self, key: str, value: str, limit: int | None, newest_first: bool
    ) -> list[AuditRow]:
        where = {"person_id": _BY_PERSON, "user": _BY_USER}[key]
        order = "DESC" if newest_first else "ASC"
        query = f"SELECT row FROM audit WHERE {where} ORDER BY seq {order} LIMIT ?"  # noqa: S608
        rows = []
        with self._lock:
            found = self._db.execute(query, (value, -1 if limit is None else limit)).fetchall()
        for (text,) in found:
            data = json.loads(text)
            data["returned"], data["withheld"] = tuple(data["returned"]), tuple(data["withheld"])
            rows.append(AuditRow(**data))
        return rows

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM audit").fetchone()[0])

    def close(self) -> None:
        """Stop the writers (each commits what it holds first) and close the log.

        Call it on the loop that used the log, or once that loop has closed.
        """
        with self._pipes_lock:
            self._closed = True
        self._stop_writers()
        with self._lock:
            self._db.close()


def _close_all(pipes: dict[asyncio.AbstractEventLoop, WriterPipe]) -> None:
    for pipe in pipes.values():
        pipe.close()
    pipes.clear()


def row_text(row: AuditRow) -> str:
    """The row as it is stored and hashed."""
    return json.dumps(row.as_dict(), sort_keys=True)


_BY_PERSON = "json_extract(row, '$.person_id') = ?"
_BY_USER = "json_extract(row, '$.user') = ?"


def _signature_ok(public: Ed25519PublicKey, seq: int, digest: str, stamp: str, sig: str) -> bool:
    try:
        public.verify(bytes.fromhex(sig), _signed_text(seq, digest, stamp))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(path: Path) -> Tampering | None:
    """The first row that breaks the chain or a signed checkpoint, or None if all is as written.

    Checks, in order: each row follows the one before and hashes as written; each
    checkpoint is signed and matches its row; the signed head names the newest row.
    """
    public_path = path.parent / PUBLIC_KEY_FILE
    public = (
        Ed25519PublicKey.from_public_bytes(public_path.read_bytes())
        if public_path.exists() else None
    )
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        checkpoints = {
            seq: (digest, stamp, sig)
            for seq, digest, stamp, sig in db.execute(
                "SELECT seq, hash, time, signature FROM checkpoint ORDER BY seq"
            )
        }
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
            if seq in checkpoints:
                signed_hash, stamp, sig = checkpoints[seq]
                if signed_hash != digest or public is None or not _signature_ok(
                    public, seq, signed_hash, stamp, sig
                ):
                    return Tampering(seq, "does not match its signed checkpoint")
            prev, expected_seq = digest, seq + 1
        last = expected_seq - 1
        beyond = [seq for seq in checkpoints if seq > last]
        if beyond:
            return Tampering(last + 1, f"and later rows are missing: a signed checkpoint "
                                       f"covers row {max(beyond)}")
        return _check_head(_signed_head(db, path.parent / HEAD_FILE), public, last, prev)
    finally:
        db.close()


def _signed_head(db: sqlite3.Connection, file: Path) -> tuple[int, str, str, str] | None:
    """The log's signed head: (seq, hash, time, signature), or None if it has none.

    A log no famgraph has opened since heads moved inside it still has them in a file.
    """
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'head'").fetchone()
    if has_table:
        row = db.execute("SELECT seq, hash, time, signature FROM head").fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))
    return _head_file(file)


def _head_file(path: Path) -> tuple[int, str, str, str] | None:
    """A head as an earlier famgraph wrote it, in a file of its own; None if there is none."""
    try:
        head = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return int(head["seq"]), str(head["hash"]), str(head["time"]), str(head["signature"])


def _check_head(
    head: tuple[int, str, str, str] | None, public: Ed25519PublicKey | None, last: int,
    last_hash: str,
) -> Tampering | None:
    if head is None:
        return None if last == 0 else Tampering(last, "is not covered: the signed head is gone")
    seq, digest, stamp, signature = head
    if public is None or not _signature_ok(public, seq, digest, stamp, signature):
        return Tampering(min(seq, last) or 1, "signed head has a bad signature")
    if seq > last:
        return Tampering(last + 1, f"and later rows are missing: the signed head covers row {seq}")
    if seq < last:
        return Tampering(seq + 1, "was added after the newest signed head")
    if digest != last_hash:
        return Tampering(last, "does not match the signed head")
    return None
