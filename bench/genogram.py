"""Genogram layout: time on big families, and how tidy the named shapes come out.

    python -m bench.genogram [--people 200] [--families 5] [--runs 21] [--seed 0]

Times `viz.layout.layout` (median of --runs calls, in ms; the target is 50 ms for 200
people) on seeded generated families of about --people people (tests/genogram_families.py,
the structure the Hypothesis tests draw, with more relatives) and on the eight named
families, and reports for each: crossings between lines of different unions and couples,
lines lying on top of each other, partners with people between them (the sum of the
people standing between partners), and the number of broken rules
(tests/genogram_invariants.py).
"""

from __future__ import annotations

import argparse
import statistics
import time

from tests.genogram_families import NAMED, Family, family_of_about
from tests.genogram_invariants import crossings, overlaps, partner_gaps, violations
from viz.layout import layout

TARGET_MS = 50.0


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.genogram", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--families", type=int, default=5, help="generated families to time")
    parser.add_argument("--runs", type=int, default=21, help="layouts per family (median)")
    parser.add_argument("--seed", type=int, default=0)
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


if __name__ == "__main__":
    main()
