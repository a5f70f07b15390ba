"""Time the synthetic borough generator: `python -m bench.generate [--people N] [--workers W]`.

Prints wall time, CPU time of the main process and its workers, peak memory of the largest
process (the main one streams; each worker holds one neighbourhood) and the size written.
Not a test: machines are shared and noisy, so timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from loaders.synthetic import generate_borough


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "borough"
        started = time.perf_counter()
        summary = generate_borough(
            args.people, args.seed, out, date(2026, 11, 23), workers=args.workers
        )
        wall = time.perf_counter() - started
        size = sum(path.stat().st_size for path in summary.files)
        own = resource.getrusage(resource.RUSAGE_SELF)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"people asked for       {args.people:,}")
    print(f"residents today        {summary.residents:,} in {summary.households:,} households")
    print(f"people simulated       {summary.people:,}")
    print(f"wall time              {wall:.1f} s")
    print(f"cpu time               {own.ru_utime + workers.ru_utime:.1f} s")
    print(f"peak memory (max rss)  main {own.ru_maxrss / 1024:.0f} MB, "
          f"largest worker {workers.ru_maxrss / 1024:.0f} MB")
    print(f"written                {size / 1e6:.0f} MB in {len(summary.files)} files")
    for system, count in sorted(summary.records_by_system.items()):
        print(f"  {system:24s} {count:,} person records")


if __name__ == "__main__":
    main()
