"""Who each user follows: in following.sqlite beside the users in the store folder, or in
Neo4j when several famgraph processes share one (`server/accounts_neo4j.py`).

Following someone asks famgraph to tell you what it learns about them (`changes` and
the `changes` subscription); it grants no access: every change still passes the policy.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

FOLLOWING_FILE = "following.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    user TEXT NOT NULL,
    person_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (user, person_id)
) WITHOUT ROWID;
"""


class FollowRecords(Protocol):
    """Where follows are kept: the primitives `Following` is written over. Times travel as
    ISO 8601 text, as they are stored."""

    def add(self, user: str, person_id: str, since: str) -> str:
        """Follow one person from `since` unless already followed (one atomic step);
        returns since when the user follows them."""

    def remove(self, user: str, person_id: str) -> bool:
        """Stop following; False if the user was not following them."""

    def of(self, user: str) -> list[tuple[str, str]]:
        """(person id, since) for everyone `user` follows, ordered by person id."""

    def close(self) -> None: ...


class SqliteFollows:
    """Follows durable in following.sqlite in the store folder."""

    def __init__(self, store_dir: Path) -> None:
        store_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            store_dir / FOLLOWING_FILE, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def add(self, user: str, person_id: str, since: str) -> str:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO follows(user, person_id, since) VALUES (?, ?, ?)",
                (user, person_id, since),
            )
            row = self._db.execute(
                "SELECT since FROM follows WHERE user = ? AND person_id = ?", (user, person_id)
            ).fetchone()
        return str(row[0])

    def remove(self, user: str, person_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM follows WHERE user = ? AND person_id = ?", (user, person_id)
            )
        return cursor.rowcount > 0

    def of(self, user: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT person_id, since FROM follows WHERE user = ? ORDER BY person_id",
                (user,),
            ).fetchall()
        return [(str(pid), str(since)) for pid, since in rows]

    def close(self) -> None:
        self._db.close()


class Following:
    """The people each user follows, over one `FollowRecords`: the store folder's SQLite
    (given a folder), or records shared by several processes."""

    def __init__(self, where: Path | FollowRecords) -> None:
        self._records: FollowRecords = SqliteFollows(where) if isinstance(where, Path) else where

    def follow(self, user: str, person_id: str) -> datetime:
        """Follow one person (again is harmless); returns since when."""
        since = datetime.now(UTC).isoformat(timespec="seconds")
        return datetime.fromisoformat(self._records.add(user, person_id, since))

    def unfollow(self, user: str, person_id: str) -> bool:
        """Stop following one person; False if the user was not following them."""
        return self._records.remove(user, person_id)

    def followed(self, user: str) -> dict[str, datetime]:
        """Person id: since when, for everyone `user` follows, ordered by person id."""
        return {pid: datetime.fromisoformat(since) for pid, since in self._records.of(user)}

    def close(self) -> None:
        self._records.close()
