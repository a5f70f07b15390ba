"""The linkage bench's own parts, at tiny size: the FC-shaped sample plants twins and
triplets as separate people, and the scoring counts a twin merge. Not the bench itself."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from bench.fc_sample import generate
from bench.linkage_compare import MARKER, score, table, write_docs


def test_fc_sample_plants_twins_with_their_own_truth_ids() -> None:
    sample = generate(records=400, seed=3)
    assert sample.multiples, "no twins or triplets planted"
    for group in sample.multiples:
        assert len(group) == len(set(group)) >= 2  # one truth id per child
    records = {r.key: r for r in sample.records}
    by_child: dict[str, list[str]] = defaultdict(list)
    for key, child in sample.truth.items():
        by_child[child].append(key)
    systems = {r.system for r in sample.records}
    assert systems == {"csc", "school"}
    twins_seen = 0
    for group in sample.multiples:
        keys = [k for child in group for k in by_child[child]]
        # Same family name and birth date (the truth's), different given names.
        assert len({sample.who[k] for k in keys}) == 1
        for system in systems:
            given = [records[k].given for k in keys if records[k].system == system]
            assert len(set(given)) == len(given)
        twins_seen += len({sample.truth[k] for k in keys}) >= 2
    assert twins_seen
    share = sum(len(g) for g in sample.multiples) / len(by_child)
    assert 0.005 < share < 0.1
    # Some records lack an NHS number or a UPN; the run is reproducible.
    assert any(r.nhs is None for r in sample.records)
    assert any(r.upn is None for r in sample.records)
    assert generate(records=400, seed=3).records == sample.records


def test_score_counts_a_twin_merge_and_not_a_true_link() -> None:
    sample = generate(records=400, seed=3)
    twin_a, twin_b = sample.multiples[0][:2]
    keys_a = [k for k, child in sample.truth.items() if child == twin_a]
    keys_b = [k for k, child in sample.truth.items() if child == twin_b]
    right = dict(sample.truth)  # every record in its own child's cluster
    perfect = score(right, sample.truth, sample.who)
    assert (perfect["precision"], perfect["recall"], perfect["twin_merges"]) == (1.0, 1.0, 0)
    merged = right | {k: twin_a for k in keys_b}  # the twins made one person
    figures = score(merged, sample.truth, sample.who)
    assert figures["twin_merges"] == len(keys_a) * len(keys_b) >= 1
    assert figures["false_positives"] == figures["twin_merges"]
    assert figures["recall"] == 1.0 and figures["precision"] < 1.0


def test_write_docs_replaces_only_the_table_between_markers(tmp_path: Path) -> None:
    docs = tmp_path / "identity.md"
    docs.write_text(f"before\n{MARKER}\nold table\n{MARKER}\nafter\n", encoding="utf-8")
    row = {"dataset": "fc", "system": "famgraph", "records": 10, "true_pairs": 4,
           "precision": 1.0, "recall": 0.5, "f1": 0.6667, "twin_merges": 0, "seconds": 1.0,
           "peak_mb": 300}
    write_docs(table([row]), docs)
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("before\n") and text.endswith("after\n")
    assert "old table" not in text and "| FC sample" in text
    docs.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        write_docs("x", docs)
