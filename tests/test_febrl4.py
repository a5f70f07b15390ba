"""The Febrl4 benchmark as a folder `famgraph load` reads, through the checked-in mapping."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from bench.febrl4 import MAPPING, write_febrl4
from loaders.mapping import read_mapping
from loaders.quarantine import Quarantine
from loaders.records import Extract
from loaders.registry import plan


def test_febrl4_mapping_names_only_canonical_name_birth_date_and_address_columns() -> None:
    mapping = read_mapping(MAPPING)
    used = {column for f in mapping.files for column in f.columns}
    assert used == {"record_id", "given_names", "family_name", "birth_date", "address_line1",
                    "address_line2", "town"}
    assert {f.constants["system"] for f in mapping.files} == {"febrl4_a", "febrl4_b"}


def test_febrl4_folder_reads_as_mapped_csv_with_a_truth_for_every_record(tmp_path: Path) -> None:
    folder, truth = write_febrl4(tmp_path)
    extract, quarantine = Extract(), Quarantine()
    for module, path in plan([folder]):
        module.read(path, quarantine, date(2026, 1, 1), extract)
    with truth.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10_000 and len({r["person_key"] for r in rows}) == 5_000
    keys = {f"{r['system']}/{r['record_id']}" for r in rows}
    assert {record.key for record in extract.people} <= keys
    assert len(extract.people) + quarantine.rejected_rows() == 10_000
    found = next(r for r in extract.people if r.key == "febrl4_a/rec-1070-org")
    assert (found.given_names, found.family_name) == ("michaela", "neumann")
    assert found.birth_date == date(1915, 11, 11)
    assert found.address is not None and found.address.line1 == "8 stanley street"
