"""The API side of the practitioner's pages: disagreement shown, risk indicators that read
right, whom to ask about what is withheld, and two people who may be one child."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
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
from tests.families import child_recorded_at_three_addresses, family_with_recorded_risks


def _batches() -> list[GraphBatch]:
    return [child_recorded_at_three_addresses(), family_with_recorded_risks()]


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


RISKS = """query($id: ID!, $asOf: Date) { person(id: $id) {
  riskIndicators(scope: HOUSEHOLD, asOf: $asOf) {
    kind kindWords from to summary summaryWords current relationshipToSubject
    aboutRelationship aboutPerson { id } recordedOn { id } person { id } } } }"""


def _risks(client: TestClient, as_of: str = "2026-11-23") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ask(client, RISKS, id="ria", asOf=as_of)["person"][
        "riskIndicators"]
    return found


def test_a_parental_factor_on_a_childs_assessment_is_about_the_parent(
    client: TestClient,
) -> None:
    factor = next(r for r in _risks(client) if r["kind"] == "SUBSTANCE_MISUSE")
    assert factor["recordedOn"] == {"id": "ria"} and factor["person"] == {"id": "ria"}
    assert factor["relationshipToSubject"] == "self"
    assert factor["aboutPerson"] is None  # the census does not say which adult
    assert factor["aboutRelationship"] == "parent(s)/carer(s)"
    own = next(r for r in _risks(client) if r["summary"] == "SUSPECT MEDIUM")
    assert own["aboutPerson"] == own["recordedOn"] == {"id": "tia"}
    assert own["aboutRelationship"] == "mother"


def test_a_parental_factor_on_a_siblings_record_says_whose_parents(client: TestClient) -> None:
    found = ask(client, RISKS, id="sol", asOf="2026-11-23")["person"]["riskIndicators"]
    factor = next(r for r in found if r["kind"] == "SUBSTANCE_MISUSE")
    assert factor["aboutRelationship"] == "sister's parent(s)/carer(s)"


def test_kinds_and_codes_read_as_words(client: TestClient) -> None:
    words = {r["summary"]: (r["kindWords"], r["summaryWords"]) for r in _risks(client)}
    assert words["SUSPECT MEDIUM"] == ("Domestic abuse", "Suspected perpetrator, medium risk")
    assert words["VICTIM HIGH"] == ("Domestic abuse", "Victim, high risk")
    assert words["CIN assessment factor 2B: concerns about drug misuse by the"
                 " parent(s)/carer(s)"] == (
        "Substance misuse",
        "Concerns about drug misuse by the parent(s)/carer(s) (CIN assessment factor 2B)")
    # Not wholly codes in the table: passed through as the source wrote it.
    assert words["Adult mental health referral"][1] == "Adult mental health referral"


def test_a_2019_incident_with_no_end_date_is_listed_but_not_current_in_2026(
    client: TestClient,
) -> None:
    current = {r["summary"]: r["current"] for r in _risks(client)}
    assert current["VICTIM HIGH"] is False
    assert current["SUSPECT MEDIUM"] is True
    assert current["Adult mental health referral"] is True  # an end date still ahead
    assert current["Historic PA flag"] is False  # no end date, but its source closed it
    # In 2019 the same incident was current.
    then = {r["summary"]: r["current"] for r in _risks(client, "2019-06-01")}
    assert then == {"VICTIM HIGH": True}


def test_the_months_an_undated_end_stays_current_is_a_setting() -> None:
    from graph.model import RiskIndicator, RiskKind
    from graph.questions.risk import is_current
    risk = RiskIndicator(id="K", person_id="P", kind=RiskKind.OFFENDING,
                         valid_from=date(2025, 1, 31))
    assert is_current(risk, date(2026, 1, 31), 12)
    assert not is_current(risk, date(2026, 2, 1), 12)
    assert is_current(risk, date(2026, 2, 1), 24)
    assert Settings.from_env({"FAMGRAPH_RISK_CURRENT_MONTHS": "6"}).risk_current_months == 6


def test_risks_are_grouped_by_person_then_kind_newest_first(client: TestClient) -> None:
    order = [(r["recordedOn"]["id"], r["kind"], r["from"]) for r in _risks(client)]
    assert order == [
        ("ria", "SUBSTANCE_MISUSE", "2026-04-01"),
        ("ria", "ATTENDANCE", "2026-09-01"),
        ("tia", "MENTAL_HEALTH", "2025-01-01"),
        ("tia", "DOMESTIC_ABUSE", "2026-09-01"),
        ("tia", "DOMESTIC_ABUSE", "2019-03-14"),
    ]


WHO = """query($id: ID!) { person(id: $id) { servicesWithheld whoToAsk(asOf: "2026-06-01") {
  leadAgency contact { name role email phone } } } }"""


def test_whom_to_ask_names_the_viewers_own_contact_and_a_visible_lead_agency(
    client: TestClient,
) -> None:
    found = ask(client, WHO, id="wes")["person"]["whoToAsk"]
    assert found["leadAgency"] == "Eastbridge Community Health"
    assert found["contact"]["email"] == "mash.sharing@example.gov.uk"


def test_a_lead_agency_whose_service_is_withheld_is_not_named(client: TestClient) -> None:
    found = ask(client, WHO, user="jo", id="wes")["person"]
    assert found["whoToAsk"]["leadAgency"] is None
    assert found["whoToAsk"]["contact"]["name"] == "Grace Lin"  # the school's own contact


def test_every_shipped_agency_has_a_fictional_contact_and_a_bad_one_is_refused() -> None:
    from server.sharing import SharingConfigError, default_rules, parse_rules
    for agreement in default_rules().agreements.values():
        assert agreement.contact is not None, agreement.agency
        assert "@example." in agreement.contact.email
        assert agreement.contact.phone.startswith("01632 960")
    spec = {"systems": [], "categories": [], "purposes": [], "roles": [],
            "contact": {"name": "A", "role": "B", "email": "not an email", "phone": "01632"}}
    purposes = {p: "basis" for p in ("mash_screening", "s47_enquiry", "s17_assessment",
                                     "early_help", "cp_conference")}
    with pytest.raises(SharingConfigError, match="email"):
        parse_rules({"purposes": purposes, "agencies": {"x": spec}})
    spec["contact"] = {"name": "A", "role": "B", "email": "a@example.gov.uk"}
    with pytest.raises(SharingConfigError, match="phone"):
        parse_rules({"purposes": purposes, "agencies": {"x": spec}})


def test_the_person_page_says_where_else_sources_place_the_child(client: TestClient) -> None:
    def page(user: str) -> str:
        token = client.app.state.auth.issue(  # type: ignore[attr-defined]
            DEMO_USERS[user], Purpose.MASH_SCREENING)
        text = client.get("/people/wes", headers={"Authorization": f"Bearer {token}"}).text
        start = text.index('id="also-recorded-at"')
        return text[start:text.index("</div>", start)]

    social_worker, school = page("sam"), page("jo")
    assert "EB6 9ZP" in social_worker and "EB9 1RF" in social_worker
    assert "Restricted — do not share" in social_worker
    assert "EB6 9ZP" in school and "EB9 1RF" not in school
    assert "1 other address not shared with your agency" in school
