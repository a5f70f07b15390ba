"""Who each user follows, durable in following.sqlite beside the users in the store folder.

Following someone asks famgraph to tell you what it learns about them (`changes` and
the `changes` subscription); it grants no access: every change still passes the policy.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

FOLLOWING_FILE = "following.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    user TEXT NOT NULL,
    person_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (user, person_id)
) WITHOUT ROWID;
"""


class Following:
    """The people each user follows."""

    def __init__(self, store_dir: Path) -> None:
        store_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            store_dir / FOLLOWING_FILE, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def follow(self, user: str, person_id: str) -> datetime:
        """Follow one person (again is harmless); returns since when."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO follows(user, person_id, since) VALUES (?, ?, ?)",
                (user, person_id, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            row = self._db.execute(
                "SELECT since FROM follows WHERE user = ? AND person_id = ?", (user, person_id)
            ).fetchone()
        return datetime.fromisoformat(row[0])

    def unfollow(self, user: str, person_id: str) -> bool:
        """Stop following one person; False if the user was not following them."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM follows WHERE user = ? AND person_id = ?", (user, person_id)
            )
        return cursor.rowcount > 0

    def followed(self, user: str) -> dict[str, datetime]:
        """Person id: since when, for everyone `user` follows, ordered by person id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT person_id, since FROM follows WHERE user = ? ORDER BY person_id",
                (user,),
            ).fetchall()
        return {pid: datetime.fromisoformat(since) for pid, since in rows}

    def close(self) -> None:
        self._db.close()
