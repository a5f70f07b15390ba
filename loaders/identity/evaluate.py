"""Scoring a resolution against known truth: pairwise and cluster-level figures.

Truth is a CSV of `system,record_id,person_key` (the synthetic borough's
`truth/persons.csv`); the resolution is each record's person id. Only records in both
are scored.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graph.store import Store
from loaders.errors import LoadError


def read_truth(path: Path) -> dict[str, str]:
    """Record key → true entity, from a `system,record_id,person_key` CSV."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            wanted = {"system", "record_id", "person_key"}
            if not wanted <= set(reader.fieldnames or ()):
                raise LoadError(str(path), "truth needs columns system, record_id, person_key")
            return {f"{r['system']}/{r['record_id']}": r["person_key"] for r in reader}
    except OSError as exc:
        raise LoadError(str(path), f"cannot read truth file: {exc.strerror}") from exc


def resolved_index(store: Store) -> dict[str, str]:
    """Record key → person id, for every source record in the store."""
    records = store.all_source_records()
    owners = store.record_owners(r.id for r in records)
    return {
        f"{r.system}/{r.local_id}": owners[r.id] for r in records if r.id in owners
    }


def _pairs(groups: Mapping[str, list[str]]) -> int:
    return sum(len(g) * (len(g) - 1) // 2 for g in groups.values())


def evaluate(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, Any]:
    """Pairwise precision, recall and F1, and cluster-level figures.

    >>> evaluate({"a": "1", "b": "1", "c": "2"}, {"a": "x", "b": "x", "c": "x"})["pairwise"]
    {'true_positives': 1, 'false_positives': 0, 'false_negatives': 2, 'precision': 1.0, \
'recall': 0.3333, 'f1': 0.5}
    """
    keys = sorted(set(predicted) & set(truth))
    by_pred: dict[str, list[str]] = defaultdict(list)
    by_true: dict[str, list[str]] = defaultdict(list)
    both: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key in keys:
        by_pred[predicted[key]].append(key)
        by_true[truth[key]].append(key)
        both[(predicted[key], truth[key])].append(key)
    true_positive = _pairs(both)  # type: ignore[arg-type]
    predicted_pairs, true_pairs = _pairs(by_pred), _pairs(by_true)
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    true_sets = {frozenset(v) for v in by_true.values()}
    exact = sum(1 for v in by_pred.values() if frozenset(v) in true_sets)
    split = sum(1 for v in by_true.values() if len({predicted[k] for k in v}) > 1)
    merged = sum(1 for v in by_pred.values() if len({truth[k] for k in v}) > 1)
    return {
        "records": len(keys),
        "pairwise": {
            "true_positives": true_positive,
            "false_positives": predicted_pairs - true_positive,
            "false_negatives": true_pairs - true_positive,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        },
        "clusters": {
            "predicted": len(by_pred),
            "true": len(by_true),
            "exact": exact,
            "exact_share_of_true": round(exact / len(by_true), 4) if by_true else 1.0,
            "true_entities_split": split,
            "predicted_clusters_merging_entities": merged,
        },
    }


def evaluate_store(store: Store, truth_path: Path) -> dict[str, Any]:
    return evaluate(resolved_index(store), read_truth(truth_path))


def errors(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, list[list[str]]]:
    """Record groups wrongly merged or split, for looking into misses (bench only)."""
    by_pred: dict[str, list[str]] = defaultdict(list)
    by_true: dict[str, list[str]] = defaultdict(list)
    for key in set(predicted) & set(truth):
        by_pred[predicted[key]].append(key)
        by_true[truth[key]].append(key)
    merged = [sorted(v) for v in by_pred.values() if len({truth[k] for k in v}) > 1]
    split = [sorted(v) for v in by_true.values() if len({predicted[k] for k in v}) > 1]
    return {"merged": merged, "split": split}
