"""Running famgraph: /metrics after real requests and a load, JSON logs that name no one,
request ids carried into errors and audit rows, liveness and readiness."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from graph.neo4j.store import Neo4jStore
from loaders import pipeline
from loaders.identity.rules import RuleResolver
from loaders.synthetic import generate_borough
from server.app import create_app
from server.cli.main import app as cli
from server.logging_json import configure_logging
from server.settings import Mode, Settings
from tests.viewers import bearer, copy_users

TODAY = date(2026, 11, 23)
TOKEN = "scrape-me-please"  # noqa: S105 - a test scraper's token
FRONT_DOOR = """query FrontDoor($id: ID!) { person(id: $id) {
  displayName nhsNumber upn birthDate
  household { address { line1 postcode } members { person { displayName } } }
  servicesEngaged(scope: HOUSEHOLD) { service lead { name phone } }
} }"""
SEARCH = """query FindSomeone($name: String) { searchPeople(name: $name) {
  edges { node { person { displayName } } } } }"""


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A small synthetic borough, loaded by `famgraph load` (the rules link identities)."""
    root = tmp_path_factory.mktemp("ops")
    summary = generate_borough(people=120, seed=3, out=root / "extracts", today=TODAY)
    paths = [root / "extracts" / s for s in summary.records_by_system]
    store = root / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "default_resolver", RuleResolver)
        result = CliRunner().invoke(cli, ["load", "--store", str(store), *map(str, paths)])
    assert result.exit_code == 0, result.output
    copy_users(store)
    return store, paths


def personal_values(store_dir: Path) -> tuple[list[str], set[str]]:
    """The people's ids, and every name, NHS number, UPN, postcode and address line the
    store holds: what no log line may carry."""
    store = EmbeddedStore(store_dir)
    try:
        owners = store.record_owners([r.id for r in store.all_source_records()])
        people = store.people(set(owners.values()))
        values = set()
        for person in people.values():
            values |= {person.given_names, person.family_name, person.nhs_number or "",
                       person.upn or ""}
            values |= {c.value for c in person.claims if not re.fullmatch(r"[\d-]+", c.value)
                       or c.field in ("nhs_number", "upn")}
        for view in store.households([(p, TODAY) for p in people]).values():
            if view.address is not None:
                values |= {view.address.line1, view.address.postcode}
    finally:
        store.close()
    # Short values (a sex, "Jo") would match ordinary words; a name that short is still
    # covered by the longer family names and numbers around it.
    return sorted(people), {v for v in values if len(v) >= 5}


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    handler = configure_logging("debug", captured)
    yield captured
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def client(borough: tuple[Path, list[Path]], tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(store_dir=borough[0], mode=Mode.DEVELOPMENT, metrics_token=TOKEN)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def scrape(client: TestClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_after_real_requests_and_a_load(
        client: TestClient, borough: tuple[Path, list[Path]]) -> None:
    ids, _ = personal_values(borough[0])
    sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]
    for person_id in ids[:3]:
        answer = client.post("/graphql", json={"query": FRONT_DOOR,
                                               "variables": {"id": person_id}}, headers=sam)
        assert answer.status_code == 200, answer.text
    client.post("/graphql", json={"query": "query ChosenByClient { __typename }"}, headers=sam)
    client.post("/graphql", json={"query": "{ nonsense }"}, headers=sam)
    client.get(f"/people/{ids[0]}", headers=sam)
    found = scrape(client)

    seconds = found["famgraph_request_duration_seconds_count"]
    assert seconds[(("operation", "FrontDoor"), ("route", "/graphql"))] == 3
    assert seconds[(("operation", "other"), ("route", "/graphql"))] == 1
    assert (("operation", ""), ("route", "/people/{person_id}")) in seconds
    assert not any(person_id in str(labels) for labels in seconds for person_id in ids)
    responses = found["famgraph_responses_total"]
    assert responses[(("route", "/graphql"), ("status", "200"))] == 4
    assert responses[(("route", "/graphql"), ("status", "422"))] == 1
    assert found["famgraph_audit_commit_seconds_count"][()] >= 3
    assert found["famgraph_audit_queue_depth"][()] == 0
    assert found["famgraph_store_open_seconds"][()] > 0
    assert found["famgraph_store_size_bytes"][()] > 0

    rows = found["famgraph_last_load_rows"]
    read, loaded = rows[(("count", "read"),)], rows[(("count", "loaded"),)]
    assert read > 0 and read == loaded + rows[(("count", "quarantined"),)]
    assert found["famgraph_last_load_success"][()] == 1
    assert found["famgraph_loads_total"][(("outcome", "ok"),)] >= 1
    assert found["famgraph_last_load_linkage"][(("figure", "people"),)] == len(ids)


def test_a_failed_load_is_counted_and_leaves_the_store_as_it_was(
        borough: tuple[Path, list[Path]], tmp_path: Path) -> None:
    store = tmp_path / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "default_resolver", RuleResolver)
        assert CliRunner().invoke(cli, ["load", "--store", str(store),
                                        str(borough[1][0])]).exit_code == 0
        before = EmbeddedStore(store).counts()
        broken = tmp_path / "broken.csv"
        broken.write_bytes(b"\xff\xfe not a csv anyone wrote")
        failed = CliRunner().invoke(cli, ["load", "--store", str(store), str(broken)])
    assert failed.exit_code != 0
    assert EmbeddedStore(store).counts() == before
    app = create_app(Settings(store_dir=store, metrics_token=TOKEN))
    with TestClient(app) as client:
        found = scrape(client)
    assert found["famgraph_last_load_success"][()] == 0
    assert found["famgraph_loads_total"][(("outcome", "failed"),)] == 1
    assert found["famgraph_last_successful_load_timestamp_seconds"][()] < (
        found["famgraph_last_load_timestamp_seconds"][()])
    # The command's own log line, on standard error as JSON.
    lines = [json.loads(line) for line in failed.output.splitlines() if line.startswith("{")]
    failure = [line for line in lines if line.get("event") == "load"][-1]
    assert failure["outcome"] == "failed" and failure["level"] == "error"


