"""No small request stalls the server (docs/security.md rule 30): fragments that spread each
other are counted, not written out, and refused before any validation rule walks them; bodies,
variables and every string argument are capped at the edge."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from graphql import OperationDefinitionNode, parse, visit
from graphql.language import Visitor
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Message

import server.schema.people
from server.errors import QueryTooCostly
from server.graphql_view import BodyLimit
from server.limits import Cost, document_refusal, document_shape
from server.policy import Purpose
from server.schema import build_schema
from server.settings import Settings
from tests.test_changes_api import receive
from tests.test_hardening import Client, post


def fragment_bomb(levels: int) -> str:
    """`levels` fragments, each spreading the next twice: 2**levels selections written out,
    in well under a kilobyte for 20 levels."""
    parts = ['query Bomb { person(id: "kim") { ...F0 } }']
    for level in range(levels):
        inner = f"...F{level + 1} ...F{level + 1}" if level + 1 < levels else "displayName"
        parts.append(f"fragment F{level} on Person {{ id {inner} }}")
    return "\n".join(parts)


def selections_in(document: str) -> int:
    """Selections as written in the document (each fragment once)."""
    seen = [0]

    class Count(Visitor):
        def enter_selection_set(self, node: Any, *_: Any) -> None:
            seen[0] += len(node.selections)

    visit(parse(document), Count())
    return seen[0]


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the documents Strawberry hands to graphql-core's validation (the real one)."""
    import strawberry.schema.schema as strawberry_schema

    calls: list[int] = []
    real = strawberry_schema.validate

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counted)
    return calls


# --- fragments -------------------------------------------------------------------------

@pytest.mark.parametrize("levels", [20, 30])
def test_fragments_spreading_each_other_are_refused_before_any_rule_walks_them(
    make_client: Client, validations: list[int], levels: int
) -> None:
    """Twenty levels stalled the server for 14 s and thirty hung it: Strawberry's depth and
    alias limiters and our cost rule each wrote every spread out."""
    client = make_client()
    document = fragment_bomb(levels)
    assert len(document) < 1500
    response = post(client, document)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "limit": 5000}
    assert validations == [], "no validation rule may walk the document"
    assert client.app.state.audit.count() == 0  # type: ignore[attr-defined]
    # The same fragments, spread once each, are an ordinary document and are answered.
    modest = document
    for level in range(1, levels):
        modest = modest.replace(f"...F{level} ...F{level}", f"...F{level}")
    answered = post(client, modest)
    assert answered.status_code == 200, answered.text
    assert answered.json()["data"]["person"]["displayName"]
    assert validations == [1]


@pytest.mark.parametrize("levels", [20, 30, 200])
def test_counting_a_documents_selections_looks_at_each_node_once(levels: int) -> None:
    document = fragment_bomb(levels)
    shape = document_shape(parse(document))
    # Every spread written out: the operation's two selections, each level's three, the
    # last one's two, times how often each is reached (capped far past any limit).
    assert shape.selections == min(2 + sum(3 * 2**k for k in range(levels - 1))
                                   + 2 * 2 ** (levels - 1), 10**12)
    assert shape.visited <= 2 * selections_in(document) + 2 * levels


def test_the_cost_rule_counts_each_fragment_once() -> None:
    """The cost rule is linear by itself: thirty levels written out are a billion
    selections."""
    schema = build_schema(Settings())._schema
    document = parse(fragment_bomb(30))
    cost = Cost(schema, document)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert cost.of(operation.selection_set, schema.query_type, 1) == 1  # one person
    assert cost.visited <= 2 * selections_in(fragment_bomb(30))


def test_a_fragment_costs_what_it_would_written_out(make_client: Client) -> None:
    client = make_client(max_query_nodes=120)
    inline = """{ searchPeople(name: "kim", first: 10) { edges { node { person {
                  household { members { person { id } } } } } } } }"""
    spread = """{ searchPeople(name: "kim", first: 10) { ...Found } }
                fragment Found on SearchConnection { edges { node { ...Person } } }
                fragment Person on SearchResult { person { household { members {
                  person { id } } } } }"""
    for document in (inline, spread):
        # The connection, 10 edges, 10 results, 10 people, 10 households, 25 members of
        # each and their people: 541.
        error = post(client, document).json()["errors"][0]
        assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 541}


