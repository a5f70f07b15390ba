"""The API side of the practitioner's pages: disagreement shown, risk indicators that read
right, whom to ask about what is withheld, and two people who may be one child."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.store import GraphBatch
from server.app import create_app
from server.auth import DEMO_USERS
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import child_recorded_at_three_addresses


def _batches() -> list[GraphBatch]:
    return [child_recorded_at_three_addresses()]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory: Path = tmp_path_factory.mktemp("practitioner")
    store = EmbeddedStore(directory)
    for batch in _batches():
        store.write(batch)
    store.close()
    app = create_app(Settings(store_dir=directory, mode=Mode.DEMO))
    with TestClient(app) as test_client:
        yield test_client


def ask(client: TestClient, query: str, user: str = "sam", **variables: Any) -> Any:
    token = client.app.state.auth.issue(  # type: ignore[attr-defined]
        DEMO_USERS[user], Purpose.MASH_SCREENING)
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


HOUSEHOLD = """query($id: ID!, $asOf: Date) { person(id: $id) { household(asOf: $asOf) {
  address { postcode } addressWithheld membersWithheld alternativesWithheld
  members { person { id } }
  alsoRecordedAt { address { postcode } since sources { system recordId } } } } }"""


def test_three_systems_disagreeing_about_where_a_child_lives_are_all_shown(
    client: TestClient,
) -> None:
    found = ask(client, HOUSEHOLD, id="wes", asOf="2026-06-01")["person"]["household"]
    # The household chosen is the latest-starting stay: his mother's, as before.
    assert found["address"] == {"postcode": "EB5 2WP"}
    assert [m["person"]["id"] for m in found["members"]] == ["yara"]
    others = {a["address"]["postcode"]: a for a in found["alsoRecordedAt"]}
    assert set(others) == {"EB6 9ZP", "EB9 1RF"}  # a social worker sees the refuge too
    grans = others["EB6 9ZP"]
    assert grans["since"] == "2026-01-10"
    assert sorted(s["system"] for s in grans["sources"]) == ["education", "health"]
    assert [s["system"] for s in others["EB9 1RF"]["sources"]] == ["social_care"]
    assert found["alternativesWithheld"] == 0


def test_a_restricted_alternative_address_is_withheld_and_counted(client: TestClient) -> None:
    found = ask(client, HOUSEHOLD.replace(" sources { system recordId }", ""), user="jo",
                id="wes", asOf="2026-06-01")["person"]["household"]
    assert [a["address"]["postcode"] for a in found["alsoRecordedAt"]] == ["EB6 9ZP"]
    assert found["alternativesWithheld"] == 1


def test_one_place_on_a_date_has_no_alternatives(client: TestClient) -> None:
    # Before the grandmother's and the mother's stays began, only the refuge is recorded.
    found = ask(client, HOUSEHOLD, id="wes", asOf="2025-12-24")["person"]["household"]
    assert found["address"] == {"postcode": "EB9 1RF"}
    assert found["alsoRecordedAt"] == [] and found["alternativesWithheld"] == 0
