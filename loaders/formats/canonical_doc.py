"""The reference page of canonical CSV, written from the code: every kind, column and value.

docs/canonical-columns.md is this module's output (`famgraph mapping columns`); a test
fails when they differ, so the page cannot drift from what the loaders accept.
"""

from __future__ import annotations

from collections.abc import Iterable

from loaders.formats.canonical_csv import (
    BOOLEANS,
    DATE_COLUMNS,
    FILE_KINDS,
    LEVELS,
    MAX_FIELD,
    OPTIONAL_COLUMNS,
    ORGANISATION_KINDS,
    RELATIONSHIP_KINDS,
    RISK_KINDS,
    SENSITIVITIES,
    SEXES,
    STATUS_WORDS,
)

KINDS = {
    "people": "One row per person record in a system, with their current address.",
    "addresses": "Address history: one row per period a record lived somewhere.",
    "relationships": "How two records of one system are related (`from` is the `kind` of `to`).",
    "involvements": "Service episodes: who is open (or was) to which service, led by whom.",
    "events": "Dated events in a record's history (a referral, an incident, an exclusion).",
    "risk_indicators": "Risk factors a source recorded about a record, from a date.",
}
_ID = "The record's id in its system; with `system`, names one source record."
_SYSTEM = ("The source system's name: letters, digits, `.`, `_`, `-`. Required. A mapping's "
           "top-level `system` fills it.")
_SENSITIVITY = "How widely it may be shown: {values}. Default `normal`."
COLUMNS: dict[str, dict[str, str]] = {
    "people": {
        "system": _SYSTEM,
        "record_id": _ID + " Required.",
        "given_names": "Given names, space-separated. A row needs a name, an NHS number or a UPN.",
        "family_name": "Family name.",
        "other_names": "Former or alternative names (a maiden name, an alias).",
        "sex": "One of {values}; empty is `unknown`; another value warns and is `unknown`.",
        "birth_date": "Date of birth.",
        "death_date": "Date of death; dropped with a warning if before `birth_date`.",
        "nhs_number": "Ten digits (spaces allowed); dropped with a warning if the modulus 11 "
                      "check fails.",
        "upn": "The DfE unique pupil number; kept with a warning if its check letter is wrong.",
        "address_line1": "First line of the current address.",
        "address_line2": "Second line.",
        "town": "Town.",
        "postcode": "UK postcode, any case or spacing; dropped with a warning if malformed.",
        "uprn": "Unique property reference number, up to 12 digits.",
        "address_from": "Date the person moved to this address.",
    },
    "addresses": {
        "system": _SYSTEM,
        "record_id": _ID + " Required; must be a person record of the same load.",
        "address_line1": "First line. An address needs a first line or a postcode.",
        "address_line2": "Second line.",
        "town": "Town.",
        "postcode": "UK postcode.",
        "uprn": "Unique property reference number.",
        "from": "First day at the address.",
        "to": "Last day at the address; before `from` refuses the row.",
        "restricted": "{values}: a refuge or protected address, shown only to those allowed.",
    },
    "relationships": {
        "system": _SYSTEM,
        "from_record_id": "The record who is the `kind` (the mother). Required.",
        "to_record_id": "The record they are it to (the child). Required.",
        "kind": "One of {values}. Required.",
        "valid_from": "When the relationship began (a step-parent's, a partnership's).",
        "valid_to": "When it ended.",
    },
    "involvements": {
        "system": _SYSTEM,
        "record_id": _ID + " Required: whom the involvement is about.",
        "service": "The service's name (`School` and `GP registration` are shown as the "
                   "person's school and GP). Required.",
        "level": "One of {values}. Required.",
        "start": "Start date. Required.",
        "end": "End date (may be in the future, when planned).",
        "status": "{values}, in any case. Empty, `not specified` or `unknown` is "
                  "closed when there is an `end`, else open. A closed involvement with no "
                  "`end` ends at `last_activity` when that is before the extract date, else "
                  "the day before its extract date, with a warning.",
        "reason": "Why the service is involved (a need code's words).",
        "organisation": "The organisation providing it (a school, a team).",
        "lead_name": "The lead practitioner's name. If it is the organisation's name it is "
                     "dropped with a warning: a name is a person's.",
        "lead_role": "Their role.",
        "lead_team": "Their team.",
        "lead_phone": "Their phone. A lead with a phone or email and no name is kept as this "
                      "involvement's own contact (a school office's number).",
        "lead_email": "Their email.",
        "sensitivity": _SENSITIVITY,
        "organisation_kind": "Optional column: one of {values}. Default `team`.",
        "organisation_code": "Optional column: the organisation's code (a school's URN, a "
                             "practice's ODS code); organisations with a code are told apart "
                             "by it rather than by name.",
        "last_activity": "Optional column: the last recorded activity, where a closed "
                         "involvement with no `end` ends.",
    },
    "events": {
        "system": _SYSTEM,
        "record_id": _ID + " Required.",
        "date": "The day it happened. Required.",
        "type": "What happened, in a few words. Required.",
        "summary": "More detail.",
        "sensitivity": _SENSITIVITY,
    },
    "risk_indicators": {
        "system": _SYSTEM,
        "record_id": _ID + " Required.",
        "kind": "One of {values}. Required.",
        "from": "When the source first recorded it. Required: a bad one refuses the row.",
        "to": "When it stopped applying.",
        "summary": "What the source said (whose concern it is).",
        "sensitivity": "How widely it may be shown: {values}. Default `sensitive`.",
    },
}


