"""Who may see what: agreements, restricted and sealed people, grants, break-glass, auditors."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest
from starlette.testclient import TestClient

from graph.model import (
    Address,
    Claim,
    Involvement,
    Organisation,
    Person,
    Sensitivity,
    ServiceLevel,
    Sex,
    SourceRef,
)
from graph.store import InvolvementView
from server.app import create_app
from server.auth import DEMO_USERS
from server.policy import Category, Purpose, Release, Topic, Viewer, release
from server.settings import Mode, Settings
from server.sharing import Agreement, SharingConfigError, load_rules, parse_rules
from server.users import UserDirectory
from tests.viewers import access_store, bearer

RULES = load_rules()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    access_store(tmp_path, all_families=True)
    return tmp_path


@pytest.fixture
def client(store_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_dir=store_dir, mode=Mode.DEMO))) as test_client:
        yield test_client


def ask(client: TestClient, query: str, user: str, status: int = 200,
        purpose: Purpose | Literal["usual"] | None = "usual", token: str | None = None,
        **variables: Any) -> dict[str, Any]:
    headers = ({"Authorization": f"Bearer {token}"} if token
               else bearer(client.app.state.auth, user, purpose))  # type: ignore[attr-defined]
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers=headers)
    assert response.status_code == status, response.text
    return dict(response.json())


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def test_demo_users_of_two_agencies_see_different_things_of_one_child(client: TestClient) -> None:
    query = """query { person(id: "cal") { nhsNumber upn
        servicesEngaged(scope: HOUSEHOLD) { service } servicesWithheld(scope: HOUSEHOLD) } }"""
    sam = ask(client, query, "sam")
    jo = ask(client, query, "jo")
    sam_services = {s["service"] for s in sam["data"]["person"]["servicesEngaged"]}
    jo_services = {s["service"] for s in jo["data"]["person"]["servicesEngaged"]}
    assert "Perinatal mental health" in sam_services
    assert "Domestic abuse notification" in sam_services
    assert jo_services == {"Attendance support", "Child in need"}
    assert jo["data"]["person"]["servicesWithheld"] == len(sam_services) - len(jo_services)
    assert sam["data"]["person"]["nhsNumber"] == "9434765919"
    assert jo["data"]["person"]["nhsNumber"] is None


def test_forbidden_field_is_null_with_field_not_permitted(client: TestClient) -> None:
    result = ask(client, '{ person(id: "cal") { displayName nhsNumber } }', "jo")
    assert result["data"]["person"] == {"displayName": "Cal Moss", "nhsNumber": None}
    assert result["errors"][0]["path"] == ["person", "nhsNumber"]
    assert codes(result) == ["FIELD_NOT_PERMITTED"]


def test_withheld_is_told_apart_from_no_record(client: TestClient) -> None:
    query = """query($id: ID!) { person(id: $id) { servicesEngaged(scope: FAMILY) { service }
        servicesWithheld(scope: FAMILY) household { membersWithheld }
        genogram { nodesWithheld } } }"""
    nothing = ask(client, query, "jo", id="zak")["data"]["person"]
    assert nothing["servicesEngaged"] == [] and nothing["servicesWithheld"] == 0
    withheld = ask(client, query, "pc", id="cal")["data"]["person"]
    assert withheld["servicesWithheld"] > 0
    assert withheld["household"]["membersWithheld"] == 0
    assert withheld["genogram"]["nodesWithheld"] == 0


def test_sealed_sister_is_name_only_to_a_social_worker(client: TestClient) -> None:
    query = '{ person(id: "fay") { displayName nameOnly birthDate sex household { asOf } } }'
    result = ask(client, query, "sam")
    person = result["data"]["person"]
    assert person["displayName"] == "Fay Moss" and person["nameOnly"] is True
    assert person["birthDate"] is None and person["sex"] is None and person["household"] is None
    assert set(codes(result)) == {"FIELD_NOT_PERMITTED"}


def test_time_boxed_grant_lifts_sealed_for_that_person_only(client: TestClient,
                                                           store_dir: Path) -> None:
    users = UserDirectory(store_dir)
    users.grant("hv", "fay", 2, "mgr", "Health assessment for adoption review")
    users.close()
    query = '{ fay: person(id: "fay") { birthDate } gus: person(id: "gus") { birthDate } }'
    result = ask(client, query, "hv")
    assert result["data"]["fay"]["birthDate"] == "2009-09-09"
    assert result["data"]["gus"]["birthDate"] is None
    rows = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id'), json_extract(row, '$.grant') FROM audit"
        " WHERE json_extract(row, '$.user') = 'hv'").fetchall()
    assert dict(rows) == {"fay": 1, "gus": 0}


def test_expired_grant_does_not_lift(store_dir: Path) -> None:
    users = UserDirectory(store_dir)
    users.grant("hv", "fay", 1, "mgr", "Health assessment", now=0)
    assert "fay" not in users.grants_of("hv")
    users.close()


def test_break_glass_lifts_restricted_flags_audit_and_raises_review(
    client: TestClient, store_dir: Path
) -> None:
    query = '{ person(id: "gus") { birthDate } }'
    assert ask(client, query, "hv")["data"]["person"]["birthDate"] is None
    short = ask(client, 'mutation { breakGlass(reason: "urgent", hours: 1) { token } }', "hv")
    assert codes(short) == ["BAD_USER_INPUT"]
    long = ask(client, 'mutation { breakGlass(reason: "x", hours: 5) { token } }', "hv")
    assert codes(long) == ["BAD_USER_INPUT"]
    granted = ask(client, """mutation { breakGlass(
        reason: "Child admitted to A&E with injuries, father's details needed", hours: 2) {
        token expiresAt } }""", "hv")["data"]["breakGlass"]
    assert granted["expiresAt"]
    opened = ask(client, query, "hv", token=granted["token"])
    assert opened["data"]["person"]["birthDate"] == "1961-01-01"
    row = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.break_glass'), json_extract(row, '$.basis') FROM audit"
        " ORDER BY seq DESC LIMIT 1").fetchone()
    assert row == (1, "break-glass")
    reviews = ask(client, "{ auditReviews { kind user detail } }", "ida")["data"]["auditReviews"]
    assert reviews[0]["kind"] == "break_glass" and reviews[0]["user"] == "hv"
    assert "A&E" in reviews[0]["detail"]


def test_break_glass_refused_where_agreement_does_not_allow_it(client: TestClient) -> None:
    result = ask(client, """mutation { breakGlass(
        reason: "I would like to see this record please", hours: 1) { token } }""", "jo",
        status=403)
    assert codes(result) == ["FORBIDDEN"]


def test_no_purpose_no_read(client: TestClient) -> None:
    result = ask(client, '{ person(id: "cal") { displayName } }', "sam", status=403,
                 purpose=None)
    assert codes(result) == ["FORBIDDEN"] and result["data"] is None


def test_a_graphql_read_refused_for_no_purpose_is_audited_naming_no_one(
    client: TestClient, store_dir: Path
) -> None:
    ask(client, '{ person(id: "cal") { displayName } }', "sam", status=403, purpose=None)
    ask(client, '{ searchPeople(name: "Moss") { withheld } }', "sam", status=403, purpose=None)
    rows = [json.loads(row) for (row,) in sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT row FROM audit ORDER BY seq")]
    refused = [r for r in rows if r["outcome"] == "refused: no purpose"]
    assert len(refused) == 2 and all(r["user"] == "sam" and r["person_id"] == ""
                                     for r in refused)


def test_a_search_match_is_audited_as_the_fact_it_tells(
    client: TestClient, store_dir: Path
) -> None:
    """A postcode match says where someone lived: the audit row names the address."""
    result = ask(client, '{ searchPeople(postcode: "EB8 1AA") { edges { node { matched'
                         ' person { id } } } } }', "sam")
    found = {e["node"]["person"]["id"] for e in result["data"]["searchPeople"]["edges"]}
    assert "cal" in found
    rows = [json.loads(row) for (row,) in sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT row FROM audit ORDER BY seq")]
    about_cal = [r for r in rows if r["person_id"] == "cal"]
    assert about_cal and "address" in about_cal[-1]["returned"]


def test_agency_without_agreement_sees_no_one(client: TestClient) -> None:
    result = ask(client, '{ person(id: "cal") { displayName } }', "ida", status=403)
    assert codes(result) == ["FORBIDDEN"] and "Moss" not in str(result)


def test_auditor_asks_who_looked_at_a_child_and_what_a_user_looked_at(
    client: TestClient,
) -> None:
    ask(client, '{ person(id: "cal") { displayName nhsNumber } }', "jo")
    trail = ask(client, """{ auditOfPerson(personId: "cal") { user agency role purpose basis
        operation personId returned withheld outcome correlationId breakGlass time } }""",
                "ida")["data"]["auditOfPerson"]
    assert trail[0]["user"] == "jo" and trail[0]["agency"] == "school"
    assert "nhs_number" in trail[0]["withheld"] and "identity" in trail[0]["returned"]
    assert trail[0]["outcome"] == "partial" and trail[0]["breakGlass"] is False
    assert trail[0]["basis"] == RULES.basis(Purpose.MASH_SCREENING)
    looked = ask(client, '{ auditOfUser(user: "jo") { personId } }', "ida")["data"]
    assert [e["personId"] for e in looked["auditOfUser"]] == ["cal"]
    # The auditor's own looks are on the log too: asking who looked at Cal is a look at Cal.
    again = ask(client, '{ auditOfPerson(personId: "cal") { user basis returned } }',
                "ida")["data"]["auditOfPerson"]
    assert again[0] == {"user": "ida", "basis": "audit", "returned": ["audit_of_person"]}
    mine = ask(client, '{ auditOfUser(user: "ida") { personId returned } }', "ida")["data"]
    assert {"personId": "", "returned": ["audit_of_user:jo"]} in mine["auditOfUser"]


def test_only_auditors_read_the_audit_log(client: TestClient) -> None:
    result = ask(client, '{ auditOfUser(user: "jo") { personId } }', "sam", status=403)
    assert codes(result) == ["FORBIDDEN"]


def test_policy_is_deny_by_default_for_unknown_agency() -> None:
    viewer = Viewer("x", "unheard_of", "social_worker", Purpose.MASH_SCREENING)
    person = Person(id="p", given_names="A", family_name="B")
    assert release(viewer, RULES, "p", person).value is None
    assert release(viewer, RULES, "p", Address(id="a", line1="1 Road")).value is None
    topic = Topic(person, Category.HOUSEHOLD)
    assert release(viewer, RULES, "p", topic).value is None


def test_refuge_address_withheld_even_when_other_address_facts_are_shared() -> None:
    refuge = Address(id="r", line1="Refuge", postcode="EB9 9ZZ",
                     sensitivity=Sensitivity.RESTRICTED)
    school = Viewer("jo", "school", "designated_safeguarding_lead", Purpose.MASH_SCREENING)
    social = Viewer("sam", "childrens_social_care", "social_worker", Purpose.MASH_SCREENING,
                    RULES.permissions("social_worker"))
    assert release(school, RULES, "una", refuge).value is None
    assert release(social, RULES, "una", refuge).value == refuge


def test_every_purpose_has_a_lawful_basis_in_the_sharing_file() -> None:
    assert all(RULES.basis(purpose) for purpose in Purpose)


def test_sharing_file_naming_an_unknown_category_is_refused() -> None:
    bad = {"purposes": {p.value: "basis" for p in Purpose},
           "agencies": {"school": {"categories": ["identity", "x_rays"], "purposes": [],
                                   "roles": []}}}
    with pytest.raises(SharingConfigError, match="x_rays"):
        parse_rules(bad)


def test_sharing_file_setting_replaces_the_agreements(tmp_path: Path) -> None:
    access_store(tmp_path)
    shipped = (Path(__file__).resolve().parent.parent / "server" / "sharing.toml").read_text()
    narrowed = shipped.replace(
        'categories = ["identity", "demographics", "upn", "address", "household", "family",'
        ' "services",\n              "risk_indicators"]',
        'categories = ["identity"]')
    assert narrowed != shipped
    (tmp_path / "sharing.toml").write_text(narrowed)
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEMO,
                              sharing_file=str(tmp_path / "sharing.toml")))
    with TestClient(app) as client:
        result = ask(client, '{ person(id: "cal") { displayName household { asOf } } }', "jo")
    assert result["data"]["person"] == {"displayName": "Cal Moss", "household": None}
    assert codes(result) == ["FIELD_NOT_PERMITTED"]


def test_demo_users_are_a_social_worker_and_a_school_lead() -> None:
    assert DEMO_USERS["sam"].agency == "childrens_social_care"
    assert DEMO_USERS["jo"].agency == "school"


RISKS = """query($scope: Scope!) { person(id: "cal") {
    riskIndicators(scope: $scope) { kind relationshipToSubject from to summary
                                    person { displayName } sources { system } }
    riskIndicatorsWithheld(scope: $scope) } }"""


def test_school_sees_attendance_risk_only_and_a_count_of_the_rest(client: TestClient) -> None:
    sam = ask(client, RISKS, "sam", scope="HOUSEHOLD")["data"]["person"]
    jo = ask(client, RISKS, "jo", scope="HOUSEHOLD")
    assert {(r["kind"], r["relationshipToSubject"]) for r in sam["riskIndicators"]} == {
        ("ATTENDANCE", "self"), ("DOMESTIC_ABUSE", "self"), ("MENTAL_HEALTH", "mother"),
        ("DOMESTIC_ABUSE", "mother's partner")}
    assert sam["riskIndicatorsWithheld"] == 0
    shown = jo["data"]["person"]
    assert [(r["kind"], r["from"], r["to"]) for r in shown["riskIndicators"]] == [
        ("ATTENDANCE", "2025-10-01", None)]
    assert shown["riskIndicatorsWithheld"] == 3
    # The school's agreement has no `sources` category: the field is null, not the indicator.
    assert shown["riskIndicators"][0]["sources"] is None
    assert "FIELD_NOT_PERMITTED" in codes(jo)


def test_child_scope_risks_are_the_childs_own(client: TestClient) -> None:
    sam = ask(client, RISKS, "sam", scope="CHILD")["data"]["person"]
    assert {r["person"]["displayName"] for r in sam["riskIndicators"]} == {"Cal Moss"}


def test_risks_and_their_withheld_count_are_audited_per_person(
    client: TestClient, store_dir: Path
) -> None:
    ask(client, RISKS, "jo", scope="HOUSEHOLD")
    rows = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id'), json_extract(row, '$.returned'),"
        " json_extract(row, '$.withheld') FROM audit").fetchall()
    by_person = {person: (returned, withheld) for person, returned, withheld in rows}
    assert "risk_indicators" in by_person["cal"][0]
    assert "risk_indicators" in by_person["dee"][1]


def test_coverage_of_a_restricted_person_is_withheld_not_no_record(tmp_path: Path) -> None:
    """Gus's identity is protected: an early-help worker, whose agreement shares sources
    but who may not see restricted people, must not read his systems as "no record"."""
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import Mode, Settings
    from tests.viewers import access_store, bearer

    access_store(tmp_path)
    query = '{ person(id: "gus") { nameOnly sourceCoverage { system state withheld } } }'
    with TestClient(create_app(Settings(store_dir=tmp_path, mode=Mode.DEVELOPMENT))) as client:
        def coverage(user: str) -> dict[str, Any]:
            response = client.post("/graphql", json={"query": query},
                                   headers=bearer(client.app.state.auth, user))  # type: ignore[attr-defined]
            return dict(response.json()["data"]["person"])

        early_help, social_worker = coverage("eh"), coverage("sam")
    assert early_help["nameOnly"] is True
    assert all(s["withheld"] and s["state"] is None for s in early_help["sourceCoverage"])
    states = {s["system"]: s["state"] for s in social_worker["sourceCoverage"]}
    assert states["social_care"] == "RECORDS"


def _copy_released(agreement: Agreement, person: Person) -> Person:
    """A person as the policy's field-by-field copy gives it (no short cut)."""
    allowed, systems = agreement.categories, agreement.systems
    demographics = Category.DEMOGRAPHICS in allowed
    return dataclasses.replace(
        person,
        sex=person.sex if demographics else Sex.UNKNOWN,
        birth_date=person.birth_date if demographics else None,
        death_date=person.death_date if demographics else None,
        nhs_number=person.nhs_number if Category.NHS_NUMBER in allowed else None,
        upn=person.upn if Category.UPN in allowed else None,
        sources=tuple(s for s in person.sources if s.system in systems)
        if Category.SOURCES in allowed else (),
        # Each claimed value is released as its field would be: a name as identity.
        claims=tuple(c for c in person.claims if c.source.system in systems
                     and (Category.IDENTITY if c.field == "family_name"
                          else Category.DEMOGRAPHICS) in allowed),
    )


