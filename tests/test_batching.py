"""Per-request DataLoaders: a list of people asking per-person questions costs the store the
same number of calls as one person asking them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import HasRecord, IdentityEvent, LinkExplanation, ReviewPair, SourceRecord
from graph.store import GraphBatch, Store
from server.app import create_app
from server.auth import DEMO_USERS
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import FAMILIES

# Children and adults of different families, each living somewhere.
SUBJECTS = ("kim", "rio", "zak", "cara", "vic")

PERSON_FIELDS = """
  linkExplanation { records modelId links { recordA recordB } changes { kind records } }
  householdHistory { validFrom validTo address { postcode }
                     members { relationshipToSubject person { id } } }
  genogram(depth: 2) { nodes { person { id } } edges { kind sourceId targetId } }
  family(depth: 2) { relationshipToSubject person { id } }
  familyWithheld(depth: 2)
  chronology(scope: HOUSEHOLD, first: 5) { totalCount edges { node { kind person { id } } } }
  household { members { person { id } } }
  servicesEngaged(scope: FAMILY) { service }
  riskIndicators(scope: FAMILY) { kind }
  discrepancies { field }
"""


def joined_records(person_id: str) -> GraphBatch:
    """Two social-care records joined into the person by one link, with its merge."""
    keys = [f"social_care/{person_id}-{n}" for n in (1, 2)]
    batch = GraphBatch()
    for key in keys:
        system, _, local = key.partition("/")
        batch.nodes.append(SourceRecord(id=f"R:{key}", system=system, local_id=local))
        batch.edges.append(HasRecord(person_id, f"R:{key}", 0.99, "splink"))
    link = {"a": keys[0], "b": keys[1], "decided_by": "splink", "reason": "",
            "probability": 0.99, "match_weight": 20.0, "grade": "certain",
            "fields": [{"field": "given_name", "level": "exact", "weight": 7.0}]}
    batch.nodes.append(LinkExplanation(id=f"X:{person_id}", person_id=person_id,
                                       records=tuple(keys), links=json.dumps([link]),
                                       model_id="M:1"))
    batch.nodes.append(IdentityEvent(id=f"V:{person_id}", person_id=person_id, kind="merged",
                                     on=date(2026, 1, 1), records=(keys[1],)))
    return batch


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory: Path = tmp_path_factory.mktemp("batching")
    store = EmbeddedStore(directory)
    for make in FAMILIES.values():
        store.write(make())
    for person_id in SUBJECTS:
        store.write(joined_records(person_id))
    store.write(GraphBatch(nodes=[
        ReviewPair(id=f"Q:{n}", record_a=f"social_care/{a}-1", record_b=f"social_care/{b}-2",
                   person_a=a, person_b=b, probability=0.6, match_weight=0.5,
                   grade="possible", evidence="[]", raised_on=date(2026, 1, 3))
        for n, (a, b) in enumerate(pairwise(SUBJECTS))]))
    store.close()
    # Room for every per-person field of several people in one document.
    app = create_app(Settings(store_dir=directory, mode=Mode.DEMO, max_query_nodes=50_000))
    with TestClient(app) as test_client:
        yield test_client


def ask(client: TestClient, query: str) -> dict[str, Any]:
    auth = client.app.state.auth  # type: ignore[attr-defined]
    bearer = auth.issue(DEMO_USERS["sam"], Purpose.MASH_SCREENING)
    response = client.post("/graphql", json={"query": query},
                           headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert "errors" not in body, body["errors"]
    return body


# Everything the store protocol answers (writes and closing left out: a read asks none).
QUESTIONS = [name for name in dir(Store) if not name.startswith("_")
             and callable(getattr(Store, name)) and name not in ("write", "close")]


@pytest.fixture
def store_calls(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Calls into the app's store, by method, counting only calls made from outside it
    (the embedded store answers a batched question by asking itself one at a time)."""
    store = client.app.state.store  # type: ignore[attr-defined]
    calls: dict[str, int] = {}
    inside = [0]

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not inside[0]:
                calls[name] = calls.get(name, 0) + 1
            inside[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                inside[0] -= 1
        return call

    for name in QUESTIONS:
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    return calls


def calls_for(client: TestClient, calls: dict[str, int], query: str) -> tuple[dict[str, int],
                                                                             dict[str, Any]]:
    calls.clear()
    data = ask(client, query)["data"]
    return dict(calls), data


def people_query(ids: tuple[str, ...]) -> str:
    return "{ " + " ".join(f'{i}: person(id: "{i}") {{ {PERSON_FIELDS} }}' for i in ids) + " }"


def test_many_people_asking_every_per_person_field_cost_the_store_what_one_does(
    client: TestClient, store_calls: dict[str, int]
) -> None:
    one, alone = calls_for(client, store_calls, people_query(SUBJECTS[:1]))
    many, together = calls_for(client, store_calls, people_query(SUBJECTS))
    assert many == one
    # The answers are those each person gets when asked about alone.
    for person_id in SUBJECTS:
        _, single = calls_for(client, store_calls, people_query((person_id,)))
        assert together[person_id] == single[person_id]
    assert together["kim"] == alone["kim"]
    for person_id in SUBJECTS:
        answer = together[person_id]
        assert answer["linkExplanation"]["records"] == [
            f"social_care/{person_id}-1", f"social_care/{person_id}-2"]
        assert answer["linkExplanation"]["changes"] == [
            {"kind": "merged", "records": [f"social_care/{person_id}-2"]}]
        assert answer["householdHistory"] and answer["genogram"]["nodes"]


def test_household_members_asking_per_person_fields_cost_what_one_member_does(
    client: TestClient, store_calls: dict[str, int]
) -> None:
    members = """{ person(id: "%s") { household { members { person { %s } } } } }"""
    # Cara lives with three others (mother, father, brother); Xena's house holds one other.
    few, _ = calls_for(client, store_calls, members % ("xena", PERSON_FIELDS))
    many, data = calls_for(client, store_calls, members % ("cara", PERSON_FIELDS))
    assert len(data["person"]["household"]["members"]) == 3
    assert many == few


def test_searched_people_asking_history_and_explanation_cost_what_one_does(
    client: TestClient, store_calls: dict[str, int]
) -> None:
    search = """{ searchPeople(%s) { edges { node { person { id
      linkExplanation { records } householdHistory { validFrom members { person { id } } }
      family { person { id } } } } } } }"""
    one, found = calls_for(client, store_calls, search % 'name: "Cara Hart"')
    assert len(found["searchPeople"]["edges"]) == 1
    many, found = calls_for(client, store_calls, search % 'postcode: "EB1 4QT"')
    assert len(found["searchPeople"]["edges"]) == 4
    assert many == one


def test_review_queue_asks_the_store_for_every_pairs_people_at_once(
    client: TestClient, store_calls: dict[str, int]
) -> None:
    query = """{ reviewQueue(first: %d) { edges { node { personA { id } personB { id } } } } }"""
    one, _ = calls_for(client, store_calls, query % 1)
    many, data = calls_for(client, store_calls, query % 4)
    assert len(data["reviewQueue"]["edges"]) == 4
    assert many == one == {"review_queue": 1, "people": 1}
