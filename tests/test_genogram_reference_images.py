"""The eight named family shapes, drawn in headless Chromium, match committed pictures.

A change to the layout or the notation that moves anything shows here as a failed
comparison. When the change is meant, redraw the pictures and look at them before
committing: `FAMGRAPH_WRITE_GENOGRAM_REFERENCES=1 pytest tests/test_genogram_reference_images.py`
(the run fails, saying what it wrote).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, sync_playwright

from tests.genogram_families import NAMED, chart_of
from tools.served import CHROMIUM, FLAGS
from viz.genogram import svg

pytestmark = pytest.mark.browser

PICTURES = Path(__file__).resolve().parent / "genogram_references"
WRITE = os.environ.get("FAMGRAPH_WRITE_GENOGRAM_REFERENCES") == "1"
# Anti-aliasing may differ by a shade between runs; a moved line changes far more.
SHADE = 48
MOST_CHANGED = 0.002  # of all pixels


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def drawn(browser: Browser, name: str) -> Image.Image:
    page = browser.new_page(device_scale_factor=1)
    page.set_content("<!doctype html><html><body style='margin:0;background:#fff'>"
                     + svg(chart_of(NAMED[name]())) + "</body></html>")
    picture = page.locator("svg").screenshot()
    page.close()
    return Image.open(io.BytesIO(picture)).convert("RGB")


def changed(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that differ by more than a shade."""
    difference = ImageChops.difference(a, b).convert("L")
    over = difference.point(lambda shade: 255 if shade > SHADE else 0)
    return over.histogram()[255] / (a.width * a.height)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_family_matches_its_reference_picture(browser: Browser, name: str) -> None:
    picture = drawn(browser, name)
    reference = PICTURES / f"{name}.png"
    if WRITE:
        PICTURES.mkdir(exist_ok=True)
        picture.save(reference)
        pytest.fail(f"wrote {reference}: look at it, then run again without the variable")
    assert reference.exists(), f"no reference picture for {name}: see this module's docstring"
    expected = Image.open(reference).convert("RGB")
    assert picture.size == expected.size, f"{name}: drawn {picture.size}, expected {expected.size}"
    share = changed(picture, expected)
    assert share <= MOST_CHANGED, (
        f"{name}: {share:.2%} of pixels differ from {reference.name}; if the change is meant,"
        " redraw the references (see this module's docstring)")


def test_the_comparison_sees_a_moved_person(browser: Browser) -> None:
    """Not vacuous: the same family drawn six pixels to the right fails the comparison."""
    picture = drawn(browser, "foster_care")
    moved = ImageChops.offset(picture, 6, 0)
    assert changed(picture, moved) > MOST_CHANGED
