"""Identifiers the synthetic borough hands out: NHS numbers, UPNs and UPRNs, with their checks.

Each neighbourhood of the borough is simulated on its own (see ``borough``), so each draws from
its own block of every identifier space: identifiers stay unique across the borough without any
neighbourhood knowing what another drew.

The rules follow shared/reference/uk_identifiers/UK_IDENTIFIERS.md: the NHS number's Modulus 11
check digit (weights 10..2; 11 becomes 0; 10 is never issued) and the DfE UPN check letter
(character k, for k = 2..13, weighted by k; the sum mod 23 indexes ``UPN_CHECK_LETTERS``).
"""

import random

#: NHS numbers starting 99 are never issued to a patient in England (numbers are allocated from
#: 400-499 and 600-799; 999 is NHS England's test range), so a synthetic borough cannot collide
#: with a real person. Two digits leave room for ten million numbers.
NHS_TEST_PREFIX = "99"
#: How many NHS number bodies each neighbourhood may draw from (about 1 in 11 has no check digit).
NHS_BLOCK = 20_000
_NHS_SPACE = 10**7
#: An odd multiplier not divisible by 5, so the scramble is a permutation of the 7-digit space.
_NHS_SCRAMBLE = 7_368_787
UPRN_BLOCK = 10**6

#: The 23 letters a UPN check letter is drawn from (I, O and S are never used).
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the Modulus 11 check digit for nine digits, or None when no valid number exists."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def upn_check_letter(last_twelve: str) -> str:
    """Return the check letter for a UPN's characters 2..13 (all digits)."""
    total = sum(int(char) * weight for weight, char in enumerate(last_twelve, start=2))
    return UPN_CHECK_LETTERS[total % 23]


class IdentifierIssuer:
    """Draws identifiers that are valid and unique within one borough."""

    def __init__(self, rng: random.Random, block: int = 0) -> None:
        if not 0 <= block < _NHS_SPACE // NHS_BLOCK:
            raise ValueError(f"identifier block {block} is out of range")
        self._rng = rng
        self._block = block
        self._issued: set[str] = set()

    def nhs_number(self) -> str:
        """Draw an unused NHS number of this issuer's block, with a valid check digit."""
        while True:
            index = self._block * NHS_BLOCK + self._rng.randrange(NHS_BLOCK)
            body = (index * _NHS_SCRAMBLE + 1_234_567) % _NHS_SPACE
            first_nine = f"{NHS_TEST_PREFIX}{body:07d}"
            check = nhs_check_digit(first_nine)
            if check is None:
                continue
            number = f"{first_nine}{check}"
            if self._claim(number):
                return number

    def upn(self, la_code: str, establishment: str, year_allocated: int) -> str:
        """Draw an unused permanent UPN.

        Characters 2-4 are the allocating authority's DfE code, 5-8 the school's DfE
        establishment number, 9-10 the year of allocation and 11-13 a serial number.
        """
        while True:
            body = (
                f"{la_code}{establishment}{year_allocated % 100:02d}{self._rng.randrange(1000):03d}"
            )
            upn = f"{upn_check_letter(body)}{body}"
            if self._claim(upn):
                return upn

    def uprn(self) -> str:
        """Draw an unused 12-digit UPRN-like number."""
        while True:
            uprn = str(100_000_000_000 + self._block * UPRN_BLOCK + self._rng.randrange(UPRN_BLOCK))
            if self._claim(uprn):
                return uprn

    def _claim(self, value: str) -> bool:
        if value in self._issued:
            return False
        self._issued.add(value)
        return True
