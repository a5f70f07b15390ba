"""The family-context questions, written once above the store protocol."""

from __future__ import annotations

from datetime import date


def resolve_as_of(as_of: date | None) -> date:
    """Every question takes an `as_of` date; none given means today."""
    return as_of if as_of is not None else date.today()
