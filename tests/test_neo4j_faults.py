"""Faults on Neo4j: the server stopped under traffic and back again, and famgraph killed
in the middle of a load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from graph.neo4j.store import delete_everything
from loaders.synthetic.borough import generate_borough
from server.app import create_app
from server.auth import DEMO_USERS
from server.errors import STORE_RETRY_AFTER
from server.policy import Purpose
from server.settings import Mode, Settings
from server.stores import open_store
from tests.families import two_parent_household
from tools.neo4j.launcher import free_port, start

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLD = '{ person(id: "cara") { household { members { person { givenNames } } } } }'


def test_requests_get_503_while_neo4j_is_stopped_and_service_resumes_when_it_returns(
    tmp_path: Path,
) -> None:
    port, password = free_port(), "faults-test"
    server = start(tmp_path / "neo4j", port, password)
    # A budget the steady traffic stays inside: the 429s are not what is tested here.
    settings = Settings(store_dir=tmp_path / "s", mode=Mode.DEMO, neo4j_uri=server.uri,
                        neo4j_password=password, budget_per_minute=100_000)
    seeding = open_store(settings)
    seeding.write(two_parent_household())
    seeding.close()
    # (status, Retry-After, seconds taken, what Neo4j was doing when the request began)
    seen: list[tuple[int, str | None, float, str]] = []
    phase = ["up"]
    stop = threading.Event()
    try:
        app = create_app(settings)
        with TestClient(app) as client:
            headers = {"Authorization": "Bearer " + app.state.auth.issue(
                DEMO_USERS["sam"], Purpose.MASH_SCREENING)}
            # A user whose account this process has not read before Neo4j goes away.
            newcomer = {"Authorization": "Bearer " + app.state.auth.issue(
                DEMO_USERS["jo"], Purpose.MASH_SCREENING)}

            def traffic() -> None:
                while not stop.is_set():
                    began, when = time.monotonic(), phase[0]
                    response = client.post("/graphql", json={"query": HOUSEHOLD},
                                           headers=headers)
                    seen.append((response.status_code, response.headers.get("Retry-After"),
                                 time.monotonic() - began, when))
                    time.sleep(0.05)  # steady traffic, leaving the cores to Neo4j's restart

            def wait_for(status: int, timeout: float = 120) -> None:
                deadline = time.monotonic() + timeout
                while not any(s == status for s, _, _, _ in seen[-3:]):
                    assert time.monotonic() < deadline, f"no {status} in {seen[-5:]}"
                    time.sleep(0.1)

            sender = threading.Thread(target=traffic)
            sender.start()
            try:
                wait_for(200)
                phase[0] = "stopping"
                server.stop()
                phase[0] = "stopped"
                wait_for(503)
                for path, accept in (("/graphql", "application/json"), ("/", "text/html")):
                    first_look = (client.post(path, json={"query": HOUSEHOLD},
                                              headers=newcomer | {"Accept": accept})
                                  if path == "/graphql" else
                                  client.get(path, headers=newcomer | {"Accept": accept}))
                    assert (first_look.status_code, first_look.headers.get("Retry-After")) == (
                        503, str(STORE_RETRY_AFTER)), (path, first_look.status_code)
                phase[0] = "starting"
                server = start(tmp_path / "neo4j", port, password)
                phase[0] = "back"
                wait_for(200)
            finally:
                stop.set()
                sender.join()
            answer = client.post("/graphql", json={"query": HOUSEHOLD}, headers=headers).json()
    finally:
        server.stop()
    members = answer["data"]["person"]["household"]["members"]
    assert sorted(m["person"]["givenNames"] for m in members) == ["Amy", "Ben", "Dan"]
    statuses = {status for status, _, _, _ in seen}
    odd = [(status, round(took, 1), when) for status, _, took, when in seen
           if status not in (200, 503)]
    assert statuses == {200, 503}, f"only answers or 503s while Neo4j was away: {odd}"
    assert all(wait == str(STORE_RETRY_AFTER) for status, wait, _, _ in seen if status == 503)
    # The deadline runs from the operation's start; a second more covers the HTTP round
    # trip, parsing and the audit row around it.
    slow = [(status, round(took, 2), when) for status, _, took, when in seen
            if took >= settings.operation_timeout + 1.0]
    assert not slow, f"requests past the deadline: {slow} of {len(seen)}"


# The CLI's load with the deterministic rules, as the suite's loads use (see conftest).
LOAD = ("import sys; from loaders import pipeline; "
        "from loaders.identity.rules import RuleResolver; "
        "pipeline.default_resolver = RuleResolver; "
        "from server.cli.main import app; sys.argv[0] = 'famgraph'; app()")


def test_kill_9_during_a_load_leaves_neo4j_as_it_was(
    neo4j_server: tuple[str, str, str], neo4j_driver: Driver, tmp_path: Path,
) -> None:
    delete_everything(neo4j_driver)
    uri, user, password = neo4j_server
    settings = Settings(store_dir=tmp_path / "s", neo4j_uri=uri, neo4j_user=user,
                        neo4j_password=password)
    store = open_store(settings)
    store.write(two_parent_household())
    before = (store.counts(), store.people(["amy", "ben", "cara", "dan"]), store.load_logs())
    summary = generate_borough(people=1500, seed=5, out=tmp_path / "borough")
    loading = subprocess.Popen(
        [sys.executable, "-c", LOAD, "load", "--store", str(tmp_path / "s"), "--neo4j", uri,
         *map(str, summary.folders())],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "FAMGRAPH_NEO4J_USER": user, "FAMGRAPH_NEO4J_PASSWORD": password})
    try:
        deadline = time.monotonic() + 300
        while not _transactions(neo4j_driver, "UNWIND $rows"):
            assert loading.poll() is None, "the load ended before it was seen writing"
            assert time.monotonic() < deadline, "the load never began writing"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the write: nodes of several labels are written
        loading.send_signal(signal.SIGKILL)
    finally:
        loading.kill()
        loading.wait()
    assert loading.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 60
    # Neo4j rolls the load's transaction back once it sees the connection gone.
    while _transactions(neo4j_driver, ""):
        assert time.monotonic() < deadline, "the killed load's transaction stayed open"
        time.sleep(0.1)
    after = (store.counts(), store.people(["amy", "ben", "cara", "dan"]), store.load_logs())
    store.close()
    assert after == before


def _transactions(driver: Driver, running: str) -> int:
    """Open transactions, but this look itself, whose statement now starts with `running`
    (a load writes its batches as `UNWIND $rows` statements, in one transaction)."""
    records, _, _ = driver.execute_query(
        "SHOW TRANSACTIONS YIELD currentQuery "
        "WHERE NOT currentQuery STARTS WITH 'SHOW' AND currentQuery STARTS WITH $running "
        "RETURN count(*) AS n", running=running)
    return int(records[0]["n"])
