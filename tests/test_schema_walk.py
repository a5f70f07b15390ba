"""Deny by default, proved by walking the schema (docs/security.md rule 12).

Every field reachable from Query is selected in one document; each person that comes
back must have passed the policy (it has an audit row from that very request), and a
viewer whose agency has no agreement gets no personal value through any field.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
)
from graphql.pyutils import Undefined
from starlette.testclient import TestClient

from server.app import create_app
from server.schema import build_schema
from server.settings import Mode, Settings
from tests.viewers import access_store, bearer

# Types that carry data about people and are built only from a policy decision. A new
# type must be added here or to NOT_ABOUT_PEOPLE, so nobody adds a path past the policy.
ABOUT_PEOPLE = {"Person", "Household", "HouseholdMember", "Address", "ServiceEngaged",
                "Genogram", "GenogramNode", "GenogramEdge", "SearchResult", "Source",
                "Organisation", "Practitioner", "SearchConnection", "SearchEdge",
                "HouseholdPeriod", "FamilyMember", "Discrepancy", "Assertion",
                "ChronologyConnection", "ChronologyEdge", "ChronologyEntry",
                "LinkExplanation", "LinkEvidence", "FieldEvidence", "IdentityChange",
                "ReviewConnection", "ReviewEdge", "ReviewItem", "DecisionResult",
                "Change", "ChangeEdge", "ChangeConnection", "FollowedPerson", "FollowedEdge",
                "FollowingConnection", "SourceStatus", "RiskIndicatorFound",
                "AlternativeAddress", "WithheldHelp", "PossibleDuplicates"}
NOT_ABOUT_PEOPLE = {"Query", "Mutation", "Subscription", "AuditEntry", "AuditReview",
                    "BreakGlassPass", "PageInfo", "CoOccurrence", "MiItem", "MiPair",
                    "SuppressedCount", "StepTransitions", "ReReferrals", "SharingContact"}
# Fields behind a permission none of the walking viewers hold (tested on their own).
AUDITOR_ONLY = {"auditOfPerson", "auditOfUser", "auditReviews", "coOccurrence",
                "stepTransitions", "reReferrals"}
ARGUMENTS = {"id": '"cal"', "name": '"Moss"', "personId": '"cal"', "user": '"jo"'}


def _named(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def reachable(schema: GraphQLSchema) -> set[str]:
    seen: set[str] = set()
    stack = [schema.query_type, schema.mutation_type, schema.subscription_type]
    while stack:
        kind = stack.pop()
        if kind is None or kind.name in seen:
            continue
        seen.add(kind.name)
        for field in kind.fields.values():
            inner = _named(field.type)
            if isinstance(inner, GraphQLObjectType):
                stack.append(inner)
    return seen


def selection(kind: GraphQLObjectType, depth: int) -> str:
    parts = ["__typename"]
    for name, field in kind.fields.items():
        if name in AUDITOR_ONLY:
            continue
        args = ", ".join(f"{a}: {ARGUMENTS[a]}" for a, spec in field.args.items()
                         if (isinstance(spec.type, GraphQLNonNull)
                             and spec.default_value is Undefined) or a == "name")
        call = f"{name}({args})" if args else name
        inner = _named(field.type)
        if isinstance(inner, GraphQLInterfaceType):
            parts.append(f"{call} {{ id }}")
        elif isinstance(inner, GraphQLObjectType):
            if depth > 0:
                parts.append(f"{call} {{ {selection(inner, depth - 1)} }}")
        else:
            parts.append(call)
    return " ".join(parts)


def walk_document(depth: int = 4) -> str:
    schema = build_schema(Settings())._schema
    assert schema.query_type is not None
    return "{ " + selection(schema.query_type, depth) + " }"


def test_every_object_type_is_classified() -> None:
    types = reachable(build_schema(Settings())._schema)
    unclassified = types - ABOUT_PEOPLE - NOT_ABOUT_PEOPLE
    assert unclassified == set(), f"classify these types in {__file__}"


def people_in(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if value.get("__typename") == "Person" and "id" in value:
            found.add(value["id"])
        for item in value.values():
            found |= people_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= people_in(item)
    return found


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TestClient]:
    directory = tmp_path_factory.mktemp("walk")
    access_store(directory)
    settings = Settings(store_dir=directory, mode=Mode.DEVELOPMENT, max_query_depth=20,
                        max_tokens=20000, max_query_nodes=10**9, max_aliases=100)
    client = TestClient(create_app(settings))
    client.__enter__()
    return directory, client


@pytest.mark.parametrize("viewer", ["sam", "jo", "hv", "pc"])
def test_every_person_returned_by_any_field_passed_the_policy(
    walked: tuple[Path, TestClient], viewer: str
) -> None:
    directory, client = walked
    document = walk_document()
    response = client.post("/graphql", json={"query": document},
                           headers=bearer(client.app.state.auth, viewer))  # type: ignore[attr-defined]
    body = response.json()
    assert body.get("data"), body
    returned = people_in(body["data"])
    assert {"cal", "dee"} <= returned
    correlation = sqlite3.connect(directory / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.correlation_id') FROM audit ORDER BY seq DESC LIMIT 1"
    ).fetchone()[0]
    audited = {pid for (pid,) in sqlite3.connect(directory / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id') FROM audit"
        " WHERE json_extract(row, '$.correlation_id') = ?", (correlation,))}
    assert returned <= audited


def test_viewer_without_an_agreement_gets_nothing_personal_from_any_field(
    walked: tuple[Path, TestClient],
) -> None:
    _, client = walked
    response = client.post("/graphql", json={"query": walk_document()},
                           headers=bearer(client.app.state.auth, "ida"))  # type: ignore[attr-defined]
    text = response.text
    for personal in ("Moss", "1983", "EB8", "9434765919", "Attendance", "Nia Obi",
                     "Low mood", "Absent 14 percent"):
        assert personal not in text
