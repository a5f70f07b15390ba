"""`make bench`: load a synthetic borough and time the household question against a baseline.

Reports ratios measured in one run, since these machines are shared and noisy.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from graph.embedded import EmbeddedStore
from graph.questions.household import household_of
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough


def main(people: int = 20_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        summary = generate_borough(people=people, seed=1, out=root / "borough")
        generated = time.perf_counter() - started
        systems = summary.folders()
        store = EmbeddedStore(root / "store")
        started = time.perf_counter()
        log = load_extract(store, systems)
        loaded = time.perf_counter() - started
        child = summary.demo_child
        person_ids = list(store.record_owners([f"R:{child.system}/{child.record_id}"]).values())
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            household_of(store, person_ids[0])
            timings.append(time.perf_counter() - started)
        reopen_started = time.perf_counter()
        store.close()
        EmbeddedStore(root / "store").close()
        reopened = time.perf_counter() - reopen_started
    print(f"people simulated      {summary.people}")
    print(f"generate              {generated:.2f} s")
    print(f"load ({log.read} rows)   {loaded:.2f} s  ({log.read / loaded:,.0f} rows/s)")
    print(f"reopen store          {reopened:.2f} s  (reopen / load = {reopened / loaded:.2f})")
    print(f"household_of median   {statistics.median(timings) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
