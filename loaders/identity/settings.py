"""Splink settings as data: comparisons with prior m and u, blocking rules, training rules.

Every comparison level carries a prior m (how often true matches agree so) and u (how often
non-matches do). Training on the loaded data replaces them; a load too small to train on
uses the latest stored model, or these priors. Columns are those of `features.COLUMNS`.
"""

from __future__ import annotations

import json
from typing import Any

# Match probability at or above which the model links two records by itself: FHIR's
# "certain". With given and family names compared apart, same-named relatives (a father and
# son, cousins) reach 0.95-0.99 on names alone; at 0.95 they cost 0.004 of precision on the
# synthetic borough, at 0.99 they go to review (docs/identity.md).
LINK_THRESHOLD = 0.99
# Pairs from here up to LINK_THRESHOLD go to the review queue.
REVIEW_THRESHOLD = 0.30
# Pairs of two records that both name relatives are kept from here up (the family pass
# can lift them); other pairs only from REVIEW_THRESHOLD up, as nothing later moves them.
KEEP_THRESHOLD = 0.001


def grade(probability: float) -> str:
    """FHIR $match grade of a pair: certain, probable or possible."""
    if probability >= 0.99:
        return "certain"
    if probability >= 0.80:
        return "probable"
    return "possible"


def _null(*columns: str) -> dict[str, Any]:
    either = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)
    return {"sql_condition": either, "label_for_charts": "missing", "is_null_level": True}


