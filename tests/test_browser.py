"""Pages in real headless Chromium, with every request to another host refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from graph.embedded import EmbeddedStore
from server.app import create_app
from server.settings import Mode, Settings
from tests.families import FAMILIES
from tools.served import CHROMIUM, FLAGS, free_port, local_context, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("browser-store")
    store = EmbeddedStore(directory)
    for make in FAMILIES.values():
        store.write(make())
    store.close()
    port = free_port()
    with serving(create_app(Settings(store_dir=directory, mode=Mode.DEMO, port=port)),
                 port) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs the chromium package"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def sign_in_offline(context: BrowserContext, base_url: str) -> Page:
    """A tab in `context` (made by `local_context`), signed in as sam."""
    tab = context.new_page()
    tab.goto(f"{base_url}/signin")
    tab.fill("input[name=user]", "sam")
    tab.fill("input[name=password]", "demo")
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base_url}/")
    return tab


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[tuple[Page, list[str]]]:
    """A signed-in page whose requests to any other host are refused and recorded."""
    offsite: list[str] = []
    context = local_context(browser, base_url, offsite)
    signed_in = sign_in_offline(context, base_url)
    yield signed_in, offsite
    context.close()


def drawn_positions(tab: Page) -> dict[str, dict[str, float]]:
    """Where the chart drew each person, by the box the browser laid out."""
    return tab.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#genogram [data-person]')].map(a => { const b = a.querySelector('.shape').getBBox();
        return [a.dataset.person, {x: b.x + b.width / 2, y: b.y + b.height / 2}]; }))""")


def test_person_page_draws_genogram_offline(page: tuple[Page, list[str]], base_url: str,
                                            tmp_path: Path) -> None:
    tab, offsite = page
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(f"{base_url}/people/rio")
    tab.wait_for_selector("#genogram svg", timeout=15_000)
    household = tab.locator("#household").inner_text()
    assert "Sue Ward" in household and "foster carer" in household
    assert "020 7946 0123" in tab.locator("#services").inner_text()
    positions = drawn_positions(tab)
    assert positions["rio"]["y"] > positions["una"]["y"], "child is drawn below the parent"
    tab.screenshot(path=str(tmp_path / "person.png"))
    assert errors == [] and offsite == []


def test_genogram_page_puts_partners_in_one_row_and_opens_people(
        page: tuple[Page, list[str]], base_url: str) -> None:
    tab, offsite = page
    tab.goto(f"{base_url}/people/kim/genogram")
    tab.wait_for_selector("#genogram svg", timeout=15_000)
    positions = drawn_positions(tab)
    assert positions["lou"]["y"] == positions["max"]["y"] == positions["otto"]["y"]
    assert positions["kim"]["y"] == positions["ned"]["y"] > positions["lou"]["y"]
    tab.click("[data-person=ned]")
    tab.wait_for_url(f"{base_url}/people/ned")
    assert offsite == []


def test_graphiql_renders_from_local_assets(page: tuple[Page, list[str]], base_url: str) -> None:
    tab, offsite = page
    tab.goto(f"{base_url}/graphql", wait_until="networkidle")
    tab.wait_for_selector(".graphiql-container", timeout=20_000)
    assert offsite == []
