"""The canonical CSV of docs/architecture.md: six file kinds, each told by its header."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from graph.model import RiskKind
from graph.normalise import normalise_postcode
from loaders.errors import LoadError, RowProblem
from loaders.formats.text import Rows, delimiter_of, first_line, read_text
from loaders.quarantine import Quarantine
from loaders.records import (
    AddressPeriod,
    EventRecord,
    Extract,
    InvolvementRecord,
    PersonRecord,
    RelationshipRecord,
    RiskRecord,
    Where,
)
from loaders.validate import (
    BIDI_CONTROLS_REASON,
    has_bidi_controls,
    nhs_number_valid,
    normalise_nhs_number,
    one_of,
    parse_date,
    postcode_valid,
    upn_valid,
)

PEOPLE = (
    "system",
    "record_id",
    "given_names",
    "family_name",
    "other_names",
    "sex",
    "birth_date",
    "death_date",
    "nhs_number",
    "upn",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "uprn",
    "address_from",
)
ADDRESSES = (
    "system",
    "record_id",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "uprn",
    "from",
    "to",
    "restricted",
)
RELATIONSHIPS = ("system", "from_record_id", "to_record_id", "kind", "valid_from", "valid_to")
INVOLVEMENTS = (
    "system",
    "record_id",
    "service",
    "level",
    "start",
    "end",
    "status",
    "reason",
    "organisation",
    "lead_name",
    "lead_role",
    "lead_team",
    "lead_phone",
    "lead_email",
    "sensitivity",
)
# Columns a file of a kind may carry or leave out (its header is told by the others).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "involvements": ("organisation_kind", "organisation_code", "last_activity"),
}
EVENTS = ("system", "record_id", "date", "type", "summary", "sensitivity")
RISK_INDICATORS = ("system", "record_id", "kind", "from", "to", "summary", "sensitivity")

FILE_KINDS: dict[str, tuple[str, ...]] = {
    "people": PEOPLE,
    "addresses": ADDRESSES,
    "relationships": RELATIONSHIPS,
    "involvements": INVOLVEMENTS,
    "events": EVENTS,
    "risk_indicators": RISK_INDICATORS,
}

RELATIONSHIP_KINDS = frozenset(
    {
        "mother",
        "father",
        "parent",
        "step_parent",
        "adoptive_parent",
        "foster_carer",
        "special_guardian",
        "partner",
        "spouse",
        "ex_partner",
        "grandparent",
        "sibling",
        "other",
    }
)
SEXES = {
    "male": "male",
    "m": "male",
    "female": "female",
    "f": "female",
    "unknown": "unknown",
    "u": "unknown",
    "": "unknown",
}
LEVELS = frozenset({"universal", "targeted", "specialist", "statutory"})
STATUSES = frozenset({"open", "closed"})
# The words source systems use for an involvement's status. A word meaning "we do not say"
# leaves the status to the end date: closed if there is one, else open.
STATUS_WORDS = {
    "open": "open", "current": "open", "active": "open", "ongoing": "open",
    "closed": "closed", "historic": "closed", "historical": "closed", "ended": "closed",
    "finished": "closed", "inactive": "closed", "past": "closed", "former": "closed",
    "not specified": "", "unknown": "", "": "",
}
ORGANISATION_KINDS = frozenset({"team", "school", "early_years", "gp_practice", "health_trust",
                                "police_force", "local_authority", "housing_provider",
                                "voluntary", "other"})
SENSITIVITIES = frozenset({"normal", "sensitive", "restricted"})
RISK_KINDS = frozenset(kind.value for kind in RiskKind)
BOOLEANS = {
    "true": True,
    "yes": True,
    "1": True,
    "false": False,
    "no": False,
    "0": False,
    "": False,
}
MAX_FIELD = 1_000  # no canonical field needs more; longer is a broken or hostile file


def kind_of(header: list[str]) -> str | None:
    """The file kind whose columns are the header's, in any order, each once: every column
    of the kind, and any of its optional ones."""
    names = [column.strip().lower() for column in header]
    columns = set(names)
    if len(columns) != len(names):
        return None
    for kind, expected in FILE_KINDS.items():
        if set(expected) <= columns <= set(expected) | set(OPTIONAL_COLUMNS.get(kind, ())):
            return kind
    return None


def columns_of(kind: str) -> tuple[str, ...]:
    """Every column a file of this kind may carry, the optional ones last."""
    return FILE_KINDS[kind] + OPTIONAL_COLUMNS.get(kind, ())


NAME = "canonical"


def claims(path: Path) -> bool:
    """A CSV file whose header is one of the canonical kinds."""
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    line = first_line(path)
    try:
        header = next(csv.reader([line], delimiter=delimiter_of(line)), [])
    except csv.Error:
        return False
    return kind_of(header) is not None


def read(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    """Parse one canonical CSV file into `extract`.

    Raises
    ------
    LoadError : the file cannot be decoded, has an unknown header, or is not CSV
    """
    _read_file(path, extract, quarantine, today)


def read_canonical(paths: list[Path], quarantine: Quarantine, today: date) -> Extract:
    """Parse canonical CSV files (or folders of them) into validated records."""
    extract = Extract()
    seen: set[Path] = set()
    for path in paths:
        files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
        for file in files:
            if not file.exists():
                raise LoadError(str(file), "no such file or folder")
            if file.resolve() not in seen:
                seen.add(file.resolve())
                _read_file(file, extract, quarantine, today)
    return extract


def _read_file(path: Path, extract: Extract, quarantine: Quarantine, today: date) -> None:
    name = str(path)
    rows = Rows(read_text(path))
    try:
        header = next(iter(rows), (0, None))[1]
        if header is None:
            raise LoadError(name, "is empty: expected a header row")
        kind = kind_of(header)
        duplicated = sorted({c for c in header if header.count(c) > 1})
        if duplicated:
            raise LoadError(name, f"header repeats column {', '.join(duplicated)}")
        if kind is None:
            raise LoadError(
                name,
                "header matches no canonical file kind (people, addresses, relationships,"
                " involvements, events, risk_indicators; docs/canonical-columns.md)",
            )
        columns = [column.strip().lower() for column in header]
        extract.files.append(name)
        for row, values in rows:
            if not any(v.strip() for v in values):
                continue  # blank lines are not rows
            extract.read += 1
            if len(values) != len(columns):
                quarantine.reject(
                    name, row, "", f"has {len(values)} fields, the header has {len(columns)}"
                )
                continue
            fields = dict(zip(columns, values, strict=True))
            try:
                too_long = next((k for k, v in fields.items() if len(v) > MAX_FIELD), None)
                if too_long:
                    raise RowProblem(too_long, f"longer than {MAX_FIELD} characters")
                parse_row(kind, fields, Where(name, row), extract, quarantine, today)
            except RowProblem as problem:
                quarantine.reject(name, row, problem.field, problem.reason)
    except csv.Error as exc:
        raise LoadError(name, f"line {rows.line}: not valid CSV ({exc})") from None


def parse_row(
    kind: str, fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date
) -> None:
    """Validate one row of a canonical kind into `out`; every format funnels through here.

    Raises
    ------
    RowProblem : the row is unusable; the caller quarantines it
    """
    # Formats that know nothing of a kind's optional columns leave them out.
    absent = {column: "" for column in OPTIONAL_COLUMNS.get(kind, ()) if column not in fields}
    _PARSERS[kind](fields | absent, where, out, q, today)


DATE_COLUMNS = frozenset({"birth_date", "death_date", "address_from", "from", "to", "valid_from",
                          "valid_to", "start", "end", "date", "last_activity"})


_SYSTEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _required(fields: dict[str, str], name: str) -> str:
    value = fields[name].strip()
    if not value:
        raise RowProblem(name, "is required")
    if name == "system" and not _SYSTEM.match(value):
        raise RowProblem(name, "may hold only letters, digits, '.', '_' and '-'")
    return value


def _warn_bidi_controls(
    fields: dict[str, str], names: tuple[str, ...], where: Where, q: Quarantine
) -> None:
    """Warn of each name field holding bidirectional controls; the value is kept."""
    for name in names:
        if has_bidi_controls(fields[name]):
            q.warn(where.file, where.row, name, BIDI_CONTROLS_REASON)


def _optional_date(
    fields: dict[str, str],
    name: str,
    today: date,
    where: Where,
    q: Quarantine,
    allow_future: bool = False,
) -> date | None:
    """A date that may be empty; a bad one is dropped with a warning, the row kept."""
    text = fields[name].strip()
    if not text:
        return None
    try:
        return parse_date(name, text, today=today, allow_future=allow_future)
    except RowProblem as problem:
        q.warn(where.file, where.row, name, problem.reason + "; value dropped")
        return None


def _address(
    fields: dict[str, str],
    system: str,
    record_id: str,
    valid_from: date | None,
    valid_to: date | None,
    restricted: bool,
    where: Where,
    q: Quarantine,
) -> AddressPeriod | None:
    line1 = fields["address_line1"].strip()
    postcode = fields["postcode"].strip()
    if not (line1 or postcode):
        return None
    if postcode and not postcode_valid(postcode):
        q.warn(where.file, where.row, "postcode",
               f"{postcode[:12]!r} is not a UK postcode; value dropped")
        postcode = ""
        if not line1:
            raise RowProblem("postcode", "the only address detail is not a UK postcode")
    uprn = fields["uprn"].strip() or None
    if uprn and not (uprn.isascii() and uprn.isdigit() and len(uprn) <= 12):
        q.warn(where.file, where.row, "uprn", "is not a number of up to 12 digits; value dropped")
        uprn = None
    return AddressPeriod(
        system,
        record_id,
        line1,
        fields["address_line2"].strip(),
        fields["town"].strip(),
        normalise_postcode(postcode),
        uprn.lstrip("0") if uprn else None,
        valid_from,
        valid_to,
        restricted,
        where,
    )


def _person(fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date) -> None:
    system, record_id = _required(fields, "system"), _required(fields, "record_id")
    given, family = fields["given_names"].strip(), fields["family_name"].strip()
    # DfE returns carry no names, only identifiers; a record with neither cannot be anyone.
    if not (given or family or fields["nhs_number"].strip() or fields["upn"].strip()):
        raise RowProblem("family_name", "a person needs a name, an NHS number or a UPN")
    _warn_bidi_controls(fields, ("given_names", "family_name", "other_names"), where, q)
    sex = SEXES.get(fields["sex"].strip().lower())
    if sex is None:
        q.warn(where.file, where.row, "sex", f"{fields['sex'][:12]!r} is not a known sex code")
        sex = "unknown"
    birth = _optional_date(fields, "birth_date", today, where, q)
    death = _optional_date(fields, "death_date", today, where, q)
    if birth and death and death < birth:
        q.warn(where.file, where.row, "death_date", "is before birth_date; value dropped")
        death = None
    nhs = normalise_nhs_number(fields["nhs_number"]) or None
    if nhs and not nhs_number_valid(nhs):
        q.warn(where.file, where.row, "nhs_number", "fails the modulus 11 check; value dropped")
        nhs = None
    upn = fields["upn"].strip().upper() or None
    if upn and not upn_valid(upn):
        q.warn(where.file, where.row, "upn", "check letter does not match; kept as given")
    moved_in = _optional_date(fields, "address_from", today, where, q)
    address = _address(fields, system, record_id, moved_in, None, False, where, q)
    out.people.append(
        PersonRecord(
            system,
            record_id,
            given,
            family,
            fields["other_names"].strip(),
            sex,
            birth,
            death,
            nhs,
            upn,
            address,
            where,
        )
    )


def _address_row(
    fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date
) -> None:
    system, record_id = _required(fields, "system"), _required(fields, "record_id")
    if not (fields["address_line1"].strip() or fields["postcode"].strip()):
        raise RowProblem("address_line1", "an address needs a first line or a postcode")
    start = _optional_date(fields, "from", today, where, q)
    end = _optional_date(fields, "to", today, where, q)
    if start and end and end < start:
        raise RowProblem("to", f"{end} is before from {start}")
    flag = fields["restricted"].strip().lower()
    if flag not in BOOLEANS:
        raise RowProblem("restricted", f"{flag[:12]!r} is not true or false")
    period = _address(fields, system, record_id, start, end, BOOLEANS[flag], where, q)
    if period is None:
        raise RowProblem("postcode", "the only address detail is not a UK postcode")
    out.addresses.append(period)


def _relationship(
    fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date
) -> None:
    system = _required(fields, "system")
    source, target = _required(fields, "from_record_id"), _required(fields, "to_record_id")
    if source == target:
        raise RowProblem("to_record_id", "a record cannot be related to itself")
    kind = one_of("kind", fields["kind"], RELATIONSHIP_KINDS)
    start = _optional_date(fields, "valid_from", today, where, q)
    end = _optional_date(fields, "valid_to", today, where, q)
    if start and end and end < start:
        raise RowProblem("valid_to", f"{end} is before valid_from {start}")
    out.relationships.append(RelationshipRecord(system, source, target, kind, start, end, where))


def _involvement(
    fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date
) -> None:
    system, record_id = _required(fields, "system"), _required(fields, "record_id")
    service = _required(fields, "service")
    level = one_of("level", fields["level"], LEVELS)
    start = parse_date("start", _required(fields, "start"), today=today)
    end = _optional_date(fields, "end", today, where, q, allow_future=True)
    if end and end < start:
        raise RowProblem("end", f"{end} is before start {start}")
    said = one_of("status", fields["status"], STATUS_WORDS.keys() - {""}) \
        if fields["status"].strip() else ""
    status = STATUS_WORDS[said] or ("closed" if end else "open")
    last = _optional_date(fields, "last_activity", today, where, q)
    sensitivity = one_of("sensitivity", fields["sensitivity"] or "normal", SENSITIVITIES)
    organisation = fields["organisation"].strip()
    kind = one_of("organisation_kind", fields["organisation_kind"] or "team",
                  ORGANISATION_KINDS)
    _warn_bidi_controls(fields, ("lead_name",), where, q)
    lead = {
        part: fields[f"lead_{part}"].strip() for part in ("name", "role", "team", "phone", "email")
    }
    if lead["name"] and lead["name"].casefold() == organisation.casefold():
        # An organisation's name is no one's name: read as a person, every pupil of one
        # school would share one "practitioner" and each other's contact details.
        q.warn(where.file, where.row, "lead_name",
               "is the organisation's name; kept as the organisation's contact, not a person")
        lead["name"] = ""
    out.involvements.append(
        InvolvementRecord(
            system,
            record_id,
            service,
            level,
            start,
            end,
            status,
            fields["reason"].strip(),
            organisation,
            lead,
            sensitivity,
            where,
            kind,
            fields["organisation_code"].strip(),
            last,
        )
    )


def _event(fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date) -> None:
    system, record_id = _required(fields, "system"), _required(fields, "record_id")
    day = parse_date("date", _required(fields, "date"), today=today)
    sensitivity = one_of("sensitivity", fields["sensitivity"] or "normal", SENSITIVITIES)
    out.events.append(
        EventRecord(
            system,
            record_id,
            day,
            _required(fields, "type"),
            fields["summary"].strip(),
            sensitivity,
            where,
        )
    )


def _risk(fields: dict[str, str], where: Where, out: Extract, q: Quarantine, today: date) -> None:
    system, record_id = _required(fields, "system"), _required(fields, "record_id")
    kind = one_of("kind", fields["kind"], RISK_KINDS)
    # A risk with no start date cannot be placed in a history; unlike an address's dates,
    # a bad `from` quarantines the row rather than being dropped.
    start = parse_date("from", _required(fields, "from"), today=today)
    end = _optional_date(fields, "to", today, where, q)
    if end and end < start:
        raise RowProblem("to", f"{end} is before from {start}")
    # Risk indicators are sensitive unless the source says otherwise: health and police
    # detail must not default to what every agency sees.
    sensitivity = one_of("sensitivity", fields["sensitivity"] or "sensitive", SENSITIVITIES)
    out.risks.append(
        RiskRecord(system, record_id, kind, start, end, fields["summary"].strip(), sensitivity,
                   where)
    )


_PARSERS: dict[str, Callable[[dict[str, str], Where, Extract, Quarantine, date], None]] = {
    "people": _person,
    "addresses": _address_row,
    "relationships": _relationship,
    "involvements": _involvement,
    "events": _event,
    "risk_indicators": _risk,
}
