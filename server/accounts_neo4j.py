"""Users, grants and follows in Neo4j, shared by every famgraph process on one database.

The same primitives as the SQLite files in the store folder (`server.users.UserRecords`,
`server.following.FollowRecords`), so signing in, granting and following are written once
(`UserDirectory`, `Following`). They live in `server/`, not `graph/`: they are who may
sign in and what they asked to hear about, not the family graph, and the graph knows no
passwords. Their Cypher is in `graph/neo4j/cypher.py` with the rest.

Atomic as the SQLite versions are, across processes: a name is taken once (a uniqueness
constraint), a one-time code signs in once (the user's write lock, `USE_TOTP_STEP`), a
grant is made only to a user who exists (one statement), a follow is made once (MERGE on
a constrained key).

Every request reads its user and their grants (`Authenticator.viewer`), on the event
loop. Once a user's have been read, each later read is asked once on a thread of its own
(not retried, within half a second) and waited for at most a fifth of a second. Once one
fails or is not back in time, they answer as they last did, without asking Neo4j, until
a thread of their own finds Neo4j answering again: requests go on at once to the store's
503 instead of each holding the loop while a stopped or restarting Neo4j refuses, or
hangs on, a connection. Nothing read that way is out of date for long: an unreachable
Neo4j takes no new users or grants, and a grant's end time is checked here against the
clock.

An answer read in the last `FRESH_SECONDS` is used again without asking: a request's
user and grants would otherwise cost it two more round trips to Neo4j, and a person
reading a page asks several times a second. Nothing can be taken away by waiting (there
is no command that removes a user or ends a grant early; an end time is checked against
the clock), so the wait only delays what another process adds: a user added, or a grant
made, through another process counts here within that second. A grant made through this
process counts at once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, LiteralString

from neo4j import READ_ACCESS, Driver, Query, Record, RoutingControl
from neo4j.exceptions import ClientError, ConstraintError

from graph.errors import StoreTimeout, StoreUnavailable
from graph.neo4j import cypher
from graph.neo4j.store import READ_TIMEOUT, as_store_errors
from server.users import User

# A write here is one small statement: the store's read timeout is ample.
_TIMEOUT = READ_TIMEOUT
# The reads every request makes (its user, their grants) are index lookups taking well
# under a millisecond, made on the event loop: one that takes longer is given up, and
# answered as last time (`read_or_last`).
_READ_TIMEOUT = 0.5
# Seconds between asks of a Neo4j found away, until it answers.
PROBE_SECONDS = 0.5
# Seconds a request waits for a read of its user or grants that has an answer to fall
# back on: kept well inside what the store's own calls leave of a request's deadline.
WAIT_SECONDS = 0.2
READERS = 4
# Seconds an answer just read stands for a request's user or grants without asking again.
FRESH_SECONDS = 1.0


class Neo4jAccounts:
    """Runs the accounts' statements on one database; the driver belongs to the caller."""

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self._driver, self._database = driver, database
        # key -> (time.monotonic() when read, the rows)
        self._last: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._away = False  # a read failed, and the probe has not yet found Neo4j back
        self._stopped = threading.Event()
        # Reads are asked on these threads so that the caller's wait is bounded whatever
        # the driver waits for (a connection to a Neo4j half started can take seconds).
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="famgraph-accounts")

    def read_or_last(self, key: tuple[str, str], statement: LiteralString, **parameters: Any
                     ) -> list[dict[str, Any]]:
        """The statement's rows; while Neo4j is out of reach or slow, those it gave last
        time for `key`.

        Something never read before has no answer to fall back on, so it is asked as any
        other statement is (retried, within the store's read timeout).

        Raises
        ------
        StoreUnavailable : Neo4j is out of reach and this was never read before
        StoreTimeout : Neo4j is slow and this was never read before
        """
        with self._lock:
            read_at, last = self._last.get(key, (0.0, None))
        if last is not None and time.monotonic() - read_at < FRESH_SECONDS:
            return last
        if not self._away:
            try:
                if last is None:
                    rows = [dict(record) for record in self.run(statement, **parameters)]
                else:
                    rows = self._readers.submit(self._read_once, statement, **parameters
                                                ).result(WAIT_SECONDS)
            except (StoreUnavailable, StoreTimeout, TimeoutError):
                self._went_away()
                if last is None:
                    raise
            else:
                with self._lock:
                    self._last[key] = (time.monotonic(), rows)
                return rows
        if last is None:
            raise StoreUnavailable("Neo4j was out of reach a moment ago")
        return last

    def forget(self, key: tuple[str, str]) -> None:
        """Ask Neo4j next time for `key`, however recently it was read."""
        with self._lock:
            if key in self._last:
                self._last[key] = (0.0, self._last[key][1])

    def _went_away(self) -> None:
        with self._lock:
            if self._away:
                return
            self._away = True
        threading.Thread(target=self._probe, name="famgraph-accounts-probe", daemon=True
                         ).start()

    def _probe(self) -> None:
        """Ask Neo4j, off the event loop, until it answers; then reads ask it again."""
        while not self._stopped.wait(PROBE_SECONDS):
            try:
                self._read_once(cypher.ACCOUNTS_PROBE)
            except Exception:  # noqa: S112 - away still, or the driver closed: ask again
                continue
            self._away = False
            return

    def stop(self) -> None:
        """Stop asking after a Neo4j found away (before the driver is closed)."""
        self._stopped.set()
        self._readers.shutdown(wait=False, cancel_futures=True)

    def migrate(self) -> None:
        """Put the accounts' constraints and index in place, and plan the reads every
        request makes (a cold plan can take longer than they are given); idempotent.

        Raises
        ------
        StoreUnavailable : Neo4j is not reachable
        """
        for statement in cypher.ACCOUNT_CONSTRAINTS:
            try:
                self.run(statement, write=True)
            except ClientError as exc:
                # Two processes starting together can race to create the same rule.
                if "EquivalentSchemaRuleAlreadyExists" not in (exc.code or ""):
                    raise
        self.run(cypher.ACCOUNT_USER, name="")
        self.run(cypher.LIVE_ACCOUNT_GRANTS, user="", moment=0.0)

    def run(self, statement: LiteralString, write: bool = False, **parameters: Any
            ) -> list[Record]:
        """The statement's records, retried by the driver on a transient failure.

        Raises
        ------
        StoreUnavailable : Neo4j is not reachable
        StoreTimeout : Neo4j did not answer in time
        """
        with as_store_errors(_TIMEOUT):
            records, _, _ = self._driver.execute_query(
                Query(statement, timeout=_TIMEOUT), parameters,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
                database_=self._database,
            )
        return list(records)

    def _read_once(self, statement: LiteralString, **parameters: Any) -> list[dict[str, Any]]:
        """The statement's rows, asked once (an auto-commit transaction, which the driver
        does not retry) within `_READ_TIMEOUT`."""
        with as_store_errors(_READ_TIMEOUT), self._driver.session(
                database=self._database, default_access_mode=READ_ACCESS) as session:
            return [dict(record) for record in
                    session.run(Query(statement, timeout=_READ_TIMEOUT), parameters)]


