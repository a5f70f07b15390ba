"""Two `famgraph serve` processes on one Neo4j: users, grants, follows and one-time codes
are shared through Neo4j; each process keeps an audit chain of its own, and `famgraph
audit verify` checks both (docs/neo4j.md, "Several famgraph processes on one Neo4j")."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from neo4j import Driver
from typer.testing import CliRunner

from graph.neo4j.store import delete_everything
from server import totp
from server.cli.main import app as cli
from server.settings import Settings
from server.stores import open_store
from tests.families import family_known_to_many_agencies
from tests.viewers import PASSWORD
from tools.neo4j.launcher import free_port

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parent.parent
SERVE = "import sys; from server.cli.main import app; sys.argv[0] = 'famgraph'; app()"
FAY = '{ person(id: "fay") { birthDate } }'
FOLLOWING = "{ following { edges { node { person { id } } } } }"


@contextmanager
def serving(store: Path, chain: str, env: dict[str, str]) -> Iterator[str]:
    """A `famgraph serve` process writing audit chain `chain`; its base URL. Stopped as
    systemd stops it (SIGTERM), so its audit writer commits what it holds."""
    port = free_port()
    store.mkdir(parents=True)
    with (store.parent / f"{chain}.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--store", str(store), "--port", str(port)],
            cwd=ROOT, env={**env, "FAMGRAPH_AUDIT_CHAIN": chain},
            stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{base} never became ready"
        time.sleep(0.2)


def sign_in(browser: requests.Session, base: str, code: str) -> int:
    """POST the sign-in form as hv, as a browser would; the status code."""
    form = re.search(r'name="csrf_token" value="([^"]+)"',
                     browser.get(f"{base}/signin", timeout=20).text)
    assert form, "no sign-in form"
    return browser.post(f"{base}/signin", timeout=20, allow_redirects=False, data={
        "csrf_token": form.group(1), "user": "hv", "password": PASSWORD, "code": code,
        "purpose": "mash_screening", "next": "/"}).status_code


def ask(browser: requests.Session, base: str, query: str, **headers: str
        ) -> dict[str, object]:
    response = browser.post(f"{base}/graphql", json={"query": query}, headers=headers,
                            timeout=20)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert isinstance(data, dict)
    return data


def test_two_processes_share_users_grants_and_follows_and_each_audit_chain_verifies(
    neo4j_server: tuple[str, str, str], neo4j_driver: Driver, tmp_path: Path,
) -> None:
    delete_everything(neo4j_driver)
    uri, user, password = neo4j_server
    env = {**os.environ, "FAMGRAPH_NEO4J_URI": uri, "FAMGRAPH_NEO4J_USER": user,
           "FAMGRAPH_NEO4J_PASSWORD": password, "FAMGRAPH_MODE": "development"}
    env.pop("FAMGRAPH_STORE_DIR", None)
    seeding = open_store(Settings(store_dir=tmp_path / "seed", neo4j_uri=uri, neo4j_user=user,
                                  neo4j_password=password))
    seeding.write(family_known_to_many_agencies())
    seeding.close()
    one, two = tmp_path / "one", tmp_path / "two"  # each process's own folder, as on two hosts
    runner = CliRunner()

    def famgraph(*args: str, stdin: str | None = None) -> str:
        done = runner.invoke(cli, [*args, "--store", str(one)], input=stdin, env=env)
        assert done.exit_code == 0, done.output
        return done.output

    with serving(one, "web1", env) as first, serving(two, "web2", env) as second:
        # Through the first process's folder, while both start.
        added = famgraph("users", "add", "--name", "hv", "--agency", "health",
                         "--role", "health_visitor", "--password-stdin", stdin=PASSWORD + "\n")
        secret = re.search(r"TOTP secret \(shown once\): (\S+)", added)
        assert secret, added
        token = famgraph("token", "--user", "hv", "--purpose", "mash_screening").strip()
        wait_ready(first)
        wait_ready(second)
        with requests.Session() as browser, requests.Session() as other:
            code = totp.totp(totp.secret_key(secret.group(1)), time.time())
            assert sign_in(browser, second, code) == 303, "the user added through one signs in"
            assert sign_in(other, first, code) != 303, "a one-time code signs in once, anywhere"
            bearer = {"Authorization": f"Bearer {token}"}
            assert ask(browser, second, FAY)["person"] == {"birthDate": None}  # sealed
            famgraph("users", "grant", "--user", "hv", "--person", "fay", "--hours", "2",
                     "--by", "mgr", "--reason", "Health assessment for adoption review")
            # Honoured by both within a second (an answer read that recently stands).
            for session, base, auth in ((browser, second, {}), (other, first, bearer)):
                deadline = time.monotonic() + 3
                while (seen := ask(session, base, FAY, **auth)["person"]) != {
                        "birthDate": "2009-09-09"} and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert seen == {"birthDate": "2009-09-09"}
            followed = ask(other, first,
                           'mutation { follow(personId: "cal") { person { id } } }', **bearer)
            assert followed == {"follow": {"person": {"id": "cal"}}}
            assert ask(browser, second, FOLLOWING) == {
                "following": {"edges": [{"node": {"person": {"id": "cal"}}}]}}
    # Gathered in one folder, as from two hosts, both chains are checked and reported.
    shutil.copytree(two / "audit-chains" / "web2", one / "audit-chains" / "web2")
    verified = famgraph("audit", "verify")
    counts = dict(re.findall(r"audit chain (web\d) intact: (\d+) rows", verified))
    assert set(counts) == {"web1", "web2"}, verified
    assert all(int(rows) > 0 for rows in counts.values()), verified
    looked = famgraph("audit", "person", "fay")
    assert '"chain": "web1"' in looked and '"chain": "web2"' in looked
