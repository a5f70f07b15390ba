"""The blocks a record is in, as keys a store can index: what lets a nightly delta ask the
store for the few records that share a block with its new ones, in place of reading all.

Each blocking rule of `settings.BLOCKING_RULES` pairs records that agree on some columns;
a record **holds** one key per rule family, made of those columns' values, and a record
looking for its blocks **seeks** the keys of the records it could pair with. Whenever a
rule pairs two records, one holds a key the other seeks (`tests/test_identity_blocks.py`
checks this against the rules on a borough), so the records found are every record a
full run would compare a fresh one with, and a few more (a key is coarser than its rule:
DuckDB then applies the rules themselves).

Keys are stored hashed, 16 hex digits: the same length whatever the values, and words a
full-text index keeps whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from graph.store import RECORD_BLOCKS

# The linkage-only field of a SourceRecord that holds its keys, space-separated.
FIELD = RECORD_BLOCKS


def _initial(value: str | None) -> str | None:
    return value[:1] if value else None


def _key(kind: str, *values: str | None) -> str | None:
    """The hashed key of `kind` over `values`, or None when one is missing (a rule's
    equality is never true of a null)."""
    if any(not v for v in values):
        return None
    text = "\x1f".join((kind, *(str(v) for v in values)))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _named(row: Mapping[str, Any]) -> bool:
    return bool(row.get("given")) and bool(row.get("family"))


def held(row: Mapping[str, Any]) -> set[str]:
    """The keys of the blocks a comparison row (`features.row`) is in."""
    dob = row.get("dob")
    keys = [
        _key("nhs", row.get("nhs")),
        _key("upn", row.get("upn")),
        # Same birth date and an initial in common, of one name or crosswise: one key per
        # initial, whichever name it is of.
        _key("dob+", dob, _initial(row.get("given"))),
        _key("dob+", dob, _initial(row.get("family"))),
        # Same birth date where one record has no name: the unnamed record holds this,
        # and an unnamed record seeks every record of its birth date (`dob`).
        None if _named(row) else _key("dob?", dob),
        _key("dob", dob),
        _key("sounds", row.get("given_ph"), row.get("family_ph"), row.get("dob_year")),
        _key("postcode", row.get("postcode"), row.get("given_canon")),
        # The same canonical given name and family name where one record has no birth
        # date: every record holds `name`, one without a birth date `name?` too.
        _key("name", row.get("given_canon"), row.get("family")),
        None if dob else _key("name?", row.get("given_canon"), row.get("family")),
        _key("home", row.get("house"), row.get("line1"), row.get("town")),
        _key("house+family", row.get("house"), row.get("family_ph"),
             _initial(row.get("given"))),
        _key("house+given", row.get("house"), row.get("given_ph"),
             _initial(row.get("family"))),
    ]
    return {k for k in keys if k is not None}


def sought(row: Mapping[str, Any]) -> set[str]:
    """The keys of the records a row could be compared with: those it holds, but for the
    two a rule gives to records missing something. A record with a birth date seeks the
    unnamed records of that date (`dob?`) and the records of its name without a birth
    date (`name?`); an unnamed one seeks every record of its birth date (`dob`), and one
    without a birth date every record of its name (`name`)."""
    dob, name = row.get("dob"), (row.get("given_canon"), row.get("family"))
    keys: set[str | None] = set(held(row))
    keys -= {_key("dob", dob), _key("name", *name), _key("name?", *name)}
    keys.add(_key("dob?", dob))
    if not _named(row):
        keys.add(_key("dob", dob))
    keys.add(_key("name", *name) if not dob else _key("name?", *name))
    return {k for k in keys if k is not None}


def field_value(row: Mapping[str, Any]) -> str:
    """What a SourceRecord keeps in its `blocks` field."""
    return " ".join(sorted(held(row)))


def sought_by(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every key some row seeks, in order."""
    found: set[str] = set()
    for one in rows:
        found |= sought(one)
    return sorted(found)
