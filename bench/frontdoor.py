"""The front-door GraphQL query under load, side by side with a plain Starlette JSON endpoint.

    python -m bench.frontdoor --people 100000 [--store DIR] [--seconds 15] [--neo4j | --both]

Builds (or reuses) an embedded store of a synthetic borough, serves the real app with one
uvicorn worker in production mode, and drives two endpoints in turn with `wrk` at 8
connections: `/graphql` with the front-door query for one child (household with
relationships, services engaged across the household with leads, discrepancies);
`/plain/{id}`, which asks the store the same questions and returns JSON with no GraphQL,
no access policy and no audit; and `/audited/{id}`, the same JSON with every fact through
the one policy and its audit rows written, as any famgraph endpoint must. Reports
requests per second and p99 of each and the ratios; the issue's targets are GraphQL at
least 0.4 of the plain endpoint's requests per second, and a GraphQL p99 of at most 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.openloop import OpenRun, http_request, offer

FRONT_DOOR = """query FrontDoor($id: ID!) {
  person(id: $id) {
    id displayName birthDate
    household {
      address { line1 postcode }
      members { relationshipToSubject since person { id displayName birthDate } }
      membersWithheld
    }
    servicesEngaged(scope: HOUSEHOLD) {
      relationshipToSubject service level start end
      organisation { name }
      lead { name role team phone email }
      person { id displayName }
    }
    servicesWithheld(scope: HOUSEHOLD)
    discrepancies { field assertions { value sources { system recordId } } }
  }
}"""

BENCH_USER = "bench.mash"
TARGET_RATIO = 0.4
TARGET_P99_MS = 20.0


def _plain(value: Any) -> Any:
    """JSON for the question answers: dataclasses as dicts, dates as ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def app() -> Starlette:
    """The famgraph app of FAMGRAPH_* settings, plus the plain endpoint to compare it with."""
    from graph.questions.discrepancies import discrepancies_of
    from graph.questions.household import household_of
    from graph.questions.services import Scope, services_engaged
    from server.app import create_app, freeze_loaded_heap
    from server.context import Disclosure
    from server.graphql_view import viewer_of
    from server.policy import Category
    from server.settings import Settings

    settings = Settings.from_env()
    # The plain endpoint answers with no policy and no audit: only ever over a synthetic
    # borough this benchmark built (its ground truth lies beside the store).
    if os.environ.get("FAMGRAPH_BENCH_SYNTHETIC") != "1" or not (
            settings.store_dir.parent / "borough" / "truth").is_dir():
        raise SystemExit("bench.frontdoor serves only a synthetic borough it built itself")
    famgraph = create_app(settings)
    store = famgraph.state.store

    def plain(request: Request) -> JSONResponse:
        person_id = request.path_params["person_id"]
        household = household_of(store, person_id)
        return JSONResponse({
            "household": {
                "address": _plain(household.address),
                "members": [{"relationship": m.relationship, "since": _plain(m.since),
                             "person": {"id": m.person.id, "name": m.person.display_name,
                                        "birthDate": _plain(m.person.birth_date)}}
                            for m in household.members],
            },
            "services": [{"relationship": s.relationship, "involvement": _plain(s.view)}
                         for s in services_engaged(store, person_id, Scope.HOUSEHOLD)],
            "discrepancies": _plain(discrepancies_of(store, person_id)),
        })

    async def audited(request: Request) -> JSONResponse:
        """The same answer as a famgraph JSON endpoint would have to give it: every fact
        through the one policy and an audit row per person, before the reply."""
        viewer = viewer_of(request, famgraph.state.auth)
        if viewer is None:
            return JSONResponse({"error": "sign in"}, status_code=401)
        person_id = request.path_params["person_id"]
        disclosure = Disclosure(viewer, "frontdoor-json", "", rules=famgraph.state.rules)

        def person(p: Any) -> Any:
            shown = disclosure.release(p.id, p)
            return None if shown is None else {"id": shown.id, "name": shown.display_name,
                                                "birthDate": _plain(shown.birth_date)}

        subject = store.people([person_id])[person_id]
        decision = disclosure.decide(person_id, subject)
        # Discrepancies are what each source asserts: demographics with their sources.
        asserted = decision.value is not None and not (
            decision.withheld & {Category.DEMOGRAPHICS, Category.SOURCES})
        household = household_of(store, person_id)
        address = disclosure.release(person_id, household.address) if household.address else None
        services = []
        for s in services_engaged(store, person_id, Scope.HOUSEHOLD):
            view = disclosure.release(s.person_id, s.view)
            if view is not None:
                services.append({"relationship": s.relationship, "involvement": _plain(view)})
        body = {
            "person": person(subject),
            "household": {"address": _plain(address),
                          "members": [{"relationship": m.relationship, "since": _plain(m.since),
                                       "person": person(m.person)} for m in household.members]},
            "services": services,
            "discrepancies": _plain(discrepancies_of(store, person_id)) if asserted else None,
        }
        await disclosure.commit_async(famgraph.state.audit)
        return JSONResponse(body)

    famgraph.router.routes.insert(0, Route("/plain/{person_id}", plain))
    famgraph.router.routes.insert(0, Route("/audited/{person_id}", audited))
    freeze_loaded_heap()  # as `famgraph serve` does
    return famgraph


