"""Every family-context field over HTTP, on named families: twins, half-siblings by each
parent, a step-parent, a child who moved between parents, a new adult joining, a family
in a refuge — as a social worker and as a school sees them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.store import GraphBatch, LoadLog
from server.app import create_app
from server.auth import DEMO_USERS
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import API_FAMILIES, FAMILIES
from tests.test_http import refuge_batch

EXTRACTED = {"social_care": "2026-11-20", "education": "2026-11-01", "health": "2026-11-22",
             "police": "2026-11-21", "youth_justice": "2026-10-31"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory: Path = tmp_path_factory.mktemp("families")
    store = EmbeddedStore(directory)
    for name, make in {**FAMILIES, **API_FAMILIES}.items():
        if name != "child_in_foster_care":
            store.write(make())
    store.write(refuge_batch())
    # A load that names its systems' extract dates, as every real load does.
    store.write(GraphBatch(log=LoadLog("extracts", 0, 0, 0, detail={"systems": EXTRACTED})))
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
    assert "errors" not in body or user != "sam", body["errors"]
    return body["data"]


def words(members: list[dict[str, Any]]) -> dict[str, str]:
    return {m["person"]["id"]: m["relationshipToSubject"] for m in members}


HOUSEHOLD = """query($id: ID!, $asOf: Date) { person(id: $id) { household(asOf: $asOf) {
  address { postcode } addressWithheld membersWithheld
  members { relationshipToSubject since person { id birthDate } } } } }"""


def test_twins_are_named_twins_and_drawn_in_one_generation(
        client: TestClient) -> None:
    household = ask(client, HOUSEHOLD, id="vic")["person"]["household"]
    assert words(household["members"]) == {"xena": "mother", "wes": "twin brother"}
    born = {m["person"]["id"]: m["person"]["birthDate"] for m in household["members"]}
    assert born["wes"] == "2018-02-02"
    genogram = ask(client, """{ person(id: "vic") { genogram(depth: 2) {
        nodes { person { id } generation isSubject }
        edges { kind sourceId targetId provenance sources { system asOf } } } } }""")
    nodes = {n["person"]["id"]: n["generation"] for n in genogram["person"]["genogram"]["nodes"]}
    assert nodes["wes"] == nodes["vic"] == 0 and nodes["xena"] == -1
    edges = genogram["person"]["genogram"]["edges"]
    assert {(e["sourceId"], e["targetId"]) for e in edges} >= {("xena", "vic"), ("xena", "wes")}
    assert all(e["provenance"] == "recorded" for e in edges)
    assert {s["system"] for e in edges for s in e["sources"]} == {"social_care"}
    assert {s["asOf"] for e in edges for s in e["sources"]} == {EXTRACTED["social_care"]}


def test_half_siblings_by_each_parent_are_named_by_the_parent_they_share(
        client: TestClient) -> None:
    family = ask(client, """{ person(id: "kim") { family(depth: 2) {
        relationshipToSubject generation person { id } } familyWithheld(depth: 2) } }""")
    named = {m["person"]["id"]: m["relationshipToSubject"] for m in family["person"]["family"]}
    assert named["ned"] == "half-brother (maternal)"
    assert named["pia"] == "half-sister (paternal)"
    assert named["gran"] == "maternal grandmother"
    assert named["max"] == "mother's partner"
    assert family["person"]["familyWithheld"] == 0
    household = ask(client, HOUSEHOLD, id="kim")["person"]["household"]
    assert words(household["members"]) == {"lou": "mother", "max": "mother's partner",
                                          "ned": "half-brother (maternal)"}
    assert "pia" not in words(household["members"])  # she lives with her father


def test_a_step_father_is_named_as_such_and_the_father_elsewhere_is_family(
        client: TestClient) -> None:
    household = ask(client, HOUSEHOLD, id="leo")["person"]["household"]
    assert words(household["members"]) == {"mia": "mother", "noah": "step-father"}
    since = {m["person"]["id"]: m["since"] for m in household["members"]}
    assert since["noah"] == "2021-06-01"
    genogram = ask(client, """{ person(id: "leo") { genogram(depth: 2) {
        edges { kind sourceId targetId subtype status validTo } } } }""")["person"]["genogram"]
    partners = {frozenset((e["sourceId"], e["targetId"])): e for e in genogram["edges"]
                if e["kind"] == "PARTNER"}
    assert partners[frozenset(("mia", "noah"))]["subtype"] == "spouse"
    assert partners[frozenset(("mia", "oli"))]["validTo"] == "2018-12-31"
    family = ask(client, '{ person(id: "leo") { family(depth: 1) { relationshipToSubject'
                         ' person { id } } } }')["person"]["family"]
    assert {m["person"]["id"]: m["relationshipToSubject"] for m in family}["oli"] == "father"


def test_a_child_who_moved_between_parents_is_placed_by_date(client: TestClient) -> None:
    now = ask(client, HOUSEHOLD, id="ivy")["person"]["household"]
    before = ask(client, HOUSEHOLD, id="ivy", asOf="2025-06-01")["person"]["household"]
    assert now["address"]["postcode"] == "EB8 4QR" and words(now["members"]) == {"kit": "father"}
    assert before["address"]["postcode"] == "EB7 3NP"
    assert words(before["members"]) == {"jan": "mother"}
    history = ask(client, """{ person(id: "ivy") { householdHistory { validFrom validTo
        address { postcode } members { relationshipToSubject } } } }""")
    periods = [(p["validFrom"], p["validTo"], p["address"]["postcode"])
               for p in history["person"]["householdHistory"]]
    assert periods == [("2025-09-01", None, "EB8 4QR"), ("2015-04-07", "2025-08-31", "EB7 3NP")]
    chronology = ask(client, """{ person(id: "ivy") { chronology(from: "2025-01-01") {
        totalCount edges { node { date kind relationshipToSubject } } } } }""")
    entries = [e["node"] for e in chronology["person"]["chronology"]["edges"]]
    assert entries == [{"date": "2025-09-01", "kind": "moved in", "relationshipToSubject": "self"}]


def test_systems_that_disagree_on_a_birth_date_are_shown_with_their_extract_dates(
        client: TestClient) -> None:
    found = ask(client, """{ person(id: "ivy") { discrepancies { field
        assertions { value sources { system recordId asOf } } } } }""")
    [birth] = [d for d in found["person"]["discrepancies"] if d["field"] == "birth_date"]
    said = {a["value"]: a["sources"][0] for a in birth["assertions"]}
    assert said["2015-04-07"] == {"system": "health", "recordId": "H-ivy",
                                  "asOf": EXTRACTED["health"]}
    assert said["2015-07-04"]["system"] == "education"
    assert said["2015-07-04"]["asOf"] == EXTRACTED["education"]


def test_a_new_adult_in_the_household_shows_from_the_day_he_moved_in(
        client: TestClient) -> None:
    now = ask(client, HOUSEHOLD, id="zak")["person"]["household"]
    assert words(now["members"]) == {"yva": "mother", "abe": "unrelated adult"}
    assert {m["person"]["id"]: m["since"] for m in now["members"]}["abe"] == "2026-09-01"
    before = ask(client, HOUSEHOLD, id="zak", asOf="2026-08-31")["person"]["household"]
    assert words(before["members"]) == {"yva": "mother"}


def test_a_family_in_a_refuge_is_never_placed_for_a_school(client: TestClient) -> None:
    social = ask(client, HOUSEHOLD, id="una")["person"]["household"]
    assert social["address"]["postcode"] == "EB9 9ZZ"
    for pid in ("una", "rio"):
        for query in (HOUSEHOLD, """query($id: ID!) { person(id: $id) { householdHistory {
                address { postcode } addressWithheld } sourceCoverage { system state }
                genogram(depth: 2) { nodes { person { id } } } } }"""):
            token = client.app.state.auth.issue(  # type: ignore[attr-defined]
                DEMO_USERS["jo"], Purpose.MASH_SCREENING)
            body = client.post("/graphql", json={"query": query, "variables": {"id": pid}},
                               headers={"Authorization": f"Bearer {token}"}).text
            assert "EB9" not in body and "refuge" not in body
    school = ask(client, HOUSEHOLD, user="jo", id="una")["person"]["household"]
    assert school["address"] is None and school["addressWithheld"] is True


SERVICES = """query($id: ID!, $scope: Scope!, $asOf: Date, $closed: Boolean!) {
  person(id: $id) {
    servicesEngaged(scope: $scope, asOf: $asOf, includeClosed: $closed) {
      person { id } relationshipToSubject service level start end
      organisation { name } lead { name role team phone email } sources { system asOf } }
    servicesWithheld(scope: $scope, asOf: $asOf, includeClosed: $closed) } }"""


def test_services_by_scope_date_and_closure_with_leads_and_as_of(client: TestClient) -> None:
    def services(scope: str, as_of: str | None = None, closed: bool = False) -> Any:
        return ask(client, SERVICES, id="rio", scope=scope, asOf=as_of, closed=closed)["person"]

    child = services("CHILD")["servicesEngaged"]
    assert [s["service"] for s in child] == ["Looked after child"]
    assert child[0]["lead"] == {"name": "Priya Nair", "role": "Social Worker",
                                "team": "Children in Care Team", "phone": "020 7946 0123",
                                "email": "priya.nair@eastbridge.gov.uk"}
    assert child[0]["sources"] == [{"system": "social_care", "asOf": EXTRACTED["social_care"]}]
    family = services("FAMILY")["servicesEngaged"]
    assert {(s["person"]["id"], s["relationshipToSubject"], s["service"]) for s in family} == {
        ("rio", "self", "Looked after child"), ("una", "mother", "Adult mental health")}
    closed = services("CHILD", closed=True)["servicesEngaged"]
    assert {(s["service"], s["end"]) for s in closed} == {("Looked after child", None),
                                                        ("Child in need", "2024-05-31")}
    earlier = services("CHILD", as_of="2023-06-01")["servicesEngaged"]
    assert [s["service"] for s in earlier] == ["Child in need"]
    school = ask(client, SERVICES, user="jo", id="rio", scope="FAMILY", asOf=None, closed=False)
    # A school sees the looked-after episode (social care is shared) but not the mother's
    # mental-health service, and is told one is withheld rather than shown nothing.
    assert [s["service"] for s in school["person"]["servicesEngaged"]] == ["Looked after child"]
    assert school["person"]["servicesWithheld"] == 1


SCHOOL_AND_GP = """{ person(id: "leo") {
  school { service start organisation { name kind code } lead { name role phone email } }
  gp { organisation { name kind code } start } } }"""


def test_school_with_its_safeguarding_lead_and_gp_practice(client: TestClient) -> None:
    found = ask(client, SCHOOL_AND_GP)["person"]
    assert found["school"]["organisation"] == {"name": "Alder Primary School", "kind": "school",
                                               "code": "100001"}
    assert found["school"]["lead"]["role"] == "Designated Safeguarding Lead"
    assert found["school"]["lead"]["phone"] == "020 7946 0456"
    assert found["gp"]["organisation"] == {"name": "Eastbridge Medical Centre",
                                           "kind": "gp_practice", "code": "Y01234"}
    assert ask(client, '{ person(id: "kim") { school { service } gp { service } } }'
               )["person"] == {"school": None, "gp": None}
    school = ask(client, SCHOOL_AND_GP, user="jo")["person"]
    assert school["school"]["organisation"]["code"] == "100001"
    assert school["gp"] is None  # health is not shared with schools


COVERAGE = """query($id: ID!) { person(id: $id) { sourceCoverage {
  system state asOf withheld records covers } } }"""


def test_source_coverage_keeps_no_record_outside_coverage_and_withheld_apart(
        client: TestClient) -> None:
    def states(pid: str, user: str = "sam") -> dict[str, Any]:
        found = ask(client, COVERAGE, user=user, id=pid)["person"]["sourceCoverage"]
        return {s["system"]: s for s in found}

    leo = states("leo")
    assert (leo["education"]["state"], leo["education"]["records"]) == ("RECORDS", 1)
    assert leo["education"]["asOf"] == EXTRACTED["education"]
    assert leo["police"]["state"] == "NO_RECORD"  # loaded, covers everyone, holds nothing
    assert leo["youth_justice"]["state"] == "OUTSIDE_COVERAGE"  # he is eight
    assert leo["early_help"]["state"] == "NOT_LOADED"
    assert "10 to 17" in leo["youth_justice"]["covers"]
    assert states("oli")["education"]["state"] == "OUTSIDE_COVERAGE"  # an adult
    school = states("leo", user="jo")
    assert school["health"] == {"system": "health", "state": None, "asOf": EXTRACTED["health"],
                                "withheld": True, "records": None,
                                "covers": leo["health"]["covers"]}
    # Withheld says nothing of what the system holds: the same for someone it does not.
    assert states("kim", user="jo")["police"]["withheld"] is True
    # A school's agreement shares no source lists at all, so every system says withheld.
    assert all(s["withheld"] and s["state"] is None for s in school.values())


def test_search_node_and_past_postcodes_reach_named_families(client: TestClient) -> None:
    found = ask(client, """{ searchPeople(postcode: "EB7 3NP") {
        edges { node { person { id } matched score } } } }""")["searchPeople"]["edges"]
    assert {e["node"]["person"]["id"] for e in found} == {"ivy", "jan"}  # ivy lived there
    named = ask(client, '{ searchPeople(name: "Noah Grant") { edges { node { person { id } } } } }')
    assert named["searchPeople"]["edges"][0]["node"]["person"]["id"] == "noah"
    node = ask(client, '{ node(id: "leo") { id ... on Person { displayName } } }')["node"]
    assert node == {"id": "leo", "displayName": "Leo Frost"}


def test_as_of_dates_are_the_latest_extract_of_each_system(client: TestClient) -> None:
    day = ask(client, '{ person(id: "leo") { sources { system asOf } } }')["person"]["sources"]
    assert {(s["system"], s["asOf"]) for s in day} == {
        ("education", EXTRACTED["education"]), ("health", EXTRACTED["health"])}
    assert date.fromisoformat(EXTRACTED["health"]) <= date(2026, 11, 23)


def test_the_person_page_names_school_gp_and_what_each_system_knows(
        client: TestClient) -> None:
    from tests.test_http import sign_in

    sign_in(client)
    page = client.get("/people/leo").text
    assert "School: Alder Primary School" in page and "Rosa Mendes" in page
    assert "GP: Eastbridge Medical Centre" in page
    rows = coverage_rows(page)
    assert rows["youth justice"] == "does not cover this person"
    assert rows["police"] == "holds no record"
    assert rows["education"] == "covers this person (1 record)"
    assert rows["early help"] == "not loaded yet"
    client.post("/signout")
    sign_in(client, "jo")
    school = client.get("/people/leo").text
    assert "GP: none shared with you" in school and "Eastbridge Medical Centre" not in school
    rows = coverage_rows(school)
    # The school's agreement shares education and social care, but not which people they
    # hold (no `sources` category); every other system is not shared at all.
    assert set(rows.values()) == {
        "not shared with your agency",
        "shared with your agency, but not which people it holds: ask your information-sharing"
        " contact"}
    assert rows["health"] == "not shared with your agency"
    client.post("/signout")


def coverage_rows(page: str) -> dict[str, str]:
    """The 'what each system knows' table: system -> what it says of this person."""
    table = page[page.index('id="coverage"'):page.index("</table>", page.index('id="coverage"'))]
    found = re.findall(r'<th scope="row"[^>]*>([a-z ]+)</th>\s*<td[^>]*>(.*?)</td>', table, re.S)
    return {system: re.sub(r"<[^>]+>", "", said).strip() for system, said in found}


def test_the_person_page_says_where_sources_disagree(client: TestClient) -> None:
    token = client.app.state.auth.issue(  # type: ignore[attr-defined]
        DEMO_USERS["sam"], Purpose.MASH_SCREENING)
    page = client.get("/people/ivy", headers={"Authorization": f"Bearer {token}"}).text
    said = page[page.index('id="discrepancies"'):]
    said = said[:said.index("</div>")]
    assert "birth date" in said and "7 April 2015" in said and "4 July 2015" in said
    assert "health" in said and "education" in said
