"""The append-only, hash-chained audit log: one row per person whose data left famgraph.

Each row holds the hash of the row before it, so an edit, deletion or reordering
breaks the chain at the first bad row, and `verify` names it. Reviews (break-glass
uses, unusual numbers of people) are a second chain of their own. Losing the newest
rows or reviews leaves shorter chains that are still whole, so the log also signs
with an Ed25519 key: a checkpoint every `checkpoint_every` rows, and a head naming
the newest row and the newest review, replaced in the same transaction as every
write. A checkpoint or head that names what the log no longer has is truncation.

Head and checkpoint sign different statements, so a checkpoint's signature cannot
stand in for the head (cutting the log back to a checkpoint used to pass). The writer
continues from the signed head, not from whatever the table ends with, so rows cut
from the end stay missing after the next write instead of being signed over. What
no signature inside the log can catch is the whole log (or its head too) put back as
it was earlier; `famgraph audit anchor` prints the head to keep elsewhere, and
`verify` against that anchor catches it (docs/audit.md).

The head used to be a file of its own (`audit.head`), replaced after every commit: a
second fsync and half a dozen more system calls per commit, each of which gave up the
interpreter lock and had to win it back from the requests. Inside the log it is as
hard to forge (it is signed) and as easy to delete (verify reports a missing head), and
it can never disagree with the rows after a crash. A log written by an earlier
famgraph is taken in once, the first time this one opens it (`_upgrade`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
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
from server.audit_segments import (
    read_retired,
    read_seal,
    sealed_up_to,
    segments,
    signature_holds,
)

GENESIS = "0" * 64
# What the writer chains from when the log has rows (or reviews) but no head it signed:
# never a real hash, so verify names the first row written after the head was lost.
UNTRUSTED = "-" * 64
HEAD_FILE = "audit.head"
LOG_FILE = "audit.sqlite"
CHAINS_DIR = "audit-chains"
CHAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
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
    signature TEXT NOT NULL,
    reviews INTEGER,
    review_hash TEXT
);
CREATE TABLE IF NOT EXISTS review (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    user TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT,
    hash TEXT
);
"""
# Columns an earlier famgraph's log lacks (null in a head or review it wrote).
_ADDED_COLUMNS = {"head": ("reviews INTEGER", "review_hash TEXT"),
                  "review": ("prev_hash TEXT", "hash TEXT")}

# Both chains' ends and the head, in one statement: the writer reads them in every commit.
_ENDS = """
SELECT a.seq, a.hash, r.id, r.hash, h.seq, h.hash, h.reviews, h.review_hash, h.time, h.signature
FROM (SELECT 1)
LEFT JOIN (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) AS a
LEFT JOIN (SELECT id, hash FROM review ORDER BY id DESC LIMIT 1) AS r
LEFT JOIN head AS h
"""


class AuditUnavailable(FamgraphError):
    """Raised when audit rows cannot be written durably; the data must not be returned."""


class BadAnchor(FamgraphError):
    """Raised when an anchor file cannot be read or is not a head signed by its own key."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """Identifiers only, never personal values (docs/security.md rule 18)."""

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
    # The audit chain that holds the row: the process that served it, when several
    # famgraph processes serve one Neo4j (`audit_path`); empty in a store's one log.
    chain: str = ""

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
    """The first thing in the log that is not as written: row (or review) `seq`, and why."""

    seq: int
    reason: str
    what: str = "row"

    def __str__(self) -> str:
        return f"{self.what} {self.seq} {self.reason}"


@dataclass(frozen=True, slots=True)
class Head:
    """How far the log goes, signed: its row count and newest row's hash, its review count
    and newest review's hash, and when it was signed."""

    rows: int
    hash: str
    reviews: int
    review_hash: str
    time: str
    signature: str

    def statement(self) -> bytes:
        """What the signature covers; a checkpoint signs something else (`_checkpoint`)."""
        return (f"famgraph-audit head\nrows {self.rows}\n{self.hash}\n"
                f"reviews {self.reviews}\n{self.review_hash}\n{self.time}").encode()

    def signed_by(self, public: Ed25519PublicKey | None) -> bool:
        return public is not None and _signature_ok(public, self.signature, self.statement())