@st.composite
def fragment_dags(draw: st.DrawFn) -> str:
    """Documents of up to six fragments, each holding a field or two and spreading later
    fragments (so no cycles) any number of times, also inside inline fragments."""
    count = draw(st.integers(1, 6))
    parts = ['{ person(id: "kim") { ...F0 } }']
    for index in range(count):
        later = [f"...F{j}" for j in range(index + 1, count)]
        spreads = draw(st.lists(st.sampled_from(later), max_size=4)) if later else []
        fields = draw(st.lists(st.sampled_from(["id", "displayName", "birthDate"]),
                               min_size=1, max_size=2))
        wrapped = draw(st.booleans())
        body = " ".join(fields + spreads)
        if wrapped:
            body = f"id ... on Person {{ {body} }}"
        parts.append(f"fragment F{index} on Person {{ {body} }}")
    return "\n".join(parts)


def written_out(document: str) -> int:
    """Selections with every spread written out, by writing them out (small documents)."""
    parsed = parse(document)
    fragments = {d.name.value: d for d in parsed.definitions
                 if not isinstance(d, OperationDefinitionNode)}

    def count(selection_set: Any) -> int:
        total = 0
        for selection in selection_set.selections:
            total += 1
            if selection.kind == "fragment_spread":
                total += count(fragments[selection.name.value].selection_set)  # type: ignore[attr-defined]
            elif getattr(selection, "selection_set", None) is not None:
                total += count(selection.selection_set)
        return total

    return sum(count(d.selection_set) for d in parsed.definitions
               if isinstance(d, OperationDefinitionNode))


@given(fragment_dags())
def test_selections_counted_are_the_selections_written_out(document: str) -> None:
    assert document_shape(parse(document)).selections == written_out(document)


def test_the_selection_limit_is_a_setting() -> None:
    shape = document_shape(parse(fragment_bomb(5)))  # 2 + 3*15 + 2*16 = 79 written out
    assert document_refusal(shape, Settings(max_query_selections=79)) is None
    refused = document_refusal(shape, Settings(max_query_selections=78))
    assert isinstance(refused, QueryTooCostly) and refused.limit == 78


# --- lengths at the edge -----------------------------------------------------------------

@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names the real search is asked for."""
    asked: list[str] = []
    real = server.schema.people.search_people

    def counted(store: Any, criteria: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(criteria.name)
        return real(store, criteria, *args, **kwargs)

    monkeypatch.setattr(server.schema.people, "search_people", counted)
    return asked


SEARCH = ("query Find($name: String) {"
          " searchPeople(name: $name, first: 5) { edges { node { score } } } }")


def test_a_60000_character_name_is_refused_before_search(
    make_client: Client, searches: list[str]
) -> None:
    """It stalled the server 13 s (searching takes time quadratic in a word's length)."""
    client = make_client()
    name = "q" * 60_000
    literal = post(client, f'{{ searchPeople(name: "{name}", first: 5) {{ edges {{ cursor }} }} }}')
    variable = post(client, SEARCH, variables={"name": name})
    for response in (literal, variable):
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "name",
                                       "limit": 200}
        assert "name" in error["message"] and "200" in error["message"]
        assert "qqqq" not in response.text
    assert searches == []
    assert post(client, SEARCH, variables={"name": "k" * 200}).status_code == 200
    assert searches == ["k" * 200]


def test_every_string_argument_is_capped_by_a_setting(make_client: Client) -> None:
    client = make_client(max_argument_length=10)
    person = 'query($id: ID!) { person(id: $id) { id } }'
    refused = post(client, person, variables={"id": "k" * 11}).json()["errors"][0]
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id", "limit": 10}
    assert post(client, person, variables={"id": "kim"}).status_code == 200
    default = post(client, 'query($p: String = "EB2 7LD EB2 7LD") { searchPeople(postcode: $p)'
                           ' { withheld } }').json()["errors"][0]
    assert default["extensions"] == {"code": "BAD_USER_INPUT", "argument": "postcode",
                                     "limit": 10}
    # A variable given to no argument is held to the same limit, named as itself.
    stray = post(client, "{ __typename }", variables={"stray": "s" * 11}).json()["errors"][0]
    assert stray["extensions"] == {"code": "BAD_USER_INPUT", "argument": "$stray", "limit": 10}


