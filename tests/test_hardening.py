"""GraphQL hardening: status codes, media type, cost, timeout, budget, alerts, production."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.budget import PeopleWatch
from server.schema import build_schema
from server.schema.shortcuts import direct_resolvers
from server.settings import Mode, Settings
from tests.conftest import Client
from tests.viewers import bearer


def post(client: TestClient, query: str, **extra: Any) -> Any:
    return client.post("/graphql", json={"query": query, **extra})


def test_status_codes_follow_graphql_over_http(make_client: Client) -> None:
    client = make_client()
    bad_json = client.post("/graphql", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert post(client, "{ person(id: ").status_code == 400
    invalid = post(client, "{ nobodyKnowsThisField }")
    assert invalid.status_code == 422 and invalid.json()["data"] is None
    assert post(client, '{ person(id: "kim") { displayName } }').status_code == 200
    unsigned = client.post("/graphql", json={"query": "{ __typename }"},
                           headers={"Authorization": "Bearer nope"})
    assert unsigned.status_code == 401
    mutation = client.get("/graphql", params={"query": 'mutation { breakGlass(reason: "a") '
                                              '{ token } }'},
                          headers={"Accept": "application/json"})
    assert mutation.status_code == 405


def test_array_batching_is_refused(make_client: Client) -> None:
    client = make_client()
    response = client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400


def test_graphql_response_media_type_when_asked_for(make_client: Client) -> None:
    client = make_client()
    asked = client.post("/graphql", json={"query": "{ __typename }"},
                        headers={"Accept": "application/graphql-response+json"})
    assert asked.headers["content-type"].startswith("application/graphql-response+json")
    plain = post(client, "{ __typename }")
    assert plain.headers["content-type"].startswith("application/json")


def test_query_too_costly_is_rejected_before_any_resolver(make_client: Client) -> None:
    client = make_client()
    nested = """{ searchPeople(name: "a", first: 100) { edges { node { person {
        household { members { person { genogram { nodes { person { id } } } } } } } } } } }"""
    response = post(client, nested)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert client.app.state.audit.count() == 0  # type: ignore[attr-defined]
    modest = post(
        client, '{ searchPeople(name: "kim", first: 5) { edges { node { person { id } } } } }'
    )
    assert modest.status_code == 200


def test_cost_limit_is_a_setting(make_client: Client) -> None:
    client = make_client(max_query_nodes=10)
    response = post(
        client, '{ searchPeople(name: "kim", first: 20) { edges { node { person { id } } } } }'
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_operation_past_its_deadline_returns_no_data(make_client: Client) -> None:
    client = make_client(operation_timeout=0.0)
    response = post(client, '{ person(id: "kim") { displayName } }')
    assert response.status_code == 504
    body = response.json()
    assert body["data"] is None and "Shaw" not in response.text
    assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"


def test_budget_answers_429_with_retry_after(make_client: Client) -> None:
    client = make_client(budget_per_minute=2)
    statuses = [post(client, "{ __typename }").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = post(client, "{ __typename }")
    assert int(limited.headers["Retry-After"]) >= 1
    other = client.post("/graphql", json={"query": "{ __typename }"},
                        headers=bearer(client.app.state.auth, "jo"))  # type: ignore[attr-defined]
    assert other.status_code == 200, "one user's budget does not spend another's"


def test_opening_many_people_raises_a_review_without_blocking(make_client: Client) -> None:
    client = make_client(alert_distinct_people=3)
    for pid in ("kim", "amy", "zak", "rio"):
        assert post(client, f'{{ person(id: "{pid}") {{ id }} }}').status_code == 200
    reviews = client.app.state.audit.reviews()  # type: ignore[attr-defined]
    assert [(r.kind, r.user) for r in reviews] == [("many_people", "sam")]


def test_unexpected_errors_are_masked_with_a_correlation_id(
    make_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph.questions.household as household

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Kim Shaw lives at EB2 7LD")

    monkeypatch.setattr("server.batching.household_of", broken)
    assert household.household_of is not broken
    client = make_client()
    response = post(client, '{ person(id: "kim") { household { asOf } } }')
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error." and error["extensions"]["correlationId"]
    assert "EB2" not in response.text


def test_production_has_no_introspection_suggestions_ide_or_get_queries(
    make_client: Client,
) -> None:
    client = make_client(mode=Mode.PRODUCTION)
    introspection = post(client, "{ __schema { types { name } } }")
    assert "__schema" in introspection.text and introspection.json().get("data") is None
    typo = post(client, '{ persn(id: "kim") { id } }')
    assert "Did you mean" not in typo.text
    assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 404
    over_get = client.get("/graphql", params={"query": "{ __typename }"},
                          headers={"Accept": "application/json"})
    assert over_get.status_code == 405
    development = make_client()
    assert "Did you mean" in post(development, '{ persn(id: "kim") { id } }').text


def test_the_many_people_watch_counts_distinct_people_in_a_sliding_window() -> None:
    watch = PeopleWatch(threshold=2, window_minutes=1)
    assert watch.saw("sam", ["kim", "amy"], now=0.0) is None
    assert watch.saw("sam", ["kim", "kim"], now=30.0) is None  # still two people
    assert watch.saw("jo", ["zak", "rio", "una"], now=30.0) == 3  # per user
    # At 70 s the first visit has left the window; kim is still in it from 30 s.
    assert watch.saw("sam", ["zak"], now=70.0) is None
    assert watch.saw("sam", ["rio"], now=75.0) == 3
    assert watch.saw("sam", ["una"], now=80.0) is None  # one alert per user per window
    assert watch.saw("sam", [], now=200.0) is None  # everything has left the window


@given(st.lists(st.tuples(st.floats(0, 30), st.lists(st.sampled_from("abcdefg"), max_size=4)),
                max_size=40))
def test_the_many_people_watch_alerts_as_a_log_of_every_opening_would(
        visits: list[tuple[float, list[str]]]) -> None:
    """Against the plain definition: distinct people among all openings in the window."""
    watch, opened, alerted = PeopleWatch(threshold=3, window_minutes=1), [], -1e9
    moment = 0.0
    for step, people in visits:
        moment += step
        opened += [(moment, p) for p in people]
        distinct = len({p for when, p in opened if when >= moment - 60.0})
        expected = None
        if distinct > 3 and moment - alerted >= 60.0:
            expected, alerted = distinct, moment
        assert watch.saw("sam", people, now=moment) == expected


def test_the_many_people_watch_holds_one_entry_per_person_not_per_opening() -> None:
    watch = PeopleWatch(threshold=1000, window_minutes=10)
    for second in range(20_000):
        watch.saw("sam", ["kim", "amy"], now=second / 100)
    assert len(watch._last["sam"]) == 2


def test_fields_without_arguments_resolve_directly_and_the_rest_through_strawberry() -> None:
    schema = build_schema(Settings())
    person = schema._schema.type_map["Person"]
    assert isinstance(person, GraphQLObjectType)
    direct = {name for name, field in person.fields.items() if field.resolve is not None
              and field.resolve.__module__ == "server.schema.shortcuts"}
    assert {"id", "displayName", "birthDate", "nhsNumber", "discrepancies"} <= direct
    assert not direct & {"household", "servicesEngaged", "sourceCoverage", "genogram"}
    assert direct_resolvers(schema) == len(direct_fields(schema)) > 100


def direct_fields(schema: Any) -> list[str]:
    return [f"{kind.name}.{name}" for kind in schema._schema.type_map.values()
            if isinstance(kind, GraphQLObjectType)
            for name, field in kind.fields.items()
            if field.resolve is not None and field.resolve.__module__ == "server.schema.shortcuts"]


def test_the_operation_a_request_names_decides_its_method_however_often_it_is_sent(
    make_client: Client,
) -> None:
    """The view remembers each document's operations; the one a request names is what
    counts, so a subscription never goes over HTTP, the first time or the tenth."""
    client = make_client()
    both = '''query Name { person(id: "kim") { displayName } }
              subscription Changes { changes { id } }'''
    for _ in range(3):
        assert post(client, both, operationName="Changes").status_code == 405
        assert post(client, both, operationName="Name").status_code == 200
        assert post(client, "subscription { changes { id } }").status_code == 405