def test_metrics_need_the_token_or_loopback(client: TestClient,
                                            borough: tuple[Path, list[Path]]) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with TestClient(create_app(Settings(store_dir=borough[0]))) as open_client:
        assert open_client.get("/metrics").status_code == 403  # "testclient" is no loopback
    with TestClient(create_app(Settings(store_dir=borough[0])),
                    client=("127.0.0.1", 5000)) as local:
        assert local.get("/metrics").status_code == 200
        # Through a reverse proxy on this machine, the visitor is not loopback.
        assert local.get("/metrics", headers={"X-Forwarded-Proto": "https"}).status_code == 403
        assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
                         ).status_code == 403


def test_no_log_line_names_anyone(client: TestClient, borough: tuple[Path, list[Path]],
                                  logs: io.StringIO,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ids, values = personal_values(borough[0])
    assert len(values) > 100, "the borough should give many values to look for"
    sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]
    store = client.app.state.store  # type: ignore[attr-defined]
    person = store.people([ids[0]])[ids[0]]
    for person_id in ids[:5]:
        client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": person_id}},
                    headers=sam)
        client.get(f"/people/{person_id}", headers=sam)
    client.post("/graphql", json={"query": SEARCH, "variables": {"name": person.family_name}},
                headers=sam)
    client.get("/", params={"name": person.family_name, "nhs_number": person.nhs_number or ""},
               headers=sam)
    # Errors: a document that quotes a name, a bad variable, too long an argument, no
    # token, a person who does not exist, and a failure nobody expected whose message
    # holds a name.
    client.post("/graphql", json={"query": f'{{ searchPeople(name: "{person.family_name}")'
                                           f' {{ nope }} }}'}, headers=sam)
    client.post("/graphql", json={"query": SEARCH, "variables": {"name": {"x": person.upn}}},
                headers=sam)
    client.post("/graphql", json={"query": SEARCH, "variables": {
        "name": person.family_name * 100}}, headers=sam)
    client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": ids[0]}})
    client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": "P-nobody"}},
                headers=sam)

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"cannot place {person.given_names} {person.family_name}")

    monkeypatch.setattr(store, "household", failing)
    monkeypatch.setattr(store, "households", failing)
    broken = client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": ids[1]}},
                         headers=sam)
    assert broken.json()["errors"][0]["extensions"]["code"] == "INTERNAL"

    lines = [json.loads(line) for line in logs.getvalue().splitlines()]  # each one object
    # The test's own HTTP client logs the URLs it asks for, search terms included; the
    # server is what must not.
    lines = [line for line in lines if not line["logger"].startswith("httpx")]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert any(line.get("level") == "error" for line in lines)  # the failure was logged
    assert sum(line.get("event") == "request" for line in lines) >= 16
    leaked = sorted(value for value in values if value in text)
    assert leaked == []


def test_a_request_id_is_kept_and_carried_into_errors_and_audit_rows(
        client: TestClient, borough: tuple[Path, list[Path]], logs: io.StringIO,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids, _ = personal_values(borough[0])
    sam = bearer(client.app.state.auth, "sam")  # type: ignore[attr-defined]
    answer = client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": ids[2]}},
                         headers={**sam, "X-Request-ID": "ticket-4711-abc"})
    assert answer.headers["x-request-id"] == "ticket-4711-abc"
    audit = sqlite3.connect(borough[0] / "audit.sqlite")
    rows = [json.loads(r) for (r,) in audit.execute("SELECT row FROM audit")]
    audit.close()
    assert any(r["correlation_id"] == "ticket-4711-abc" and r["person_id"] == ids[2]
               for r in rows)

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(client.app.state.store, "households", failing)  # type: ignore[attr-defined]
    monkeypatch.setattr(client.app.state.store, "household", failing)  # type: ignore[attr-defined]
    broken = client.post("/graphql", json={"query": FRONT_DOOR, "variables": {"id": ids[3]}},
                         headers={**sam, "X-Request-ID": "<script>alert(1)</script>"})
    request_id = broken.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # refused and replaced, never echoed
    assert broken.json()["errors"][0]["extensions"]["correlationId"] == request_id
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert any(line["level"] == "error" and line.get("request_id") == request_id
               for line in lines)


def test_alive_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok" and client.get("/livez").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "checks": {"store": True, "audit_writer": True}}


def test_not_ready_when_the_audit_writer_cannot_answer(client: TestClient) -> None:
    client.app.state.audit.close()  # type: ignore[attr-defined]
    assert client.get("/healthz").status_code == 200  # alive all the same
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["audit_writer"] is False


@pytest.mark.neo4j
def test_ready_only_while_neo4j_answers(neo4j_server: tuple[str, str, str],
                                        neo4j_driver: Driver, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    uri, user, password = neo4j_server
    store = Neo4jStore(neo4j_driver)
    with TestClient(create_app(Settings(store_dir=tmp_path), store)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["store"] is True
        # The store's way to the database is gone (a closed driver: nothing answers).
        gone = GraphDatabase.driver(uri, auth=(user, password))
        gone.close()
        monkeypatch.setattr(store, "_driver", gone)
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503, not_ready.text
        assert not_ready.json()["checks"] == {"store": False, "audit_writer": True}
        assert client.get("/livez").status_code == 200
