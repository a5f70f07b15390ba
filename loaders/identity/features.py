"""What linkage compares: one flat row per source record, from a new record or a stored one.

A stored `SourceRecord` keeps, besides its claims, the linkage-only fields written here
(`postcode_history`, `address_line1`, `relatives`, `blocks`), so the records of earlier loads are
compared on the same evidence as today's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from graph.model import SourceRecord
from graph.normalise import fold, name_tokens, normalise_name, normalise_postcode
from loaders.identity import blocks
from loaders.identity.names import canonical_given, phonetic
from loaders.records import Extract, PersonRecord

SEPARATOR = "|"
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def address_words(*parts: str) -> str:
    """An address line folded to its words and numbers: `Flat 25, Maple Court` becomes
    `flat 25 maple court`. Unlike a name, the numbers are the point: they tell one flat
    of a block, or one house of a street, from the next.

    >>> address_words("Flat 25, Maple Court")
    'flat 25 maple court'
    """
    return " ".join(w for w in _NOT_WORD.split(fold(" ".join(parts))) if w)


def house_numbers(line1: str) -> str:
    """The numbers of a first address line (`flat 25 maple court` gives `25`), or ''."""
    return " ".join(w for w in line1.split() if w[:1].isdigit())

# The table Splink reads, column by column. Built with this schema in batches, so a
# batch with no UPN at all still types `upn` as text, and the table is the same whatever
# the batch size.
SCHEMA = pa.schema([
    ("unique_id", pa.string()),
    ("system", pa.string()),
    ("given", pa.string()),
    ("given_all", pa.string()),
    ("family", pa.string()),
    ("given_canon", pa.string()),
    ("given_ph", pa.string()),
    ("family_ph", pa.string()),
    ("name_tokens", pa.list_(pa.string())),
    ("dob", pa.string()),
    ("dob_year", pa.string()),
    ("sex", pa.string()),
    ("nhs", pa.string()),
    ("upn", pa.string()),
    ("postcode", pa.string()),
    ("postcode_sector", pa.string()),
    ("postcodes", pa.list_(pa.string())),
    ("address", pa.string()),
    ("line1", pa.string()),
    ("house", pa.string()),
    ("town", pa.string()),
])
COLUMNS = tuple(SCHEMA.names)
# Rows become Arrow a batch at a time: a million records as Python dicts take about 2 GB,
# as Arrow about a tenth of that.
BATCH = 50_000


def linkage_fields(extract: Extract, blocked: bool = True) -> dict[str, dict[str, str]]:
    """For each record key in the extract, the linkage-only fields to keep on its SourceRecord.

    `postcode_history`: every postcode the record gives (current and past), `|`-joined.
    `address_line1`, `town`: the first line and town of its current address, normalised.
    `relatives`: the record keys it has a family relationship with in its own system.
    `blocks`: the keys of the blocks its comparison row is in (`blocks.held`), by which a
    store finds it for a nightly delta; left out with `blocked` false (comparison rows do
    not read it, and it costs building each row once more).
    """
    history: dict[str, set[str]] = defaultdict(set)
    for period in extract.addresses:
        if period.postcode:
            history[f"{period.system}/{period.record_id}"].add(normalise_postcode(period.postcode))
    relatives: dict[str, set[str]] = defaultdict(set)
    for rel in extract.relationships:
        a, b = f"{rel.system}/{rel.from_record_id}", f"{rel.system}/{rel.to_record_id}"
        relatives[a].add(b)
        relatives[b].add(a)
    found: dict[str, dict[str, str]] = {}
    for record in extract.people:
        key = record.key
        postcodes = set(history.get(key, ()))
        line1 = ""
        if record.address is not None:  # the first line and town, normalised
            if record.address.postcode:
                postcodes.add(normalise_postcode(record.address.postcode))
            line1 = address_words(record.address.line1)
        found[key] = {
            "postcode_history": SEPARATOR.join(sorted(postcodes)),
            "address_line1": line1,
            "town": normalise_name(record.address.town) if record.address else "",
            "relatives": SEPARATOR.join(sorted(relatives.get(key, ()))),
        }
        if blocked:
            found[key][blocks.FIELD] = blocks.field_value(
                row(key, record.system, claim_fields(record) | found[key]))
    return found


def split(text: str) -> list[str]:
    return [part for part in text.split(SEPARATOR) if part] if text else []


def row(key: str, system: str, fields: dict[str, str]) -> dict[str, Any]:
    """The comparison row of one record, from its claims and linkage fields."""
    given_tokens = name_tokens(fields.get("given_names", ""))
    family_tokens = name_tokens(fields.get("family_name", ""))
    other_tokens = name_tokens(fields.get("other_names", ""))
    given = given_tokens[0] if given_tokens else ""
    family = " ".join(family_tokens)
    born = fields.get("birth_date", "")
    postcode = normalise_postcode(fields.get("postcode", ""))
    postcodes = set(split(fields.get("postcode_history", "")))
    if postcode:
        postcodes.add(postcode)
    line1 = fields.get("address_line1", "")
    return {
        "unique_id": key,
        "system": system,
        "given": given or None,
        "given_all": " ".join(given_tokens) or None,
        "family": family or None,
        "given_canon": canonical_given(fields.get("given_names", "")) or None,
        "given_ph": phonetic(given) or None,
        "family_ph": phonetic("".join(family_tokens)) or None,
        "name_tokens": sorted(set(given_tokens + family_tokens + other_tokens)),
        "dob": born or None,
        "dob_year": born[:4] or None,
        "sex": fields.get("sex") or None,
        "nhs": fields.get("nhs_number") or None,
        "upn": fields.get("upn") or None,
        "postcode": postcode or None,
        "postcode_sector": postcode[:-2] if len(postcode) > 2 else None,
        "postcodes": sorted(postcodes),
        "address": f"{line1} {postcode}" if line1 and postcode else None,
        "line1": line1 or None,
        "house": house_numbers(line1) or None,
        "town": fields.get("town") or None,
    }


def claim_fields(record: PersonRecord) -> dict[str, str]:
    """The claim values of a new record, under the names a SourceRecord keeps them."""
    values = {
        "given_names": record.given_names,
        "family_name": record.family_name,
        "other_names": record.other_names,
        "sex": record.sex if record.sex != "unknown" else "",
        "birth_date": record.birth_date.isoformat() if record.birth_date else "",
        "death_date": record.death_date.isoformat() if record.death_date else "",
        "nhs_number": record.nhs_number or "",
        "upn": record.upn or "",
        "postcode": record.address.postcode if record.address else "",
    }
    return {name: value for name, value in values.items() if value}


def rows_for(
    extract: Extract, stored: Iterable[SourceRecord]
) -> tuple[pa.Table, dict[str, list[str]]]:
    """The comparison table of every stored record and every record of the load (the
    load's copy wins), one row per record in key order, and each record's relatives as
    record keys."""
    sources: dict[str, tuple[str, dict[str, str]]] = {}
    relatives: dict[str, list[str]] = {}
    for held in stored:
        key = f"{held.system}/{held.local_id}"
        sources[key] = (held.system, held.fields)
        relatives[key] = split(held.fields.get("relatives", ""))
    extra = linkage_fields(extract, blocked=False)
    for record in extract.people:
        sources[record.key] = (record.system, claim_fields(record) | extra[record.key])
        relatives[record.key] = split(extra[record.key]["relatives"])
    ordered = sorted(sources)
    batches = []
    for start in range(0, len(ordered), BATCH):
        chunk = [row(key, *sources[key]) for key in ordered[start:start + BATCH]]
        batches.append(pa.RecordBatch.from_pylist(chunk, schema=SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA), relatives
