"""The HTTP surface: GraphQL and pages, through sign-in, the policy and the audit log."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import Claim, SourceRef
from graph.store import GraphBatch
from server.app import create_app
from server.audit import verify
from server.auth import DEMO_PASSWORD, DEMO_USERS
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import FAMILIES, home, lives

HOUSEHOLD = """
query Household($id: ID!) {
  person(id: $id) {
    displayName
    household { address { postcode } addressWithheld
                members { relationshipToSubject since person { id displayName } } }
  }
}
"""


def refuge_batch() -> Any:
    """Una flees to a refuge whose address is restricted."""
    batch = FAMILIES["child_in_foster_care"]()
    refuge = home(batch, "refuge", "EB9 9ZZ", restricted=True)
    lives(batch, "una", refuge, date(2026, 1, 1))
    return batch


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    store = EmbeddedStore(tmp_path)
    for name, make in FAMILIES.items():
        if name != "child_in_foster_care":
            store.write(make())
    store.write(refuge_batch())
    store.close()
    return tmp_path


@pytest.fixture
def client(app_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(store_dir=app_dir, mode=Mode.DEMO))
    with TestClient(app) as test_client:
        yield test_client


def token(client: TestClient, user: str = "sam") -> str:
    auth = client.app.state.auth  # type: ignore[attr-defined]
    return str(auth.issue(DEMO_USERS[user], Purpose.MASH_SCREENING))


def ask(client: TestClient, query: str, user: str = "sam", status: int = 200,
        **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers={"Authorization": f"Bearer {token(client, user)}"})
    assert response.status_code == status, response.text
    return dict(response.json())


def form_token(client: TestClient, path: str = "/signin") -> str:
    """The form token a page gives this client's browser (and its form cookie with it)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def post_sign_in(client: TestClient, **form: str) -> Any:
    """POST the sign-in form as the sign-in page would, with its form token."""
    return client.post("/signin", data={"csrf_token": form_token(client), **form},
                       follow_redirects=False)


def sign_in(client: TestClient, user: str = "sam") -> None:
    response = post_sign_in(client, user=user, password=DEMO_PASSWORD, purpose="mash_screening",
                            next="/")
    assert response.status_code == 303


