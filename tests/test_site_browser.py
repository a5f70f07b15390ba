"""The practitioner's pages in headless Chromium, as tests/test_browser.py drives it (every
other host refused): axe finds nothing at WCAG 2.2 AA, nothing scrolls sideways at 320 px,
the front-door answer is above the fold at 1366 x 768, and the front-door task can be done
with the keyboard alone. Then the screenshot script runs."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette

from graph.embedded import EmbeddedStore
from server.app import create_app
from server.auth import DEMO_USERS, SESSION_COOKIE
from server.settings import Mode, Settings
from server.sharing import Purpose
from tests.families import FAMILIES, family_known_to_many_agencies
from tests.test_browser import browser
from tests.test_genogram_pages import AXE, axe_violations
from tests.test_genogram_reference_images import changed
from tools.served import free_port, local_context, serving

__all__ = ["browser"]  # a fixture, used by name

pytestmark = pytest.mark.browser
USERS = ["sam", "jo", "ida"]  # the demo users: social care, a school, information governance


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Starlette]]:
    """The test families and the access-policy family (Cal Moss's), served in demo mode."""
    directory = tmp_path_factory.mktemp("site-store")
    store = EmbeddedStore(directory)
    for make in [*FAMILIES.values(), family_known_to_many_agencies]:
        store.write(make())
    store.close()
    port = free_port()
    app = create_app(Settings(store_dir=directory, mode=Mode.DEMO, port=port))
    with serving(app, port) as url:
        yield url, app


def as_user(browser: Browser, site: tuple[str, Starlette], user: str | None,
            **options: object) -> Page:
    """A tab with `user`'s session (None: signed out). The session is issued directly:
    information governance acts under no purpose, so the sign-in form cannot make one."""
    base_url, app = site
    # axe is added as an inline script, which the pages' CSP would refuse.
    context = local_context(browser, base_url, bypass_csp=True, **options)
    if user:
        token = app.state.auth.issue(DEMO_USERS[user], Purpose.MASH_SCREENING)
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base_url}])
    return context.new_page()


def pages_for(user: str | None) -> list[str]:
    if user is None:
        return ["/signin", "/signin?next=/people/cal"]
    # The work pages too, for everyone: a user without the role gets a refusal page,
    # which must read as well as the page itself.
    return ["/", "/?name=Moss", "/?birth_date=31/02/2014", "/people/cal", "/people/rio",
            "/people/cal/genogram", "/people/nobody", "/people/cal/chronology", "/audit",
            "/review", "/following", "/break-glass"]


CASES = [(user, path) for user in [*USERS, None] for path in pages_for(user)]


@pytest.mark.parametrize(("user", "path"), CASES)
def test_axe_finds_nothing_and_nothing_scrolls_sideways_at_320px(
        browser: Browser, site: tuple[str, Starlette], user: str | None, path: str) -> None:
    assert AXE.exists(), "axe-core missing: `make assets` vendors it"
    tab = as_user(browser, site, user, viewport={"width": 320, "height": 640})
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(site[0] + path)
    tab.wait_for_load_state("networkidle")
    wide = tab.evaluate("""() => ({page: document.documentElement.scrollWidth,
        view: document.documentElement.clientWidth,
        over: [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.right > document.documentElement.clientWidth + 1 &&
                   !e.closest('.famgraph-scroll, .family-table-scroll, .fg-viewport');
        }).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)})""")
    assert wide["page"] <= wide["view"], f"{path} as {user} scrolls sideways: {wide}"
    assert axe_violations(tab) == [], f"{path} as {user}"
    tab.set_viewport_size({"width": 1366, "height": 768})
    assert axe_violations(tab) == [], f"{path} as {user} at 1366 px"
    assert errors == []
    tab.context.close()


def bottom(tab: Page, selector: str) -> float:
    box = tab.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return float(box["y"] + box["height"])


