"""The work pages (audit log, identity review, chronology, following, break-glass): each
renders for the roles the API lets do the work and is refused in words for others, every
page read goes through GraphQL and so is audited, and every form that changes something
needs its form token."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.store import GraphBatch
from server.app import create_app
from server.auth import DEMO_PASSWORD
from server.policy import Viewer
from server.settings import Mode, Settings
from server.work_pages import landing_for
from tests.families import home, lives
from tests.test_browser import browser
from tests.test_changes_api import load
from tests.test_explanation_access import SCHOOL, SOCIAL, cal_joined_from_three_systems
from tests.test_genogram_pages import AXE, axe_violations
from tests.test_http import form_token, post_sign_in, sign_in
from tests.viewers import access_store, bearer
from tools.served import free_port, local_context, serving

__all__ = ["browser"]  # a fixture, used by name

UK_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def borough(directory: Path) -> Path:
    """Every family, the access fixture's people, two review pairs about Cal, and Rio's
    move learned by a load (a change for whoever follows Rio)."""
    access_store(directory, all_families=True)
    store = EmbeddedStore(directory)
    store.write(cal_joined_from_three_systems())
    store.close()
    batch = GraphBatch()
    lives(batch, "rio", home(batch, "kin", "EB6 1KK"), date(2026, 11, 2))
    load(directory, batch)
    return directory


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return borough(tmp_path)


@pytest.fixture
def client(store_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_dir=store_dir, mode=Mode.DEMO))) as test_client:
        yield test_client


def audit_rows(store_dir: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(store_dir / "audit.sqlite") as db:
        return [json.loads(row) for (row,) in db.execute("SELECT row FROM audit ORDER BY seq")]


def operations(store_dir: Path) -> list[str]:
    return [row["operation"] for row in audit_rows(store_dir)]


def post(client: TestClient, path: str, page_of: str | None = None,
         **form: str) -> Any:
    """POST a form as the page at `page_of` (default: `path`) would, with its token."""
    token = form_token(client, page_of or path)
    return client.post(path, data={"csrf_token": token, **form}, follow_redirects=False)


# --- landing by role --------------------------------------------------------------------------

def test_an_auditor_lands_on_the_audit_log_and_others_on_search(client: TestClient) -> None:
    auditor = post_sign_in(client, user="ida", password=DEMO_PASSWORD,
                           purpose="mash_screening", next="/")
    assert auditor.status_code == 303 and auditor.headers["location"] == "/audit"
    assert client.get("/audit").status_code == 200
    worker = post_sign_in(client, user="sam", password=DEMO_PASSWORD,
                          purpose="mash_screening", next="/")
    assert worker.headers["location"] == "/"
    asked = post_sign_in(client, user="ida", password=DEMO_PASSWORD, purpose="mash_screening",
                         next="/review")
    assert asked.headers["location"] == "/review", "a page asked for is kept"


def test_landing_for_each_kind_of_viewer() -> None:
    assert landing_for(Viewer("ida", "information_governance", "information_governance", None,
                              frozenset({"audit_read"}))) == "/audit"
    assert landing_for(Viewer("sam", "childrens_social_care", "social_worker", None)) == "/"


def test_pages_ask_a_visitor_to_sign_in_first(client: TestClient) -> None:
    for path in ("/audit", "/audit/person?person_id=cal", "/review", "/following",
                 "/break-glass", "/people/kim/chronology"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next=/"), path


# --- auditors ---------------------------------------------------------------------------------

def test_the_auditor_sees_who_looked_at_a_person_and_what_a_user_looked_at(
    client: TestClient,
) -> None:
    assert client.get("/people/cal", headers=bearer(client.app.state.auth, "jo")  # type: ignore[attr-defined]
                      ).status_code == 200
    sign_in(client, "ida")
    home_page = client.get("/audit")
    assert home_page.status_code == 200
    assert "Who looked at a person" in home_page.text and "The log's signed head" in home_page.text
    assert "holds" in home_page.text and "famgraph audit verify" in home_page.text
    who = client.get("/audit/person", params={"person_id": "cal"})
    assert who.status_code == 200 and "<bdi>jo</bdi>" in who.text
    assert "designated safeguarding lead" in who.text and "mash screening" in who.text
    assert UK_DATE.search(who.text)
    what = client.get("/audit/user", params={"user": "jo"})
    assert what.status_code == 200 and 'href="/audit/person?person_id=cal"' in what.text


def test_an_empty_lookup_is_a_400_with_an_error_summary(client: TestClient) -> None:
    sign_in(client, "ida")
    page = client.get("/audit/person", params={"person_id": " "})
    assert page.status_code == 400
    assert "govuk-error-summary" in page.text and "Enter a person id." in page.text


def test_the_auditor_sees_break_glass_waiting_for_review(client: TestClient) -> None:
    sign_in(client, "sam")
    assert post(client, "/break-glass", reason="Child reported missing from the refuge",
                hours="1").status_code == 200
    sign_in(client, "ida")
    reviews = client.get("/audit").text
    assert "break glass" in reviews and "Child reported missing from the refuge" in reviews


@pytest.mark.parametrize("path", ["/audit", "/audit/person?person_id=cal",
                                  "/audit/user?user=sam"])
def test_roles_that_cannot_read_the_audit_log_are_told_so(client: TestClient,
                                                          path: str) -> None:
    sign_in(client, "sam")
    page = client.get(path)
    assert page.status_code == 403
    assert "Your role cannot read the audit log" in page.text
    assert "signed head" not in page.text


# --- identity review --------------------------------------------------------------------------

def test_the_review_queue_shows_each_pair_side_by_side_and_is_audited(
    client: TestClient, store_dir: Path,
) -> None:
    sign_in(client, "sam")
    page = client.get("/review")
    assert page.status_code == 200
    assert f"<bdi>{SOCIAL}</bdi>" in page.text and f"<bdi>{SCHOOL}</bdi>" in page.text
    assert "How each field compared" in page.text and "birth date" in page.text
    assert "1 pair on this page is not shown" in page.text, "the unshared system's pair"
    assert "adult_social_care" not in page.text
    read = [r for r in audit_rows(store_dir) if r["operation"] == "review queue page"]
    assert {r["person_id"] for r in read} == {"cal", "dee"}
    assert all(r["user"] == "sam" for r in read)


def test_roles_that_cannot_resolve_identities_are_told_so(client: TestClient) -> None:
    sign_in(client, "jo")
    page = client.get("/review")
    assert page.status_code == 403 and "Your role cannot resolve identities" in page.text
    refused = post(client, "/review", page_of="/following", pair="Q:2", record_a=SOCIAL,
                   record_b=SCHOOL, action="unlink", reason="different children")
    assert refused.status_code == 403 and "Your role cannot resolve identities" in refused.text


def test_a_decision_without_a_reason_is_refused_with_an_error_summary(
    client: TestClient, store_dir: Path,
) -> None:
    sign_in(client, "sam")
    page = post(client, "/review", pair="Q:2", record_a=SOCIAL, record_b=SCHOOL,
                action="unlink", reason="   ")
    assert page.status_code == 400
    assert "govuk-error-summary" in page.text and 'href="#pair-1-reason"' in page.text
    assert "Enter a reason" in page.text
    assert "review decision" not in operations(store_dir), "nothing was asked of the API"


def test_a_decision_without_the_form_token_is_refused(client: TestClient,
                                                      store_dir: Path) -> None:
    sign_in(client, "sam")
    forged = client.post("/review", data={"pair": "Q:2", "record_a": SOCIAL,
                                          "record_b": SCHOOL, "action": "unlink",
                                          "reason": "two different children"})
    assert forged.status_code == 403 and "Form not accepted" in forged.text
    wrong = client.post("/review", data={"csrf_token": "made-up", "pair": "Q:2",
                                         "record_a": SOCIAL, "record_b": SCHOOL,
                                         "action": "link", "reason": "the same child"})
    assert wrong.status_code == 403
    assert "review decision" not in operations(store_dir)


def test_unlink_then_link_with_reasons(client: TestClient, store_dir: Path) -> None:
    sign_in(client, "sam")
    apart = post(client, "/review", pair="Q:2", record_a=SOCIAL, record_b=SCHOOL,
                 action="unlink", reason="Different birth dates on the school roll")
    assert apart.status_code == 200, apart.text[:500]
    assert "are now two people" in apart.text
    together = post(client, "/review", pair="Q:2", record_a=SOCIAL, record_b=SCHOOL,
                    action="link", reason="Same child, confirmed with the school")
    assert together.status_code == 200 and "are now one person" in together.text
    decided = [r for r in audit_rows(store_dir) if r["operation"] == "review decision"]
    assert decided and all(r["user"] == "sam" for r in decided)


def test_the_apis_refusal_of_a_decision_is_shown_in_its_words(client: TestClient) -> None:
    sign_in(client, "sam")
    page = post(client, "/review", pair="Q:9", record_a=SOCIAL, record_b="social_care/nope",
                action="link", reason="Looks like the same child")
    assert page.status_code == 400
    assert "No source record" in page.text and "govuk-error-summary" in page.text


# --- chronology -------------------------------------------------------------------------------

def test_the_chronology_is_newest_first_in_uk_dates_and_audited(
    client: TestClient, store_dir: Path,
) -> None:
    sign_in(client, "sam")
    page = client.get("/people/kim/chronology", params={"scope": "FAMILY"})
    assert page.status_code == 200
    cells = re.findall(
        r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">([^<]+)</td>', page.text)
    assert len(cells) >= 2, page.text[:2000]
    days = [datetime.strptime(cell.strip(), "%d %b %Y").date() for cell in cells]
    assert days == sorted(days, reverse=True)
    read = [r for r in audit_rows(store_dir) if r["operation"] == "chronology page"]
    assert "kim" in {r["person_id"] for r in read}


def test_the_chronology_filters_by_date(client: TestClient) -> None:
    sign_in(client, "sam")
    everything = client.get("/people/kim/chronology", params={"scope": "FAMILY"}).text
    years = {int(y) for y in re.findall(r"<td class=\"govuk-table__cell\">\d{1,2} \w{3} (\d{4})",
                                        everything)}
    assert len(years) >= 2, "the family's events span years"
    cut = max(years)
    recent = client.get("/people/kim/chronology",
                        params={"scope": "FAMILY", "from": f"{cut}-01-01"}).text
    shown = {int(y) for y in re.findall(r"<td class=\"govuk-table__cell\">\d{1,2} \w{3} (\d{4})",
                                        recent)}
    assert shown == {cut}


@pytest.mark.parametrize(("params", "words"), [
    ({"from": "2024-13-01"}, "From date must be a real date"),
    ({"to": "yesterday"}, "To date must be a real date"),
    ({"from": "2025-01-01", "to": "2024-01-01"}, "To date must be the same as or after"),
    ({"scope": "EVERYONE"}, "Choose whose events to show"),
])
def test_bad_chronology_filters_are_a_400_with_an_error_summary(
    client: TestClient, params: dict[str, str], words: str,
) -> None:
    sign_in(client, "sam")
    page = client.get("/people/kim/chronology", params=params)
    assert page.status_code == 400 and words in page.text and "govuk-error-summary" in page.text


def test_a_chronology_is_refused_without_a_purpose_and_for_no_such_person(
    client: TestClient,
) -> None:
    sign_in(client, "ida")
    assert client.get("/people/kim/chronology").status_code == 403
    sign_in(client, "sam")
    assert client.get("/people/nobody/chronology").status_code == 404


# --- following --------------------------------------------------------------------------------

def test_follow_see_changes_and_unfollow(client: TestClient, store_dir: Path) -> None:
    sign_in(client, "sam")
    assert "You follow no one" in client.get("/following").text
    followed = post(client, "/following", action="follow", person_id="rio")
    assert followed.status_code == 303 and followed.headers["location"] == "/following"
    page = client.get("/following")
    assert page.status_code == 200
    assert 'href="/people/rio"' in page.text and "Moved address" in page.text
    assert "EB6 1KK" in page.text
    assert "following page" in operations(store_dir) and "follow page" in operations(store_dir)
    back = post(client, "/following", page_of="/following", action="unfollow",
                person_id="rio", next="/people/rio")
    assert back.status_code == 303 and back.headers["location"] == "/people/rio"
    assert "You follow no one" in client.get("/following").text


def test_following_needs_the_form_token_and_a_person(client: TestClient) -> None:
    sign_in(client, "sam")
    forged = client.post("/following", data={"action": "follow", "person_id": "rio"})
    assert forged.status_code == 403 and "Form not accepted" in forged.text
    assert post(client, "/following", action="watch", person_id="rio").status_code == 400
    assert post(client, "/following", action="follow", person_id="nobody").status_code == 404
    assert "You follow no one" in client.get("/following").text


def test_following_is_refused_without_a_purpose(client: TestClient) -> None:
    sign_in(client, "ida")
    page = client.get("/following")
    assert page.status_code == 403 and "Choose a purpose of access" in page.text


# --- break-glass ------------------------------------------------------------------------------

def test_break_glass_explains_itself_and_a_short_reason_is_refused_in_the_apis_words(
    client: TestClient, store_dir: Path,
) -> None:
    sign_in(client, "sam")
    page = client.get("/break-glass")
    assert page.status_code == 200
    assert "flagged on the audit log" in page.text and "for review" in page.text
    short = post(client, "/break-glass", reason="urgent", hours="1")
    assert short.status_code == 400
    assert "Reason must be at least 20 characters." in short.text
    assert "govuk-error-summary" in short.text
    too_long = post(client, "/break-glass", reason="A child is at risk tonight", hours="9")
    assert too_long.status_code == 400
    assert "Hours must be more than 0 and at most 4" in too_long.text


def test_break_glass_says_until_when_and_the_session_carries_it(client: TestClient) -> None:
    sign_in(client, "sam")
    before = client.cookies.get("famgraph_session")
    done = post(client, "/break-glass", reason="Child reported missing from the refuge",
                hours="2")
    assert done.status_code == 200 and "Break-glass is on" in done.text
    assert UK_DATE.search(done.text) and "your session ends" in done.text
    after = client.cookies.get("famgraph_session")
    assert after and after != before
    viewer = client.app.state.auth.viewer(after)  # type: ignore[attr-defined]
    assert viewer.breaking_glass()
    assert "already on for this session" in client.get("/break-glass").text


def test_break_glass_is_refused_where_the_agreement_does_not_allow_it(
    client: TestClient,
) -> None:
    sign_in(client, "jo")
    refused = post(client, "/break-glass", reason="I would like to see this record please",
                   hours="1")
    assert refused.status_code == 403
    assert "Break-glass is not allowed for your agency" in refused.text
    forged = client.post("/break-glass", data={"reason": "x" * 30, "hours": "1"})
    assert forged.status_code == 403 and "Form not accepted" in forged.text


# --- in a browser: axe finds no WCAG 2.2 AA violations ------------------------------------------

@pytest.fixture(scope="module")
def work_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the test borough (review pairs included), served in demo mode."""
    directory = borough(tmp_path_factory.mktemp("work-pages"))
    port = free_port()
    with serving(create_app(Settings(store_dir=directory, mode=Mode.DEMO, port=port)),
                 port) as url:
        yield url