@dataclass(frozen=True, slots=True)
class Anchor:
    """A signed head kept outside the log, with the public key that signed it."""

    head: Head
    public_key: str
    chain: str = ""  # the chain it anchors, when a store has several (`chains`)

    def text(self) -> str:
        """One line of JSON, as `famgraph audit anchor` prints it."""
        head = self.head
        fields: dict[str, Any] = {
            "famgraph": "audit-anchor", "rows": head.rows, "hash": head.hash,
            "reviews": head.reviews, "review_hash": head.review_hash, "time": head.time,
            "signature": head.signature, "public_key": self.public_key}
        if self.chain:
            fields["chain"] = self.chain
        return json.dumps(fields)

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))


# How long a request waits for its audit rows to be durable before it fails closed.
AUDIT_WAIT_SECONDS = 30.0
# How long raising a review may hold up the event loop (it waits on the loop's thread).
REVIEW_WAIT_SECONDS = 5.0


def _hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _checkpoint(seq: int, digest: str, time: str) -> bytes:
    return f"famgraph-audit checkpoint\n{seq}\n{digest}\n{time}".encode()


def _legacy(seq: int, digest: str, time: str) -> bytes:
    """What checkpoints and heads both signed before heads had a statement of their own:
    still good for a checkpoint, never for a head."""
    return f"famgraph-audit\n{seq}\n{digest}\n{time}".encode()


def audit_keys(directory: Path) -> Ed25519PrivateKey:
    """The key that signs checkpoints and heads, made on first use (read-only, its public
    half beside it). Two writers starting on a new log at once make one key: the second
    finds the first's in place."""
    private = directory / PRIVATE_KEY_FILE
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        made = directory / f".{PRIVATE_KEY_FILE}.{os.getpid()}"
        made.unlink(missing_ok=True)  # read-only, if a process with this pid died here
        made.write_bytes(key.private_bytes_raw())
        made.chmod(0o400)
        try:
            os.link(made, private)  # fails if another process has just made one
            public = directory / f".{PUBLIC_KEY_FILE}.{os.getpid()}"
            public.write_bytes(key.public_key().public_bytes_raw())
            public.replace(directory / PUBLIC_KEY_FILE)
        except FileExistsError:
            pass
        finally:
            made.unlink()
    return Ed25519PrivateKey.from_private_bytes(private.read_bytes())


def key_exposure(directory: Path) -> str | None:
    """Why this process could change the signing key in `directory` (and so re-sign a
    rewritten log), or None if it cannot. A key behind a symlink is judged where it is."""
    key = (directory / PRIVATE_KEY_FILE).resolve()
    if not key.exists():
        return f"{key} does not exist yet, so this process will make it"
    if os.access(key, os.W_OK):
        return f"{key} is writable by this process (uid {os.geteuid()})"
    if key.stat().st_uid == os.geteuid():
        return (f"{key} is owned by this process's user (uid {os.geteuid()}), who can make"
                " it writable")
    if os.access(key.parent, os.W_OK):
        return f"{key.parent} is writable by this process, which can replace the key in it"
    return None


def review_text(review: Review) -> str:
    """A review as it is chained, and as it travels to the writer: a JSON array, where a
    row is a JSON object (`row_text`), so the writer can tell them apart by the first
    character."""
    return json.dumps([review.time, review.kind, review.user, review.detail])