def _build_store(people: int, root: Path) -> Path:
    from graph.embedded import EmbeddedStore
    from loaders.pipeline import load_extract
    from loaders.synthetic import generate_borough

    summary = generate_borough(people=people, seed=1, out=root / "borough")
    store = EmbeddedStore(root / "store")
    try:
        load_extract(store, summary.folders())
    finally:
        store.close()
    return root / "store"


ON_NEO4J = "GraphQL on Neo4j"


def _bench_user(directory: Any) -> None:
    """The bench's MASH worker in these users (a `server.users.UserDirectory`)."""
    if directory.get(BENCH_USER) is None:
        directory.add(BENCH_USER, "Bench MASH worker", "childrens_social_care",
                      "social_worker", "MASH", "bench-password-not-secret")


def _child_and_token(store_dir: Path, record_key: str) -> tuple[str, str]:
    """The person the demo child's record resolved to, and a MASH screening token."""
    from graph.embedded import EmbeddedStore
    from server.auth import Authenticator, load_secret
    from server.policy import Purpose
    from server.users import UserDirectory

    store = EmbeddedStore(store_dir)
    try:
        store.migrate()  # a folder kept from an older famgraph
        owner = store.record_owners([f"R:{record_key}"])
    finally:
        store.close()
    if not owner:
        sys.exit(f"the store has no record {record_key}")
    directory = UserDirectory(store_dir)
    try:
        _bench_user(directory)
        auth = Authenticator(load_secret(store_dir), {}, 8.0, demo=False, directory=directory)
        user = auth.user(BENCH_USER)
        assert user is not None
        return next(iter(owner.values())), auth.issue(user, Purpose.MASH_SCREENING)
    finally:
        directory.close()


def prepared(store: Path | None, people: int, prefix: str) -> tuple[Path, str, str]:
    """The bench folder (its store built once), the demo child's person id, and a MASH
    screening token; exits if wrk, which every run needs, is missing."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench-frontdoor` installs it")
    root = store or Path(tempfile.mkdtemp(prefix=prefix))
    if not (root / "store").exists():
        started = time.perf_counter()
        _build_store(people, root)
        print(f"built a {people:,}-person store in {time.perf_counter() - started:.0f} s")
    demo = json.loads((root / "borough" / "demo.json").read_text())
    child, token = _child_and_token(root / "store", f"{demo['system']}/{demo['record_id']}")
    return root, child, token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class Neo4jCopy:
    server: Any  # tools.neo4j.launcher.RunningNeo4j
    settings: dict[str, str]  # FAMGRAPH_NEO4J_* for the served app


def _neo4j_copy(root: Path, page_cache_mb: int) -> Neo4jCopy:
    """The project's Neo4j, started in `root`, holding a copy of the embedded store."""
    from neo4j import GraphDatabase

    from bench.backends import copy_into
    from graph.embedded import EmbeddedStore
    from graph.neo4j.store import Neo4jStore
    from server.settings import Settings
    from server.stores import open_accounts
    from tools.neo4j.launcher import start

    # A fresh database each run: a reused one keeps the password of its first start.
    shutil.rmtree(root / "neo4j", ignore_errors=True)
    server = start(root / "neo4j", page_cache_mb=page_cache_mb)
    driver = GraphDatabase.driver(server.uri, auth=(server.user, server.password),
                                  notifications_min_severity="OFF")
    source = EmbeddedStore(root / "store")
    try:
        source.migrate()
        target = Neo4jStore(driver)
        target.migrate()
        started = time.perf_counter()
        items = copy_into(source, target)
        print(f"copied {items:,} nodes and edges into Neo4j in "
              f"{time.perf_counter() - started:.0f} s")
    finally:
        source.close()
        driver.close()
    # Served from Neo4j, users are read from there (docs/neo4j.md): the bench's user too.
    accounts = open_accounts(Settings(store_dir=root / "store", neo4j_uri=server.uri,
                                      neo4j_user=server.user, neo4j_password=server.password))
    try:
        _bench_user(accounts.users)
    finally:
        accounts.close()
    return Neo4jCopy(server, {"FAMGRAPH_NEO4J_URI": server.uri,
                              "FAMGRAPH_NEO4J_USER": server.user,
                              "FAMGRAPH_NEO4J_PASSWORD": server.password})


