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

from graph.normalise import normalise_name
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


def twin_merges(
    predicted: Mapping[str, str], truth: Mapping[str, str], traits: Mapping[str, tuple[str, str]]
) -> int:
    """Predicted links (pairs in one predicted person) between records of different true
    people that share a family name and birth date: twins, triplets and same-named
    siblings merged. `traits` is each record's (normalised family name, birth date).

    >>> twin_merges({"a": "1", "b": "1", "c": "1"}, {"a": "x", "b": "y", "c": "x"},
    ...             {"a": ("lee", "2019-01-02"), "b": ("lee", "2019-01-02"), "c": ("", "")})
    1
    """
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for key in set(predicted) & set(truth) & set(traits):
        family, born = traits[key]
        if family and born:
            groups[(predicted[key], family, born)].append(key)
    found = 0
    for keys in groups.values():
        same_truth: dict[str, int] = defaultdict(int)
        for key in keys:
            same_truth[truth[key]] += 1
        found += len(keys) * (len(keys) - 1) // 2
        found -= sum(n * (n - 1) // 2 for n in same_truth.values())
    return found


def record_traits(store: Store) -> dict[str, tuple[str, str]]:
    """Record key → (normalised family name, birth date) from the stored records' fields."""
    return {
        f"{r.system}/{r.local_id}": (
            normalise_name(r.fields.get("family_name", "")), r.fields.get("birth_date", "")
        )
        for r in store.all_source_records()
    }


def evaluate(
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    traits: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Pairwise precision, recall and F1, and cluster-level figures; with `traits` (each
    record's family name and birth date) also `twin_merges` (see `twin_merges`).

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
    found: dict[str, Any] = {
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
    if traits is not None:
        found["twin_merges"] = twin_merges(predicted, truth, traits)
    return found


def evaluate_store(store: Store, truth_path: Path) -> dict[str, Any]:
    return evaluate(resolved_index(store), read_truth(truth_path), record_traits(store))


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
