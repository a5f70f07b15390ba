"""A nightly delta in a real load: a borough's systems but one loaded into an embedded
store, then the last system loaded as `famgraph load` would, timed end to end (reading
its files, resolving, writing) beside the same load reading every stored record first,
as a delta did before the store could answer by block.

    python -m bench.linkage_delta --folder BOROUGH --work DIR [--night police]

The base load is kept in `DIR/base` and reused while it exists (it takes minutes); each
night runs on a copy of it, in a process of its own, so peak memory is that load's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.linkage import _Clock, _systems
from graph.embedded import EmbeddedStore
from graph.model import LinkageModel, SourceRecord
from graph.store import Store
from loaders.identity import delta
from loaders.identity.evaluate import resolved_index
from loaders.identity.features import rows_for
from loaders.identity.scoring import Training
from loaders.identity.splink_resolver import SplinkResolver
from loaders.pipeline import load_extract


class ReadingEverything(SplinkResolver):
    """The delta as it was before `Store.source_records_in_blocks`: every stored record
    and its person read, every comparison row built, to find the fresh records and the
    records in their blocks."""

    def _delta_reading(
        self, extract: Any, store: Store, models: Sequence[LinkageModel]
    ) -> tuple[delta.Reading, set[str]] | None:
        reading = delta.Reading(store)
        reading.records = {f"{r.system}/{r.local_id}": r for r in store.all_source_records()}
        reading.owners_of(reading.records)  # every record's person
        if not models or len(reading.records) < self.delta_min_store:
            return None
        load_rows, _ = rows_for(extract, [])
        fresh = delta.fresh_keys(load_rows, reading.records)
        if len(fresh) > delta.SHARE * len(reading.records):
            return None
        return reading, fresh


def _peak_gb() -> float:
    """This process's peak resident set: VmHWM, as Linux keeps `ru_maxrss` across exec
    (a child would report its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024 / 1024, 2)
    return 0.0


def people(store: EmbeddedStore) -> set[frozenset[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for key, person in resolved_index(store).items():
        found[person].add(key)
    return {frozenset(keys) for keys in found.values()}


def night(store_dir: Path, path: Path, anchor: bool) -> dict[str, Any]:
    """Load one system into the store as a nightly delta; its seconds (the load's, and
    identity resolution's within it) and people."""
    kind = ReadingEverything if anchor else SplinkResolver
    resolver = kind(Training(threads=2))
    resolving: dict[str, float] = {}
    resolve = resolver.resolve

    def timed(*args: Any, **kwargs: Any) -> Any:
        clock = _Clock()
        try:
            return resolve(*args, **kwargs)
        finally:
            resolving.update(clock.lap("identity resolution"))

    resolver.resolve = timed  # type: ignore[method-assign]
    store = EmbeddedStore(store_dir)
    store.migrate()  # a base kept from an older famgraph
    held = store.counts().get(SourceRecord.label, 0)
    clock = _Clock()
    log = load_extract(store, [path], resolver=resolver)
    took = clock.lap("nightly load (reading every stored record)" if anchor
                     else "nightly load (by block)")
    peak = _peak_gb()  # before the people are read back to compare
    found = sorted(sorted(p) for p in people(store))
    store.close()
    return {"stored_before": held, "records": log.detail.get("records"),
            "model_reason": log.detail.get("model_reason"), "seconds": took["wall"],
            "cpu_seconds": took["cpu"], "resolve_seconds": resolving.get("wall"),
            "resolve_cpu_seconds": resolving.get("cpu"), "peak_memory_gb": peak,
            "people": found}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.linkage_delta")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--night", default="police", help="The system loaded as the delta.")
    parser.add_argument("--work", type=Path, required=True,
                        help="Where the base store is kept, and the nights run.")
    parser.add_argument("--one", choices=["blocks", "everything"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    nightly = args.folder / args.night
    if args.one:  # a child: one night on the copy it was given
        result = night(args.work, nightly, args.one == "everything")
        print(json.dumps(result))
        return
    base = args.work / "base"
    report: dict[str, Any] = {"folder": str(args.folder), "night": args.night}
    if not (base / "done.json").exists():
        shutil.rmtree(base, ignore_errors=True)
        store = EmbeddedStore(base)
        clock = _Clock()
        log = load_extract(store, [p for p in _systems(args.folder) if p != nightly],
                           resolver=SplinkResolver(Training(threads=2)))
        took = clock.lap("base load")
        store.close()
        (base / "done.json").write_text(json.dumps({"records": log.detail.get("records"),
                                                    **took}))
    report["base"] = json.loads((base / "done.json").read_text())
    found = {}
    for one in ("blocks", "everything"):
        copy = args.work / one
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy, ignore=shutil.ignore_patterns("done.json"))
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "bench.linkage_delta", "--folder", str(args.folder),
             "--night", args.night, "--work", str(copy), "--one", one],
            check=True, capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        found[one] = json.loads(out.stdout.splitlines()[-1])
        found[one]["process_seconds"] = round(time.perf_counter() - started, 1)
        shutil.rmtree(copy, ignore_errors=True)
    same = found["blocks"].pop("people") == found["everything"].pop("people")
    report |= {"by_block": found["blocks"], "reading_everything": found["everything"],
               "same_people": same}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