def _serve(store_dir: Path, port: int, neo4j: dict[str, str] | None = None
           ) -> subprocess.Popen[bytes]:
    env = dict(os.environ, FAMGRAPH_STORE_DIR=str(store_dir), FAMGRAPH_MODE="production",
               FAMGRAPH_BENCH_SYNTHETIC="1",
               FAMGRAPH_BUDGET_PER_MINUTE=str(10**9), FAMGRAPH_ALERT_DISTINCT_PEOPLE=str(10**9),
               **(neo4j or {}))
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.frontdoor:app", "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
         "--log-level", "warning"],
        env=env,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.5)
    server.kill()
    sys.exit("the server did not start within 300 s")


# Neo4j's JIT compiles its query paths over the first thousand or so requests: on this
# machine a cold Neo4j answered the front door at half the rate it settles at. A served
# Neo4j runs warm, so the bench warms it until a run is within this share of the one
# before, either way (or for at most WARM_RUNS runs of WARM_SECONDS).
WARM_SETTLED = 0.05
WARM_RUNS = 12
WARM_SECONDS = 5


def _answers(name: str, url: str, body: dict[str, Any] | None, token: str) -> None:
    """Exit unless the endpoint answers the bench's question about the child: wrk counts a
    GraphQL answer of errors (status 200) as a request served, and errors come fast."""
    request = urllib.request.Request(  # noqa: S310 (the bench's own loopback server)
        url, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read())
    except (OSError, ValueError) as exc:  # HTTPError is an OSError; bad JSON a ValueError
        sys.exit(f"{name} did not answer the front-door question: {exc}")
    found = answer.get("data", {}).get("person") if body else answer.get("household")
    if answer.get("errors") or not found:
        sys.exit(f"{name} did not answer the front-door question: "
                 f"{answer.get('errors') or 'no child in the answer'}")


def _warm_neo4j(url: str, body: dict[str, Any], token: str, connections: int) -> None:
    rates = [_wrk(url, WARM_SECONDS, connections, body, token).requests_per_second]
    while len(rates) < WARM_RUNS:
        rates.append(_wrk(url, WARM_SECONDS, connections, body, token).requests_per_second)
        if abs(rates[-1] - rates[-2]) <= WARM_SETTLED * rates[-2]:
            break
    print(f"warmed Neo4j for {WARM_SECONDS * len(rates)} s: {rates[0]:.0f} req/s at first, "
          f"{rates[-1]:.0f} at the end")


@dataclasses.dataclass(frozen=True)
class Run:
    requests_per_second: float
    p99_ms: float
    errors: int
    max_ms: float = 0.0
    timeouts: int = 0  # requests wrk gave up on (2 s): not in its latency figures at all


def _milliseconds(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"wrk printed a latency this bench cannot read: {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def _wrk(url: str, seconds: int, connections: int, body: dict[str, Any] | None,
         token: str) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        if body is not None:
            script.write('wrk.method = "POST"\n')
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
            script.write(f"wrk.body = {json.dumps(json.dumps(body))}\n")
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
             "-s", script.name, url], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    try:
        return _read_wrk(out)
    except (AttributeError, ValueError) as exc:
        sys.exit(f"cannot read wrk's report ({exc}):\n{out}")


def _read_wrk(out: str) -> Run:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    longest = _milliseconds(re.search(  # type: ignore[union-attr]
        r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1))
    gave_up = re.search(r"timeout (\d+)", out)
    return Run(rps, p99, int(bad.group(1)) if bad else 0, longest,
               int(gave_up.group(1)) if gave_up else 0)


