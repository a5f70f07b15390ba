"""What linkage compares: one flat row per source record, from a new record or a stored one.

A stored `SourceRecord` keeps, besides its claims, the linkage-only fields written here
(`postcode_history`, `address_line1`, `relatives`, `blocks`), so the records of earlier loads are
compared on the same evidence as today's.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from graph.model import SourceRecord
from graph.normalise import fold, name_tokens, normalise_name, normalise_postcode
from loaders.identity import blocks, collector_paused
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
            history[f"{period.system}/{period.record_id}"].add(_postcode(period.postcode))
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
                postcodes.add(_postcode(record.address.postcode))
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


@functools.lru_cache(maxsize=1 << 16)
def _postcode(text: str) -> str:
    return normalise_postcode(text)


@functools.lru_cache(maxsize=1 << 16)
def _given_forms(given_names: str) -> tuple[tuple[str, ...], str | None, str | None, str | None,
                                            str | None]:
    """A given names field's words, first word, all words, canonical form and sound code."""
    tokens = tuple(name_tokens(given_names))
    given = tokens[0] if tokens else ""
    return (tokens, given or None, " ".join(tokens) or None,
            canonical_given(given_names) or None, phonetic(given) or None)


@functools.lru_cache(maxsize=1 << 16)
def _family_forms(family_name: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """A family name field's words, the words joined and their sound code."""
    tokens = tuple(name_tokens(family_name))
    return tokens, " ".join(tokens) or None, phonetic("".join(tokens)) or None


@functools.lru_cache(maxsize=1 << 16)
def _house(line1: str) -> str | None:
    return house_numbers(line1) or None


def _values(key: str, system: str, fields: dict[str, str]) -> tuple[Any, ...]:
    """The comparison row of one record as values in `COLUMNS` order. A borough's names,
    postcodes and streets repeat, so their forms are worked out once per distinct value."""
    given_tokens, given, given_all, given_canon, given_ph = _given_forms(
        fields.get("given_names", ""))
    family_tokens, family, family_ph = _family_forms(fields.get("family_name", ""))
    other = fields.get("other_names", "")
    born = fields.get("birth_date", "")
    postcode = _postcode(fields.get("postcode", ""))
    postcodes = set(split(fields.get("postcode_history", "")))
    if postcode:
        postcodes.add(postcode)
    line1 = fields.get("address_line1", "")
    return (
        key,
        system,
        given,
        given_all,
        family,
        given_canon,
        given_ph,
        family_ph,
        sorted({*given_tokens, *family_tokens, *(name_tokens(other) if other else ())}),
        born or None,
        born[:4] or None,
        fields.get("sex") or None,
        fields.get("nhs_number") or None,
        fields.get("upn") or None,
        postcode or None,
        postcode[:-2] if len(postcode) > 2 else None,
        sorted(postcodes),
        f"{line1} {postcode}" if line1 and postcode else None,
        line1 or None,
        _house(line1) if line1 else None,
        fields.get("town") or None,
    )


def row(key: str, system: str, fields: dict[str, str]) -> dict[str, Any]:
    """The comparison row of one record, from its claims and linkage fields."""
    return dict(zip(COLUMNS, _values(key, system, fields), strict=True))


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


@collector_paused()
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
        # Column by column: no dict per record for Arrow to take apart again.
        columns = zip(*(_values(key, *sources[key]) for key in ordered[start:start + BATCH]),
                      strict=True)
        batches.append(pa.RecordBatch.from_arrays(
            [pa.array(column, type=kind) for column, kind in zip(columns, SCHEMA.types,
                                                                  strict=True)],
            schema=SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA), relatives
