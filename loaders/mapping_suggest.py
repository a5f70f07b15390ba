"""A first mapping.toml for a council CSV, proposed from its header and first rows.

Headers are matched to canonical columns by the names source systems commonly give them;
a sample of values picks a date format, splits multi-line addresses, and lists the codes a
value map must cover. The analyst edits the result: every guess is in plain sight, every
source column left unmapped is listed in a comment, and `famgraph mapping check` shows
what the mapping makes of the rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from loaders.formats.canonical_csv import DATE_COLUMNS, FILE_KINDS, OPTIONAL_COLUMNS
from loaders.formats.text import Rows, read_text

SAMPLE_ROWS = 50
# Canonical column -> header names (lower-case words) sources use for it.
NAMES: dict[str, tuple[str, ...]] = {
    "record_id": ("person id", "personid", "client id", "pupil id", "adno", "nominal id",
                  "child id", "la child id", "record id", "id", "case id", "subject id"),
    "given_names": ("forename", "forenames", "first name", "firstname", "given name",
                    "given names", "legal forename", "first names"),
    "family_name": ("surname", "last name", "lastname", "family name", "legal surname"),
    "other_names": ("other names", "alias", "aliases", "previous surname", "former name"),
    "sex": ("gender", "sex"),
    "birth_date": ("dob", "date of birth", "birth date", "birthdate", "d o b"),
    "death_date": ("date of death", "dod", "death date"),
    "nhs_number": ("nhs number", "nhs no", "nhsnumber", "nhs"),
    "upn": ("upn", "unique pupil number"),
    "address_line1": ("address", "address1", "address 1", "address line 1", "home address",
                      "street", "current address"),
    "address_line2": ("address2", "address 2", "address line 2"),
    "town": ("town", "city", "locality"),
    "postcode": ("postcode", "post code", "postal code"),
    "uprn": ("uprn",),
    "service": ("service", "involvement type", "episode type", "service type",
                "involvement", "team type"),
    "level": ("level", "service level"),
    "start": ("start date", "start", "date of admission", "episode start", "open date",
              "referral date", "involvement start date"),
    "end": ("end date", "end", "date of leaving", "episode closed", "closure date",
            "closed date", "close date", "involvement end date"),
    "status": ("status", "involvement status", "enrolment status", "episode status"),
    "reason": ("reason", "primary need", "need code", "referral reason"),
    "organisation": ("school name", "school", "organisation", "organisation name", "provider"),
    "organisation_code": ("urn", "school urn", "ods code", "organisation code", "dfe number"),
    "last_activity": ("last contact", "last activity", "last contact date", "last seen"),
    "lead_name": ("lead practitioner", "lead practitioner name", "worker", "key worker",
                  "allocated worker", "social worker", "lead name", "practitioner"),
    "lead_role": ("lead practitioner role", "worker role", "role", "practitioner role"),
    "lead_team": ("team", "worker team", "lead team", "allocated team"),
    "lead_phone": ("lead practitioner phone", "worker phone", "phone", "telephone",
                   "contact number", "school contact number", "lead phone"),
    "lead_email": ("lead practitioner email", "worker email", "email", "lead email"),
    "date": ("occurrence date", "event date", "date", "incident date"),
    "type": ("event type", "type", "incident type"),
    "summary": ("summary", "details", "description", "notes"),
    "from_record_id": ("from person id", "person id 1", "personid"),
    "to_record_id": ("related person id", "related_personid", "person id 2", "related id"),
    "kind": ("relationship", "relationship type", "relation"),
}
EXTRACT_DATE_NAMES = ("date current as of", "extract date", "as of", "as at", "date of extract",
                      "report date", "run date")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%d-%b-%Y", "%d %b %Y", "%d/%m/%y", "%Y%m%d",
                "%Y-%m-%dT%H:%M:%S")
# Source words for the codes a value map needs; what the analyst must check is left blank.
KNOWN_CODES: dict[str, dict[str, str]] = {
    "sex": {"male": "male", "m": "male", "female": "female", "f": "female", "other": "unknown",
            "unknown": "unknown", "u": "unknown", "not known": "unknown",
            "indeterminate": "unknown", "i": "unknown"},
    "status": {"current": "open", "open": "open", "active": "open", "historic": "closed",
               "closed": "closed", "ended": "closed", "not specified": "", "c": "open",
               "l": "closed"},
}
# The columns a row of each kind cannot do without (a person needs a name or an identifier).
REQUIRED = {
    "people": ("record_id", "family_name"),
    "addresses": ("record_id",),
    "relationships": ("from_record_id", "to_record_id", "kind"),
    "involvements": ("record_id", "service", "level", "start"),
    "events": ("record_id", "date", "type"),
    "risk_indicators": ("record_id", "kind", "from"),
}
POSTCODE_PATTERN = r"(?i)^([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$"
# Which kinds a sheet is read as: those with at least this many of their own columns.
KIND_MARKERS = {
    "people": ("given_names", "family_name", "birth_date", "nhs_number", "upn", "sex"),
    "involvements": ("service", "start", "end", "status", "lead_name", "lead_phone",
                     "organisation", "organisation_code", "last_activity"),
    "relationships": ("to_record_id", "kind"),
    "events": ("date", "type", "summary"),
    "addresses": (),
    "risk_indicators": (),
}


def _words(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def _match(header: list[str], wanted: Iterable[str]) -> dict[str, str]:
    """Canonical column -> the first header naming it (each header used once)."""
    found: dict[str, str] = {}
    used: set[str] = set()
    for column in wanted:
        names = NAMES.get(column, ())
        for name in names:
            hit = next((h for h in header if _words(h) == name and h not in used), None)
            if hit is not None:
                found[column] = hit
                used.add(hit)
                break
    return found


def _date_format(values: list[str]) -> str | None:
    """The first common format every sampled value is in, or None (ISO, or none fits)."""
    sample = [v.strip() for v in values if v.strip()]
    if not sample:
        return None
    for form in DATE_FORMATS:
        try:
            for value in sample:
                datetime.strptime(value, form)
        except ValueError:
            continue
        return form
    return None


def _toml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def suggest(path: Path, kinds: list[str] | None = None) -> str:
    """A mapping.toml for one CSV file, to be edited, as text.

    Raises
    ------
    LoadError : the file cannot be decoded or is empty
    """
    records = [values for _, values in Rows(read_text(path))]
    header = [h.strip() for h in (records[0] if records else [])]
    sample = [dict(zip(header, r, strict=False)) for r in records[1:SAMPLE_ROWS + 1]]
    chosen = kinds or _kinds(header)
    lines = [
        f"# Proposed by `famgraph mapping suggest {path.name}`: every guess below is for you to",
        "# check. Then `famgraph mapping check FOLDER` shows the first rows mapped.",
        "",
        "system = \"CHANGE_ME\"                # this system's name: letters, digits, . _ -",
    ]
    extract_column = next((h for h in header if _words(h) in EXTRACT_DATE_NAMES), None)
    if extract_column is not None:
        lines += ["", "[extract]", f"date_column = {_toml(extract_column)}"]
        form = _date_format([row.get(extract_column, "") for row in sample])
        if form:
            lines.append(f"date_format = {_toml(form)}")
    used: set[str] = {extract_column} if extract_column else set()
    for kind in chosen:
        found = _match(header, FILE_KINDS[kind] + OPTIONAL_COLUMNS.get(kind, ()))
        if kind == "relationships" and "from_record_id" not in found and "record_id" in found:
            found["from_record_id"] = found.pop("record_id")
        address = found.get("address_line1")
        if address and "postcode" not in found and any("\n" in row.get(address, "")
                                                        for row in sample):
            found["postcode"] = address  # one cell over several lines, the postcode last
        lines += ["", "[[files]]", f"name = {_toml(path.name)}", f"kind = {_toml(kind)}",
                  "[files.columns]"]
        for column, source in found.items():
            used.add(source)
            lines.append(f"{column} = {_column(column, source, sample)}")
        missing = [c for c in REQUIRED[kind] if c not in found]
        if missing:
            lines.append(f"# REQUIRED, not found in the header (map a column, or give "
                         f"{{ value = \"...\" }}): {', '.join(missing)}")
        others = [c for c in FILE_KINDS[kind] + OPTIONAL_COLUMNS.get(kind, ())
                  if c not in found and c not in missing and c != "system"]
        if others:
            lines.append(f"# also canonical, unmapped: {', '.join(others)}")
    left = [h for h in header if h not in used]
    if left:
        lines += ["", f"# source columns no table above uses: {', '.join(left)}"]
    return "\n".join(lines) + "\n"


def _kinds(header: list[str]) -> list[str]:
    found = _match(header, [c for markers in KIND_MARKERS.values() for c in markers])
    kinds = [kind for kind, markers in KIND_MARKERS.items()
             if markers and sum(m in found for m in markers) >= 2]
    return kinds or ["people"]


def _column(column: str, source: str, sample: list[dict[str, str]]) -> str:
    values = [row.get(source, "") for row in sample]
    steps: dict[str, object] = {"column": source}
    if any("\n" in v for v in values) and column in ("address_line1", "postcode"):
        steps |= {"split": "lines"}
        steps |= ({"take": "all_but_last", "join": ", "} if column == "address_line1"
                  else {"take": "last", "pattern": POSTCODE_PATTERN})
    if column in DATE_COLUMNS:
        form = _date_format(values)
        if form and form != "%Y-%m-%d":
            steps["date_format"] = form
    if column in KNOWN_CODES:
        seen = sorted({v.strip() for v in values if v.strip()})
        codes = KNOWN_CODES[column]
        steps["values"] = {v: codes.get(v.lower(), "CHANGE_ME") for v in seen}
        if column == "sex":
            steps["default"] = "unknown"
    if len(steps) == 1:
        return _toml(source)
    inner = ", ".join(f"{k} = {_inline(v)}" for k, v in steps.items())
    return "{ " + inner + " }"


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str) and "\\" in value:
        return f"'{value}'"  # a literal string: the pattern's backslashes stay as written
    return _toml(value)
