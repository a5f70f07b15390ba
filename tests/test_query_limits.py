"""No small request stalls the server (SECURITY.md 30): fragments that spread each other are
counted, not written out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse, visit
from graphql.language import Visitor
from starlette.testclient import TestClient

from server.app import create_app
from server.limits import Cost
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


# --- fragments -------------------------------------------------------------------------

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
