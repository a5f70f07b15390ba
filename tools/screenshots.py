"""Screenshots of the person page for docs/: `python -m tools.screenshots`.

Builds a store of the test families (tests/families.py, with the access-policy family),
serves it in demo mode on a free loopback port, signs in as a demo user in Debian's
headless Chromium (every request to another host refused) and shoots one person's page at
desktop (1366 x 768) and phone (390 x 844) sizes: docs/person-page-desktop.png and
docs/person-page-mobile.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from graph.embedded import EmbeddedStore
from server.app import create_app
from server.settings import Mode, Settings
from tools.served import CHROMIUM, FLAGS, free_port, local_context, serving

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"desktop": (1366, 768), "mobile": (390, 844)}


@contextmanager
def served_families(directory: Path) -> Iterator[str]:
    """The test families in an embedded store under `directory`, served; yields the URL."""
    sys.path.insert(0, str(ROOT))
    from tests.families import API_FAMILIES, FAMILIES, family_known_to_many_agencies

    store = EmbeddedStore(directory)
    every = {**FAMILIES, **API_FAMILIES, "known_to_many": family_known_to_many_agencies}
    for make in every.values():
        store.write(make())
    store.close()
    port = free_port()
    with serving(create_app(Settings(store_dir=directory, mode=Mode.DEMO, port=port)),
                 port) as url:
        yield url


def shoot(base_url: str, person: str, user: str, out: Path) -> list[Path]:
    """Sign in as `user` and save the person's page at each size; returns the files."""
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, (width, height) in SIZES.items():
            context = local_context(browser, base_url, None,
                                    viewport={"width": width, "height": height},
                                    device_scale_factor=1)
            tab = context.new_page()
            tab.goto(f"{base_url}/signin?next=/people/{person}")
            tab.fill("#user", user)
            tab.fill("#password", "demo")
            tab.click("form.famgraph-signin button[type=submit]")
            tab.wait_for_url(f"{base_url}/people/{person}")
            tab.wait_for_selector("#genogram svg", timeout=15_000)
            path = out / f"person-page-{name}.png"
            tab.screenshot(path=str(path))
            written.append(path)
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--person", default="cal", help="whose page (a test family's id)")
    parser.add_argument("--user", default="sam", help="demo user to sign in as")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, served_families(Path(tmp)) as base_url:
        for path in shoot(base_url, args.person, args.user, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
