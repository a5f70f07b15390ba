"""No small request stalls the server (SECURITY.md 30): fragments that spread each other are
counted, not written out, and refused before any validation rule walks them; request
bodies are capped at the edge."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from graphql import OperationDefinitionNode, parse, visit
from graphql.language import Visitor
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.types import Message

from server.app import create_app
from server.errors import QueryTooCostly
from server.graphql_view import BodyLimit
from server.limits import Cost, document_refusal, document_shape
from server.schema import build_schema
from server.settings import Mode, Settings
from tests.viewers import access_store, bearer

Client = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Client]:
    access_store(tmp_path, all_families=True)
    opened: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        settings.setdefault("mode", Mode.DEVELOPMENT)
        client = TestClient(create_app(Settings(store_dir=tmp_path, **settings)))
        client.__enter__()
        client.headers.update(bearer(client.app.state.auth, "sam"))  # type: ignore[attr-defined]
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def post(client: TestClient, query: str, **extra: Any) -> Any:
    return client.post("/graphql", json={"query": query, **extra})


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


# --- the body at the edge ---------------------------------------------------------------

SEARCH = ("query Find($name: String) {"
          " searchPeople(name: $name, first: 5) { edges { node { score } } } }")


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
