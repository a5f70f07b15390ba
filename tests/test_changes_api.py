"""Following people, `changes(since)` and the `changes` subscription, over HTTP and
graphql-transport-ws, through sign-in, the one policy and the audit log."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from graph.embedded import EmbeddedStore
from graph.model import Event, Involvement, Sensitivity, ServiceLevel, Sex, SourceRef
from graph.store import GraphBatch
from loaders.changes import changes_learned
from loaders.formats.canonical_csv import PEOPLE
from loaders.identity import record_node_id
from loaders.pipeline import load_extract
from server.app import create_app
from server.policy import Purpose
from server.schema.relay import seq_cursor
from server.settings import Mode, Settings
from tests.families import TODAY, home, lives, partners, person
from tests.viewers import access_store, bearer

PROTOCOL = ["graphql-transport-ws"]
# Generous: only here so a broken server fails the test instead of hanging the run.
HANG_GUARD = 60

SUBSCRIBE = """subscription Watch($personId: ID, $after: String) {
  changes(personId: $personId, after: $after) {
  id kind recordedAt effective
  person { id displayName } otherPerson { id displayName } otherPersonWithheld
  relationshipToPerson address { postcode } addressWithheld
  service { service level lead { name phone } }
  summary sources { system } } }"""

CHANGES = """query($since: DateTime, $personId: ID, $first: Int!, $after: String) {
  changes(since: $since, personId: $personId, first: $first, after: $after) {
    edges { cursor node { id kind effective person { id } otherPerson { id }
            address { postcode } addressWithheld } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    withheld } }"""


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    access_store(tmp_path, all_families=True)
    return tmp_path


@pytest.fixture
def client(store_dir: Path) -> Iterator[TestClient]:
    settings = Settings(store_dir=store_dir, mode=Mode.DEVELOPMENT, change_poll_seconds=0.02)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def token(client: TestClient, user: str, hours: float | None = None) -> str:
    auth = client.app.state.auth  # type: ignore[attr-defined]
    found = auth.user(user)
    assert found is not None
    return str(auth.issue(found, Purpose.MASH_SCREENING, hours=hours))


def ask(client: TestClient, query: str, user: str, status: int = 200,
        **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers=bearer(client.app.state.auth, user))  # type: ignore[attr-defined]
    assert response.status_code == status, response.text
    return dict(response.json())


def follow(client: TestClient, user: str, *people: str) -> None:
    for pid in people:
        data = ask(client, "mutation($id: ID!) { follow(personId: $id) { person { id } since } }",
                   user, id=pid)
        assert data["data"]["follow"]["person"]["id"] == pid, data


def load(store_dir: Path, batch: GraphBatch) -> None:
    """A load by another process: its own connection to the store, changes in its batch."""
    store = EmbeddedStore(store_dir)
    batch.changes = changes_learned(batch, store, TODAY)
    store.write(batch)
    store.close()


def receive(ws: Any) -> dict[str, Any]:
    """The next message, or the close, from the server."""

    async def next_message() -> Any:
        with anyio.fail_after(HANG_GUARD):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return dict(json.loads(message["text"]))


def open_socket(client: TestClient, user: str, **variables: Any) -> Any:
    """A socket, initialised with the user's token and subscribed to changes.

    Subscribed after change 0 (each test's store starts with none), not "from now on":
    the server reads "now" after this returns, so a load the test makes next could
    otherwise land before it and be missed.
    """
    variables.setdefault("after", seq_cursor(0))
    ws = client.websocket_connect("/graphql", subprotocols=PROTOCOL)
    ws.__enter__()
    ws.send_json({"type": "connection_init",
                  "payload": {"Authorization": f"Bearer {token(client, user)}"}})
    assert receive(ws) == {"type": "connection_ack"}
    ws.send_json({"id": "1", "type": "subscribe",
                  "payload": {"query": SUBSCRIBE, "operationName": "Watch",
                              "variables": variables}})
    return ws


def event(ws: Any) -> dict[str, Any]:
    """The next change sent; the only errors allowed are fields withheld from the viewer."""
    message = receive(ws)
    assert message["type"] == "next", message
    codes = {e["extensions"]["code"] for e in message["payload"].get("errors", [])}
    assert codes <= {"FIELD_NOT_PERMITTED"}, message
    return dict(message["payload"]["data"]["changes"])


# --- what each load announces ---------------------------------------------------------

def new_adult() -> GraphBatch:
    """Ivo, unrelated, moves in with Zak and his mother."""
    batch = GraphBatch(nodes=[person("ivo", "Ivo", "Penn", Sex.MALE, date(1979, 5, 5))])
    lives(batch, "ivo", "H:7", date(2026, 11, 1))
    return batch


def cara_moves() -> GraphBatch:
    batch = GraphBatch()
    lives(batch, "cara", home(batch, "gran", "EB5 5EE"), date(2026, 11, 2))
    return batch


def service_for(pid: str, system: str, iid: str, **changes: Any) -> GraphBatch:
    inv = Involvement(id=iid, person_id=pid, service="Child in need",
                      level=ServiceLevel.STATUTORY, start=date(2026, 11, 3),
                      sources=(SourceRef(system, iid),))
    return GraphBatch(nodes=[replace(inv, **changes)])


def notification(pid: str) -> GraphBatch:
    return GraphBatch(nodes=[Event(
        id=f"E:da-{pid}", person_id=pid, date=date(2026, 11, 4), type="da_notification",
        summary="Domestic abuse notification (victim, high risk)",
        sources=(SourceRef("police", f"DA-{pid}"),), sensitivity=Sensitivity.SENSITIVE)])


def refuge() -> GraphBatch:
    """Kim and her mother Lou flee to a refuge; its address is restricted."""
    batch = GraphBatch()
    shelter = home(batch, "refuge", "EB9 9ZZ", restricted=True)
    lives(batch, "kim", shelter, date(2026, 11, 5))
    lives(batch, "lou", shelter, date(2026, 11, 5))
    return batch


# --- connection_init --------------------------------------------------------------------

def test_connection_init_without_a_token_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init"})
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 4403


def test_connection_init_with_a_bad_token_is_refused(client: TestClient) -> None:
    forged = token(client, "sam")[:-4] + "AAAA"
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {forged}"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 4403


def test_a_session_cookie_does_not_authenticate_a_socket(client: TestClient) -> None:
    cookie = {"cookie": f"famgraph_session={token(client, 'sam')}"}
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL, headers=cookie) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 4403


def test_only_graphql_transport_ws_is_spoken(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws, \
            pytest.raises(WebSocketDisconnect) as closed:
        receive(ws)
    assert closed.value.code == 4406


def test_queries_do_not_go_over_the_socket(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"Authorization": f"Bearer {token(client, 'sam')}"}})
        assert receive(ws)["type"] == "connection_ack"
        ws.send_json({"id": "q", "type": "subscribe",
                      "payload": {"query": '{ person(id: "cal") { displayName } }'}})
        message = receive(ws)
        assert message["type"] == "error" and "Moss" not in str(message)


def test_subscriptions_do_not_go_over_http(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "subscription { changes { id } }"},
                           headers=bearer(client.app.state.auth, "sam"))  # type: ignore[attr-defined]
    assert response.status_code in (400, 405)


def test_token_expiry_closes_the_socket(client: TestClient) -> None:
    short = token(client, "sam", hours=3 / 3600)
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {short}"}})
        assert receive(ws)["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                receive(ws)
        assert closed.value.code == 4401


# --- announcements ----------------------------------------------------------------------

def test_each_kind_of_change_is_announced_to_a_follower(client: TestClient,
                                                        store_dir: Path) -> None:
    follow(client, "sam", "zak", "rio", "yva")
    ws = open_socket(client, "sam")
    try:
        load(store_dir, new_adult())
        joined = event(ws)
        assert (joined["kind"], joined["person"]["id"], joined["otherPerson"]["id"]) == (
            "NEW_ADULT_IN_HOUSEHOLD", "zak", "ivo")
        assert joined["address"]["postcode"] == "EB4 5GH" and not joined["addressWithheld"]
        assert joined["effective"] == "2026-11-01" and joined["recordedAt"]
        assert joined["relationshipToPerson"] == "unrelated adult"
        assert joined["otherPersonWithheld"] is False and joined["sources"] == [
            {"system": "social_care"}]

        batch = GraphBatch()
        lives(batch, "rio", home(batch, "kin", "EB6 1KK"), date(2026, 11, 2))
        load(store_dir, batch)
        moved = event(ws)
        assert (moved["kind"], moved["person"]["id"], moved["address"]["postcode"]) == (
            "CHILD_MOVED", "rio", "EB6 1KK")

        load(store_dir, service_for("zak", "social_care", "I:zak"))
        started = event(ws)
        assert (started["kind"], started["service"]["service"]) == (
            "SERVICE_STARTED", "Child in need")

        load(store_dir, service_for("zak", "social_care", "I:zak", end=date(2026, 11, 20),
                                    status="closed"))
        assert event(ws)["kind"] == "SERVICE_ENDED"

        load(store_dir, notification("yva"))
        notice = event(ws)
        assert (notice["kind"], notice["person"]["id"]) == ("DOMESTIC_ABUSE_NOTIFICATION", "yva")
        assert notice["summary"] == "Domestic abuse notification (victim, high risk)"
    finally:
        ws.__exit__(None, None, None)


def test_a_non_follower_hears_nothing(client: TestClient, store_dir: Path) -> None:
    follow(client, "sam", "zak")
    ws = open_socket(client, "sam")
    try:
        load(store_dir, cara_moves())  # about Cara, whom sam does not follow
        load(store_dir, new_adult())
        assert event(ws)["person"]["id"] == "zak", "the first thing heard is about Zak"
    finally:
        ws.__exit__(None, None, None)


def test_a_service_your_agency_may_not_see_is_not_announced(client: TestClient,
                                                          store_dir: Path) -> None:
    follow(client, "jo", "zak")  # a school safeguarding lead: health is not shared
    ws = open_socket(client, "jo")
    try:
        load(store_dir, service_for("zak", "health", "I:camhs"))
        load(store_dir, notification("zak"))  # police: not shared with schools either
        load(store_dir, service_for("zak", "social_care", "I:cin"))
        heard = event(ws)
        assert (heard["kind"], heard["service"]["service"]) == ("SERVICE_STARTED",
                                                                "Child in need")
        assert heard["service"]["lead"] is None
        assert heard["sources"] is None, "a school's agreement does not share sources"
    finally:
        ws.__exit__(None, None, None)


def test_refuge_move_never_reaches_a_viewer_who_may_not_see_it(client: TestClient,
                                                              store_dir: Path) -> None:
    follow(client, "jo", "kim", "otto")  # the school; and the father Kim fled from
    follow(client, "sam", "kim")  # a social worker, who may see restricted addresses
    school, social = open_socket(client, "jo"), open_socket(client, "sam")
    try:
        load(store_dir, refuge())
        seen = event(social)
        assert (seen["kind"], seen["person"]["id"], seen["address"]["postcode"]) == (
            "CHILD_MOVED", "kim", "EB9 9ZZ")
        # The school hears nothing of the refuge, not the move and not the address: the
        # first thing it hears is the next change it may see.
        follow(client, "jo", "zak")
        load(store_dir, new_adult())
        heard = event(school)
        assert heard["kind"] == "NEW_ADULT_IN_HOUSEHOLD" and heard["person"]["id"] == "zak"
    finally:
        school.__exit__(None, None, None)
        social.__exit__(None, None, None)
    page = ask(client, CHANGES, "jo", first=10)
    assert "EB9" not in str(page) and "refuge" not in str(page)
    assert page["data"]["changes"]["withheld"] == 1
    assert [e["node"]["kind"] for e in page["data"]["changes"]["edges"]] == [
        "NEW_ADULT_IN_HOUSEHOLD"]
    by_father = ask(client, CHANGES, "jo", first=10, personId="otto")["data"]["changes"]
    assert by_father["edges"] == [] and by_father["withheld"] == 0


def test_every_event_sent_writes_audit_rows_one_per_person(client: TestClient,
                                                          store_dir: Path) -> None:
    follow(client, "sam", "zak")
    ws = open_socket(client, "sam")
    try:
        load(store_dir, new_adult())
        assert event(ws)["otherPerson"]["id"] == "ivo"
    finally:
        ws.__exit__(None, None, None)
    rows = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id'), json_extract(row, '$.correlation_id'),"
        " json_extract(row, '$.returned') FROM audit"
        " WHERE json_extract(row, '$.operation') = 'Watch'").fetchall()
    assert sorted(r[0] for r in rows) == ["ivo", "zak"]
    assert len({r[1] for r in rows}) == 1, "one event, one correlation id"
    assert "household" in next(r[2] for r in rows if r[0] == "zak")


# --- changes(since) and following -------------------------------------------------------

def test_changes_page_through_with_cursors_and_since(client: TestClient, store_dir: Path) -> None:
    follow(client, "sam", "zak", "cara")
    load(store_dir, new_adult())
    load(store_dir, cara_moves())
    load(store_dir, service_for("zak", "social_care", "I:zak"))
    first = ask(client, CHANGES, "sam", first=2)["data"]["changes"]
    assert [e["node"]["kind"] for e in first["edges"]] == ["NEW_ADULT_IN_HOUSEHOLD",
                                                           "CHILD_MOVED"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    rest = ask(client, CHANGES, "sam", first=2,
               after=first["pageInfo"]["endCursor"])["data"]["changes"]
    assert [e["node"]["kind"] for e in rest["edges"]] == ["SERVICE_STARTED"]
    assert rest["pageInfo"]["hasPreviousPage"] and not rest["pageInfo"]["hasNextPage"]
    only_cara = ask(client, CHANGES, "sam", first=10, personId="cara")["data"]["changes"]
    assert [e["node"]["person"]["id"] for e in only_cara["edges"]] == ["cara"]
    later = ask(client, CHANGES, "sam", first=10, since="2999-01-01T00:00:00Z")
    assert later["data"]["changes"]["edges"] == []


def test_changes_about_someone_not_followed_is_a_bad_argument(client: TestClient) -> None:
    body = ask(client, CHANGES, "sam", first=5, personId="zak")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_following_is_listed_durably_and_unfollow_stops_changes(client: TestClient,
                                                               store_dir: Path) -> None:
    follow(client, "sam", "zak", "cal")
    listed = ask(client, "{ following(first: 10) { edges { cursor node { since person { id } } }"
                 " pageInfo { hasNextPage } withheld } }", "sam")["data"]["following"]
    assert [e["node"]["person"]["id"] for e in listed["edges"]] == ["cal", "zak"]
    gone = ask(client, 'mutation { unfollow(personId: "zak") }', "sam")["data"]["unfollow"]
    assert gone is True
    assert ask(client, 'mutation { unfollow(personId: "zak") }', "sam")["data"]["unfollow"] is False
    load(store_dir, new_adult())
    assert ask(client, CHANGES, "sam", first=10)["data"]["changes"]["edges"] == []
    again = TestClient(create_app(Settings(store_dir=store_dir, mode=Mode.DEVELOPMENT)))
    with again:
        kept = ask(again, "{ following { edges { node { person { id } } } } }", "sam")
    assert [e["node"]["person"]["id"] for e in kept["data"]["following"]["edges"]] == ["cal"]


def test_follow_is_audited_and_needs_a_person_you_may_see(client: TestClient,
                                                         store_dir: Path) -> None:
    follow(client, "sam", "zak")
    audited = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT count(*) FROM audit WHERE json_extract(row, '$.person_id') = 'zak'").fetchone()
    assert audited[0] >= 1
    missing = ask(client, 'mutation { follow(personId: "nobody") { since } }', "sam")
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    refused = ask(client, 'mutation { follow(personId: "zak") { since } }', "ida", status=403)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    about_zak = "SELECT count(*) FROM audit WHERE json_extract(row, '$.person_id') = 'zak'"
    before = sqlite3.connect(store_dir / "audit.sqlite").execute(about_zak).fetchone()[0]
    ask(client, 'mutation { unfollow(personId: "zak") }', "sam")
    after = sqlite3.connect(store_dir / "audit.sqlite").execute(about_zak).fetchone()[0]
    assert after == before + 1, "an unfollow is audited like a follow"


def _people_csv(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    folder.mkdir(parents=True)
    with (folder / "people.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, PEOPLE)
        writer.writeheader()
        for record_id, given, born, since in rows:
            writer.writerow({**dict.fromkeys(PEOPLE, ""), "system": "social_care",
                             "record_id": record_id, "given_names": given,
                             "family_name": "Cole", "sex": "male", "birth_date": born,
                             "address_line1": "7 Alder Road", "town": "Eastbridge",
                             "postcode": "EB4 5GH", "address_from": since})
    return folder


@pytest.mark.slow
def test_a_load_by_another_process_is_announced(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    access_store(store_dir)
    store = EmbeddedStore(store_dir)
    load_extract(store, [_people_csv(tmp_path / "one", [("1", "Zak", "2014-01-20", "2014-01-20"),
                                                       ("2", "Yva", "1985-03-03", "2010-01-01")])],
                 today=date(2026, 10, 1))
    zak = store.record_owners([record_node_id("social_care/1")])[record_node_id("social_care/1")]
    store.close()
    newcomer = _people_csv(tmp_path / "two", [("3", "Abe", "1980-04-04", "2026-09-01")])
    settings = Settings(store_dir=store_dir, mode=Mode.DEVELOPMENT, change_poll_seconds=0.02)
    with TestClient(create_app(settings)) as client:
        follow(client, "sam", zak)
        ws = open_socket(client, "sam")
        try:
            loaded = subprocess.run(
                [str(Path(sys.executable).parent / "famgraph"), "load", "--store",
                 str(store_dir), "--partial", str(newcomer)],
                capture_output=True, text=True, timeout=HANG_GUARD, check=False)
            assert loaded.returncode == 0, loaded.stderr
            heard = event(ws)
        finally:
            ws.__exit__(None, None, None)
    assert (heard["kind"], heard["person"]["id"]) == ("NEW_ADULT_IN_HOUSEHOLD", zak)
    assert heard["otherPerson"]["displayName"] == "Abe Cole"


def test_people_sent_by_a_subscription_count_towards_the_many_people_review(
    store_dir: Path,
) -> None:
    settings = Settings(store_dir=store_dir, mode=Mode.DEVELOPMENT, change_poll_seconds=0.02,
                        alert_distinct_people=1)
    reviews = "SELECT count(*) FROM review WHERE kind = 'many_people' AND user = 'sam'"
    with TestClient(create_app(settings)) as client:
        follow(client, "sam", "zak")
        assert sqlite3.connect(store_dir / "audit.sqlite").execute(reviews).fetchone()[0] == 0
        ws = open_socket(client, "sam")
        try:
            load(store_dir, new_adult())
            assert event(ws)["otherPerson"]["id"] == "ivo"
        finally:
            ws.__exit__(None, None, None)
    assert sqlite3.connect(store_dir / "audit.sqlite").execute(reviews).fetchone()[0] == 1


def test_a_subscription_resumes_after_a_cursor_missing_nothing(client: TestClient,
                                                            store_dir: Path) -> None:
    follow(client, "sam", "zak", "cara")
    load(store_dir, new_adult())
    load(store_dir, cara_moves())
    seen = ask(client, CHANGES, "sam", first=1)["data"]["changes"]
    assert seen["edges"][0]["node"]["kind"] == "NEW_ADULT_IN_HOUSEHOLD"
    ws = open_socket(client, "sam", after=seen["pageInfo"]["endCursor"])
    try:
        missed = event(ws)
    finally:
        ws.__exit__(None, None, None)
    assert (missed["kind"], missed["person"]["id"]) == ("CHILD_MOVED", "cara")


def test_a_new_adult_is_named_by_their_relationship_to_the_child(client: TestClient,
                                                                store_dir: Path) -> None:
    follow(client, "sam", "zak")
    batch = new_adult()
    partners(batch, "yva", "ivo", date(2026, 6, 1))
    load(store_dir, batch)
    page = ask(client, "{ changes(first: 5) { edges { node { kind relationshipToPerson"
               " otherPerson { id } } } } }", "sam")["data"]["changes"]
    (node,) = [e["node"] for e in page["edges"]]
    assert (node["kind"], node["otherPerson"]["id"], node["relationshipToPerson"]) == (
        "NEW_ADULT_IN_HOUSEHOLD", "ivo", "mother's partner")


def _heard(client: TestClient, user: str, pid: str) -> list[dict[str, Any]]:
    found = ask(client, CHANGES, user, personId=pid, first=50)["data"]["changes"]
    return [e["node"] for e in found["edges"]]


def test_a_notification_about_a_restricted_person_stays_restricted(client: TestClient,
                                                                   store_dir: Path) -> None:
    # Gus's identity is protected (restricted); the notification itself is only sensitive.
    for user in ("sam", "pc", "eh"):
        follow(client, user, "gus")
    load(store_dir, notification("gus"))
    assert [c["kind"] for c in _heard(client, "sam", "gus")] == ["DOMESTIC_ABUSE_NOTIFICATION"]
    for user in ("pc", "eh"):  # both see domestic abuse and sensitive facts, not restricted
        assert _heard(client, user, "gus") == [], user
        body = ask(client, CHANGES, user, personId="gus", first=50)
        assert body["data"]["changes"]["withheld"] == 1


def test_a_notification_is_a_domestic_abuse_indicator_for_the_policy(client: TestClient,
                                                                     store_dir: Path) -> None:
    # Recorded by social care, which schools share, about a person a school may see: still
    # withheld from a school, whose agreement leaves out domestic-abuse indicators.
    follow(client, "jo", "zak")
    follow(client, "sam", "zak")
    batch = notification("zak")
    event = batch.nodes[0]
    assert isinstance(event, Event)
    batch.nodes[0] = replace(event, sources=(SourceRef("social_care", "SC-da"),),
                             sensitivity=Sensitivity.NORMAL)
    load(store_dir, batch)
    assert [c["kind"] for c in _heard(client, "sam", "zak")] == ["DOMESTIC_ABUSE_NOTIFICATION"]
    assert _heard(client, "jo", "zak") == []
