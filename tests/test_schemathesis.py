"""Schemathesis generates GraphQL documents from the schema and sends them to the app
(docs/security.md rule 26): signed in, no answer is a server error; without a token, every answer
is 401."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from graphql import introspection_from_schema
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import DEMO_USERS
from server.policy import Purpose
from server.schema import build_schema
from server.settings import Mode, Settings
from tests.viewers import access_store


def _app() -> tuple[object, str]:
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="famgraph-schemathesis-"))
    access_store(directory, all_families=True)
    app = create_app(Settings(store_dir=directory, mode=Mode.DEMO, budget_per_minute=100_000,
                              alert_distinct_people=100_000))
    token = app.state.auth.issue(DEMO_USERS["sam"], Purpose.MASH_SCREENING)
    return app, token


APP, TOKEN = _app()
# The same introspection result the app serves in development mode.
schema = schemathesis.graphql.from_dict(
    introspection_from_schema(build_schema(Settings())._schema)  # type: ignore[arg-type]
)

FAST = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def client() -> TestClient:
    test_client = TestClient(APP)  # type: ignore[arg-type]
    test_client.__enter__()
    return test_client


@schema.parametrize()
@FAST
def test_signed_in_no_generated_document_causes_a_server_error(
    case: schemathesis.Case, client: TestClient
) -> None:
    body = case.as_transport_kwargs(base_url="http://testserver")["json"]
    response = client.post("/graphql", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, response.text
    for error in response.json().get("errors") or []:
        assert (error.get("extensions") or {}).get("code") != "INTERNAL", error


@schema.parametrize()
@FAST
def test_without_a_token_every_generated_document_is_401(
    case: schemathesis.Case, client: TestClient
) -> None:
    body = case.as_transport_kwargs(base_url="http://testserver")["json"]
    response = client.post("/graphql", json=body)
    assert response.status_code == 401
