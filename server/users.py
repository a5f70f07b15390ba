"""Who may sign in: users with agency, role and team, in users.sqlite in the store folder
(or, shared by several famgraph processes, in Neo4j: `server/accounts_neo4j.py`).

Passwords are Argon2id hashes; each user also has a TOTP secret for the second factor,
and the last time step whose code signed them in, so each code signs in once.
Time-boxed grants let one user see one restricted or sealed person until a set time.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from graph.errors import FamgraphError
from server import totp

USERS_FILE = "users.sqlite"
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
MAX_GRANT_HOURS = 24 * 28

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    agency TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    person_id TEXT NOT NULL,
    until REAL NOT NULL,
    granted_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grants_user ON grants(user, until);
CREATE TABLE IF NOT EXISTS totp_used (
    name TEXT PRIMARY KEY,
    step INTEGER NOT NULL
);
"""


class UserError(FamgraphError):
    """Raised when a user cannot be added or granted as asked; says which field and why."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    display_name: str
    agency: str
    role: str
    team: str = ""
    permissions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class NewUser:
    user: User
    totp_secret: str

    @property
    def provisioning_uri(self) -> str:
        return totp.provisioning_uri(self.totp_secret, self.user.name)


class UserRecords(Protocol):
    """Where users, grants and used one-time steps are kept: the few primitives
    `UserDirectory` is written over. SQLite in the store folder (`SqliteUsers`), or Neo4j
    when several famgraph processes share one (`server/accounts_neo4j.py`)."""

    def insert_user(self, name: str, display_name: str, agency: str, role: str, team: str,
                    password_hash: str, totp_secret: str, created: float) -> bool:
        """Store a new user; False, with nothing stored, if the name is taken."""

    def user(self, name: str) -> User | None: ...

    def credentials(self, name: str) -> tuple[str, str] | None:
        """The user's password hash and TOTP secret, or None if there is no such user."""

    def set_password_hash(self, name: str, password_hash: str) -> None: ...

    def use_step(self, name: str, step: int) -> bool:
        """Record `step` as used by `name`; False if it or a later step already was. One
        atomic step, so two sign-ins racing with one code (from any process) cannot both
        win."""

    def insert_grant(self, user: str, person_id: str, until: float, granted_by: str,
                     reason: str) -> bool:
        """Store a grant; False, with nothing stored, if there is no such user (checked in
        the same atomic step)."""

    def granted(self, user: str, moment: float) -> frozenset[str]:
        """Person ids `user` holds a grant on that lasts past `moment`."""

    def close(self) -> None: ...


class SqliteUsers:
    """Users and grants durable in users.sqlite in the store folder."""

    def __init__(self, store_dir: Path) -> None:
        store_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            store_dir / USERS_FILE, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def insert_user(self, name: str, display_name: str, agency: str, role: str, team: str,
                    password_hash: str, totp_secret: str, created: float) -> bool:
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, display_name, agency, role, team, password_hash, totp_secret,
                     created),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def user(self, name: str) -> User | None:
        with self._lock:
            row = self._db.execute(
                "SELECT name, display_name, agency, role, team FROM users WHERE name = ?", (name,)
            ).fetchone()
        return User(*row) if row else None

    def credentials(self, name: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT password_hash, totp_secret FROM users WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._lock:
            self._db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                             (password_hash, name))

    def use_step(self, name: str, step: int) -> bool:
        # One conditional statement: atomic for this process and any other on the file.
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO totp_used(name, step) VALUES (?, ?) ON CONFLICT(name) DO UPDATE "
                "SET step = excluded.step WHERE excluded.step > totp_used.step",
                (name, step),
            )
        return cursor.rowcount == 1

    def insert_grant(self, user: str, person_id: str, until: float, granted_by: str,
                     reason: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO grants(user, person_id, until, granted_by, reason) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE name = ?)",
                (user, person_id, until, granted_by, reason, user),
            )
        return cursor.rowcount == 1

    def granted(self, user: str, moment: float) -> frozenset[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT person_id FROM grants WHERE user = ? AND until > ?", (user, moment)
            ).fetchall()
        return frozenset(pid for (pid,) in rows)

    def close(self) -> None:
        self._db.close()


class UserDirectory:
    """The users and grants famgraph signs people in with, over one `UserRecords`: the
    store folder's SQLite (given a folder), or records shared by several processes."""

    def __init__(self, where: Path | UserRecords) -> None:
        self._records: UserRecords = SqliteUsers(where) if isinstance(where, Path) else where
        self._hasher = PasswordHasher()

    def add(
        self, name: str, display_name: str, agency: str, role: str, team: str, password: str
    ) -> NewUser:
        """Store a new user with a hashed password and a fresh TOTP secret.

        Raises
        ------
        UserError : bad name, short password, or the name is taken
        """
        if not NAME.match(name):
            raise UserError(f"user name {name!r} must be 2 to 64 characters: a lower-case letter"
                            " first, then lower-case letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password must be at least {MIN_PASSWORD} characters")
        secret = totp.new_secret()
        user = User(name, display_name or name, agency, role, team)
        hashed = self._hasher.hash(password)
        if not self._records.insert_user(name, user.display_name, agency, role, team, hashed,
                                         secret, time.time()):
            raise UserError(f"user {name} already exists")
        return NewUser(user, secret)

    def get(self, name: str) -> User | None:
        return self._records.user(name)

    def check(self, name: str, password: str, code: str, now: float | None = None) -> User | None:
        """The user if the password and the one-time code are both right and the code's
        time step is later than the last one that signed this user in, else None.

        Slow on purpose (Argon2): call it off the event loop.
        """
        found = self._records.credentials(name)
        if found is None:
            # Hash anyway so a missing user takes as long as a wrong password.
            self._hasher.hash(password)
            return None
        stored, secret = found
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        step = totp.matching_step(secret, code, now)
        if step is None or not self._records.use_step(name, step):
            return None
        if self._hasher.check_needs_rehash(stored):
            self._records.set_password_hash(name, self._hasher.hash(password))
        return self.get(name)

    def grant(
        self, user: str, person_id: str, hours: float, granted_by: str, reason: str,
        now: float | None = None,
    ) -> float:
        """Let `user` see restricted facts about one person for `hours`; returns the end time.

        Raises
        ------
        UserError : unknown user, or hours outside (0, four weeks]
        """
        if self.get(user) is None:
            raise UserError(f"no user {user}")
        if not 0 < hours <= MAX_GRANT_HOURS:
            raise UserError(f"a grant lasts more than 0 and at most {MAX_GRANT_HOURS} hours")
        until = (time.time() if now is None else now) + hours * 3600
        if not self._records.insert_grant(user, person_id, until, granted_by, reason):
            raise UserError(f"no user {user}")
        return until

    def grants_of(self, user: str, now: float | None = None) -> frozenset[str]:
        """Person ids `user` holds a live grant on."""
        return self._records.granted(user, time.time() if now is None else now)

    def close(self) -> None:
        self._records.close()
