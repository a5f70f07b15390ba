"""Why records are one person, as each agency may see it: explanation rows and review-queue
evidence filtered by the viewer's sharing agreement, with counts of what was withheld."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import HasRecord, IdentityEvent, LinkExplanation, ReviewPair, SourceRecord
from graph.store import GraphBatch
from server.app import create_app
from server.settings import Mode, Settings
from tests.viewers import access_store, bearer

SOCIAL, SCHOOL, HEALTH = "social_care/SC-cal", "education/ED-cal", "health/HE-cal"
FIELDS = [
    {"field": "given_name", "level": "exact", "weight": 7.0},
    {"field": "birth_date", "level": "exact", "weight": 12.9},
    {"field": "upn", "level": "same", "weight": 11.8},
    {"field": "nhs_number", "level": "same", "weight": 14.0},
]


def _link(a: str, b: str) -> dict[str, Any]:
    return {"a": a, "b": b, "decided_by": "splink", "reason": "", "probability": 0.999,
            "match_weight": 40.0, "grade": "certain", "fields": FIELDS}


def cal_joined_from_three_systems() -> GraphBatch:
    """Cal's records in social care, education and health, joined by two links; two review
    pairs, one naming a record of a system no agreement shares."""
    batch = GraphBatch()
    for key in (SOCIAL, SCHOOL, HEALTH):
        system, _, local = key.partition("/")
        batch.nodes.append(SourceRecord(id=f"R:{key}", system=system, local_id=local))
        batch.edges.append(HasRecord("cal", f"R:{key}", 0.999, "splink"))
    batch.nodes.append(LinkExplanation(
        id="X:cal", person_id="cal", records=(SOCIAL, SCHOOL, HEALTH),
        links=json.dumps([_link(SOCIAL, SCHOOL), _link(SOCIAL, HEALTH)]), model_id="M:1",
    ))
    for n, other in enumerate((SCHOOL, HEALTH)):
        batch.nodes.append(IdentityEvent(
            id=f"V:{n}", person_id="cal", kind="merged", on=date(2026, 1, 1 + n),
            records=(other,), other_person=f"old{n}",
            reason=f"model linked {SOCIAL} and {other} (probability 0.9990)",
        ))
    evidence = json.dumps([*FIELDS, {"field": "shoe_size", "level": "same", "weight": 1.0}])
    for pair_id, other in (("Q:1", "adult_social_care/123"), ("Q:2", SCHOOL)):
        batch.nodes.append(ReviewPair(
            id=pair_id, record_a=SOCIAL, record_b=other, person_a="cal", person_b="dee",
            probability=0.6, match_weight=0.5, grade="possible", evidence=evidence,
            raised_on=date(2026, 1, 3),
        ))
    return batch


EXPLAIN = """query($id: ID!) { person(id: $id) { linkExplanation {
  records recordsWithheld linksWithheld changesWithheld
  links { recordA recordB fields { field } fieldsWithheld }
  changes { records reason } } } }"""
REVIEW = """query { reviewQueue(first: 10) {
  edges { node { recordA recordB evidence { field } evidenceWithheld } }
  withheld pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory: Path = tmp_path_factory.mktemp("explain")
    access_store(directory)
    store = EmbeddedStore(directory)
    store.write(cal_joined_from_three_systems())
    store.close()
    app = create_app(Settings(store_dir=directory, mode=Mode.DEVELOPMENT))
    with TestClient(app) as test_client:
        yield test_client


def ask(client: TestClient, viewer: str, query: str, **variables: Any) -> dict[str, Any]:
    headers = bearer(client.app.state.auth, viewer)  # type: ignore[attr-defined]
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_social_worker_sees_every_record_link_and_change(client: TestClient) -> None:
    found = ask(client, "sam", EXPLAIN, id="cal")["data"]["person"]["linkExplanation"]
    assert sorted(found["records"]) == sorted([SOCIAL, SCHOOL, HEALTH])
    assert (found["recordsWithheld"], found["linksWithheld"], found["changesWithheld"]) == (0, 0, 0)
    assert [link["fieldsWithheld"] for link in found["links"]] == [0, 0]
    assert len(found["changes"]) == 2


def test_health_visitor_sees_only_rows_of_systems_health_shares_and_counts_the_rest(
    client: TestClient,
) -> None:
    found = ask(client, "hv", EXPLAIN, id="cal")["data"]["person"]["linkExplanation"]
    assert sorted(found["records"]) == sorted([SOCIAL, HEALTH])
    assert (found["recordsWithheld"], found["linksWithheld"], found["changesWithheld"]) == (1, 1, 1)
    (link,) = found["links"]
    assert {link["recordA"], link["recordB"]} == {SOCIAL, HEALTH}
    # Health's agreement has no UPN category: the UPN comparison is withheld with it.
    assert {f["field"] for f in link["fields"]} == {"given_name", "birth_date", "nhs_number"}
    assert link["fieldsWithheld"] == 1
    (change,) = found["changes"]
    assert change["records"] == [HEALTH] and SCHOOL not in change["reason"]
    assert SCHOOL not in json.dumps(found)


def test_school_lead_without_source_records_gets_no_explanation(client: TestClient) -> None:
    result = ask(client, "jo", EXPLAIN, id="cal")
    assert result["data"]["person"]["linkExplanation"] is None
    assert result["errors"][0]["extensions"]["code"] == "FIELD_NOT_PERMITTED"


def test_review_queue_leaves_out_pairs_naming_unshared_systems_and_counts_them(
    client: TestClient,
) -> None:
    queue = ask(client, "sam", REVIEW)["data"]["reviewQueue"]
    assert queue["withheld"] == 1
    (edge,) = queue["edges"]
    assert (edge["node"]["recordA"], edge["node"]["recordB"]) == (SOCIAL, SCHOOL)
    assert "adult_social_care/123" not in json.dumps(queue)
    # A field of no known category is withheld: deny by default.
    assert "shoe_size" not in {f["field"] for f in edge["node"]["evidence"]}
    assert edge["node"]["evidenceWithheld"] == 1
    assert queue["pageInfo"]["hasNextPage"] is False


def test_person_page_says_how_much_of_the_explanation_is_withheld(client: TestClient) -> None:
    headers = bearer(client.app.state.auth, "hv")  # type: ignore[attr-defined]
    page = client.get("/people/cal", headers=headers)
    assert page.status_code == 200
    assert 'id="explanation-withheld"' in page.text and HEALTH in page.text
    assert SCHOOL not in page.text
    assert "1 field(s) withheld" in page.text


DUPLICATES = """query($id: ID!) { person(id: $id) { possibleDuplicates {
  count people { id } peopleWithheld reviewItemIds } } }"""


def test_possible_duplicates_name_the_other_person_of_each_pair_the_viewer_may_see(
    client: TestClient,
) -> None:
    found = ask(client, "sam", DUPLICATES, id="cal")["data"]["person"]["possibleDuplicates"]
    # Q:1 names adult social care, which no agreement here shares: it is not counted.
    assert (found["count"], [p["id"] for p in found["people"]]) == (1, ["dee"])
    assert found["reviewItemIds"] == ["Q:2"], "sam may resolve identities"
    other = ask(client, "sam", DUPLICATES, id="dee")["data"]["person"]
    assert [p["id"] for p in other["possibleDuplicates"]["people"]] == ["cal"]


def test_possible_duplicates_hide_pairs_across_systems_the_agreement_does_not_share(
    client: TestClient,
) -> None:
    found = ask(client, "hv", DUPLICATES, id="cal")["data"]["person"]["possibleDuplicates"]
    assert found == {"count": 0, "people": [], "peopleWithheld": 0, "reviewItemIds": None}


def test_the_person_page_warns_of_a_possible_duplicate_with_the_way_to_decide(
    client: TestClient,
) -> None:
    def page(viewer: str) -> str:
        headers = bearer(client.app.state.auth, viewer)  # type: ignore[attr-defined]
        return client.get("/people/cal", headers=headers).text

    warning = page("sam")
    warning = warning[warning.index('id="possible-duplicates"'):]
    warning = warning[:warning.index("</div>")]
    assert 'href="/people/dee"' in warning and 'href="/review"' in warning
    assert 'id="possible-duplicates"' not in page("hv"), "the pair names a school record"
