"""Twins and siblings are never one person on the model's word alone.

Two records with different given names (after the nickname table: Bill and William are
one name), no NHS number or UPN in common, and either the same family name and birth date
or the same address are as likely to be twins or siblings as one child typed twice. The
model may score them as certain (everything but the given name agrees); merging two
children's records is a safeguarding error, so the clustering refuses any model link that
would put two such records in one person, directly or through a third record, and the
pair goes to the review queue for a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

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


def _different_names(a: _Who, b: _Who) -> bool:
    if not a.given or not b.given or a.given == b.given:
        return False
    # A middle name used as the first (Mary Jane / Jane) is the same child.
    if a.given in b.given_all or b.given in a.given_all:
        return False
    # Given and family swapped (police nominals come surname first).
    return not (a.first and b.first and a.first == b.family and b.first == a.family)


def _same_context(a: _Who, b: _Who) -> bool:
    if a.family and a.dob and a.family == b.family and a.dob == b.dob:
        return True
    if a.address and a.address == b.address:
        return True
    return bool(a.house and a.house == b.house)


class TwinRule:
    """`apart(a, b)`: the model alone may not put records `a` and `b` in one person."""

    def __init__(self, rows: pa.Table) -> None:
        columns = rows.select(
            ["unique_id", "given_canon", "given_all", "given", "family", "dob", "nhs", "upn",
             "address", "house", "postcode"]
        ).to_pydict()
        self.who: dict[str, _Who] = {}
        for key, canon, given_all, given, family, dob, nhs, upn, address, house, postcode in zip(
            *columns.values(), strict=True
        ):
            self.who[key] = _Who(
                given=canon or given,
                given_all=frozenset((given_all or "").split()),
                family=family,
                dob=dob,
                nhs=nhs,
                upn=upn,
                address=address,
                house=f"{house} {postcode}" if house and postcode else None,
                first=given,
            )

    def apart(self, a: str, b: str) -> bool:
        left, right = self.who.get(a), self.who.get(b)
        if left is None or right is None:
            return False
        if (left.nhs and left.nhs == right.nhs) or (left.upn and left.upn == right.upn):
            return False
        return _different_names(left, right) and _same_context(left, right)
