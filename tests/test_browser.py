"""Pages in real headless Chromium, with every request to another host refused."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from graph.embedded import EmbeddedStore
from server.app import create_app
from server.settings import Mode, Settings
from tests.families import FAMILIES

CHROMIUM = "/usr/bin/chromium"
# The flags that keep Chromium from reaching out on a closed network (see the env notes).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("browser-store")
    store = EmbeddedStore(directory)
    for make in FAMILIES.values():
        store.write(make())
    store.close()
    port = free_port()
    app = create_app(Settings(store_dir=directory, mode=Mode.DEMO, port=port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs the chromium package"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def sign_in_offline(context: BrowserContext, base_url: str, offsite: list[str]) -> Page:
    """A tab in `context`, signed in as sam, whose requests to any other host are refused
    and listed in `offsite`."""

    def only_local(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
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
    context = browser.new_context()
    offsite: list[str] = []
    signed_in = sign_in_offline(context, base_url, offsite)
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