class AuditLog:
    """Appends rows in one durable transaction per request, chaining each to the last."""

    def __init__(self, path: Path, checkpoint_every: int = 1000, chain: str = "") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.chain = chain  # named in every row this log writes
        self.checkpoint_every = max(1, checkpoint_every)
        # Read only by a process that signs: the writer, or a command writing rows itself.
        # The server hands rows and reviews to the writer and never needs it.
        self._key: Ed25519PrivateKey | None = None
        self._signed: Head | None = None  # the head this process wrote last
        self._lock = threading.Lock()
        self._pipes: dict[asyncio.AbstractEventLoop, WriterPipe] = {}
        self._pipes_lock = threading.Lock()
        self._closed = False
        # Told each request's wait for its commit, in seconds (the metrics' histogram).
        self.on_commit: Callable[[float], None] | None = None
        # A log dropped without `close` still stops its writers, not at interpreter exit.
        self._stop_writers = weakref.finalize(self, _close_all, self._pipes)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        older = self._written_by_earlier_famgraph()
        self._db.executescript(_SCHEMA)
        if older:
            self._upgrade()

    def _written_by_earlier_famgraph(self) -> bool:
        """Whether an earlier famgraph wrote this log: it has rows but no head table, or a
        head or review table without the columns added since. Asked before the schema
        is brought up to date, which adds them."""
        tables = {name for (name,) in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "audit" not in tables:
            return False
        return "head" not in tables or any(
            table in tables and not self._has_columns(table) for table in _ADDED_COLUMNS)

    def _has_columns(self, table: str) -> bool:
        have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
        return all(column.split()[0] in have for column in _ADDED_COLUMNS[table])

    def _upgrade(self) -> None:
        """Take in a log an earlier famgraph wrote, once: its head (from the log, or from
        its own file) is signed again as a head if it still names the newest row, and its
        reviews are chained. This trusts the log as it stands, as the earlier famgraph's
        next write would have; docs/audit.md says what that leaves open, and how an
        anchor closes it."""
        file = self.path.parent / HEAD_FILE
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for table, columns in _ADDED_COLUMNS.items():
                    if not self._has_columns(table):  # another process may have done it
                        for column in columns:
                            self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
                adopted = _head_file(file)
                if adopted is not None:
                    self._db.execute(
                        "INSERT INTO head(id, seq, hash, time, signature) VALUES (1, ?, ?, ?, ?)"
                        " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
                        " time = excluded.time, signature = excluded.signature,"
                        " reviews = NULL, review_hash = NULL"
                        " WHERE excluded.seq > head.seq", adopted)
                self._chain_reviews()
                self._sign_older_head()
                self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
        file.unlink(missing_ok=True)

    def _chain_reviews(self) -> None:
        if self._db.execute("SELECT 1 FROM review WHERE hash IS NULL").fetchone() is None:
            return
        reviews = self._db.execute(
            "SELECT time, kind, user, detail FROM review ORDER BY id").fetchall()
        self._db.execute("DELETE FROM review")
        prev, chained = GENESIS, []
        for number, found in enumerate(reviews, 1):
            digest = _hash(prev, review_text(Review(*found)))
            chained.append((number, *found, prev, digest))
            prev = digest
        self._db.executemany("INSERT INTO review VALUES (?, ?, ?, ?, ?, ?, ?)", chained)

    def _sign_older_head(self) -> None:
        found = self._db.execute(_ENDS).fetchone()
        seq, digest, stamp, signature = found[4], found[5], found[8], found[9]
        if seq is None or found[6] is not None:
            return
        key = self._signer()
        try:
            key.public_key().verify(bytes.fromhex(signature), _legacy(seq, digest, stamp))
        except (InvalidSignature, ValueError):
            return  # verify says so; the writer will not continue from it
        if (found[0] or 0, found[1] or GENESIS) != (seq, digest):
            return
        self._write_head(seq, digest, found[2] or 0, found[3] or GENESIS, now_utc())

    def _signer(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = audit_keys(self.path.parent)
        return self._key

    def key_exposure(self) -> str | None:
        """`key_exposure` for this log's key, made first if there is none."""
        self._signer()
        return key_exposure(self.path.parent)

    def append(self, rows: list[AuditRow]) -> None:
        """Write every row durably or none.

        Raises
        ------
        AuditUnavailable : the rows could not be written; the caller must not return data
        """
        if rows:
            self.commit_texts([row_text(row, self.chain) for row in rows])

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
        started = time.monotonic()
        done = pipe.send([row_text(row, self.chain) for row in rows])
        try:
            # Fail closed rather than hang: a request whose rows are not durable in time
            # gets a 503, never its data, and the next request gets another writer.
            await asyncio.wait_for(asyncio.shield(done), AUDIT_WAIT_SECONDS)
        except TimeoutError:
            pipe.abandon(f"did not commit within {AUDIT_WAIT_SECONDS:g} s")
            raise AuditUnavailable(f"audit log {self.path} did not commit in time") from None
        except WriterFailed as exc:
            raise AuditUnavailable(f"audit log {self.path} cannot be written: {exc}") from None
        if self.on_commit is not None:
            self.on_commit(time.monotonic() - started)

    async def ping(self, timeout: float) -> bool:
        """Whether this loop's writer answers within `timeout` seconds (a request with no
        rows: nothing is written)."""
        try:
            done = self._pipe(asyncio.get_running_loop()).send([])
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except (AuditUnavailable, WriterFailed, TimeoutError):
            return False
        return True

    def queue_depth(self) -> int:
        """Requests waiting for the writers to say their rows are durable."""
        with self._pipes_lock:
            return sum(pipe.waiting for pipe in self._pipes.values())

    def review_counts(self) -> dict[str, int]:
        """How many reviews of each kind (break-glass uses, alerts) the log holds."""
        with self._lock:
            return {str(kind): int(n) for kind, n in self._db.execute(
                "SELECT kind, count(*) FROM review GROUP BY kind")}

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
        """One transaction: the rows (each its `row_text`) and reviews (each its
        `review_text`), any checkpoint they reach, and the new signed head. The rows go in
        as one statement over a JSON array, not one statement per row: about five SQLite
        calls a commit, whatever its size.
        """
        rows = [text for text in texts if text[0] == "{"]
        reviews = [text for text in texts if text[0] != "{"] if len(rows) < len(texts) else []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                (seq, prev), (number, review_prev) = self._continue_from(
                    self._db.execute(_ENDS).fetchone())
                stamp = now_utc()
                chained, checkpoints = [], []
                for text in rows:
                    seq += 1
                    digest = _hash(prev, text)
                    chained.append((seq, text, prev, digest))
                    if seq % self.checkpoint_every == 0:
                        signature = self._signer().sign(_checkpoint(seq, digest, stamp)).hex()
                        checkpoints.append((seq, digest, stamp, signature))
                    prev = digest
                if chained:
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
                for text in reviews:
                    number += 1
                    digest = _hash(review_prev, text)
                    self._db.execute("INSERT INTO review VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     (number, *json.loads(text), review_prev, digest))
                    review_prev = digest
                signed = self._write_head(seq, prev, number, review_prev, stamp)
                self._db.execute("COMMIT")
                self._signed = signed
            except (sqlite3.Error, OSError, ValueError) as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise AuditUnavailable(f"audit log {self.path} cannot be written: {exc}") from exc

    def _continue_from(self, ends: tuple[Any, ...]) -> tuple[tuple[int, str], tuple[int, str]]:
        """Where the next row and review go, and the hashes they follow.

        From the signed head, not from the tables' ends: rows or reviews cut from the end
        then stay missing (and rows added without the key stay unsigned for) after this
        write, where following the tables would sign over the cut. The head is one this
        process wrote (a comparison), or else one whose signature holds (another writer
        wrote it). A log with rows and no such head is followed from `UNTRUSTED`, so
        verify names the first row written after its head was lost or forged.
        """
        last_row, last_review = ends[0] or 0, ends[2] or 0
        head = None if ends[4] is None or ends[6] is None else Head(*ends[4:10])
        if head is not None and (
                head == self._signed or head.signed_by(self._signer().public_key())):
            return ((max(head.rows, last_row), head.hash),
                    (max(head.reviews, last_review), head.review_hash))
        return ((last_row, UNTRUSTED if last_row else GENESIS),
                (last_review, UNTRUSTED if last_review else GENESIS))

    def _write_head(self, rows: int, digest: str, reviews: int, review_hash: str,
                    stamp: str) -> Head:
        unsigned = Head(rows, digest, reviews, review_hash, stamp, "")
        head = Head(rows, digest, reviews, review_hash, stamp,
                    self._signer().sign(unsigned.statement()).hex())
        self._db.execute(
            "INSERT OR REPLACE INTO head(id, seq, hash, time, signature, reviews, review_hash)"
            " VALUES (1, ?, ?, ?, ?, ?, ?)",
            (head.rows, head.hash, head.time, head.signature, head.reviews, head.review_hash),
        )
        return head

    def raise_review(self, kind: str, user: str, detail: str) -> None:
        """Queue something for a person to review; identifiers and the user's own words only.

        Durable (and chained, and under the signed head) before this returns. On an event
        loop it goes through that loop's writer like the rows, so the server never holds
        the signing key; the loop waits for it, as it waited for the review's own commit
        when the server wrote reviews itself. Raising a review is rare.

        Raises
        ------
        AuditUnavailable : the review could not be written
        """
        text = review_text(Review(now_utc(), kind, user, detail))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.commit_texts([text])
            return
        pipe = self._pipe(loop)
        try:
            pipe.wait(pipe.send([text]), REVIEW_WAIT_SECONDS)
        except WriterFailed as exc:
            raise AuditUnavailable(f"review queue {self.path} cannot be written: {exc}") from None

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
        # Rows sealed into segments are older than the live log's: read oldest first, or
        # newest first, until `limit` rows are found.
        sources: list[Path | None] = [*segments(self.path), None]
        # Rows a stopped rotation left in the live log as well as in a segment count once.
        live = (f"SELECT row FROM audit WHERE {where} AND seq > ?"  # noqa: S608
                f" ORDER BY seq {order} LIMIT ?")
        sealed = sealed_up_to(self.path)
        found: list[tuple[str]] = []
        for source in (list(reversed(sources)) if newest_first else sources):
            left = -1 if limit is None else limit - len(found)
            if left == 0:
                break
            if source is None:
                with self._lock:
                    found += self._db.execute(live, (value, sealed, left)).fetchall()
                continue
            segment = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                found += segment.execute(query, (value, left)).fetchall()
            finally:
                segment.close()
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


def row_text(row: AuditRow, chain: str = "") -> str:
    """The row as it is stored and hashed, naming `chain` if one is given."""
    data = row.as_dict()
    if chain:
        data["chain"] = chain
    return json.dumps(data, sort_keys=True)


def audit_path(store_dir: Path, chain: str = "") -> Path:
    """Where a process's audit log is: the store folder's one log, or (when several famgraph
    processes serve one Neo4j, each with a chain of its own) that chain's folder, which
    holds its key, its public key and its sealed segments as the store folder does for
    the one log.

    Raises
    ------
    AuditUnavailable : the chain's name is not 1 to 64 of a-z, 0-9, '.', '_', '-'
    """
    if not chain:
        return store_dir / LOG_FILE
    if not CHAIN_NAME.match(chain):
        raise AuditUnavailable(f"audit chain name {chain!r} must be 1 to 64 characters: a"
                               " lower-case letter or digit first, then those, '.', '_' or '-'")
    return store_dir / CHAINS_DIR / chain / LOG_FILE


def chains(store_dir: Path) -> dict[str, Path]:
    """Every audit log in the store folder by chain name ("" for the one log), the one log
    first, then the chains by name: those of processes sharing the folder, and those
    copied in from other machines to be checked or searched together."""
    found: dict[str, Path] = {}
    if (store_dir / LOG_FILE).exists():
        found[""] = store_dir / LOG_FILE
    folder = store_dir / CHAINS_DIR
    if folder.is_dir():
        for chain in sorted(folder.iterdir()):
            if CHAIN_NAME.match(chain.name) and (chain / LOG_FILE).exists():
                found[chain.name] = chain / LOG_FILE
    return found


_BY_PERSON = "json_extract(row, '$.person_id') = ?"
_BY_USER = "json_extract(row, '$.user') = ?"


def _signature_ok(public: Ed25519PublicKey, signature: str, statement: bytes) -> bool:
    try:
        public.verify(bytes.fromhex(signature), statement)
    except (InvalidSignature, ValueError):
        return False
    return True


def _public_key(directory: Path) -> Ed25519PublicKey | None:
    path = directory / PUBLIC_KEY_FILE
    return Ed25519PublicKey.from_public_bytes(path.read_bytes()) if path.exists() else None


def verify(path: Path, anchor: Anchor | None = None) -> Tampering | None:
    """The first row or review that breaks its chain, a signed checkpoint, the signed head
    or the anchor; None if all is as written.

    Checks, in order: each row follows the one before and hashes as written; each
    checkpoint is signed and matches its row; each review follows the one before and
    hashes as written; the signed head names the newest row and the newest review; the
    log reaches the anchor and holds at the anchored row and review what it held then.
    With an anchor, every signature is checked against the anchor's key rather than the
    one beside the log (which whoever can rewrite the log can also replace).
    """
    public = anchor.public() if anchor is not None else _public_key(path.parent)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        start = _check_segments(db, path, public)
        if isinstance(start, Tampering):
            return start
        rows = _check_rows(db, public, start)
        if isinstance(rows, Tampering):
            return rows
        reviews = _check_reviews(db)
        if isinstance(reviews, Tampering):
            return reviews
        problem = _check_head(_signed_head(db, path.parent / HEAD_FILE), public, rows, reviews)
        if problem is None and anchor is not None:
            problem = _check_anchor(db, path, anchor.head, rows[0], reviews[0])
        return problem
    finally:
        db.close()


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _check_segments(db: sqlite3.Connection, path: Path, public: Ed25519PublicKey | None
                    ) -> tuple[int, str] | Tampering:
    """Where the live log's rows must start (row number and the hash it follows), once
    the retired statement and every sealed segment are checked as one chain; or the first
    thing that breaks it."""
    retired = read_retired(db)
    expected, prev = 1, GENESIS
    if retired is not None:
        if not signature_holds(public, retired.signature, retired.statement()):
            return Tampering(retired.seq, "retired statement has a bad signature")
        expected, prev = retired.seq + 1, retired.hash
    for file in segments(path):
        segment = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            seal = read_seal(segment)
            if seal is None or not signature_holds(public, seal.signature, seal.statement()):
                return Tampering(expected, f"is in segment {file.name}, whose seal is missing"
                                           " or badly signed")
            if seal.last < expected:
                continue  # removed by retention already; the file outlived the statement
            if seal.first != expected or seal.prev_hash != prev:
                return Tampering(expected, f"is missing: segment {file.name} starts at row"
                                           f" {seal.first}")
            ends = _check_rows(segment, public, (expected, prev))
        finally:
            segment.close()
        if isinstance(ends, Tampering):
            return Tampering(ends.seq, f"{ends.reason} (segment {file.name})")
        if ends != (seal.last, seal.hash):
            return Tampering(ends[0] + 1, f"is missing: segment {file.name} is sealed up to"
                                          f" row {seal.last}")
        expected, prev = seal.last + 1, seal.hash
    return expected, prev


def _check_rows(db: sqlite3.Connection, public: Ed25519PublicKey | None,
                start: tuple[int, str] = (1, GENESIS)) -> tuple[int, str] | Tampering:
    """The newest row and its hash, or the first row that is not as written, for rows
    that continue the chain at `start` (their first number, the hash it follows). Rows
    before `start` are copies a rotation stopped short of removing: the newest of them
    must be the sealed row the chain continues from."""
    if "audit" not in _tables(db):
        return start[0] - 1, start[1]
    checkpoints = {
        seq: (digest, stamp, sig)
        for seq, digest, stamp, sig in db.execute(
            "SELECT seq, hash, time, signature FROM checkpoint ORDER BY seq"
        )
    } if "checkpoint" in _tables(db) else {}
    expected_seq, prev = start
    stale = db.execute("SELECT seq, hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT 1",
                       (expected_seq,)).fetchone()
    if stale is not None and (stale[0] != expected_seq - 1 or stale[1] != prev):
        return Tampering(int(stale[0]), "differs from its sealed copy")
    for seq, text, prev_hash, digest in db.execute(
        "SELECT seq, row, prev_hash, hash FROM audit WHERE seq >= ? ORDER BY seq",
        (expected_seq,)
    ):
        if seq != expected_seq:
            return Tampering(expected_seq, "is missing")
        if prev_hash == UNTRUSTED:
            return Tampering(seq, "was written after the signed head was removed or forged:"
                                  " rows before it may be missing")
        if prev_hash != prev:
            return Tampering(seq, "does not follow the row before it")
        if _hash(prev_hash, text) != digest:
            return Tampering(seq, "was changed after it was written")
        if seq in checkpoints:
            signed_hash, stamp, sig = checkpoints[seq]
            if signed_hash != digest or public is None or not (
                _signature_ok(public, sig, _checkpoint(seq, signed_hash, stamp))
                or _signature_ok(public, sig, _legacy(seq, signed_hash, stamp))
            ):
                return Tampering(seq, "does not match its signed checkpoint")
        prev, expected_seq = digest, seq + 1
    last = expected_seq - 1
    beyond = [seq for seq in checkpoints if seq > last]
    if beyond:
        return Tampering(last + 1, f"and later rows are missing: a signed checkpoint "
                                   f"covers row {max(beyond)}")
    return last, prev


def _check_reviews(db: sqlite3.Connection) -> tuple[int, str] | Tampering:
    """The newest review and its hash, or the first review that is not as written."""
    if "review" not in _tables(db):
        return 0, GENESIS
    columns = {row[1] for row in db.execute("PRAGMA table_info(review)")}
    if "hash" not in columns:  # an earlier famgraph's log: reviews not chained yet
        count = int(db.execute("SELECT count(*) FROM review").fetchone()[0])
        return (0, GENESIS) if count == 0 else Tampering(
            1, "is not chained yet (a log last written by an earlier famgraph: any famgraph"
               " command that opens it takes it in)", "review")
    prev, expected = GENESIS, 1
    for number, stamp, kind, user, detail, prev_hash, digest in db.execute(
        "SELECT id, time, kind, user, detail, prev_hash, hash FROM review ORDER BY id"
    ):
        if number != expected:
            return Tampering(expected, "is missing", "review")
        if prev_hash == UNTRUSTED:
            return Tampering(number, "was written after the signed head was removed or"
                                     " forged: reviews before it may be missing", "review")
        if prev_hash != prev:
            return Tampering(number, "does not follow the review before it", "review")
        if _hash(prev, review_text(Review(stamp, kind, user, detail))) != digest:
            return Tampering(number, "was changed after it was written", "review")
        prev, expected = digest, number + 1
    return expected - 1, prev


def _signed_head(db: sqlite3.Connection, file: Path) -> Head | tuple[int, str, str, str] | None:
    """The log's signed head, or None if it has none; as (seq, hash, time, signature) if an
    earlier famgraph signed it, when heads and checkpoints signed the same statement.

    A log no famgraph has opened since heads moved inside it still has them in a file.
    """
    if "head" not in _tables(db):
        return _head_file(file)
    columns = {row[1] for row in db.execute("PRAGMA table_info(head)")}
    if "reviews" not in columns:
        row = db.execute("SELECT seq, hash, time, signature FROM head").fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))
    found = db.execute(
        "SELECT seq, hash, reviews, review_hash, time, signature FROM head").fetchone()
    if found is None:
        return None
    if found[2] is None:
        return int(found[0]), str(found[1]), str(found[4]), str(found[5])
    return Head(int(found[0]), str(found[1]), int(found[2]), str(found[3]), str(found[4]),
                str(found[5]))


def _head_file(path: Path) -> tuple[int, str, str, str] | None:
    """A head as an earlier famgraph wrote it, in a file of its own; None if there is none."""
    try:
        head = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return int(head["seq"]), str(head["hash"]), str(head["time"]), str(head["signature"])


def _check_head(
    head: Head | tuple[int, str, str, str] | None, public: Ed25519PublicKey | None,
    rows: tuple[int, str], reviews: tuple[int, str],
) -> Tampering | None:
    last, last_hash = rows
    last_review, last_review_hash = reviews
    if head is None:
        if last:
            return Tampering(last, "is not covered: the signed head is gone")
        if last_review:
            return Tampering(last_review, "is not covered: the signed head is gone", "review")
        return None
    if not isinstance(head, Head):
        # Signed as a checkpoint is: it may be one, copied in to hide what came after.
        return Tampering(min(head[0], last) or 1, "signed head is an earlier famgraph's, which"
                         " a checkpoint could stand in for (any famgraph command that opens"
                         " the log signs it again if it still names the newest row)")
    if not head.signed_by(public):
        return Tampering(min(head.rows, last) or 1, "signed head has a bad signature")
    for signed, have, have_hash, signed_hash, what in (
        (head.rows, last, last_hash, head.hash, "row"),
        (head.reviews, last_review, last_review_hash, head.review_hash, "review"),
    ):
        if signed > have:
            return Tampering(have + 1, f"and later {what}s are missing: the signed head"
                                       f" covers {what} {signed}", what)
        if signed < have:
            return Tampering(signed + 1, "was added after the newest signed head", what)
        if signed_hash != have_hash:
            return Tampering(have, "does not match the signed head", what)
    return None


def _check_anchor(db: sqlite3.Connection, path: Path, anchored: Head, rows: int,
                  reviews: int) -> Tampering | None:
    for covers, have, signed_hash, table, key, what in (
        (anchored.rows, rows, anchored.hash, "audit", "seq", "row"),
        (anchored.reviews, reviews, anchored.review_hash, "review", "id", "review"),
    ):
        if covers > have:
            return Tampering(have + 1, f"and later {what}s are missing: the anchor of"
                                       f" {anchored.time} covers {what} {covers}", what)
        if what == "row" and covers and _anchored_row_elsewhere(db, path, covers, signed_hash):
            continue
        if covers and db.execute(
                f"SELECT hash FROM {table} WHERE {key} = ?",  # noqa: S608 - our own names
                (covers,)).fetchone() != (signed_hash,):
            return Tampering(covers, f"is not what it was when anchored at {anchored.time}",
                             what)
    return None


def _anchored_row_elsewhere(db: sqlite3.Connection, path: Path, seq: int, digest: str) -> bool:
    """Whether the anchored row has left the live log, sealed as it was or retired (the
    chain checks already proved both signed and continuous)."""
    retired = read_retired(db)
    if retired is not None and seq <= retired.seq:
        return True
    for file in segments(path):
        segment = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            seal = read_seal(segment)
            if seal is not None and seal.first <= seq <= seal.last:
                found = segment.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
                return bool(found == (digest,))
        finally:
            segment.close()
    return False


def signed_head(path: Path) -> Head | None:
    """The log's signed head as it stands (a log that verifies has one if it has anything),
    None if it has none in this famgraph's form."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        head = _signed_head(db, path.parent / HEAD_FILE)
    finally:
        db.close()
    return head if isinstance(head, Head) else None


def anchor_of(path: Path, chain: str = "") -> Anchor | None:
    """The log's signed head with the public key beside the log (and the chain's name), to
    keep elsewhere; None if the log has no head yet."""
    head = signed_head(path)
    public = path.parent / PUBLIC_KEY_FILE
    if head is None or not public.exists():
        return None
    return Anchor(head, public.read_bytes().hex(), chain)


def read_anchor(path: Path) -> Anchor:
    """An anchor `famgraph audit anchor` printed, checked against its own key.

    Raises
    ------
    BadAnchor : the file cannot be read, or is not a head signed by the key it names
    """
    try:
        data = json.loads(path.read_text())
        if data.get("famgraph") != "audit-anchor":
            raise ValueError("not an audit anchor")
        anchor = Anchor(Head(int(data["rows"]), str(data["hash"]), int(data["reviews"]),
                             str(data["review_hash"]), str(data["time"]),
                             str(data["signature"])), str(data["public_key"]),
                        str(data.get("chain", "")))
        public = anchor.public()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadAnchor(f"anchor {path} cannot be read: {exc}") from None
    if not anchor.head.signed_by(public):
        raise BadAnchor(f"anchor {path} is not signed by the key it names")
    return anchor