def _codes(values: Iterable[object]) -> str:
    return ", ".join(f"`{v}`" for v in sorted(str(x) for x in values if x))


VALUES: dict[tuple[str, str], str] = {
    ("people", "sex"): _codes(SEXES),
    ("addresses", "restricted"): _codes(BOOLEANS) + " (empty is false)",
    ("relationships", "kind"): _codes(RELATIONSHIP_KINDS),
    ("involvements", "level"): _codes(LEVELS),
    ("involvements", "status"): "; ".join(
        f"{_codes(w for w, s in STATUS_WORDS.items() if s == status)} mean `{status}`"
        for status in ("open", "closed")),
    ("involvements", "sensitivity"): _codes(SENSITIVITIES),
    ("involvements", "organisation_kind"): _codes(ORGANISATION_KINDS),
    ("events", "sensitivity"): _codes(SENSITIVITIES),
    ("risk_indicators", "kind"): _codes(RISK_KINDS),
    ("risk_indicators", "sensitivity"): _codes(SENSITIVITIES),
}


def render() -> str:
    """docs/canonical-columns.md, from the column lists and code lists the loaders use."""
    lines = [
        "# Canonical columns",
        "",
        "<!-- Written by `famgraph mapping columns > docs/canonical-columns.md`; a test fails "
        "when it differs from the code. -->",
        "",
        "Every format famgraph reads becomes rows of these six kinds; a CSV whose header is "
        "exactly one kind's columns (in any order, optional ones included or not) is read as "
        "that kind, and `mapping.md` says how to map any other CSV onto them.",
        "",
        f"Dates are ISO 8601 (`2022-10-15`) unless a mapping gives a format, not before 1890, "
        f"and not in the future (except an involvement's `end`). A bad optional value is "
        f"dropped with a warning and the row kept; a bad required one refuses the row. No "
        f"field may be longer than {MAX_FIELD} characters.",
        "",
    ]
    for kind, columns in FILE_KINDS.items():
        optional = OPTIONAL_COLUMNS.get(kind, ())
        lines += [f"## `{kind}`", "", KINDS[kind], "", "| column | what it holds |",
                  "| --- | --- |"]
        for column in columns + optional:
            text = COLUMNS[kind][column].format(values=VALUES.get((kind, column), ""))
            if column in DATE_COLUMNS:
                text += " (a date)"
            lines.append(f"| `{column}` | {text} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
