"""The short way through scalar and enum fields gives what graphql-core's long way gives:
the same data, the same errors at the same paths, for every viewer and every person."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql.execution.executor import Executor
from starlette.testclient import TestClient
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.model import Person
from server.app import create_app
from server.settings import Mode, Settings
from tests.families import FAMILIES, family_known_to_many_agencies
from tests.viewers import VIEWERS, access_store, bearer

WIDE = """query($id: ID!) { person(id: $id) {
  id givenNames familyName displayName sex birthDate deathDate nhsNumber upn nameOnly
  sources { system recordId }
  household { address { line1 postcode uprn } addressWithheld membersWithheld
    members { relationshipToSubject since person { id displayName sex birthDate nhsNumber } } }
  householdHistory { validFrom validTo membersWithheld addressWithheld
    members { relationshipToSubject person { id displayName } } }
  servicesEngaged(scope: FAMILY, includeClosed: true) { relationshipToSubject service level
    start end status reason organisation { name } lead { name role team phone email }
    person { id displayName birthDate } sources { system recordId } }
  servicesWithheld(scope: FAMILY)
  riskIndicators(scope: FAMILY) { kind from to summary relationshipToSubject person { id }
    sources { system } }
  discrepancies { field assertions { value sources { system recordId } } }
  family(depth: 2) { relationshipToSubject person { id displayName sex } }
  genogram(depth: 2) { nodes { generation isSubject relationshipToSubject
    person { id displayName sex birthDate } }
    edges { kind sourceId targetId subtype status validFrom provenance } }
} }"""


def _people() -> list[str]:
    found: list[str] = []
    for batch in [family_known_to_many_agencies(), *(make() for make in FAMILIES.values())]:
        found += [n.id for n in batch.nodes if isinstance(n, Person) and n.id not in found]
    return found


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    """The app as served, and the same app with every short-cut turned off (Strawberry's
    resolvers and graphql-core's execution for every field)."""
    directory: Path = tmp_path_factory.mktemp("leaves")
    access_store(directory, all_families=True)
    settings = Settings(store_dir=directory, mode=Mode.DEVELOPMENT)
    short = create_app(settings)
    long = create_app(dataclasses.replace(settings, library_shortcuts=False))
    with TestClient(short) as fast, TestClient(long) as slow:
        yield fast, slow


def _ask(client: TestClient, user: str, person_id: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": WIDE, "variables": {"id": person_id}},
                           headers=bearer(client.app.state.auth, user))  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_short_way_is_taken(clients: tuple[TestClient, TestClient],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    long_way: list[str] = []
    execute_field = Executor.execute_field

    def counted(self: Executor[Any], parent_type: Any, source: Any, details: Any,
                *rest: Any) -> Any:
        long_way.append(f"{parent_type.name}.{details[0].node.name.value}")
        return execute_field(self, parent_type, source, details, *rest)

    monkeypatch.setattr(Executor, "execute_field", counted)
    answer = _ask(clients[0], "sam", _people()[0])
    assert answer["data"]["person"]["household"]["members"], answer
    assert "Person.household" in long_way  # an object, with arguments
    for leaf in ("Person.displayName", "Person.birthDate", "Person.sex", "Address.postcode",
                 "HouseholdMember.relationshipToSubject"):
        assert leaf not in long_way


# ida (information governance) may see no one: its answers are a 403 either way.
@pytest.mark.parametrize("user", sorted(set(VIEWERS) - {"ida"}))
def test_every_viewer_gets_the_same_answer_either_way(
        clients: tuple[TestClient, TestClient], user: str) -> None:
    fast, slow = clients
    withheld = 0
    for person_id in _people():
        short, long = _ask(fast, user, person_id), _ask(slow, user, person_id)
        assert short == long, (user, person_id)
        withheld += len(short.get("errors", []))
        assert short["data"]["person"] is not None, (user, person_id)
    assert withheld or user in {"sam", "mgr"}, "other agencies meet withheld fields"


def test_the_setting_turns_every_short_cut_off() -> None:
    from graphql import GraphQLObjectType

    from server.schema import build_schema

    plain = build_schema(Settings(library_shortcuts=False))
    assert plain.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert not [name for kind in plain._schema.type_map.values()
                if isinstance(kind, GraphQLObjectType)
                for name, field in kind.fields.items()
                if getattr(field.resolve, "__module__", "") == "server.schema.shortcuts"]
    fast = build_schema(Settings())
    assert fast.execution_context_class is not StrawberryGraphQLCoreExecutionContext