class Neo4jUsers:
    """`UserRecords` in Neo4j: `FamgraphUser` and `FamgraphGrant` nodes."""

    def __init__(self, accounts: Neo4jAccounts) -> None:
        self._accounts = accounts

    def insert_user(self, name: str, display_name: str, agency: str, role: str, team: str,
                    password_hash: str, totp_secret: str, created: float) -> bool:
        row = {"name": name, "display_name": display_name, "agency": agency, "role": role,
               "team": team, "password_hash": password_hash, "totp_secret": totp_secret,
               "created": created}
        try:
            self._accounts.run(cypher.CREATE_ACCOUNT_USER, write=True, row=row)
        except ConstraintError:
            return False
        self._accounts.forget(("user", name))  # found at once in this process
        return True

    def user(self, name: str) -> User | None:
        found = self._accounts.read_or_last(("user", name), cypher.ACCOUNT_USER, name=name)
        if not found:
            return None
        r = found[0]
        return User(r["name"], r["display_name"], r["agency"], r["role"], r["team"])

    def credentials(self, name: str) -> tuple[str, str] | None:
        found = self._accounts.run(cypher.ACCOUNT_CREDENTIALS, name=name)
        return (str(found[0]["password_hash"]), str(found[0]["totp_secret"])) if found else None

    def set_password_hash(self, name: str, password_hash: str) -> None:
        self._accounts.run(cypher.REHASH_ACCOUNT_USER, write=True, name=name,
                           hash=password_hash)

    def use_step(self, name: str, step: int) -> bool:
        return bool(self._accounts.run(cypher.USE_TOTP_STEP, write=True, name=name, step=step))

    def insert_grant(self, user: str, person_id: str, until: float, granted_by: str,
                     reason: str) -> bool:
        made = bool(self._accounts.run(
            cypher.ADD_ACCOUNT_GRANT, write=True, user=user, person_id=person_id, until=until,
            granted_by=granted_by, reason=reason))
        self._accounts.forget(("grants", user))  # counts at once in this process
        return made

    def granted(self, user: str, moment: float) -> frozenset[str]:
        rows = self._accounts.read_or_last(("grants", user), cypher.LIVE_ACCOUNT_GRANTS,
                                           user=user, moment=moment)
        return frozenset(str(r["person_id"]) for r in rows if float(r["until"]) > moment)

    def close(self) -> None:
        """Stops asking after an absent Neo4j; the driver belongs to whoever opened the
        accounts."""
        self._accounts.stop()


class Neo4jFollows:
    """`FollowRecords` in Neo4j: `FamgraphFollow` nodes, keyed by user and person id."""

    def __init__(self, accounts: Neo4jAccounts) -> None:
        self._accounts = accounts

    def add(self, user: str, person_id: str, since: str) -> str:
        found = self._accounts.run(cypher.FOLLOW_PERSON, write=True, user=user,
                                   person_id=person_id, since=since)
        return str(found[0]["since"])

    def remove(self, user: str, person_id: str) -> bool:
        return bool(self._accounts.run(cypher.UNFOLLOW_PERSON, write=True, user=user,
                                       person_id=person_id))

    def of(self, user: str) -> list[tuple[str, str]]:
        return [(str(r["person_id"]), str(r["since"]))
                for r in self._accounts.run(cypher.FOLLOWED_PEOPLE, user=user)]

    def close(self) -> None:
        """The driver belongs to whoever opened the accounts."""