def _level(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def _else(m: float, u: float) -> dict[str, Any]:
    return _level("ELSE", "different", m, u)


# Given and family names are two comparisons, as Splink's own name comparisons are: a typing
# slip in both names then costs two partial agreements, not one full disagreement, and a
# swap of the two (police nominals, Febrl) agrees on both. Both comparisons hold the swap
# level, so a swapped pair is credited on each name.
_SWAPPED = (
    'jaro_winkler_similarity("given_l", "family_r") >= 0.88'
    ' AND jaro_winkler_similarity("family_l", "given_r") >= 0.88'
)

GIVEN_NAME = {
    "output_column_name": "given_name",
    "comparison_description": "given names, with nicknames, sound-alikes and a swap with family",
    "comparison_levels": [
        _null("given"),
        _level('"given_all_l" = "given_all_r"', "exact", 0.70, 0.005),
        _level('"given_l" = "given_r"', "first given name the same", 0.10, 0.002),
        _level(_SWAPPED, "given and family swapped", 0.005, 0.00001),
        _level('"given_canon_l" = "given_canon_r"', "nickname of the same name", 0.04, 0.001),
        _level('jaro_winkler_similarity("given_l", "given_r") >= 0.92', "similar spelling",
               0.04, 0.002),
        _level('"given_ph_l" = "given_ph_r"', "sounds alike", 0.02, 0.003),
        _level('jaro_winkler_similarity("given_l", "given_r") >= 0.88', "alike spelling",
               0.01, 0.003),
        _level('list_contains("name_tokens_r", "given_l")'
               ' OR list_contains("name_tokens_l", "given_r")',
               "a given name among the other's names", 0.02, 0.002),
        _level('jaro_winkler_similarity("given_l", "given_r") >= 0.7', "somewhat alike",
               0.02, 0.05),
        _else(0.002, 0.93),
    ],
}

FAMILY_NAME = {
    "output_column_name": "family_name",
    "comparison_description": "family name, with sound-alikes, former names and a swap",
    "comparison_levels": [
        _null("family"),
        # Siblings and twins share a family name and differ in given names; scored apart,
        # the shared family name would add its full weight to theirs. This level keeps
        # "same family name, given names unrelated" from counting as agreement.
        _level('"family_l" = "family_r"'
               ' AND jaro_winkler_similarity("given_l", "given_r") < 0.7'
               ' AND "given_canon_l" <> "given_canon_r"'
               ' AND NOT list_contains("name_tokens_r", "given_l")'
               ' AND NOT list_contains("name_tokens_l", "given_r")',
               "same family name, given names unrelated", 0.002, 0.003),
        _level('"family_l" = "family_r"', "exact", 0.80, 0.003),
        _level(_SWAPPED, "given and family swapped", 0.005, 0.00001),
        _level('jaro_winkler_similarity("family_l", "family_r") >= 0.92', "similar spelling",
               0.05, 0.002),
        _level('"family_ph_l" = "family_ph_r"', "sounds alike", 0.02, 0.002),
        _level('list_contains("name_tokens_r", "family_l")'
               ' OR list_contains("name_tokens_l", "family_r")',
               "a family name among the other's names (former or other names)", 0.05, 0.001),
        _level('jaro_winkler_similarity("family_l", "family_r") >= 0.88', "alike spelling",
               0.01, 0.003),
        _level('jaro_winkler_similarity("family_l", "family_r") >= 0.7', "somewhat alike",
               0.01, 0.05),
        _else(0.05, 0.94),
    ],
}

BIRTH_DATE = {
    "output_column_name": "birth_date",
    "comparison_description": "birth date, with day and month swapped, typing slips, near dates",
    "comparison_levels": [
        _null("dob"),
        _level('"dob_l" = "dob_r"', "exact", 0.90, 0.0003),
        _level(
            'substr("dob_l", 1, 4) = substr("dob_r", 1, 4)'
            ' AND substr("dob_l", 6, 2) = substr("dob_r", 9, 2)'
            ' AND substr("dob_l", 9, 2) = substr("dob_r", 6, 2)',
            "day and month swapped",
            0.01,
            0.00003,
        ),
        _level('levenshtein("dob_l", "dob_r") <= 1', "one digit differs", 0.04, 0.003),
        _level(
            'abs(date_diff(\'day\', CAST("dob_l" AS DATE), CAST("dob_r" AS DATE))) <= 31',
            "within a month",
            0.02,
            0.004,
        ),
        _level('"dob_year_l" = "dob_year_r"', "same year", 0.01, 0.03),
        _else(0.02, 0.96),
    ],
}

def _same_or_not(output: str, description: str, column: str, m: float, u: float
                 ) -> dict[str, Any]:
    """A comparison of one value that either agrees or not (the rest of m and u on not)."""
    return {
        "output_column_name": output,
        "comparison_description": description,
        "comparison_levels": [
            _null(column),
            _level(f'"{column}_l" = "{column}_r"', "same", m, u),
            _else(round(1 - m, 6), round(1 - u, 6)),
        ],
    }


SEX = _same_or_not("sex", "recorded sex", "sex", 0.97, 0.5)
NHS_NUMBER = _same_or_not(
    "nhs_number", "NHS number (different valid numbers are never one person)", "nhs", 0.99,
    0.000001)
UPN = _same_or_not("upn", "unique pupil number", "upn", 0.98, 0.000001)

ADDRESS = {
    "output_column_name": "address",
    "comparison_description": "current address (with house and flat numbers), postcode and"
    " postcode history",
    "comparison_levels": [
        {
            "sql_condition": '"postcode_l" IS NULL AND len("postcodes_l") = 0 AND "line1_l" IS NULL'
            ' OR "postcode_r" IS NULL AND len("postcodes_r") = 0 AND "line1_r" IS NULL',
            "label_for_charts": "missing",
            "is_null_level": True,
        },
        _level('"address_l" = "address_r"', "same address", 0.55, 0.0003),
        _level('"house_l" = "house_r" AND "postcode_l" = "postcode_r"',
               "same house number and postcode", 0.10, 0.0003),
        _level('"line1_l" = "line1_r" AND "town_l" = "town_r"', "same first line and town",
               0.05, 0.0003),
        _level('"postcode_l" = "postcode_r" AND "house_l" <> "house_r"',
               "same postcode, another house number", 0.01, 0.001),
        _level('"postcode_l" = "postcode_r"', "same postcode", 0.05, 0.001),
        _level('len(list_intersect("postcodes_l", "postcodes_r")) >= 1',
               "a postcode shared in address history", 0.08, 0.003),
        _level(
            'jaro_winkler_similarity("line1_l", "line1_r") >= 0.9',
            "similar first line",
            0.03,
            0.002,
        ),
        _level('"postcode_sector_l" = "postcode_sector_r" OR "town_l" = "town_r"',
               "same postcode sector or town", 0.03, 0.05),
        _else(0.10, 0.94),
    ],
}

COMPARISONS = [GIVEN_NAME, FAMILY_NAME, BIRTH_DATE, SEX, NHS_NUMBER, UPN, ADDRESS]

# Each rule joins records equal on some columns, so candidate pairs stay few at a million
# records (about 45 million rule pairs at 1.4 million records, against some 200 million
# with blocks as wide as "one birth date" or "one family name and birth year"). Measured
# on the synthetic borough against its truth, these keep every true pair the wider rules
# brought but one in 50,000 (docs/identity.md):
# - one NHS number, one UPN;
# - one birth date and one initial, of the same name or crosswise (police nominals come
#   surname first); one birth date where one record has no name (the DfE returns);
# - one name sound and birth year; one postcode and canonical given name;
# - one full name where one record has no birth date (a school's parent contact against
#   a GP's record of the same adult): the condition on one side is a filter before the
#   join, so the block is that record's namesakes, not every pair of namesakes;
# - one numbered house (a household: a line without a number never blocks, so no street
#   becomes one block), or one house number with the sound of one name and the initial of
#   the other (typing slips in the street, the town and a name at once, as in Febrl).
def _initials(left: str, right: str) -> str:
    return f'substr(l."{left}", 1, 1) = substr(r."{right}", 1, 1)'


BLOCKING_RULES = [
    'l."nhs" = r."nhs"',
    'l."upn" = r."upn"',
    'l."dob" = r."dob" AND ' + _initials("given", "given"),
    'l."dob" = r."dob" AND ' + _initials("family", "family"),
    'l."dob" = r."dob" AND ' + _initials("given", "family"),
    'l."dob" = r."dob" AND ' + _initials("family", "given"),
    'l."dob" = r."dob" AND (l."given" IS NULL OR l."family" IS NULL)',
    'l."dob" = r."dob" AND (r."given" IS NULL OR r."family" IS NULL)',
    'l."given_ph" = r."given_ph" AND l."family_ph" = r."family_ph"'
    ' AND l."dob_year" = r."dob_year"',
    'l."postcode" = r."postcode" AND l."given_canon" = r."given_canon"',
    'l."given_canon" = r."given_canon" AND l."family" = r."family" AND l."dob" IS NULL',
    'l."given_canon" = r."given_canon" AND l."family" = r."family" AND r."dob" IS NULL',
    'l."house" = r."house" AND l."line1" = r."line1" AND l."town" = r."town"',
    'l."house" = r."house" AND l."family_ph" = r."family_ph" AND ' + _initials("given", "given"),
    'l."house" = r."house" AND l."given_ph" = r."given_ph" AND ' + _initials("family", "family"),
]

# Rules that admit almost no false matches, to estimate how often two records match.
DETERMINISTIC_RULES = [
    'l."nhs" = r."nhs"',
    'l."given_all" = r."given_all" AND l."family" = r."family" AND l."dob" = r."dob"',
]
DETERMINISTIC_RECALL = 0.8

# Expectation maximisation runs once per rule; each rule leaves the comparisons it does not
# name to be estimated. Besides birth date and name, three passes are blocked on one house:
# there the non-matches are the relatives who share a name or an address, so the name and
# birth-date weights learn how a family member differs from a duplicate record.
TRAINING_RULES = [
    'l."dob" = r."dob"',
    'l."given_canon" = r."given_canon" AND l."family" = r."family"',
    'l."house" = r."house" AND l."line1" = r."line1" AND l."town" = r."town"',
    'l."house" = r."house" AND l."family_ph" = r."family_ph"',
    'l."house" = r."house" AND l."given_ph" = r."given_ph"',
]


# Trained m and u are kept at least this far from 0, so a level no match showed in training
# (a typing slip in clean data) still counts as possible when it turns up.
M_FLOOR = 0.002
U_FLOOR = 0.000001


def with_floors(model: dict[str, Any]) -> dict[str, Any]:
    """A trained model with every m and u at least its floor, each comparison's m summing to 1."""
    adjusted: dict[str, Any] = json.loads(json.dumps(model))
    for comparison in adjusted["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key, floor in (("m_probability", M_FLOOR), ("u_probability", U_FLOOR)):
            values = [max(float(lv.get(key) or 0.0), floor) for lv in levels]
            total = sum(values)
            for level, value in zip(levels, values, strict=True):
                level[key] = value / total
    return adjusted


def settings_dict(records: int, max_iterations: int = 10) -> dict[str, Any]:
    """Splink settings for deduplicating `records` records as one table."""
    # A prior for how often two random records match, until training estimates it: about
    # one duplicate per two records, and never above one in ten thousand pairs (a small
    # load is a sample of a borough, not a borough of a few people).
    prior = min(0.0001, 0.5 / max(records, 2))
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": BLOCKING_RULES,
        "probability_two_random_records_match": prior,
        "max_iterations": max_iterations,
        "em_convergence": 0.001,
        "retain_matching_columns": True,  # keeps the gamma columns an explanation needs
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }
