"""Users, grants and follows keep their promises on both backends: the SQLite files of one
store folder, and Neo4j shared by several processes (`server/accounts_neo4j.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from graph.neo4j.store import delete_everything
from server import totp
from server.accounts_neo4j import FRESH_SECONDS, Neo4jAccounts, Neo4jFollows, Neo4jUsers
from server.following import Following, FollowRecords, SqliteFollows
from server.users import SqliteUsers, UserDirectory, UserError, UserRecords

PASSWORD = "correct horse battery"  # noqa: S105 - a test user's password
BACKENDS = [pytest.param("sqlite", marks=pytest.mark.embedded),
            pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def records(request: pytest.FixtureRequest, tmp_path: Path
            ) -> Iterator[tuple[UserRecords, FollowRecords]]:
    """Empty records of each backend. On Neo4j, threads asking at once run transactions of
    their own, as two processes' would."""
    if request.param == "sqlite":
        yield SqliteUsers(tmp_path), SqliteFollows(tmp_path)
        return
    driver: Driver = request.getfixturevalue("neo4j_driver")
    delete_everything(driver)
    shared = Neo4jAccounts(driver)
    shared.migrate()
    yield Neo4jUsers(shared), Neo4jFollows(shared)


@pytest.fixture
def accounts(records: tuple[UserRecords, FollowRecords]) -> tuple[UserDirectory, Following]:
    return UserDirectory(records[0]), Following(records[1])


def test_a_name_is_taken_once(accounts: tuple[UserDirectory, Following]) -> None:
    users, _ = accounts
    users.add("hv", "HV", "health", "health_visitor", "", PASSWORD)
    with pytest.raises(UserError, match="already exists"):
        users.add("hv", "Other", "police", "police_officer", "", PASSWORD)
    assert users.get("hv") is not None and users.get("hv").agency == "health"  # type: ignore[union-attr]


def test_a_one_time_code_signs_in_once(accounts: tuple[UserDirectory, Following]) -> None:
    users, _ = accounts
    secret = users.add("hv", "HV", "health", "health_visitor", "", PASSWORD).totp_secret
    code = totp.totp(totp.secret_key(secret), 1_000_000.0)
    assert users.check("hv", PASSWORD, code, now=1_000_000.0) is not None
    assert users.check("hv", PASSWORD, code, now=1_000_000.0) is None
    assert users.check("hv", "wrong password!", code, now=1_000_060.0) is None
    later = totp.totp(totp.secret_key(secret), 1_000_060.0)
    assert users.check("hv", PASSWORD, later, now=1_000_060.0) is not None


def test_of_sign_ins_racing_with_one_code_exactly_one_wins(
    records: tuple[UserRecords, FollowRecords], accounts: tuple[UserDirectory, Following],
) -> None:
    accounts[0].add("hv", "HV", "health", "health_visitor", "", PASSWORD)
    users, racers, rounds = records[0], 6, 15
    start = threading.Barrier(racers)
    won: list[list[bool]] = [[] for _ in range(rounds)]

    def sign_in() -> None:
        for step in range(rounds):
            start.wait()
            won[step].append(users.use_step("hv", step + 1))

    racing = [threading.Thread(target=sign_in) for _ in range(racers)]
    for thread in racing:
        thread.start()
    for thread in racing:
        thread.join()
    assert [sum(each) for each in won] == [1] * rounds


def test_a_grant_needs_a_user_and_lasts_its_hours(
    accounts: tuple[UserDirectory, Following],
) -> None:
    users, _ = accounts
    with pytest.raises(UserError, match="no user nobody"):
        users.grant("nobody", "fay", 2, "mgr", "why")
    users.add("hv", "HV", "health", "health_visitor", "", PASSWORD)
    until = users.grant("hv", "fay", 2, "mgr", "Health assessment", now=1000.0)
    assert until == 1000.0 + 7200
    assert users.grants_of("hv", now=until - 1) == {"fay"}
    assert users.grants_of("hv", now=until) == frozenset()
    assert users.grants_of("sam", now=until - 1) == frozenset()


def test_following_twice_keeps_the_first_since_and_unfollowing_says_if_it_did(
    accounts: tuple[UserDirectory, Following],
) -> None:
    _, following = accounts
    since = following.follow("hv", "zak")
    following.follow("hv", "amy")
    assert following.follow("hv", "zak") == since
    assert following.followed("hv") == {"amy": following.followed("hv")["amy"], "zak": since}
    assert list(following.followed("hv")) == ["amy", "zak"]
    assert following.unfollow("hv", "zak") is True
    assert following.unfollow("hv", "zak") is False
    assert list(following.followed("hv")) == ["amy"]
    assert following.followed("sam") == {}


@pytest.mark.neo4j
def test_on_neo4j_a_grant_made_elsewhere_counts_within_a_second_and_here_at_once(
    neo4j_driver: Driver,
) -> None:
    """An answer read in the last second stands (two round trips fewer a request); nothing
    can be taken away by that wait, and what another process adds counts within it."""
    delete_everything(neo4j_driver)
    here, there = Neo4jAccounts(neo4j_driver), Neo4jAccounts(neo4j_driver)
    here.migrate()
    ours, theirs = UserDirectory(Neo4jUsers(here)), UserDirectory(Neo4jUsers(there))
    ours.add("hv", "HV", "health", "health_visitor", "", PASSWORD)
    assert ours.grants_of("hv") == theirs.grants_of("hv") == frozenset()  # fresh in both
    ours.grant("hv", "fay", 2, "mgr", "Health assessment for adoption review")
    assert ours.grants_of("hv") == {"fay"}, "counts at once where it was made"
    time.sleep(FRESH_SECONDS)
    assert theirs.grants_of("hv") == {"fay"}, "and within a second elsewhere"