def test_a_written_reason_may_be_longer_than_a_name(make_client: Client) -> None:
    client = make_client()
    query = "mutation($r: String!) { breakGlass(reason: $r, hours: 1) { expiresAt } }"
    within = post(client, query, variables={"r": "Child seen at A&E with injuries. " * 60})
    assert "BAD_USER_INPUT" not in within.text, within.text
    over = post(client, query, variables={"r": "r" * 2001}).json()["errors"][0]
    assert over["extensions"] == {"code": "BAD_USER_INPUT", "argument": "reason", "limit": 2000}


def test_variables_over_their_total_size_are_refused(make_client: Client) -> None:
    client = make_client()
    many = {f"v{i}": "x" * 150 for i in range(120)}  # each within 200; 18,000 in all
    response = post(client, "{ __typename }", variables=many)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE",
                                                          "limit": 16384}


def test_a_body_over_the_limit_is_refused_with_413(make_client: Client) -> None:
    client = make_client()
    response = post(client, SEARCH, variables={"name": "n" * 5_000_000})
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE", "limit": 65536}
    assert "65536 bytes" in error["message"]


def test_the_body_limit_is_a_setting_and_holds_for_a_query_string(make_client: Client) -> None:
    client = make_client(max_request_bytes=1000)
    assert post(client, SEARCH, variables={"name": "n" * 900}).status_code == 413
    assert post(client, SEARCH, variables={"name": "n" * 190}).status_code == 200
    over_get = client.get("/graphql", params={"query": "{ __typename }", "pad": "p" * 1000},
                          headers={"Accept": "application/json"})
    assert over_get.status_code == 413
    within_get = client.get("/graphql", params={"query": "{ __typename }"},
                            headers={"Accept": "application/json"})
    assert within_get.status_code == 200


def test_a_body_without_a_length_is_read_no_further_than_the_limit() -> None:
    """A chunked body is refused once it passes the limit: the rest is never read."""
    reached: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append((await receive())["body"])

    chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True}] * 100
    read: list[Message] = []

    async def receive() -> Message:
        read.append(chunks[len(read)])
        return read[-1]

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [],
             "query_string": b""}
    anyio.run(BodyLimit(app, 4096), scope, receive, send)
    assert sent[0]["status"] == 413 and reached == []
    assert len(read) == 5  # 5,000 bytes: past 4,096, and no further

    read.clear()
    chunks = [{"type": "http.request", "body": b"y" * 1000, "more_body": True}] * 3 + [
        {"type": "http.request", "body": b"", "more_body": False}]
    anyio.run(BodyLimit(app, 4096), scope, receive, send)
    assert reached == [b"y" * 3000], "a body within the limit reaches the view whole"


def test_a_number_too_long_for_python_is_bad_json_not_a_server_error(
    make_client: Client,
) -> None:
    client = make_client()
    body = b'{"query": "{ __typename }", "variables": {"n": ' + b"1" * 5000 + b"}}"
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_subscription_is_held_to_the_same_limits(make_client: Client) -> None:
    client = make_client()
    auth = client.app.state.auth  # type: ignore[attr-defined]
    found = auth.user("sam")
    assert found is not None
    token = auth.issue(found, Purpose.MASH_SCREENING)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert receive(ws)["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($p: ID) { changes(personId: $p) { id } }",
            "variables": {"p": "p" * 60_000}}})
        message = receive(ws)
        assert message["type"] == "error" and message["id"] == "1"
        assert message["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                                       "argument": "personId", "limit": 200}
        bomb = fragment_bomb(30).replace("query Bomb { person(id: \"kim\") { ...F0 } }",
                                         "subscription { changes { person { ...F0 } } }")
        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": bomb}})
        message = receive(ws)
        assert message["type"] == "error" and message["id"] == "2"
        assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