def signed_in_as(browser: Browser, base_url: str, user: str, lands: str) -> Page:
    # axe is added as an inline script, which the pages' CSP would refuse.
    context = local_context(browser, base_url, None, bypass_csp=True)
    tab = context.new_page()
    tab.goto(f"{base_url}/signin")
    tab.fill("input[name=user]", user)
    tab.fill("input[name=password]", DEMO_PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base_url}{lands}")
    return tab


@pytest.mark.browser
def test_axe_finds_no_wcag_22_aa_violations_on_audit_and_review(browser: Browser,
                                                                 work_url: str) -> None:
    assert AXE.exists(), "axe-core missing: `make assets` vendors it"
    auditor = signed_in_as(browser, work_url, "ida", "/audit")
    assert auditor.locator("h1").inner_text() == "Audit log"
    assert axe_violations(auditor) == []
    auditor.fill("#person_id", "cal")
    auditor.click("text=Show who looked")
    auditor.wait_for_url(f"{work_url}/audit/person?person_id=cal")
    assert axe_violations(auditor) == []
    auditor.context.close()
    worker = signed_in_as(browser, work_url, "sam", "/")
    worker.goto(f"{work_url}/review")
    assert worker.locator("h1").inner_text() == "Identity review"
    assert axe_violations(worker) == []
    worker.locator("form[action^='/review'] button[type=submit]").first.click()
    worker.wait_for_selector(".govuk-error-summary")
    assert axe_violations(worker) == [], "the page with its error summary"
    worker.context.close()


def test_the_person_page_follows_and_comes_back(client: TestClient) -> None:
    sign_in(client, "sam")
    page = client.get("/people/rio").text
    form = page[page.index('id="follow"'):page.index("</form>", page.index('id="follow"'))]
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    assert fields["person_id"] == "rio" and fields["next"] == "/people/rio"
    done = client.post("/following", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/people/rio"
    assert 'href="/people/rio"' in client.get("/following").text
    post(client, "/following", action="unfollow", person_id="rio")
