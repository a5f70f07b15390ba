"""Twins and siblings are never one person on the model's word alone.

Two records with different given names (after the nickname table: Bill and William are
one name; a slip of one letter, or names as alike as one name typed twice, in names of
four letters or more are not different names), or
two different UPNs, no NHS number or UPN in common, and either the same family name and birth date
or the same address are as likely to be twins or siblings as one child typed twice. The
model may score them as certain (everything but the given name agrees); merging two
children's records is a safeguarding error, so the clustering refuses any model link that
would put two such records in one person, directly or through a third record, and the
pair goes to the review queue for a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jellyfish
import pyarrow as pa

from loaders.identity import collector_paused
from loaders.identity.clusters import TWINS as REASON

__all__ = ["REASON", "TwinRule"]


@dataclass(frozen=True, slots=True)
class _Who:
    given: str | None  # canonical first given name (nicknames folded)
    given_all: frozenset[str]  # every given name word
    family: str | None
    dob: str | None
    nhs: str | None
    upn: str | None
    address: str | None  # first line and postcode
    house: str | None  # house or flat numbers and postcode
    first: str | None  # first given name as written (for a swap with the family name)
    sex: str | None


def one_slip(a: str, b: str) -> bool:
    """One letter typed wrong, missed, added or two swapped (optimal string alignment).

    >>> one_slip("andrwe", "andrew"), one_slip("aish", "aisha"), one_slip("angela", "paula")
    (True, True, False)
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    if len(a) == len(b):
        return a[1:] == b[1:] or (len(a) >= 2 and a[0] == b[1] and a[1] == b[0]
                                  and a[2:] == b[2:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[1:] == shorter


# Names this alike (Jaro-Winkler) are one name typed twice, as extracts type them (Febrl's
# corruptions: Michaela / Micheala, Isabella / Isabelle); twins' names are seldom this
# close (Aiden / Jaden is 0.87, Angela / Paula 0.70).
ALIKE = 0.88


def alike(a: str, b: str) -> bool:
    """Whether two given names are one name typed twice.

    >>> alike("michaela", "micheala"), alike("aiden", "jaden")
    (True, False)
    """
    return jellyfish.jaro_winkler_similarity(a, b) >= ALIKE


def _different_names(a: _Who, b: _Who) -> bool:
    if not a.given or not b.given or a.given == b.given:
        return False
    # A slip of one letter in a name of four or more, same sex or unknown: one child typed
    # twice (Andrwe / Andrew), not twins; twins' names one letter apart are rare enough
    # that the review queue is not worth every typing slip.
    if (a.first and b.first and min(len(a.first), len(b.first)) >= 4
            and (one_slip(a.first, b.first) or alike(a.first, b.first))
            and not (a.sex and b.sex and a.sex != b.sex)):
        return False
    # A middle name used as the first (Mary Jane / Jane) is the same child.
    if a.given in b.given_all or b.given in a.given_all:
        return False
    # Given and family swapped (police nominals come surname first).
    return not (a.first and b.first and a.family and b.family
                and a.first in b.family.split() and b.first in a.family.split())


def _same_context(a: _Who, b: _Who) -> bool:
    if a.family and a.dob and a.family == b.family and a.dob == b.dob:
        return True
    if a.address and a.address == b.address:
        return True
    return bool(a.house and a.house == b.house)


def _shared(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as Python objects, one object for each distinct value."""
    encoded = column.combine_chunks().dictionary_encode()
    values = encoded.dictionary.to_pylist()
    return [None if index is None else values[index] for index in encoded.indices.to_pylist()]


class TwinRule:
    """`apart(a, b)`: the model alone may not put records `a` and `b` in one person."""

    @collector_paused()
    def __init__(self, rows: pa.Table) -> None:
        columns = [rows.column("unique_id").to_pylist()] + [_shared(rows.column(name)) for name in (
            "given_canon", "given_all", "given", "family", "dob", "nhs", "upn", "address",
            "house", "postcode", "sex")]
        # A borough's names, birth dates and homes repeat: one object per distinct value
        # (a word set, a house), not one per record (at a million records, about a gigabyte).
        words: dict[str | None, frozenset[str]] = {}
        houses: dict[tuple[str, str], str] = {}
        self.who: dict[str, _Who] = {}
        for (key, canon, given_all, given, family, dob, nhs, upn, address, house, postcode,
             sex) in zip(*columns, strict=True):
            every = words.get(given_all)
            if every is None:
                every = words[given_all] = frozenset((given_all or "").split())
            home = None
            if house and postcode:
                home = houses.get((house, postcode))
                if home is None:
                    home = houses[(house, postcode)] = f"{house} {postcode}"
            self.who[key] = _Who(
                given=canon or given,
                given_all=every,
                family=family,
                dob=dob,
                nhs=nhs,
                upn=upn,
                address=address,
                house=home,
                first=given,
                sex=sex,
            )

    def contexts(self, key: str) -> tuple[tuple[str, ...], ...]:
        """What two records must share for `apart` to hold: the family name and birth date,
        the address, or the house. Records sharing none are never apart, so a clustering
        need only test the pairs that share one (`clusters.Clusters`)."""
        who = self.who.get(key)
        if who is None:
            return ()
        found: list[tuple[str, ...]] = []
        if who.family and who.dob:
            found.append(("born", who.family, who.dob))
        if who.address:
            found.append(("address", who.address))
        if who.house:
            found.append(("house", who.house))
        return tuple(found)

    def __call__(self, a: str, b: str) -> bool:
        return self.apart(a, b)

    def apart(self, a: str, b: str) -> bool:
        left, right = self.who.get(a), self.who.get(b)
        if left is None or right is None:
            return False
        if (left.nhs and left.nhs == right.nhs) or (left.upn and left.upn == right.upn):
            return False
        if not _same_context(left, right):
            return False
        # Two different UPNs in one family and birth date or one home: twins of the same
        # name as much as a child given two (different NHS numbers are a wall already).
        return _different_names(left, right) or bool(left.upn and right.upn)
