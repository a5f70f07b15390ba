"""Identifiers the synthetic borough hands out: NHS numbers, UPNs and UPRNs, with their checks.

The rules follow shared/reference/uk_identifiers/UK_IDENTIFIERS.md: the NHS number's Modulus 11
check digit (weights 10..2; 11 becomes 0; 10 is never issued) and the DfE UPN check letter
(character k, for k = 2..13, weighted by k; the sum mod 23 indexes ``UPN_CHECK_LETTERS``).
"""

import random

#: NHS numbers starting 999 are reserved for testing and never issued to a patient, so a
#: synthetic borough cannot collide with a real person.
NHS_TEST_PREFIX = "999"

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


def is_valid_nhs_number(value: str) -> bool:
    """Say whether ``value`` is ten digits whose last is the Modulus 11 check digit."""
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def upn_check_letter(last_twelve: str) -> str:
    """Return the check letter for a UPN's characters 2..13 (all digits)."""
    total = sum(int(char) * weight for weight, char in enumerate(last_twelve, start=2))
    return UPN_CHECK_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    """Say whether ``value`` is a permanent UPN (letter + 12 digits) with the right check letter."""
    if len(value) != 13 or not value[1:].isdigit():
        return False
    return value[0] == upn_check_letter(value[1:])


class IdentifierIssuer:
    """Draws identifiers that are valid and unique within one borough."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: set[str] = set()

    def nhs_number(self) -> str:
        """Draw an unused NHS number in the test range with a valid check digit."""
        while True:
            first_nine = f"{NHS_TEST_PREFIX}{self._rng.randrange(10**6):06d}"
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
            uprn = str(100_000_000_000 + self._rng.randrange(10**10))
            if self._claim(uprn):
                return uprn

    def _claim(self, value: str) -> bool:
        if value in self._issued:
            return False
        self._issued.add(value)
        return True
