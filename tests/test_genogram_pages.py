"""The genogram page, its table and its script: what a social worker sees, with keyboard,
mouse, touch or screen reader, and on a phone. Browser tests drive Debian's Chromium
exactly as tests/test_browser.py does (its fixtures, every other host refused)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from playwright.sync_api import Browser, Page
from starlette.testclient import TestClient

from server.pages import TEMPLATES
from tests.test_browser import base_url, browser, sign_in_offline
from tests.test_http import app_dir, ask, client, sign_in
from tools.served import local_context
from viz.family_table import family_rows

__all__ = ["app_dir", "base_url", "browser", "client"]  # fixtures, used by name

AXE = Path(__file__).resolve().parent.parent / "viz" / "static" / "vendor" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
HINT = "Click or press Enter to open a person; arrow keys move between relatives"
PEOPLE = "#genogram a.person[data-person]"


# --- the page handler, without a browser ------------------------------------------------------

@pytest.mark.parametrize(("query", "words"), [
    ("asOf=2024-13-01", "The date must be a real date"),
    ("asOf=yesterday", "The date must be a real date"),
    ("depth=0", "Generations must be a whole number from 1 to 4"),
    ("depth=9", "Generations must be a whole number from 1 to 4"),
    ("depth=two", "Generations must be a whole number from 1 to 4"),
    ("collapse=" + ",".join(f"p{i}" for i in range(21)), "At most 20 branches"),
])
def test_bad_controls_are_a_clear_400_not_a_500(client: TestClient, query: str,
                                                words: str) -> None:
    sign_in(client)
    page = client.get(f"/people/kim/genogram?{query}")
    assert page.status_code == 400, page.text[:300]
    assert words in page.text and "Cannot draw that genogram" in page.text


def test_page_controls_keep_each_other(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/kim/genogram?asOf=2024-01-01&depth=2&collapse=otto").text
    assert 'value="2024-01-01"' in page and "Show the family as it was on" in page
    assert 'href="/people/kim/genogram?asOf=2024-01-01&amp;collapse=otto"' in page, "3 is usual"
    assert 'href="/people/kim/genogram?asOf=2024-01-01&amp;depth=1&amp;collapse=otto"' in page
    assert 'href="/people/kim/genogram?asOf=2024-01-01&amp;depth=2">Show' in page


def test_as_of_redraws_the_family_as_it_was(client: TestClient) -> None:
    sign_in(client)
    then = client.get("/people/kim/genogram?asOf=2020-01-01").text
    assert 'data-as-of="2020-01-01"' in then and "as it was on 1 Jan 2020" in then
    assert 'data-person="ned"' not in then, "Ned was born in 2023"
    assert 'data-person="pia"' in then
    assert re.search(r'class="partner partner ended" data-people="(lou otto|otto lou)"', then)


def test_collapse_folds_a_branch_away_and_says_so(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/kim/genogram?collapse=lou").text
    for hidden in ("gran", "max", "ned"):
        assert f'data-person="{hidden}"' not in page
    assert 'data-person="lou"' in page and 'data-person="pia"' in page
    assert "3 people not shown" in page
    assert '<a href="/people/kim/genogram">Show <bdi>Lou Shaw</bdi>' in page


def test_collapse_over_graphql(client: TestClient) -> None:
    query = """query($c: [ID!]) { person(id: "kim") { genogram(depth: 3, collapse: $c) {
        collapsed nodesCollapsed household nodes { person { id } } edges { sourceId targetId }
        svg } } }"""

    def chart(collapse: list[str] | None) -> dict[str, Any]:
        return dict(ask(client, query, c=collapse)["data"]["person"]["genogram"])

    everyone = {n["person"]["id"] for n in chart(None)["nodes"]}
    folded = chart(["lou", "gran", "nobody", "kim"])
    assert folded["collapsed"] == ["lou"], "gran is inside lou's branch; others not on it"
    assert folded["nodesCollapsed"] == 3
    left = {n["person"]["id"] for n in folded["nodes"]}
    assert everyone - left == {"gran", "max", "ned"}
    assert all({e["sourceId"], e["targetId"]} <= left for e in folded["edges"])
    assert set(folded["household"]) <= left and 'data-person="ned"' not in folded["svg"]
    assert chart(["otto"])["nodesCollapsed"] == 1
    too_many = ask(client, query, c=[f"p{i}" for i in range(51)])
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_table_names_leads_of_open_statutory_and_targeted_services(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/people/rio/genogram").text
    table = page[page.index('id="family-table"'):page.index("</table>")]
    assert "Looked after child: <bdi>Priya Nair</bdi>, Social Worker" in table
    assert 'href="tel:02079460123"' in table
    assert "Adult mental health" not in table, "specialist: not a lead service here"
    assert "Child in need" not in table, "closed before today"
    assert "foster carer" in table and "<caption" in table


def test_table_counts_family_withheld_from_the_viewer(client: TestClient) -> None:
    """No fixture withholds a whole person (the policy shows them name-only), so the
    template is given an answer that does."""
    nodes = ask(client, """{ person(id: "kim") { genogram(depth: 1) { nodes {
        generation relationshipToSubject isSubject
        person { id displayName birthDate deathDate } } } } }""")["data"]["person"][
        "genogram"]["nodes"]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["without_bidi_controls"] = lambda text: text
    genogram = {"svg": "", "nodesWithheld": 2, "nodesCollapsed": 0, "asOf": "2026-01-01",
                "nodes": nodes, "household": None}
    values = {"genogram": genogram, "rows": family_rows(genogram, None), "depth": 1,
              "max_depth": 4, "subject_name": "Kim Shaw", "subject_id": "kim",
              "as_of_words": "1 Jan 2026", "chart": {}, "services_withheld": 0}
    html = env.get_template("genogram.html").render(**values)
    assert "2 family members are withheld from you." in html
    table = html[html.index("<tbody"):html.index("</tbody>")]
    assert table.count("not shared with you") == 2 * (len(nodes) - 1) + 1
    assert "1 family member is withheld" in env.get_template("genogram.html").render(
        **(values | {"genogram": genogram | {"nodesWithheld": 1}}))


# --- in Chromium ------------------------------------------------------------------------------

def signed_in(browser: Browser, base_url: str, **options: Any) -> Page:
    """A signed-in tab whose requests to any other host are refused."""
    return sign_in_offline(local_context(browser, base_url, None, **options), base_url)


@pytest.fixture
def tab(browser: Browser, base_url: str) -> Iterator[Page]:
    # axe is added as an inline script, which the pages' CSP would refuse.
    opened = signed_in(browser, base_url, bypass_csp=True)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened.context.close()
    assert errors == []


def chart(tab: Page, url: str) -> None:
    tab.goto(url)
    tab.wait_for_selector("#genogram[data-mounted]", timeout=15_000)


def focused(tab: Page) -> str | None:
    return tab.evaluate("() => document.activeElement.getAttribute('data-person')")  # type: ignore[no-any-return]


@pytest.mark.browser
def test_keyboard_alone_reaches_every_person_and_opens_one(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    assert HINT in tab.locator(".fg-hint").inner_text()
    assert tab.locator(f"{PEOPLE}[tabindex='0']").count() == 1, "one Tab stop into the chart"
    for _ in range(40):
        tab.keyboard.press("Tab")
        if focused(tab):
            break
    assert focused(tab) == "kim", "Tab enters the chart on the index person"
    ring = tab.evaluate("""() => { const r = document.activeElement.querySelector('.focus-ring');
        return [r.getAttribute('stroke'), parseFloat(r.getAttribute('stroke-width')),
                r.getAttribute('vector-effect')]; }""")
    assert ring[0] not in (None, "none") and ring[1] >= 3 and ring[2] == "non-scaling-stroke"
    everyone = set(tab.eval_on_selector_all(PEOPLE, "els => els.map(a => a.dataset.person)"))
    seen = {"kim"}

    def press(key: str) -> bool:
        before = focused(tab)
        tab.keyboard.press(key)
        now = focused(tab)
        assert now, f"{key} left the chart"
        seen.add(now)
        return now != before

    while press("ArrowUp"):
        pass
    for _ in range(10):
        while press("ArrowLeft"):
            pass
        while press("ArrowRight"):
            pass
        if not press("ArrowDown"):
            break
    assert seen == everyone
    tab.keyboard.press("Home")
    assert focused(tab) == "kim"
    tab.keyboard.press("ArrowUp")
    parent = focused(tab)
    assert parent in {"lou", "otto"}
    assert "mother" in tab.locator(".fg-details").inner_text() or parent == "otto"
    tab.keyboard.press("Enter")
    tab.wait_for_url(f"{base_url}/people/{parent}")


def axe_violations(tab: Page, context: str = "document") -> list[str]:
    """What axe-core (WCAG 2.2 AA rules) finds on the tab, in `context` (a JS expression:
    the document, or a selector in quotes), each as `rule: targets`."""
    if not tab.evaluate("typeof axe !== 'undefined'"):
        tab.add_script_tag(path=str(AXE))
    found = tab.evaluate(f"""async () => (await axe.run({context}, {{runOnly: {{type: 'tag',
        values: {WCAG_22_AA}}}}})).violations.map(v => v.id + ': ' +
        v.nodes.map(n => n.target.join(' ')).join(', '))""")
    return list(found)


@pytest.mark.browser
def test_axe_finds_no_wcag_22_aa_violations(tab: Page, base_url: str) -> None:
    assert AXE.exists(), "axe-core missing: `make assets` vendors it"

    def violations(context: str = "document") -> list[str]:
        return axe_violations(tab, context)

    chart(tab, f"{base_url}/people/kim/genogram?collapse=otto")
    assert violations() == []
    tab.focus("#genogram a.person[tabindex='0']")  # the panel's details and actions filled in
    tab.keyboard.press("ArrowUp")
    assert violations() == []
    assert violations("'.family-table-section'") == []
    chart(tab, f"{base_url}/people/rio")
    assert violations("'#genogram'") == []


@pytest.mark.browser
def test_details_panel_says_who_recorded_a_person_and_a_tie(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    panel = tab.locator(".fg-details")
    assert panel.get_attribute("aria-live") == "polite"
    tab.focus("#genogram [data-person=lou]")
    words = panel.inner_text()
    assert "Lou Shaw, mother" in words and "recorded by health" in words
    assert "lives with the child" in words
    assert "recorded by social care from 1 Sep 2021" in words, "her ties, with their sources"
    line = tab.locator("#genogram g.partner.ended path").first.bounding_box()
    assert line
    tab.mouse.move(line["x"] + line["width"] * 0.2, line["y"] + line["height"] / 2)
    assert "relationship ended" in panel.inner_text()


@pytest.mark.browser
def test_touch_first_tap_shows_details_second_opens(browser: Browser, base_url: str) -> None:
    tab = signed_in(browser, base_url, has_touch=True, is_mobile=True,
                    viewport={"width": 390, "height": 844})
    try:
        chart(tab, f"{base_url}/people/kim/genogram")
        tab.locator("#genogram .fg-toolbar button", has_text="Fit to view").tap()
        person = tab.locator("#genogram [data-person=pia] .shape")
        person.tap()
        assert tab.url.endswith("/people/kim/genogram")
        assert "Pia Shaw" in tab.locator(".fg-details").inner_text()
        person.tap()
        tab.wait_for_url(f"{base_url}/people/pia")
    finally:
        tab.context.close()


@pytest.mark.browser
def test_date_control_redraws_through_graphql(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    assert tab.locator("#genogram [data-person=ned]").count() == 1
    assert tab.locator("#genogram g.partner.current").count() >= 1
    tab.fill("#genogram-as-of", "2020-01-01")
    tab.click(".genogram-controls button[type=submit]")
    tab.wait_for_url(re.compile(r"asOf=2020-01-01"))
    tab.wait_for_selector("#genogram[data-mounted]")
    assert tab.locator("#genogram svg").get_attribute("data-as-of") == "2020-01-01"
    assert tab.locator("#genogram [data-person=ned]").count() == 0, "not yet born"
    assert tab.locator("#genogram [data-person=max]").count() == 0, "not yet a partner"
    assert tab.locator("#genogram g.partner.ended").count() >= 1


@pytest.mark.browser
def test_hide_and_show_a_branch(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    tab.hover("#genogram [data-person=otto] .shape")
    hide = tab.locator(".fg-actions a", has_text="Hide this branch")
    hide.wait_for()
    assert "Otto Shaw" in hide.inner_text()
    hide.click()
    tab.wait_for_url(re.compile(r"collapse=otto"))
    tab.wait_for_selector("#genogram[data-mounted]")
    assert tab.locator("#genogram [data-person=pia]").count() == 0
    assert tab.locator("#family-table [data-person=pia]").count() == 0
    assert tab.locator("#genogram [data-person=otto].fg-collapsed").count() == 1
    tab.focus("#genogram [data-person=kim]")
    tab.keyboard.press("ArrowUp")
    while focused(tab) != "otto":
        tab.keyboard.press("ArrowRight")
    tab.locator(".fg-actions a", has_text="Show this branch").click()
    tab.wait_for_url(f"{base_url}/people/kim/genogram")
    tab.wait_for_selector("#genogram [data-person=pia]")


@pytest.mark.browser
def test_phone_width_does_not_scroll_sideways(browser: Browser, base_url: str) -> None:
    tab = signed_in(browser, base_url, viewport={"width": 390, "height": 844})
    try:
        for path in ("/people/kim/genogram", "/people/kim/genogram?asOf=2020-01-01"):
            chart(tab, base_url + path)
            assert tab.evaluate("document.documentElement.scrollWidth") <= 390
            box = tab.locator("#genogram .fg-viewport").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        tab.click("#genogram .fg-toolbar button:has-text('Zoom in')")
        assert float(tab.locator("#genogram svg").get_attribute("data-zoom") or 0) > 1
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        tab.context.close()


@pytest.mark.browser
def test_table_lists_everyone_in_the_chart_in_reading_order(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    drawn = tab.eval_on_selector_all(PEOPLE, """els => els.map(a => [+a.dataset.row,
        +a.dataset.x, a.dataset.person]).sort((p, q) => p[0] - q[0] || p[1] - q[1])
        .map(p => p[2])""")
    listed = tab.eval_on_selector_all("#family-table tbody tr",
                                      "rows => rows.map(r => r.dataset.person)")
    assert listed == drawn and len(listed) == 7
    tab.click("text=Read the family as a table")
    assert tab.url.endswith("#family-table")


@pytest.mark.browser
def test_mount_from_a_graphql_answer_as_an_embedding_system_would(tab: Page,
                                                                  base_url: str) -> None:
    """docs/genogram-embedding.md's example: fetch the answer, mount it in a bare page."""
    chart(tab, f"{base_url}/people/rio/genogram")
    opened = tab.evaluate("""async () => {
        const body = JSON.stringify({query: `query { person(id: "rio") { genogram(depth: 2) {
            subjectId svg nodes { relationshipToSubject person { id displayName } }
            edges { kind sourceId targetId } } } }`});
        const answer = await (await fetch('/graphql', {method: 'POST', body,
            headers: {'Content-Type': 'application/json'}})).json();
        const box = document.createElement('div');
        document.body.appendChild(box);
        const seen = [];
        const chart = FamgraphGenogram.mount(box, answer.data.person.genogram, {
            href: id => '/case-system/people/' + id,
            onOpen: (id, href) => { seen.push([id, href]); return false; }});
        box.querySelector('a.person[data-person="una"]').dispatchEvent(
            new MouseEvent('click', {bubbles: true, cancelable: true, detail: 1}));
        return {seen, scripts: box.querySelectorAll('script').length,
                svg: chart.svg.namespaceURI};
    }""")
    assert opened["seen"] == [["una", "/case-system/people/una"]]
    assert opened["svg"] == "http://www.w3.org/2000/svg" and opened["scripts"] == 0


@pytest.mark.browser
def test_print_shows_the_whole_chart_without_controls(tab: Page, base_url: str) -> None:
    chart(tab, f"{base_url}/people/kim/genogram")
    tab.click("#genogram .fg-toolbar button:has-text('Zoom in')")
    tab.emulate_media(media="print")
    for hidden in (".fg-toolbar", ".fg-panel", ".fg-hint", ".genogram-controls"):
        assert not tab.locator(hidden).first.is_visible(), hidden
    assert tab.evaluate("getComputedStyle(document.querySelector('.fg-camera')).transform") \
        == "none"
    width = tab.evaluate("document.querySelector('#genogram svg').getBoundingClientRect().width")
    assert width <= tab.evaluate("document.documentElement.clientWidth")
