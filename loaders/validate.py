"""Checks shared by every source format: dates, identifiers, postcodes, code lists, names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from graph.normalise import normalise_postcode
from loaders.errors import RowProblem

# BS 7666 postcode pattern restated for Python (see shared/reference/uk_identifiers).
_POSTCODE = re.compile(
    r"^(GIR 0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|"
    r"[A-PR-UWYZ][0-9][A-HJKSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) "
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
EARLIEST_PLAUSIBLE = date(1890, 1, 1)
# Unicode bidirectional controls (UAX #9): embeddings and overrides U+202A-U+202E,
# isolates U+2066-U+2069, the marks U+200E, U+200F and U+061C. In a name they can make it,
# and text beside it, display reversed or as another name (CVE-2021-42574, "Trojan Source").
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# The warning names the field, never the value: a name is personal data.
BIDI_CONTROLS_REASON = ("holds Unicode bidirectional control characters, which can make it "
                        "display reversed; kept as given")


def nhs_number_valid(text: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number (spaces and hyphens ignored).

    >>> nhs_number_valid("943 476 5919"), nhs_number_valid("9434765918")
    (True, False)
    """
    digits = re.sub(r"[\s-]", "", text)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def has_bidi_controls(text: str) -> bool:
    """Whether `text` holds a character that changes the display order of text around it.

    >>> has_bidi_controls("Cal Moss"), has_bidi_controls("Cal " + chr(0x202E) + "ssoM")
    (False, True)
    """
    return not BIDI_CONTROLS.isdisjoint(text)


def normalise_nhs_number(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def upn_valid(text: str) -> bool:
    """DfE UPN check letter over characters 2..13 weighted 2..13, modulo 23.

    >>> upn_valid("A950000178301"), upn_valid("R247962919251")
    (True, False)
    """
    upn = text.strip().upper()
    if not _UPN.match(upn) or not upn[1:].isdigit():
        return False
    total = sum(int(c) * weight for c, weight in zip(upn[1:], range(2, 14), strict=True))
    return upn[0] == _UPN_LETTERS[total % 23]


def postcode_valid(text: str) -> bool:
    """UK postcode syntax (BS 7666), after normalising case and spacing.

    >>> postcode_valid("sw1a2aa"), postcode_valid("Z2 1OG")
    (True, False)
    """
    return bool(_POSTCODE.match(normalise_postcode(text)))


def parse_date(field: str, text: str, *, today: date, allow_future: bool = False) -> date:
    """An ISO 8601 date that a person could plausibly have recorded.

    Raises
    ------
    RowProblem : not a date, before 1890, or in the future when that is not allowed
    """
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise RowProblem(field, f"{text[:40]!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    if value < EARLIEST_PLAUSIBLE:
        raise RowProblem(field, f"{value} is before {EARLIEST_PLAUSIBLE}")
    if not allow_future and value > today:
        raise RowProblem(field, f"{value} is in the future")
    return value


def one_of(field: str, text: str, allowed: Iterable[str]) -> str:
    """The value, lower-cased, if it is in the code list.

    Raises
    ------
    RowProblem : the value is not in the list
    """
    value = text.strip().lower()
    options = sorted(allowed)
    if value not in options:
        raise RowProblem(field, f"{text[:40]!r} is not one of {', '.join(options)}")
    return value