def _offer(url: str, body: dict[str, Any] | None, token: str, rate: float,
           args: argparse.Namespace) -> OpenRun:
    headers = {"Authorization": f"Bearer {token}"}
    parts = urlsplit(url)
    port, path = int(parts.port or 80), parts.path
    if body is None:
        request = http_request("GET", "127.0.0.1", port, path, headers)
    else:
        headers["Content-Type"] = "application/json"
        request = http_request("POST", "127.0.0.1", port, path, headers,
                               json.dumps(body).encode())
    return asyncio.run(offer("127.0.0.1", port, request, rate, args.seconds, args.connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="reuse (or build once into) this folder")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--neo4j", action="store_true",
                        help="serve from the project's Neo4j, with the store copied into it")
    parser.add_argument("--both", action="store_true",
                        help="serve the embedded store and a Neo4j copy side by side, their"
                             " GraphQL asked in turn in each round")
    parser.add_argument("--page-cache-mb", type=int, default=1024,
                        help="with --neo4j, its page cache: enough to hold the copied store")
    args = parser.parse_args()
    root, child, token = prepared(args.store, args.people, "famgraph-frontdoor-")
    port = _free_port()
    neo4j = _neo4j_copy(root, args.page_cache_mb) if args.neo4j or args.both else None
    server = _serve(root / "store", port, neo4j.settings if neo4j and not args.both else None)
    beside = None
    try:
        base = f"http://127.0.0.1:{port}"
        graphql = {"query": FRONT_DOOR, "variables": {"id": child}}
        endpoints = {
            "plain Starlette JSON": (f"{base}/plain/{child}", None),
            "JSON + policy + audit": (f"{base}/audited/{child}", None),
            "famgraph GraphQL": (f"{base}/graphql", graphql),
        }
        if args.both and neo4j is not None:
            # A second process on the same folder (its token secret), serving from Neo4j.
            other = _free_port()
            beside = _serve(root / "store", other, neo4j.settings)
            endpoints[ON_NEO4J] = (f"http://127.0.0.1:{other}/graphql", graphql)
        for name, (url, body) in endpoints.items():
            _answers(name, url, body, token)
        for name, (url, body) in endpoints.items():  # warm every path
            if name == ON_NEO4J:
                _warm_neo4j(url, body, token, args.connections)
            else:
                _wrk(url, 3, args.connections, body, token)
        runs: dict[str, list[Run]] = {name: [] for name in endpoints}
        for _ in range(args.rounds):  # interleaved, so all see the same machine
            for name, (url, body) in endpoints.items():
                runs[name].append(_wrk(url, args.seconds, args.connections, body, token))
        # Latency at the throughput the issue asks for: that load offered to each endpoint.
        rate = TARGET_RATIO * sum(
            r.requests_per_second for r in runs["plain Starlette JSON"]) / args.rounds
        offered: dict[str, list[OpenRun]] = {name: [] for name in endpoints}
        for _ in range(args.rounds):
            for name, (url, body) in endpoints.items():
                offered[name].append(_offer(url, body, token, rate, args))
    finally:
        for process in (server, beside):
            if process is not None:
                process.terminate()
                process.wait(30)
        if neo4j is not None:
            neo4j.server.stop()
    summary = {
        name: Run(sum(r.requests_per_second for r in found) / args.rounds,
                  max(r.p99_ms for r in found), sum(r.errors for r in found),
                  max(r.max_ms for r in found), sum(r.timeouts for r in found))
        for name, found in runs.items()
    }
    ours, plain = summary["famgraph GraphQL"], summary["plain Starlette JSON"]
    backend = ("embedded and Neo4j" if args.both else "Neo4j" if args.neo4j else "embedded")
    print(f"front-door query, {args.connections} connections, one worker, {backend} store,"
          f" {args.rounds} x {args.seconds} s each")
    for name, run in summary.items():
        print(f"  {name:<22} {run.requests_per_second:8.0f} req/s  p99 {run.p99_ms:7.1f} ms"
              f"  max {run.max_ms:7.1f} ms  timed out {run.timeouts}  non-2xx {run.errors}")
    audited = summary["JSON + policy + audit"]
    rps = ours.requests_per_second
    print(f"  GraphQL / plain JSON            {rps / plain.requests_per_second:.2f}"
          f" (target >= {TARGET_RATIO})")
    print(f"  GraphQL / JSON + policy + audit {rps / audited.requests_per_second:.2f}")
    if ON_NEO4J in summary:
        print(f"  GraphQL on Neo4j / embedded      "
              f"{summary[ON_NEO4J].requests_per_second / rps:.2f} (target >= 0.5)")
    print(f"  GraphQL p99 at saturation {ours.p99_ms:.1f} ms (closed loop: each request"
          f" queues behind the other {args.connections - 1})")
    print(f"offered {rate:.0f} req/s each ({TARGET_RATIO} x the plain endpoint's), open loop,"
          f" {args.connections} connections, latency from when each request fell due")
    for name, found in offered.items():
        print(f"  {name:<22} {min(r.completed_per_second for r in found):8.0f} req/s done"
              f"  p50 {max(r.p50_ms for r in found):6.1f} ms"
              f"  p99 {max(r.p99_ms for r in found):6.1f} ms"
              f"  max {max(r.max_ms for r in found):6.1f} ms"
              f"  non-2xx {sum(r.errors for r in found)}")
    p99 = max(r.p99_ms for r in offered["famgraph GraphQL"])
    print(f"  GraphQL p99 at {rate:.0f} req/s {p99:.1f} ms (target <= {TARGET_P99_MS:.0f} ms)")


if __name__ == "__main__":
    main()