@pytest.mark.parametrize("person", ["rio", "cal"])
def test_front_door_answer_is_above_the_fold(browser: Browser, site: tuple[str, Starlette],
                                             person: str) -> None:
    tab = as_user(browser, site, "sam", viewport={"width": 1366, "height": 768})
    tab.goto(f"{site[0]}/people/{person}")
    for selector in ("#child-age", "#child-born", "#address", "#household",
                     "#who-to-call a[href^='tel:']", "#who-to-call a[href^='mailto:']"):
        assert bottom(tab, selector) <= 768, f"{selector} is below the fold on {person}"
    age = tab.locator("#child-age").inner_text()
    assert age.endswith("years"), age
    household = tab.locator("#household").inner_text()
    assert "years" in household
    call = tab.locator("#who-to-call").inner_text()
    lead = "Priya Nair" if person == "rio" else "Nia Obi"
    assert call.count(lead) == 1
    tab.context.close()


def test_front_door_task_by_keyboard_alone(browser: Browser,
                                           site: tuple[str, Starlette]) -> None:
    """Sign in, find Rio Vale by name, open her page, read who lives there and reach the
    lead's phone: only key presses and typing, each recorded."""
    base_url = site[0]
    context = local_context(browser, base_url, viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    pressed: list[str] = []

    def press(key: str) -> None:
        pressed.append(key)
        tab.keyboard.press(key)

    def type_in(words: str) -> None:
        pressed.append(f"type {words}")
        tab.keyboard.type(words)

    def focused(script: str) -> bool:
        return bool(tab.evaluate(f"() => {{ const e = document.activeElement; return {script}; }}"))

    def tab_until(script: str, limit: int = 40) -> None:
        for _ in range(limit):
            press("Tab")
            if focused(script):
                return
        raise AssertionError(f"Tab never reached {script}")

    tab.goto(f"{base_url}/signin")
    tab_until("e.id === 'user'")
    type_in("sam")
    press("Tab")
    type_in("demo")
    press("Enter")
    tab.wait_for_url(f"{base_url}/")
    tab_until("e.id === 'name'")
    type_in("Rio Vale")
    press("Enter")
    tab.wait_for_url(f"{base_url}/?**")
    tab_until("e.getAttribute('href') === '/people/rio'")
    press("Enter")
    tab.wait_for_url(f"{base_url}/people/rio")
    tab_until("!!e.closest('#household')")
    household = tab.locator("#household").inner_text()
    assert "Sue Ward" in household and "foster carer" in household
    tab_until("!!e.closest('#who-to-call') && e.getAttribute('href').startsWith('tel:')")
    assert tab.evaluate("document.activeElement.getAttribute('href')") == "tel:02079460123"
    assert tab.evaluate("document.activeElement.textContent") == "020 7946 0123"
    # The focus ring shows where the keyboard is.
    ring = tab.evaluate("getComputedStyle(document.activeElement).backgroundColor")
    assert ring == "rgb(255, 221, 0)", ring
    assert set(pressed) <= {"Tab", "Enter", "type sam", "type demo", "type Rio Vale"}
    assert [p for p in pressed if p != "Tab"] == [
        "type sam", "type demo", "Enter", "type Rio Vale", "Enter", "Enter"]
    assert pressed[:pressed.index("type sam")] == ["Tab"] * pressed.index("type sam")
    context.close()


DOCS = Path(__file__).resolve().parent.parent / "docs"
SCREENSHOT_DRIFT = 0.01  # of all pixels: today's date in a heading, not a moved card


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_screenshot_script_runs(tmp_path: Path) -> None:
    """`python -m tools.screenshots` writes both pictures, and they match the ones committed
    under docs/ (up to a date or an age that moved with the calendar): when the page changes
    on purpose, run the script and commit the pictures."""
    ran = subprocess.run([sys.executable, "-m", "tools.screenshots", "--out", str(tmp_path)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                         text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert png_size(tmp_path / "person-page-desktop.png") == (1366, 768)
    assert png_size(tmp_path / "person-page-mobile.png") == (390, 844)
    for name in ("person-page-desktop.png", "person-page-mobile.png"):
        drawn = Image.open(tmp_path / name).convert("RGB")
        committed = Image.open(DOCS / name).convert("RGB")
        assert changed(drawn, committed) <= SCREENSHOT_DRIFT, (
            f"docs/{name} is stale: run `python -m tools.screenshots` and commit it")