def test_graphql_without_token_is_401(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ person(id: \"kim\") { id } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphql_with_forged_token_is_401(client: TestClient) -> None:
    forged = token(client)[:-4] + "AAAA"
    response = client.post("/graphql", json={"query": "{ person(id: \"kim\") { id } }"},
                           headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_household_over_graphql_names_members_in_plain_words(client: TestClient) -> None:
    data = ask(client, HOUSEHOLD, id="kim")["data"]["person"]
    members = {m["person"]["id"]: m["relationshipToSubject"] for m in data["household"]["members"]}
    assert members == {"lou": "mother", "max": "mother's partner",
                       "ned": "half-brother (maternal)"}
    assert data["household"]["address"]["postcode"] == "EB2 7LD"


def test_services_engaged_over_graphql_give_lead_phone(client: TestClient) -> None:
    query = """query($id: ID!) { person(id: $id) { servicesEngaged(scope: HOUSEHOLD) {
        service level organisation { name } lead { name role team phone email } } } }"""
    services = ask(client, query, id="rio")["data"]["person"]["servicesEngaged"]
    assert services == [{"service": "Looked after child", "level": "STATUTORY",
                         "organisation": {"name": "Children in Care Team"},
                         "lead": {"name": "Priya Nair", "role": "Social Worker",
                                  "team": "Children in Care Team", "phone": "020 7946 0123",
                                  "email": "priya.nair@eastbridge.gov.uk"}}]


def test_genogram_over_graphql_has_typed_nodes_and_edges(client: TestClient) -> None:
    query = """query($id: ID!) { person(id: $id) { genogram(depth: 2) {
        nodes { isSubject generation relationshipToSubject person { id } }
        edges { kind sourceId targetId subtype status provenance sources { system } } } } }"""
    genogram = ask(client, query, id="kim")["data"]["person"]["genogram"]
    nodes = {n["person"]["id"]: n for n in genogram["nodes"]}
    assert nodes["kim"]["isSubject"] and nodes["kim"]["generation"] == 0
    assert nodes["lou"]["generation"] == -1 and nodes["gran"]["generation"] == -2
    assert nodes["ned"]["generation"] == 0
    kinds = {(e["kind"], e["sourceId"], e["targetId"], e["status"]) for e in genogram["edges"]}
    assert ("PARTNER", "lou", "otto", "ended") in kinds
    assert ("PARENT", "lou", "kim", "current") in kinds
    assert all(e["provenance"] == "recorded" and e["sources"] for e in genogram["edges"])


def test_genogram_partnerships_as_they_stood_on_the_day_asked(client: TestClient) -> None:
    query = """query($id: ID!, $on: Date) { person(id: $id) { genogram(depth: 2, asOf: $on) {
        edges { kind sourceId targetId status validTo } } } }"""

    def lou_and_otto(on: str) -> set[str]:
        edges = ask(client, query, id="kim", on=on)["data"]["person"]["genogram"]["edges"]
        return {e["status"] for e in edges if e["kind"] == "PARTNER"
                and {e["sourceId"], e["targetId"]} == {"lou", "otto"}}

    ended = lou_and_otto("2026-11-23")
    assert ended and "current" not in ended
    assert lou_and_otto("2016-01-01") == {"current"}, "they split in 2017: current in 2016"


def test_genogram_depth_outside_limits_is_bad_user_input(client: TestClient) -> None:
    query = "query { person(id: \"kim\") { genogram(depth: 9) { asOf } } }"
    errors = ask(client, query)["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_search_people_ranks_with_matched_fields(client: TestClient) -> None:
    query = """query { searchPeople(name: "kim shaw", birthDate: "2014-03-09") {
        edges { node { score matched person { id } } } } }"""
    results = [e["node"] for e in ask(client, query)["data"]["searchPeople"]["edges"]]
    assert results[0]["person"]["id"] == "kim"
    assert set(results[0]["matched"]) == {"name", "birth_date"}
    assert all(r["score"] <= results[0]["score"] for r in results)


def test_unknown_person_is_not_found_code(client: TestClient) -> None:
    errors = ask(client, "{ person(id: \"nobody\") { id } }")["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


def test_query_deeper_than_limit_is_rejected(client: TestClient) -> None:
    nested = "person { id }"
    for _ in range(11):
        nested = f"household {{ members {{ {nested} }} }}"
    result = ask(client, f"{{ person(id: \"kim\") {{ {nested} }} }}", status=422)
    assert result.get("data") is None
    assert "exceeds maximum operation depth" in result["errors"][0]["message"]


def test_restricted_address_is_withheld_without_permission(client: TestClient) -> None:
    school = ask(client, HOUSEHOLD, user="jo", id="una")["data"]["person"]["household"]
    assert school["address"] is None and school["addressWithheld"] is True
    social = ask(client, HOUSEHOLD, user="sam", id="una")["data"]["person"]["household"]
    assert social["address"]["postcode"] == "EB9 9ZZ"


def test_refuge_address_never_appears_in_any_response_to_a_school(client: TestClient) -> None:
    queries = [HOUSEHOLD, """query($id: ID!) { person(id: $id) { genogram(depth: 3) {
        nodes { person { id } } } servicesEngaged(scope: FAMILY) { service } } }"""]
    for pid in ("una", "rio", "sue"):
        for query in queries:
            body = str(ask(client, query, user="jo", id=pid))
            assert "EB9 9ZZ" not in body and "refuge" not in body


def test_every_person_returned_writes_one_audit_row(client: TestClient, app_dir: Path) -> None:
    ask(client, HOUSEHOLD, id="kim")
    rows = sqlite3.connect(app_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id'), json_extract(row, '$.user'),"
        " json_extract(row, '$.purpose'), row FROM audit").fetchall()
    assert sorted(r[0] for r in rows) == ["kim", "lou", "max", "ned"]
    assert {(r[1], r[2]) for r in rows} == {("sam", "mash_screening")}
    assert not any("Shaw" in r[3] or "EB2" in r[3] for r in rows), "personal data in audit"


def test_audit_verify_names_an_edited_row(client: TestClient, app_dir: Path) -> None:
    ask(client, HOUSEHOLD, id="kim")
    ask(client, HOUSEHOLD, id="zak")
    assert verify(app_dir / "audit.sqlite") is None
    db = sqlite3.connect(app_dir / "audit.sqlite")
    db.execute("UPDATE audit SET row = replace(row, 'sam', 'eve') WHERE seq = 3")
    db.commit()
    problem = verify(app_dir / "audit.sqlite")
    assert problem is not None and problem.seq == 3


def test_audit_verify_names_a_deleted_row(client: TestClient, app_dir: Path) -> None:
    ask(client, HOUSEHOLD, id="kim")
    db = sqlite3.connect(app_dir / "audit.sqlite")
    db.execute("DELETE FROM audit WHERE seq = 2")
    db.commit()
    problem = verify(app_dir / "audit.sqlite")
    assert problem is not None and problem.seq == 2


def test_no_data_leaves_when_audit_cannot_be_written(client: TestClient) -> None:
    client.app.state.audit.close()  # type: ignore[attr-defined]
    response = client.post("/graphql", json={"query": HOUSEHOLD, "variables": {"id": "kim"}},
                           headers={"Authorization": f"Bearer {token(client)}"})
    assert response.status_code == 503
    assert response.json()["data"] is None
    assert "Shaw" not in response.text
    sign_in(client)
    page = client.get("/people/kim")
    assert page.status_code == 503 and "Shaw" not in page.text


def test_person_page_shows_household_and_lead_phone(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/rio")
    assert page.status_code == 200
    assert "Sue Ward" in page.text and "foster carer" in page.text
    assert "020 7946 0123" in page.text and "Priya Nair" in page.text
    assert 'data-person="rio"' in page.text and 'class="famgraph-genogram"' in page.text


def test_pages_redirect_to_sign_in_when_signed_out(client: TestClient) -> None:
    response = client.get("/people/kim", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/people/kim"


def test_sign_in_refuses_wrong_password(client: TestClient) -> None:
    response = post_sign_in(client, user="sam", password=DEMO_PASSWORD + "?",
                            purpose="mash_screening")
    assert response.status_code == 401


def test_sign_in_refuses_offsite_next(client: TestClient) -> None:
    response = post_sign_in(client, user="sam", password=DEMO_PASSWORD, purpose="mash_screening",
                            next="//evil.example/")
    assert response.headers["location"] == "/"


def test_demo_banner_on_every_page(client: TestClient) -> None:
    assert "Demo mode" in client.get("/signin").text
    sign_in(client)
    for path in ("/", "/people/kim", "/people/kim/genogram"):
        assert "Demo mode" in client.get(path).text


def test_genogram_page_draws_subject_with_outline(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/kim/genogram")
    assert page.status_code == 200
    drawing = page.text[page.text.index("<svg"):page.text.index("</svg>")]
    subject = drawing[drawing.index('data-person="kim"'):]
    subject = subject[:subject.index("</a>")]
    assert subject.count('class="shape"') == 2, "the index person is double-outlined"
    assert 'class="partner partner current"' in drawing or 'class="partner spouse' in drawing


def test_pages_and_graphiql_load_nothing_from_other_hosts(client: TestClient) -> None:
    sign_in(client)
    for path in ("/", "/people/kim", "/people/kim/genogram", "/graphql"):
        html = client.get(path, headers={"Accept": "text/html"}).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, path
        remote = [s for s in sources if re.match(r"(https?:)?//", s)]
        assert remote == [], f"{path} loads {remote}"
        for local in sources:
            if local.startswith("/static/"):
                assert client.get(local).status_code == 200, local


def test_production_mode_has_no_graphiql_and_no_introspection(app_dir: Path) -> None:
    app = create_app(Settings(store_dir=app_dir, mode=Mode.PRODUCTION))
    with TestClient(app, base_url="https://testserver") as prod:
        assert DEMO_USERS  # demo users exist, but production does not accept them
        response = post_sign_in(prod, user="sam", password=DEMO_PASSWORD, purpose="mash_screening")
        assert response.status_code == 401
        assert "Demo mode" not in prod.get("/signin").text


def test_person_demographics_and_sources(client: TestClient) -> None:
    query = """query { person(id: "lou") { id givenNames familyName displayName sex birthDate
        deathDate nhsNumber upn sources { system recordId }
        genogram(depth: 1) { subjectId asOf edges { kind validFrom validTo } } } }"""
    person = ask(client, query)["data"]["person"]
    assert (person["givenNames"], person["familyName"], person["sex"]) == ("Lou", "Shaw", "FEMALE")
    assert person["birthDate"] == "1991-07-07" and person["deathDate"] is None
    assert person["nhsNumber"] is None and person["upn"] is None
    assert person["sources"] == [{"system": "health", "recordId": "H-lou"}]
    genogram = person["genogram"]
    assert genogram["subjectId"] == "lou"
    ended = [e for e in genogram["edges"] if e["kind"] == "PARTNER" and e["validTo"]]
    assert ended == [{"kind": "PARTNER", "validFrom": "2012-01-01", "validTo": "2017-06-30"}]


def test_search_page_lists_matches_with_links(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/", params={"name": "Shaw"})
    assert page.status_code == 200
    assert 'href="/people/kim"' in page.text and 'href="/people/lou"' in page.text
    assert 'href="/people/max"' not in page.text


def test_search_page_says_no_match_is_not_absence(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/", params={"name": "Nobody Atall"})
    assert "not about the world" in page.text


def test_search_page_rejects_a_bad_birth_date(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/", params={"birth_date": "31/02/2014"})
    assert page.status_code == 400 and "Birth date must be a date" in page.text


def test_search_page_refuses_a_huge_name_before_searching(client: TestClient) -> None:
    """docs/security.md rule 30: the page is an edge too; a 60,000-letter name runs no search."""
    sign_in(client)
    page = client.get("/", params={"name": "x" * 60_000})
    assert page.status_code == 400 and "at most 200 characters" in page.text
    assert "x" * 1000 not in page.text


def test_search_pages_with_opaque_cursors(client: TestClient) -> None:
    query = """query($after: String) { searchPeople(name: "Shaw", first: 2, after: $after) {
        edges { cursor node { person { id } } } pageInfo { hasNextPage hasPreviousPage
        startCursor endCursor } } }"""
    first = ask(client, query)["data"]["searchPeople"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    assert not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    second = ask(client, query, after=first["pageInfo"]["endCursor"])["data"]["searchPeople"]
    seen = [e["node"]["person"]["id"] for e in first["edges"] + second["edges"]]
    assert len(seen) == len(set(seen)) == 4  # kim, lou, otto, pia, gran: five Shaws
    assert second["pageInfo"]["hasPreviousPage"]


def test_search_refuses_a_forged_cursor_and_an_oversized_page(client: TestClient) -> None:
    bad = ask(client, '{ searchPeople(name: "Shaw", after: "bm90LWEtY3Vyc29y") { edges {'
                      ' cursor } } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    big = ask(client, '{ searchPeople(name: "Shaw", first: 101) { edges { cursor } } }')
    assert big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_node_returns_a_person_by_id(client: TestClient) -> None:
    data = ask(client, '{ node(id: "kim") { id ... on Person { displayName } } }')["data"]
    assert data["node"] == {"id": "kim", "displayName": "Kim Shaw"}


def test_household_history_lists_each_home_with_its_members(client: TestClient) -> None:
    query = """query { person(id: "rio") { householdHistory { validFrom validTo
        addressWithheld address { postcode } members { relationshipToSubject person { id } } }
        } }"""
    periods = ask(client, query)["data"]["person"]["householdHistory"]
    assert [(p["validFrom"], p["validTo"]) for p in periods] == [
        ("2024-06-01", None), ("2016-10-10", "2024-05-31")]
    assert [m["person"]["id"] for m in periods[1]["members"]] == ["una"]
    assert not periods[0]["addressWithheld"]


def test_family_lists_wider_family_with_generations(client: TestClient) -> None:
    query = '{ person(id: "kim") { family(depth: 2) { relationshipToSubject generation'\
            ' person { id } } } }'
    family = {m["person"]["id"]: (m["relationshipToSubject"], m["generation"])
              for m in ask(client, query)["data"]["person"]["family"]}
    assert family["gran"] == ("maternal grandmother", -2)
    assert family["pia"] == ("half-sister (paternal)", 0)
    assert "kim" not in family


def test_services_engaged_include_closed(client: TestClient) -> None:
    query = """query { person(id: "rio") { servicesEngaged(includeClosed: true) {
        service end status } } }"""
    services = ask(client, query)["data"]["person"]["servicesEngaged"]
    assert {(s["service"], s["status"]) for s in services} == {
        ("Looked after child", "open"), ("Child in need", "closed")}


def test_chronology_merges_services_and_moves(client: TestClient) -> None:
    query = """query { person(id: "rio") { chronology(from: "2023-01-01", first: 10) {
        totalCount edges { node { date kind summary relationshipToSubject
        sources { system } } } } } }"""
    chronology = ask(client, query)["data"]["person"]["chronology"]
    entries = [(e["node"]["date"], e["node"]["kind"], e["node"]["summary"])
               for e in chronology["edges"]]
    assert entries == [
        ("2023-01-01", "service started", "Child in need"),
        ("2024-05-31", "service ended", "Child in need"),
        ("2024-06-01", "moved in", ""),
        ("2024-06-01", "service started", "Looked after child"),
    ]
    assert chronology["totalCount"] == 4


def test_discrepancies_show_each_systems_value(app_dir: Path) -> None:
    store = EmbeddedStore(app_dir)
    kim = store.people(["kim"])["kim"]
    store.write(GraphBatch(nodes=[
        replace(kim, claims=(
            Claim("birth_date", "2014-03-09", SourceRef("health", "H1")),
            Claim("birth_date", "2014-09-03", SourceRef("education", "E7")),
            Claim("family_name", "Shaw", SourceRef("health", "H1")),
        ))]))
    store.close()
    app = create_app(Settings(store_dir=app_dir, mode=Mode.DEMO))
    with TestClient(app) as client:
        found = ask(client, """{ person(id: "kim") { discrepancies { field assertions {
            value sources { system recordId } } } } }""")["data"]["person"]["discrepancies"]
    assert found == [{"field": "birth_date", "assertions": [
        {"value": "2014-03-09", "sources": [{"system": "health", "recordId": "H1"}]},
        {"value": "2014-09-03", "sources": [{"system": "education", "recordId": "E7"}]}]}]


def test_search_people_arguments_over_graphql(client: TestClient) -> None:
    by_year = ask(client, '{ searchPeople(name: "Shaw", birthYear: 2019) { edges { node {'
                          ' person { id } } } } }')["data"]["searchPeople"]["edges"]
    assert [e["node"]["person"]["id"] for e in by_year] == ["pia"]
    nothing = ask(client, '{ searchPeople(upn: "A950000178301") { edges { cursor } } }')
    assert nothing["data"]["searchPeople"]["edges"] == []
    local = ask(client, '{ searchPeople(system: "health", recordId: "H-kim") { edges { node {'
                        ' matched person { id } } } } }')["data"]["searchPeople"]["edges"]
    assert local == []  # the families fixture has person nodes, not source records
    half = ask(client, '{ searchPeople(system: "health") { edges { cursor } } }')
    assert half["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_genogram_draws_one_line_per_couple_the_current_one() -> None:
    from viz.genogram import Chart, ChartPerson, ChartTie, svg

    people = tuple(ChartPerson(id=pid, name="A B", sex="FEMALE", born=date(1990, 1, 1),
                               died=None, relationship="x", is_subject=pid == "a",
                               generation=0) for pid in ("a", "b"))
    ties = (ChartTie("PARTNER", "a", "b", "partner", "ended", date(2010, 1, 1)),
            ChartTie("PARTNER", "a", "b", "partner", "current", date(2015, 1, 1)))
    drawn = svg(Chart(subject_id="a", as_of=date(2026, 1, 1), people=people, ties=ties))
    assert drawn.count('<g class="partner ') == 1
    assert '<g class="partner partner current"' in drawn


def test_post_to_graphql_is_answered_there_not_redirected(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"},
                           headers={"Authorization": f"Bearer {token(client)}"},
                           follow_redirects=False)
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


def test_repeated_documents_are_validated_once(client: TestClient) -> None:
    from strawberry.extensions.validation_cache import _get_validate_cache

    cache = _get_validate_cache(1024)
    ask(client, HOUSEHOLD, id="kim")
    before = cache.cache_info()
    ask(client, HOUSEHOLD, id="zak")
    after = cache.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_sibling_fields_share_one_store_round_trip_per_question(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    calls: dict[str, int] = {}
    subjects: list[str] = []
    for name in ("people", "involvements", "households"):
        real = getattr(store, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] = calls.get(_name, 0) + 1
            if _name == "households":
                subjects.extend(person_id for person_id, _ in args[0])
            return _real(*args, **kwargs)

        monkeypatch.setattr(store, name, counted)
    query = """{ a: person(id: "kim") { household { members { person { id } } }
                   servicesEngaged(scope: HOUSEHOLD) { service }
                   servicesWithheld(scope: HOUSEHOLD) }
                 b: person(id: "rio") { servicesEngaged(scope: HOUSEHOLD) { service } }
                 c: person(id: "zak") { servicesEngaged { service } } }"""
    data = ask(client, query)["data"]
    assert [s["service"] for s in data["b"]["servicesEngaged"]] == ["Looked after child"]
    assert data["a"]["household"]["members"]
    # One people lookup for the three subjects (and one for those the services are about),
    # one involvements call for all three scopes, and each subject asked about its
    # household traversed once, however many fields asked.
    assert calls["people"] == 2 and calls["involvements"] == 1
    assert sorted(subjects) == ["kim", "rio"]


def test_a_serving_process_freezes_the_loaded_store_out_of_garbage_collection() -> None:
    import gc

    from server.app import freeze_loaded_heap

    try:
        freeze_loaded_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_after_the_freeze_a_full_collection_does_not_wait_for_a_store_sized_backlog() -> None:
    """Requests leave cycles that reach the oldest generation; they must be collected in
    small full collections, not saved up until they number a quarter of the store."""
    import gc

    from server.app import freeze_loaded_heap

    store = [[] for _ in range(400_000)]  # the long-lived heap the freeze takes out
    full: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    try:
        freeze_loaded_heap()
        gc.callbacks.append(watch)
        for _ in range(20):  # 50,000 cycles promoted to the oldest generation, then dropped
            batch = []
            for _ in range(2_500):
                cycle: list[object] = []
                cycle.append(cycle)
                batch.append(cycle)
            gc.collect(1)
            del batch
        for _ in range(20_000):  # ordinary allocation: the collector's own triggers
            [[]]  # noqa: B018
    finally:
        gc.callbacks.remove(watch)
        gc.unfreeze()
    assert store and full, "no full collection ran: the backlog is waiting for the store"


def test_a_graphql_request_leaves_nothing_of_its_own_for_the_cycle_collector(
    client: TestClient,
) -> None:
    """What a request loads and the execution that walked it go when the request does,
    by reference counting: cycles among them waited for full collections, which at
    front-door rates stalled every request in flight."""
    import gc

    query = """query($id: ID!) { person(id: $id) { givenNames household { members {
        relationshipToSubject person { id givenNames } } }
        servicesEngaged(scope: HOUSEHOLD) { service lead { name } } } }"""
    assert ask(client, query, id="rio")["data"]["person"]["servicesEngaged"]
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the next collection finds, to look at it
    try:
        for _ in range(3):
            assert ask(client, query, id="rio")["data"]["person"]["household"]["members"]
        gc.collect()
        kinds = {type(found).__name__ for found in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    ours = {"Loaders", "DataLoader", "LeafExecution", "GraphQLResolveInfoHelpers",
            "Person", "ServiceEngaged", "HouseholdMember", "RequestContext"}
    assert not kinds & ours, sorted(kinds & ours)


@pytest.mark.parametrize("scope", ["HOUSEHOLD", "FAMILY"])
def test_services_come_with_the_household_read_and_answer_as_the_store_call_does(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, scope: str
) -> None:
    """A household read brings the involvements of everyone in it (one round trip on
    Neo4j); services chosen from them must be those a store call gives."""
    store = client.app.state.store  # type: ignore[attr-defined]
    calls: list[str] = []
    real = store.involvements
    monkeypatch.setattr(store, "involvements",
                        lambda *a, **k: calls.append("involvements") or real(*a, **k))
    fields = f"""household {{ address {{ postcode }} }}
                open: servicesEngaged(scope: {scope}) {{ service person {{ id }} }}
                all: servicesEngaged(scope: {scope}, includeClosed: true) {{
                  service person {{ id }} }}"""
    # Another person's child-scope services in the same request: no household read covers
    # them, so that request asks the store for everyone's involvements.
    uncovered = 'other: person(id: "zak") { servicesEngaged { service } }'
    asked = 0
    for subject in ("rio", "una", "kim"):
        with_household = ask(client, f'{{ person(id: "{subject}") {{ {fields} }} }}')
        assert calls == [], "the household read held every involvement its services need"
        by_store = ask(client, f'{{ person(id: "{subject}") {{ {fields} }} {uncovered} }}')
        assert calls, "the uncovered scope asked the store"
        calls.clear()
        assert with_household["data"]["person"] == by_store["data"]["person"], subject
        asked += len(by_store["data"]["person"]["all"])
    assert asked, "the families have services to compare"
