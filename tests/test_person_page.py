"""The practitioner's pages without a browser: navigation by role and agreement, the person
page's front-door answer (ages, UK dates, who lives there, who to call once each), withheld
counts that say whom to ask, the restricted-address tag, and search in words."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.testclient import TestClient

from graph.store import GraphBatch
from server.pages import TEMPLATES, add_filters, search_date
from tests.test_http import app_dir, client, sign_in
from viz import front_door
from viz.front_door import age, matched_words, uk_date, who_to_call

__all__ = ["app_dir", "client"]  # fixtures, used by name


def section(page: str, element_id: str) -> str:
    """The HTML from the element with this id to the end of its card or table."""
    start = page.index(f'id="{element_id}"')
    ends = [page.find(end, start) for end in ("</section>", "</table>")]
    return page[start:min(e for e in ends if e > 0)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- words ------------------------------------------------------------------------------------

def test_uk_dates_and_ages() -> None:
    today = date(2026, 12, 7)
    assert uk_date("2019-03-04") == "4 March 2019" and uk_date(None) == "not recorded"
    assert uk_date("", "never loaded") == "never loaded"
    assert age("2019-03-04", today) == "7 years" and age("2025-12-07", today) == "12 months"
    assert age("2024-12-08", today) == "23 months" and age("2024-12-07", today) == "2 years"
    assert age("2026-11-07", today) == "1 month" and age(None, today) == ""
    assert age("2027-01-01", today) == "", "not born yet: no age"
    assert search_date("9/3/2014") == date(2014, 3, 9) and search_date("2014-02-31") is None


def test_matched_fields_in_words() -> None:
    assert matched_words(["birth_date", "postcode"], True) == "name, birth date, postcode"
    assert matched_words(["nhs_number"], False) == "NHS number"
    assert matched_words([], False) == "—"


def lead_service(service: str, person: str, relationship: str, level: str = "STATUTORY",
                 **lead: str) -> dict[str, Any]:
    who = {"name": "Priya Nair", "role": "Social Worker", "team": "Children in Care",
           "phone": "020 7946 0123", "email": "priya@example.org"} | lead
    return {"service": service, "level": level, "relationshipToSubject": relationship,
            "person": {"id": person, "displayName": person.title()}, "lead": who,
            "organisation": {"name": "Eastbridge Children's Services"}, "end": None}


def test_who_to_call_names_each_lead_once_with_what_they_lead() -> None:
    services = [
        lead_service("Early help", "ann", "sister", "TARGETED", name="Ola Ade", phone="1"),
        lead_service("Child protection", "kim", "self"),
        lead_service("Child in need", "ann", "sister"),
        lead_service("Looked after child", "kim", "self"),
        lead_service("GP registration", "kim", "self", "UNIVERSAL", name="Dr Who"),
        lead_service("Adult mental health", "mum", "mother", "SPECIALIST", name="Dr No"),
    ]
    contacts = who_to_call(services)
    assert [c.name for c in contacts] == ["Priya Nair", "Ola Ade"], "statutory first, once"
    assert contacts[0].services == [("Child protection", None, "self"),
                                    ("Child in need", "Ann", "sister"),
                                    ("Looked after child", None, "self")]


def test_universal_services_fold_into_one_line_per_kind() -> None:
    services = [lead_service(s, "kim", "self", "UNIVERSAL") for s in
                ("GP registration", "GP registration", "School", "Council tenancy")]
    services[1]["organisation"] = {"name": "Parkside Surgery"}
    services.append(lead_service("Child in need", "kim", "self"))
    folded = front_door.fold_services(services)
    assert [s["service"] for s in folded.lead_rows] == ["Child in need"]
    assert folded.universal_lines == [
        ("GP", ["Eastbridge Children's Services", "Parkside Surgery"]),
        ("School", ["Eastbridge Children's Services"]),
        ("Council tenancy", ["Eastbridge Children's Services"])]
    assert len(folded.universal_rows) == 4


# --- navigation -------------------------------------------------------------------------------

def nav_labels(page: str) -> list[str]:
    nav = page[page.index('<ul class="govuk-service-navigation__list"'):]
    nav = nav[:nav.index("</ul>")]
    return [text(label) for label in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


@pytest.mark.parametrize(("user", "labels"), [
    ("sam", ["Search", "Identity review", "Followed people", "Break glass"]),
    ("jo", ["Search", "Followed people"]),
    ("ida", ["Audit"]),
])
def test_navigation_follows_role_and_agreement(client: TestClient, user: str,
                                               labels: list[str]) -> None:
    sign_in(client, user) if user != "ida" else _sign_in_ida(client)
    page = client.get("/").text
    assert nav_labels(page) == labels
    assert '<a href="#main-content" class="govuk-skip-link"' in page
    assert 'id="main-content"' in page and "Demo mode: synthetic data" in page


def _sign_in_ida(client: TestClient) -> None:
    # Information governance acts under no purpose, and the sign-in form asks for one:
    # the session is made directly, as a token would be.
    from server.auth import DEMO_USERS, SESSION_COOKIE
    from server.sharing import Purpose

    auth = client.app.state.auth  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, auth.issue(DEMO_USERS["ida"], Purpose.MASH_SCREENING))


def test_no_navigation_before_sign_in(client: TestClient) -> None:
    page = client.get("/signin").text
    assert "govuk-service-navigation__list" not in page and "Sign out" not in page


def test_auditor_is_told_they_cannot_search(client: TestClient) -> None:
    _sign_in_ida(client)
    page = client.get("/", params={"name": "Shaw"}).text
    assert 'id="may-not-search"' in page and "No person matched" not in page
    assert '<a class="govuk-link" href="/audit">audit</a>' in page
    assert 'href="/people/' not in page


# --- search -----------------------------------------------------------------------------------

def test_search_results_are_a_table_with_reasons_in_words(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/", params={"name": "Kim Shaw", "birth_date": "2016-05-01"}).text
    results = section(page, "results")
    row = text(results[results.index('href="/people/kim"'):].split("</tr>")[0])
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4} \(\d+ years?\)", row), row
    assert "name" in row
    assert 'href="#name">Refine your search' in page


def test_bad_birth_date_has_an_error_summary_linked_to_the_field(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/", params={"birth_date": "31/02/2014"})
    assert page.status_code == 400
    assert 'class="govuk-error-summary"' in page.text
    assert '<a href="#birth-date">Birth date must be a date' in page.text
    assert 'id="birth-date-error"' in page.text and "govuk-input--error" in page.text
    assert "<title>Error: Find a person" in page.text


# --- the person page --------------------------------------------------------------------------

def test_front_door_summary_has_age_household_with_ages_and_one_lead(
        client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/rio").text
    child = text(section(page, "child"))
    assert re.search(r"Born \d{1,2} October 2016", child) and "years" in child
    household = text(section(page, "household"))
    assert "Sue Ward foster carer" in household and "1 January 2000" in household
    assert re.search(r"Sue Ward foster carer \d+ years", household), household
    call = section(page, "who-to-call")
    assert text(call).count("Priya Nair") == 1
    assert 'href="tel:02079460123"' in call and "mailto:" in call
    assert "Adult mental health" not in call, "specialist: not a lead to call here"
    assert not re.search(r">\d{4}-\d{2}-\d{2}<", page), "no ISO dates in the text"


def test_withheld_counts_say_whom_to_ask(client: TestClient) -> None:
    sign_in(client, "jo")
    page = client.get("/people/una").text
    said = [text(section(page, element).split("</p>")[0])
            for element in ("services-withheld", "risks-withheld") if f'id="{element}"' in page]
    assert said, "a school lead has something withheld about Una"
    for words in said:
        assert re.search(r"not shared with your agency: ask (the lead agency: \S|your"
                         r" information-sharing contact)", words), words
    assert "withheld from you: ask the lead agency." not in page


def render_person(address: dict[str, Any] | None, restricted: bool,
                  address_withheld: bool = False) -> str:
    """The template given an answer, as the page would be given one."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["without_bidi_controls"] = lambda value: value
    add_filters(env)
    person = {"id": "p", "displayName": "Pat Doe", "nameOnly": False, "sex": "FEMALE",
              "birthDate": "2019-03-04", "sources": [], "school": None, "gp": None,
              "household": {"asOf": "2026-12-07", "address": address, "members": [],
                            "addressWithheld": address_withheld, "membersWithheld": 0},
              "servicesWithheld": 0, "riskIndicatorsWithheld": 0, "sourceCoverage": []}
    return env.get_template("person.html").render(
        person=person, services=[], folded=front_door.fold_services([]), contacts=[],
        ask_whom="ask your information-sharing contact", restricted=restricted, wider=[],
        risks=[], explanation=None, genogram=None, chart=None, shared_systems=frozenset(),
        nav=[], viewer=None, demo=False, csrf_token="")


def test_restricted_address_is_tagged_for_a_viewer_who_may_see_it() -> None:
    refuge = {"line1": "1 Refuge Road", "line2": "", "town": "Eastbridge",
              "postcode": "EB9 9ZZ", "sensitivity": "RESTRICTED"}
    assert front_door.is_restricted(refuge)
    shown = render_person(refuge, front_door.is_restricted(refuge))
    tag = section(shown, "address")
    assert "1 Refuge Road" in tag
    assert '<strong class="govuk-tag govuk-tag--red" id="restricted-address">' \
           "Restricted — do not share</strong>" in tag
    ordinary = dict(refuge, sensitivity="NORMAL")
    assert "restricted-address" not in render_person(ordinary, front_door.is_restricted(ordinary))
    withheld = render_person(None, front_door.is_restricted(None), address_withheld=True)
    assert "restricted-address" not in withheld and "Address not shared" in withheld
    assert "Age" in text(section(shown, "child")) and "4 March 2019" in shown


def test_no_fixture_address_is_tagged_while_the_api_gives_no_sensitivity(
        client: TestClient) -> None:
    """The API's Address has no `sensitivity` yet (see the report): the page tags
    nothing rather than guessing."""
    sign_in(client)
    for person in ("rio", "kim", "leo"):
        assert "restricted-address" not in client.get(f"/people/{person}").text


def test_a_restricted_home_is_tagged_on_the_page_for_who_may_see_it(tmp_path: Path) -> None:
    """End to end: a child placed at a restricted address; sam (who may see restricted
    facts) gets the address and the tag; jo (a school) gets neither."""
    from graph.embedded import EmbeddedStore
    from graph.model import Sex
    from server.app import create_app
    from server.settings import Mode, Settings
    from tests.families import home, lives, person
    from tests.viewers import access_store, bearer

    access_store(tmp_path)
    batch = GraphBatch(nodes=[person("pip", "Pip", "Hart", Sex.FEMALE, date(2015, 2, 2))])
    placement = home(batch, "40", "EB7 7RP", restricted=True)
    lives(batch, "pip", placement, date(2025, 6, 1))
    store = EmbeddedStore(tmp_path)
    store.write(batch)
    store.close()
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEVELOPMENT))
    with TestClient(app) as client:
        pages = {user: client.get("/people/pip", headers=bearer(app.state.auth, user)).text
                 for user in ("sam", "jo")}
    assert 'id="restricted-address"' in pages["sam"] and "EB7 7RP" in pages["sam"]
    assert 'id="restricted-address"' not in pages["jo"] and "EB7 7RP" not in pages["jo"]


def test_the_demo_sign_in_page_lists_every_demo_user_and_what_each_shows(
    client: TestClient,
) -> None:
    from server.auth import DEMO_USERS

    page = client.get("/signin").text
    hint = page[page.index('id="demo-users"'):]
    hint = hint[:hint.index("</dl>")]
    for name in DEMO_USERS:
        row = hint[hint.index(f">{name}</code>"):]
        assert len(row[:row.index("</dd>")]) > 60, f"{name}: say what this user sees"
