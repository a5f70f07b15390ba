"""A nightly delta: only the new and changed records are compared, within their blocks,
against the records the store already holds, with the model the store's people came from.

A load whose new and changed records are few beside the store's (`SHARE`) is resolved
this way, in place of relinking every record:

1. **fresh records**: those of the load the store does not hold, or holds with other
   comparison fields (a changed name, birth date, address or identifier);
2. **candidates**: the stored records that share a block (`settings.BLOCKING_RULES`) with a
   fresh record, found by one DuckDB join per rule with the fresh records on one side;
   Splink scores the fresh records against them, and keeps the pairs a full run would
   keep (most records in a block are other people);
3. **the part relinked**: the fresh records, the stored records of those pairs and every
   other record of the people they belong to (a person is relinked whole, so one of its
   records is never left behind);
4. **pairs**: within that part, Splink scores the pairs its blocking rules make that have
   a fresh record on one side or two records of one stored person (which re-form that
   person, and explain it); no training: the store's last model and its family weights;
5. family evidence, clustering and stable ids as in a full run, on that part alone; every
   record outside it keeps its person.

The same model on the same records gives the same people as a full run, but for two
differences a full run can see and a delta cannot: a pair of records of two stored
people that no fresh record touches is not scored again, and relatives outside the part
count as the people they were stored in (a full run's first clustering, before family
evidence, may have them in smaller clusters).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from graph.model import SourceRecord
from graph.store import Store
from loaders.identity import record_key, record_node_id
from loaders.identity import settings as linkage
from loaders.identity.features import row, split

# A load is a delta when its new and changed records are at most this share of the
# store's records, and the store holds at least MIN_STORE records and a model.
SHARE = 0.05
MIN_STORE = 20_000

# Pairs with a fresh record on one side: which stored records a delta touches.
FRESH = 'l."fresh" OR r."fresh"'
# What keeps a delta's pairs to those that can change anything: a fresh record on one
# side, or two records of one stored person (`person` is null for a new record).
WITHIN = 'l."fresh" OR r."fresh" OR l."person" = r."person"'


def fresh_keys(load_rows: pa.Table, stored: Mapping[str, SourceRecord]) -> set[str]:
    """The keys of the load's records (`load_rows`, their comparison rows) that are new to
    the store, or whose comparison row differs from the stored record's."""
    found = set()
    for now in load_rows.to_pylist():
        key = now["unique_id"]
        held = stored.get(key)
        if held is None or row(key, held.system, held.fields) != now:
            found.add(key)
    return found


def candidates(rows: pa.Table, fresh: Collection[str], threads: int | None = None) -> set[str]:
    """The records of `rows` that share a block with a fresh record (fresh ones included)."""
    keys = pa.table({"unique_id": pa.array(sorted(fresh), pa.string())})
    con = duckdb.connect()
    try:
        if threads is not None:
            con.execute(f"SET threads TO {int(threads)}")
        con.register("famgraph_rows", rows)
        con.register("famgraph_fresh_keys", keys)
        con.execute(
            "CREATE TEMP TABLE famgraph_fresh AS SELECT r.* FROM famgraph_rows r"
            " JOIN famgraph_fresh_keys USING (unique_id)"
        )
        found: set[str] = set(fresh)
        for rule in linkage.BLOCKING_RULES:
            # Rules are written with l and r; the fresh records on either side, as a rule
            # with a condition on one side only (no birth date) is not symmetric.
            for fresh_side, other in (("l", "r"), ("r", "l")):
                table = {fresh_side: "famgraph_fresh", other: "famgraph_rows"}
                query = (
                    f"SELECT DISTINCT {other}.unique_id FROM {table['l']} AS l"  # noqa: S608
                    f" JOIN {table['r']} AS r ON {rule}"
                )
                found.update(k for (k,) in con.execute(query).fetchall())
        return found
    finally:
        con.close()


def part(found: Iterable[str], owners: Mapping[str, str]) -> set[str]:
    """`found` with every other record of the people its stored records belong to."""
    members: dict[str, list[str]] = defaultdict(list)
    for key, person in owners.items():
        members[person].append(key)
    whole = set(found)
    for key in list(whole):
        owner = owners.get(key)
        if owner is not None:
            whole.update(members[owner])
    return whole


def marked(rows: pa.Table, fresh: Collection[str], owners: Mapping[str, str]) -> pa.Table:
    """`rows` with the two columns `WITHIN` reads: whether each record is fresh, and the
    stored person it belongs to (none for a fresh record)."""
    keys = rows.column("unique_id").to_pylist()
    is_fresh = [key in fresh for key in keys]
    person: list[str | None] = [
        None if new else owners.get(key) for key, new in zip(keys, is_fresh, strict=True)]
    return rows.append_column("fresh", pa.array(is_fresh, pa.bool_())).append_column(
        "person", pa.array(person, pa.string()))


def within_blocks(parameters: dict[str, Any], within: str = WITHIN) -> dict[str, Any]:
    """A stored model's settings with each blocking rule kept to the pairs `within` keeps
    (`FRESH` or `WITHIN`)."""
    settings = dict(parameters)
    rules = []
    for rule in linkage.BLOCKING_RULES:
        rules.append({"blocking_rule": f"({rule}) AND ({within})", "sql_dialect": "duckdb"})
    settings["blocking_rules_to_generate_predictions"] = rules
    return settings


class Reading:
    """What a delta reads of the store, and no more: records by block, by person, and the
    people of records, each asked once (`Store.source_records_in_blocks`,
    `records_by_person`, `record_owners`), never every record held."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.records: dict[str, SourceRecord] = {}  # record key -> the stored record
        self.owners: dict[str, str] = {}  # record key -> its stored person
        self._asked: set[str] = set()  # keys whose person was asked for

    def owners_of(self, keys: Iterable[str]) -> set[str]:
        """The people of these records (asked once per record); the people found."""
        wanted = [k for k in keys if k not in self._asked]
        self._asked.update(wanted)
        found = self.store.record_owners(record_node_id(k) for k in wanted)
        self.owners.update({record_key(node): person for node, person in found.items()})
        return set(found.values())

    def people_of(self, keys: Iterable[str]) -> None:
        """Every record of the people these records belong to, and their people."""
        for person, records in self.store.records_by_person(self.owners_of(keys)).items():
            for record in records:
                key = f"{record.system}/{record.local_id}"
                self.records[key] = record
                self.owners[key] = person
                self._asked.add(key)

    def in_blocks(self, blocks: Iterable[str]) -> None:
        """The stored records holding any of these block keys."""
        for record in self.store.source_records_in_blocks(blocks):
            self.records.setdefault(f"{record.system}/{record.local_id}", record)

    def relatives_placed(self, relatives: Mapping[str, Iterable[str]]) -> None:
        """The people of the relatives of the records read (family evidence counts a
        relative outside the part relinked as the person it is stored in)."""
        kin = {k for key in self.records for k in split(self.records[key].fields.get(
            "relatives", ""))}
        kin |= {k for others in relatives.values() for k in others}
        self.owners_of(kin)
