"""Genogram layout: time on big families, and how tidy the named shapes come out.

    python -m bench.genogram [--people 200] [--families 5] [--runs 21] [--seed 0]
                             [--paint 100]

Times `viz.layout.layout` (median of --runs calls, in ms; the target is 50 ms for 200
people) on seeded generated families of about --people people (tests/genogram_families.py,
the structure the Hypothesis tests draw, with more relatives) and on the eight named
families, and reports for each: crossings between lines of different unions and couples,
lines lying on top of each other, partners with people between them (the sum of the
people standing between partners), and the number of broken rules
(tests/genogram_invariants.py).

With --paint N it also measures first paint of an N-person family (target 1 s): the
server's drawing (layout and SVG, median of --runs) beside headless Chromium's first
contentful paint of the page and the time until the chart's script has mounted it
(keyboard, zoom and panel ready), median of five loads.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tests.genogram_families import NAMED, Family, chart_of, family_of_about
from tests.genogram_invariants import crossings, overlaps, partner_gaps, violations
from viz.genogram import svg
from viz.layout import layout

TARGET_MS = 50.0
PAINT_TARGET_MS = 1000.0
STATIC = Path(__file__).resolve().parent.parent / "viz" / "static"


def time_layout(family: Family, runs: int) -> float:
    """Median milliseconds of `runs` layouts of one family."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        layout(*family)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3


def measure(family: Family, runs: int) -> dict[str, float]:
    drawing = layout(*family)
    gaps = partner_gaps(*family, drawing)
    return {
        "people": len(family.members),
        "ms": time_layout(family, runs),
        "crossings": crossings(drawing),
        "on_top": len(overlaps(drawing)),
        "apart": sum(1 for g in gaps.values() if g),
        "between": sum(gaps.values()),
        "broken": len(violations(*family, drawing)),
    }


HEADER = (f"{'family':38} {'people':>6} {'median ms':>9} {'crossings':>9} {'on top':>6} "
          f"{'couples apart':>13} {'between':>7} {'broken':>6}")


def row(name: str, m: dict[str, float]) -> str:
    return (f"{name:38} {m['people']:6.0f} {m['ms']:9.2f} {m['crossings']:9.0f} "
            f"{m['on_top']:6.0f} {m['apart']:13.0f} {m['between']:7.0f} {m['broken']:6.0f}")


def paint(people: int, runs: int) -> None:
    """First paint of a family of about `people`: server drawing, then the browser's."""
    from playwright.sync_api import sync_playwright

    from tools.served import CHROMIUM, FLAGS

    family = family_of_about(people, 0)
    chart = chart_of(family)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        drawing = svg(chart)
        timings.append(time.perf_counter() - started)
    server_ms = statistics.median(timings) * 1e3
    folder = Path(tempfile.mkdtemp(prefix="genogram-paint-"))
    for name in ("famgraph.css", "famgraph-genogram.css", "famgraph-genogram.js"):
        shutil.copyfile(STATIC / name, folder / name)
    (folder / "page.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<link rel='stylesheet' href='famgraph.css'>"
        "<link rel='stylesheet' href='famgraph-genogram.css'>"
        "<script src='famgraph-genogram.js'></script></head><body><main>"
        "<div id='genogram' class='genogram full'>" + drawing + "</div>"
        "<script>FamgraphGenogram.mount(document.getElementById('genogram'),"
        " {svg: document.querySelector('svg.famgraph-genogram')});"
        " performance.mark('mounted');</script></main></body></html>")
    paints, mounts = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for _ in range(5):
            tab = browser.new_page(viewport={"width": 1366, "height": 768})
            tab.on("pageerror", lambda error: print(f"page error: {error}"))
            tab.goto((folder / "page.html").as_uri(), wait_until="load")
            tab.wait_for_function(
                "performance.getEntriesByName('first-contentful-paint').length > 0")
            paints.append(tab.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0].startTime"))
            mounts.append(tab.evaluate("performance.getEntriesByName('mounted')[0].startTime"))
            tab.close()
        browser.close()
    shutil.rmtree(folder)
    first_paint = statistics.median(paints)
    total = server_ms + max(first_paint, statistics.median(mounts))
    verdict = "within" if total <= PAINT_TARGET_MS else "OVER"
    print(f"\nfirst paint, {len(family.members)} people: server drawing {server_ms:.1f} ms"
          f" ({len(drawing) // 1024} KiB of SVG); browser first contentful paint"
          f" {first_paint:.0f} ms, chart interactive {statistics.median(mounts):.0f} ms;"
          f" together {total:.0f} ms ({verdict} the {PAINT_TARGET_MS:.0f} ms target)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.genogram", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--families", type=int, default=5, help="generated families to time")
    parser.add_argument("--runs", type=int, default=21, help="layouts per family (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paint", type=int, default=100, metavar="N",
                        help="also time first paint of an N-person family (0: skip)")
    args = parser.parse_args(argv)

    print(HEADER)
    big: list[float] = []
    seed = args.seed
    for _ in range(args.families):
        family = family_of_about(args.people, seed)
        seed = int(family.notes.name.rsplit("seed ", 1)[-1]) + 1
        m = measure(family, args.runs)
        big.append(m["ms"])
        print(row(family.notes.name, m))
    for name in sorted(NAMED):
        print(row(name, measure(NAMED[name](), args.runs)))
    if big:
        worst = max(big)
        verdict = "within" if worst <= TARGET_MS else "OVER"
        print(f"\nabout {args.people} people: median {statistics.median(big):.1f} ms, slowest "
              f"family {worst:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)")
    if args.paint:
        paint(args.paint, args.runs)


if __name__ == "__main__":
    main()