@pytest.mark.parametrize("agency", sorted(RULES.agreements))
def test_a_fact_with_nothing_to_take_out_is_released_as_its_copy_would_be(agency: str) -> None:
    """The policy hands back a fact itself when its copy would change nothing: what is
    released, returned and withheld is the same as the copy's, for every agreement."""
    agreement = RULES.agreement(agency)
    role = sorted(agreement.roles)[0]
    viewer = Viewer("x", agency, role, min(agreement.purposes, default=None),
                    RULES.permissions(role))
    for systems in (("social_care",), ("social_care", "health"), ("police", "housing"), ()):
        refs = tuple(SourceRef(system, f"{system}-1") for system in systems)
        person = Person(id="p", given_names="Kim", family_name="Shaw", sex=Sex.FEMALE,
                        birth_date=date(2015, 3, 1), nhs_number="9434765919", upn="A123",
                        sources=refs,
                        claims=tuple(Claim("family_name", "Shaw", ref) for ref in refs))
        decision = release(viewer, RULES, "p", person)
        if Category.IDENTITY not in agreement.categories:
            assert decision.value is None
            continue
        assert decision.value == _copy_released(agreement, person)
        kept = {Category.DEMOGRAPHICS, Category.NHS_NUMBER, Category.UPN, Category.SOURCES}
        assert decision.withheld == kept - agreement.categories
        assert decision.returned == {Category.IDENTITY} | (kept & agreement.categories)

        involvement = Involvement(id="i", person_id="p", service="Child in need",
                                  level=ServiceLevel.STATUTORY, start=date(2024, 1, 1),
                                  status="open", reason="neglect", sources=refs)
        view = InvolvementView(involvement, Organisation(id="o", name="Team"), None)
        shown = release(viewer, RULES, "p", view)
        if Category.SERVICES not in agreement.categories or (
                refs and not {r.system for r in refs} & agreement.systems):
            assert shown.value is None
            continue
        detail = Category.SERVICE_DETAIL in agreement.categories
        sources = Category.SOURCES in agreement.categories
        assert shown.value == InvolvementView(dataclasses.replace(
            involvement, status="open" if detail else "", reason="neglect" if detail else "",
            sources=tuple(r for r in refs if r.system in agreement.systems) if sources else ()),
            view.organisation, None)
        assert shown.returned == {Category.SERVICES} | ({Category.SERVICE_DETAIL} if detail
                                                        else set())
        assert shown.withheld == ({Category.SERVICE_DETAIL} - ({Category.SERVICE_DETAIL}
                                                               if detail else set())) | (
            set() if sources else {Category.SOURCES})


def test_only_the_policy_can_make_a_release() -> None:
    """A released value is a type only `release` builds: a resolver cannot forge one."""
    with pytest.raises(TypeError, match="only the access policy"):
        Release(Person(id="p", given_names="Kim", family_name="Shaw"), Category.IDENTITY,
                frozenset({Category.IDENTITY}), frozenset())


def test_a_kind_of_fact_without_a_rule_is_refused_not_released() -> None:
    viewer = Viewer("x", "childrens_social_care", "social_worker", Purpose.MASH_SCREENING)
    with pytest.raises(TypeError, match="no rule for"):
        release(viewer, RULES, "p", "a bare string")  # type: ignore[type-var]
