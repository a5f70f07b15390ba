"""The SSDA903 looked-after children return: its twelve CSV tables, and its XML form.

Each CSV table is told by its header (CHILD and the table's own columns, in any case and
order; extra columns are warned about once and ignored). Header rows become people (the
903 holds no names: the UPN identifies the child), Episodes become "Looked after child"
involvements with the placement postcode as a restricted address, and every other table
becomes dated chronology events. The XML form (`EXPSSDA903/CHILD/HEADER, EPISODE`, see
CLA.xsd) is read into the same tables, so both forms follow the same rules.

Rows and counts: a CSV row is its line number; an XML row is the position of its element
in the file. A few rows give a second record (a placement address, the date a looked-after
girl's own child was born, an adoption match, a reversed adoption decision); that record
counts as a row of its own, reported at `FILE#COLUMN` (CSV) or at its element (XML), and
is only read when the row's main record is valid, so read = loaded + quarantined holds.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from loaders.errors import LoadError, RowProblem
from loaders.formats.cin_census import (
    Emit,
    Located,
    canonical,
    children,
    first,
    funnel,
    local_name,
    locate,
    safe_xml_root,
    sniff_xml,
    text_of,
)
from loaders.quarantine import Quarantine
from loaders.records import Extract, Where
from loaders.validate import postcode_valid

NAME = "ssda903"
SYSTEM = "ssda903"

# --- code lists: the union over the 2017 to 2026 specifications ---------------------------------

FLAG = frozenset({"0", "1"})
SEXES = {"1": "male", "2": "female", "M": "male", "F": "female", "U": "unknown"}
CODES: dict[str, frozenset[str]] = {
    "RNE": frozenset({"S", "L", "P", "T", "B", "U"}),
    "LS": frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2",
                     "J3"}),
    "CIN": frozenset({f"N{n}" for n in range(1, 9)}),
    "PLACE": frozenset({"A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1",
                        "R2", "R3", "R5", "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3",
                        "U4", "U5", "U6", "Z1", "Z11", "Z12", "Z13", "Z14"}),
    "REC": frozenset({"X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E43", "E44",
                      "E45", "E46", "E47", "E48", "E5", "E6", "E7", "E9", "E14", "E15", "E16",
                      "E17", "E8"}),
    "REASON_PLACE_CHANGE": frozenset({"CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB",
                                      "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER"}),
    "MISSING": frozenset({"M", "A"}),
    "REVIEW_CODE": frozenset({f"PN{n}" for n in range(8)}),
    "SDQ_SCORE": frozenset(str(n) for n in range(41)),
    "SDQ_REASON": frozenset({f"SDQ{n}" for n in range(1, 6)}),
    "CONVICTED": FLAG,
    "HEALTH_CHECK": FLAG,
    "IMMUNISATIONS": FLAG,
    "TEETH_CHECK": FLAG,
    "HEALTH_ASSESSMENT": FLAG,
    "SUBSTANCE_MISUSE": FLAG,
    "INTERVENTION_RECEIVED": FLAG,
    "INTERVENTION_OFFERED": FLAG,
    "IN_TOUCH": frozenset({"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"}),
    "ACTIV": frozenset({"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5", "G4", "G5",
                        "G6", "0"}),
    "ACCOM": frozenset({f"{letter}{n}" for letter in "BCDEGHKRSTUVWXYZ" for n in (1, 2)}
                       | {"0"}),
    "FOSTER_CARE": FLAG,
    "NB_ADOPTR": frozenset({"1", "2"}),
    "SEX_ADOPTR": frozenset({"M1", "F1", "MM", "FF", "MF"}),
    "LS_ADOPTR": frozenset({"L0", "L11", "L12", "L2", "L3", "L4"}),
    "REASON_PLACED_CEASED": frozenset({"RD1", "RD2", "RD3", "RD4"}),
    "PREV_PERM": frozenset({"P1", "P2", "P3", "P4", "Z1"}),
    "SW_REASON": frozenset({"MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC",
                            "CHCHAN", "PCCHAN", "SWDIED", "OTHERS"}),
}
PROVIDERS = {
    "PR0": "Parents or other person with parental responsibility",
    "PR1": "Own provision (by the local authority)",
    "PR2": "Other local authority provision",
    "PR3": "Other public provision",
    "PR4": "Private provision",
    "PR5": "Voluntary or third sector provision",
}
# Codes that say a child is being or has been adopted: an adoption is a restricted fact.
ADOPTION_CODES = frozenset(
    {("LS", "D1"), ("LS", "E1"), ("REC", "E11"), ("REC", "E12")}
    | {("PLACE", p) for p in ("A3", "A4", "A5", "A6")}
)
_UNKNOWN_UPN = re.compile(r"^UN\d{1,2}$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_PARTIAL = re.compile(r"^(zz|\d{1,2})/(zz|\d{1,2})/(\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


# --- a file and a row being read ----------------------------------------------------------------


@dataclass(slots=True)
class _File:
    name: str
    quarantine: Quarantine
    today: date
    extract: Extract
    year: int | None  # the collection year (ending 31 March), if the file name says
    located: Located | None = None  # XML only
    noted: set[str] = field(default_factory=set)  # what is said once per file


@dataclass(slots=True)
class _Row:
    """One source row: its values by 903 column name and where it sits in its file."""

    file: _File
    values: dict[str, str]
    where: Where
    elements: dict[str, ET.Element] | None = None  # XML: the element behind each column

    def _element(self, column: str) -> ET.Element | None:
        return self.elements.get(column) if self.elements is not None else None

    def label(self, column: str) -> str:
        """How problems name a column: its name in a CSV, its element's path in XML."""
        element = self._element(column)
        if element is not None and self.file.located is not None:
            return self.file.located.path[element]
        return column

    def where_of(self, column: str) -> Where:
        """Where a second record drawn from this row's `column` is reported."""
        element = self._element(column)
        if element is not None and self.file.located is not None:
            return Where(self.where.file, self.file.located.position[element])
        return Where(f"{self.where.file}#{column}", self.where.row)

    def text(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def warn(self, column: str, reason: str) -> None:
        self.file.quarantine.warn(self.where.file, self.where.row, self.label(column), reason)

    def note(self, column: str, reason: str) -> None:
        """A warning given once per file and column, at the first row it applies to."""
        if column not in self.file.noted:
            self.file.noted.add(column)
            self.warn(column, reason)

    def code(self, column: str) -> str:
        """The column's code if the 903 knows it; an unknown one is warned and left out."""
        value = self.text(column).upper()
        if value and value not in CODES[column]:
            self.warn(column, f"{value[:12]!r} is not an SSDA903 {column} code; left out")
            return ""
        return value

    def codes(self, *columns: str) -> str:
        return " ".join(f"{c}={v}" for c in columns if (v := self.code(c)))

    def day(self, column: str, required: bool = False) -> str:
        """A 903 date (DD/MM/YYYY; ISO 8601 accepted with a note) as ISO text.

        A bad optional date is dropped with a warning; a bad required one rejects the row.
        """
        value = self.text(column)
        if not value:
            if required:
                raise RowProblem(self.label(column), "is required")
            return ""
        try:
            return self._iso(column, value)
        except ValueError:
            reason = f"{value[:40]!r} is not a date (DD/MM/YYYY)"
            if required:
                raise RowProblem(self.label(column), reason) from None
            self.warn(column, reason + "; value dropped")
            return ""

    def _iso(self, column: str, value: str) -> str:
        match = _DMY.match(value)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        match = _YMD.match(value)
        if not match:
            raise ValueError(value)
        day = date(int(match[1]), int(match[2]), int(match[3]))
        self.note(column, "dates are ISO 8601, not the 903's DD/MM/YYYY; read as ISO "
                          "(noted once per file and column)")
        return day.isoformat()

    def event(self, column: str, kind: str, summary: str, sensitivity: str = "normal",
              day: str | None = None, second: bool = False) -> Emit:
        """An event about this row's child, dated by `column`."""
        fields = canonical(
            "events", SYSTEM, record_id=self.text("CHILD"),
            date=self.day(column, required=True) if day is None else day,
            type=kind, summary=summary, sensitivity=sensitivity,
        )
        labels = {"record_id": self.label("CHILD"), "date": self.label(column)}
        return Emit("events", fields, self.where_of(column) if second else self.where, labels)


# --- the tables ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """One 903 table: its columns, the ones that tell it apart, and how its rows map."""

    name: str
    columns: tuple[str, ...]
    identifying: frozenset[str]
    rows: Callable[[_Row], list[Emit]]


def _header(row: _Row) -> list[Emit]:
    upn = row.text("UPN").upper()
    if not upn or _UNKNOWN_UPN.match(upn):
        what = f"is {upn[:4]} (not known)" if upn else "is blank"
        raise RowProblem(row.label("UPN"), f"{what}, and the 903 holds no name or NHS number: "
                                           "nothing identifies the child")
    sex = row.text("SEX").upper()
    year = row.file.year
    if year and (sex in ("1", "2")) != (year < 2025) and sex in SEXES:
        # 1/2 until the 2024 return, M/F/U from 2025: either is read, the other era noted.
        row.note("SEX", f"SEX code {sex} is not the {year} return's code set "
                        f"({'1/2' if year < 2025 else 'M/F/U'}); read all the same")
    fields = canonical("people", SYSTEM, record_id=row.text("CHILD"), sex=SEXES.get(sex, sex),
                       birth_date=row.day("DOB"), upn=upn)
    labels = {"record_id": row.label("CHILD"), "sex": row.label("SEX"),
              "birth_date": row.label("DOB"), "upn": row.label("UPN"),
              "family_name": row.label("UPN")}
    found = [Emit("people", fields, row.where, labels)]
    mother, born = row.text("MOTHER"), row.day("MC_DOB")
    if mother == "1" and born:
        # Her child is not in the return and has no identifier, so cannot be a person
        # record; the birth is kept as a dated fact about the looked-after girl herself.
        found.append(row.event("MC_DOB", "mother", "her first child was born (MOTHER=1)",
                               "sensitive", day=born, second=True))
    elif mother == "1":
        row.warn("MC_DOB", "MOTHER=1 but no date of birth of her child; nothing to load")
    elif mother not in ("", "0"):
        row.warn("MOTHER", f"{mother[:12]!r} is not 0 or 1; ignored")
    elif born:
        row.warn("MC_DOB", "given although MOTHER is not 1; ignored")
    return found


def _episode(row: _Row) -> list[Emit]:
    child, start, end = row.text("CHILD"), row.day("DECOM", required=True), row.day("DEC")
    provider = row.text("PLACE_PROVIDER").upper()
    if provider and provider not in PROVIDERS:
        row.warn("PLACE_PROVIDER", f"{provider[:12]!r} is not an SSDA903 PLACE_PROVIDER code; "
                                   "left out")
        provider = ""
    reason = row.codes("RNE", "LS", "CIN", "PLACE", "REC", "REASON_PLACE_CHANGE")
    adoption = any(f"{c}={v}" in reason.split() for c, v in ADOPTION_CODES)
    fields = canonical(
        "involvements", SYSTEM, record_id=child, service="Looked after child",
        level="statutory", start=start, end=end, reason=reason,
        organisation=PROVIDERS.get(provider, ""),
        sensitivity="restricted" if adoption else "normal",
    )
    labels = {"record_id": row.label("CHILD"), "start": row.label("DECOM"),
              "end": row.label("DEC"), "reason": "RNE/LS/CIN/PLACE/REC",
              "organisation": row.label("PLACE_PROVIDER")}
    found = [Emit("involvements", fields, row.where, labels)]
    postcode = row.text("PL_POST")
    if postcode and postcode_valid(postcode):
        # Where a looked-after child is placed is withheld from all but named roles.
        address = canonical("addresses", SYSTEM, record_id=child, postcode=postcode,
                            from_=start, to=end, restricted="true")
        labels = {"record_id": row.label("CHILD"), "postcode": row.label("PL_POST"),
                  "from": row.label("DECOM"), "to": row.label("DEC")}
        found.append(Emit("addresses", address, row.where_of("PL_POST"), labels))
    elif postcode:
        row.warn("PL_POST", f"{postcode[:12]!r} is not a UK postcode; placement address "
                            "not loaded")
    return found


def _missing(row: _Row) -> list[Emit]:
    kind = row.code("MISSING")
    end = row.day("MIS_END")
    what = ("away from placement without authorisation" if kind == "A"
            else "missing from placement")
    summary = f"{what}; returned {end}" if end else f"{what}; no return date recorded"
    return [row.event("MIS_START", "absence" if kind == "A" else "missing", summary)]


def _review(row: _Row) -> list[Emit]:
    code = row.code("REVIEW_CODE")
    summary = "looked-after child review" + (f"; participation {code}" if code else "")
    return [row.event("REVIEW", "review", summary)]


def _uasc(row: _Row) -> list[Emit]:
    if not row.text("DUC"):
        raise RowProblem(row.label("DUC"), "is blank: the child's UASC status has not ceased, "
                                           "and there is no date to record it by")
    return [row.event("DUC", "UASC ceased", "unaccompanied asylum-seeking child status ceased",
                      "sensitive")]


def _as_at(row: _Row) -> str:
    """The end of the collection year, which OC2 and OC3 describe but do not date."""
    text = row.text("YEAR")
    year = int(text) if _YEAR.match(text) else row.file.year
    if year is None:
        raise RowProblem("YEAR", "the table has no date column, and no collection year was "
                                 "found in a YEAR column or in the file name (oc2_2024.csv)")
    return date(year, 3, 31).isoformat()


def _oc2(row: _Row) -> list[Emit]:
    day = _as_at(row)
    summary = row.codes(*OC2.columns[2:]) or "no outcomes recorded"
    return [row.event("YEAR", "outcomes", f"at 31 March: {summary}", "sensitive", day=day)]


def _oc3(row: _Row) -> list[Emit]:
    day = _as_at(row)
    summary = row.codes("IN_TOUCH", "ACTIV", "ACCOM") or "nothing recorded"
    return [row.event("YEAR", "care leaver", f"care leaver at 31 March: {summary}", day=day)]


def _ad1(row: _Row) -> list[Emit]:
    codes = row.codes("FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
    found = [row.event("DATE_INT", "adoption decision",
                       "decision that the child should be placed for adoption"
                       + (f"; {codes}" if codes else ""), "restricted")]
    matched = row.day("DATE_MATCH")
    if matched:
        found.append(row.event("DATE_MATCH", "adoption match", "matched with adopters",
                               "restricted", day=matched, second=True))
    return found


def _placed_adoption(row: _Row) -> list[Emit]:
    found = [row.event("DATE_PLACED", "adoption decision",
                       "decision that the child should be placed for adoption", "restricted")]
    ceased, reason = row.day("DATE_PLACED_CEASED"), row.code("REASON_PLACED_CEASED")
    if ceased:
        found.append(row.event("DATE_PLACED_CEASED", "adoption decision reversed",
                               "should no longer be placed for adoption"
                               + (f"; REASON_PLACED_CEASED={reason}" if reason else ""),
                               "restricted", day=ceased, second=True))
    return found


def _previous_permanence(row: _Row) -> list[Emit]:
    value = row.text("DATE_PERM")
    match = _PARTIAL.match(value)
    note = ""
    day: str | None = None
    if match and "z" in (match[1] + match[2]).lower():
        # The 903 lets a half-remembered order date be given as zz/MM/YYYY or zz/zz/YYYY.
        month_known = match[2].lower() != "zz"
        if match[1].lower() != "zz" and not month_known:
            raise RowProblem(row.label("DATE_PERM"), f"{value!r} gives a day but not a month")
        try:
            day = date(int(match[3]), int(match[2]) if month_known else 1, 1).isoformat()
        except ValueError:
            raise RowProblem(row.label("DATE_PERM"), f"{value!r} is not a date") from None
        note = f" (date known to the {'month' if month_known else 'year'} only)"
    elif not value:
        raise RowProblem(row.label("DATE_PERM"), "is blank: there is no date to record the "
                                                 "previous permanence option by")
    codes = row.codes("PREV_PERM")
    la = row.text("LA_PERM")[:12]
    summary = " ".join(p for p in (codes, f"LA_PERM={la}" if la else "") if p)
    return [row.event("DATE_PERM", "previous permanence", (summary or "order") + note,
                      "restricted", day=day)]


def _social_worker(row: _Row) -> list[Emit]:
    end, reason = row.day("SW_DEC"), row.code("SW_REASON")
    summary = f"social worker {row.text('SW_ID')[:40]}"
    summary += f"; until {end}" if end else ""
    summary += f"; SW_REASON={reason}" if reason else ""
    return [row.event("SW_DECOM", "social worker", summary)]


def _deprivation_of_liberty(row: _Row) -> list[Emit]:
    end = row.day("DOLO_END")
    summary = "deprivation of liberty order" + (f"; until {end}" if end else "")
    return [row.event("DOLO_START", "deprivation of liberty", summary, "sensitive")]


def _table(name: str, columns: str, identifying: str, rows: Callable[[_Row], list[Emit]]
           ) -> Table:
    return Table(name, tuple(columns.split(",")), frozenset(identifying.split(",")), rows)


HEADER = _table("Header", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", "CHILD,SEX,DOB,UPN", _header)
EPISODES = _table(
    "Episodes",
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN",
    "CHILD,DECOM", _episode,
)
OC2 = _table(
    "OC2",
    "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,"
    "HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED",
    "CHILD,SDQ_SCORE,CONVICTED", _oc2,
)
TABLES = (
    HEADER,
    EPISODES,
    _table("Reviews", "CHILD,DOB,REVIEW,REVIEW_CODE", "CHILD,REVIEW", _review),
    _table("UASC", "CHILD,SEX,DOB,DUC", "CHILD,DUC", _uasc),
    OC2,
    _table("OC3", "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM", "CHILD,IN_TOUCH", _oc3),
    _table("AD1", "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR",
           "CHILD,DATE_INT", _ad1),
    _table("PlacedAdoption", "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED",
           "CHILD,DATE_PLACED", _placed_adoption),
    _table("PrevPerm", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", "CHILD,PREV_PERM",
           _previous_permanence),
    _table("Missing", "CHILD,DOB,MISSING,MIS_START,MIS_END", "CHILD,MIS_START", _missing),
    _table("SWEpisodes", "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON", "CHILD,SW_ID,SW_DECOM",
           _social_worker),
    _table("DoLo", "CHILD,DOB,DOLO_START,DOLO_END", "CHILD,DOLO_START",
           _deprivation_of_liberty),
)
_AS_AT_TABLES = frozenset({"OC2", "OC3"})  # these read a YEAR column where one is given
# Older spellings of a column, read as today's.
ALIASES = {"DOR": "REVIEW"}


def column_name(header_cell: str) -> str:
    """A header cell as the 903 column it names: case and padding ignored, old names mapped."""
    name = header_cell.strip().upper()
    return ALIASES.get(name, name)


def tables_fitting(columns: Iterable[str]) -> list[Table]:
    """The tables whose identifying columns the header holds; the closest fits if several."""
    present = {column_name(c) for c in columns}
    fits = [t for t in TABLES if t.identifying <= present]
    if len(fits) > 1:
        best = max(len(present & set(t.columns)) for t in fits)
        fits = [t for t in fits if len(present & set(t.columns)) == best]
    return fits


# --- the format ---------------------------------------------------------------------------------


def claims(path: Path) -> bool:
    """A CSV whose header fits a 903 table, or XML whose root is EXPSSDA903."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xml") or not path.is_file():
        return False
    if suffix == ".xml":
        return sniff_xml(path)[0] == "EXPSSDA903"
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    bom16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = head.decode("utf-16" if bom16 else "utf-8-sig", errors="replace")
    try:
        header = next(csv.reader([re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]]), [])
    except csv.Error:
        return False
    return bool(tables_fitting(header))


def read(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    """Read one 903 table (CSV) or a whole 903 return (XML) into `extract`.

    Raises
    ------
    LoadError : unreadable, not text or XML, or a header that fits no (or more than one) table
    """
    if path.suffix.lower() == ".xml":
        _read_xml(path, quarantine, today, extract)
    else:
        _read_csv(path, quarantine, today, extract)


def _decode(name: str, data: bytes, quarantine: Quarantine) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(name, f"is not valid UTF-16 (byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("cp1252")
    except UnicodeDecodeError:
        raise LoadError(name, f"is neither UTF-8 nor Windows-1252 text (byte {bad})") from None
    # Council exports are often Windows-1252; 903 values are codes, so nothing hangs on it.
    quarantine.warn(name, 1, "", f"is not UTF-8 (byte {bad}); read as Windows-1252")
    return text


def _read_csv(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(name, f"cannot be read: {exc.strerror}") from None
    text = _decode(name, data, quarantine)
    if "\x00" in text:
        raise LoadError(name, "contains NUL bytes: not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        header = next(reader, None)
        if header is None:
            raise LoadError(name, "is empty: expected a header row")
        columns = [column_name(column) for column in header]
        named = [c for c in columns if c]
        repeated = sorted({c for c in named if named.count(c) > 1})
        if repeated:
            raise LoadError(name, f"header repeats column {', '.join(repeated)[:200]}")
        table = _one_table(name, columns)
        file = _File(name, quarantine, today, extract, collection_year(name))
        used = set(table.columns) | ({"YEAR"} if table.name in _AS_AT_TABLES else set())
        extra = [c[:40] for c in named if c not in used]
        if extra:
            quarantine.warn(name, 1, ", ".join(extra[:10]),
                            f"not columns of the 903 {table.name} table; ignored")
        missing = [c for c in table.columns if c not in columns]
        if missing:
            quarantine.warn(name, 1, ", ".join(missing), "missing from the header; read as blank")
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines are not rows
            if len(values) != len(columns):
                extract.read += 1
                quarantine.reject(name, line, "",
                                  f"has {len(values)} fields, the header has {len(columns)}")
                continue
            rows.append(_Row(file, dict(zip(columns, values, strict=True)), Where(name, line)))
    except csv.Error as exc:
        raise LoadError(name, f"line {reader.line_num}: not valid CSV ({exc})") from None
    extract.files.append(name)
    _load_rows(file, table, rows)


def _one_table(name: str, columns: list[str]) -> Table:
    fits = tables_fitting(columns)
    if not fits:
        raise LoadError(name, "header fits no SSDA903 table (each needs CHILD and its own "
                              "columns, such as DECOM for Episodes)")
    if len(fits) > 1:
        raise LoadError(name, "header fits more than one SSDA903 table: "
                              + ", ".join(t.name for t in fits))
    return fits[0]


def collection_year(file_name: str) -> int | None:
    """The collection year (ending 31 March) a file name gives: 2024, 2023-24, 2023_2024."""
    stem = Path(file_name).name
    span = re.search(r"(?<!\d)(20\d\d)[-_](\d\d)(?!\d)", stem)
    if span and (int(span[1]) + 1) % 100 == int(span[2]):
        return int(span[1]) + 1
    years = {int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", stem)}
    if len(years) == 1:
        return years.pop()
    if len(years) == 2 and max(years) - min(years) == 1:
        return max(years)
    return None


def _load_rows(file: _File, table: Table, rows: list[_Row]) -> None:
    refused = _repeated_children(rows) if table is HEADER else {}
    for index, row in enumerate(rows):
        if index in refused:
            file.extract.read += 1
            file.quarantine.reject(row.where.file, row.where.row, row.label("CHILD"),
                                   refused[index])
            continue
        try:
            found = table.rows(row)
        except RowProblem as problem:
            file.extract.read += 1
            file.quarantine.reject(row.where.file, row.where.row, problem.field, problem.reason)
            continue
        for number, emit in enumerate(found):
            kept = funnel(emit, file.quarantine, file.today, file.extract)
            if number == 0 and not kept:
                break  # what a row adds is not read when the row itself is rejected


def _repeated_children(rows: list[_Row]) -> dict[int, str]:
    """Header rows to refuse: a CHILD given twice, and (if the details differ) all of it.

    One header row per child is the rule; when two disagree on sex, birth date or UPN
    there is no telling which is right, and merging them would corrupt one person.
    """
    by_child: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row.text("CHILD"):
            by_child[row.text("CHILD")].append(index)
    refused: dict[int, str] = {}
    for indices in by_child.values():
        if len(indices) < 2:
            continue
        details = {tuple(rows[i].text(c).upper() for c in ("SEX", "DOB", "UPN", "MOTHER",
                                                           "MC_DOB")) for i in indices}
        where = [str(rows[i].where.row) for i in indices]
        shown = ", ".join(where[:5]) + (", …" if len(where) > 5 else "")
        if len(details) == 1:
            for i in indices[1:]:
                refused[i] = f"repeats the CHILD of row {where[0]}: one row per child"
        else:
            for i in indices:
                refused[i] = (f"the same CHILD is on rows {shown} with different details; "
                              "which is right cannot be told, so none is loaded")
    return refused


# --- the XML form -------------------------------------------------------------------------------

XML_REPEATABLE = frozenset({"CHILD", "EPISODE", "AMISSING", "AREVIEW", "AD_PLACED"})
_XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}  # XML element names that differ from CSV
_GROUPS: Mapping[str, str] = {  # a repeated group in HEADER, and the table each one is a row of
    "AMISSING": "Missing",
    "AREVIEW": "Reviews",
    "PERMANENCE": "PrevPerm",
    "OC2": "OC2",
    "AD_PLACED": "PlacedAdoption",
}
_HEADER_PARTS = (("UASC", ("DUC",)), ("AD1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE",
                 "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")), ("OC3", ("IN_TOUCH", "ACTIV", "ACCOM")))


def _leaves(element: ET.Element | None) -> dict[str, ET.Element]:
    found: dict[str, ET.Element] = {}
    for child in element if element is not None else ():
        if len(child) == 0:
            tag = local_name(child.tag).upper()
            found.setdefault(_XML_NAMES.get(tag, tag), child)
    return found


def _read_xml(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    name = str(path)
    root = safe_xml_root(path)
    if local_name(root.tag) != "EXPSSDA903":
        raise LoadError(name, f"root element is {local_name(root.tag)[:40]!r}, not EXPSSDA903")
    file = _File(name, quarantine, today, extract, collection_year(name),
                 locate(root, XML_REPEATABLE))
    located = file.located
    assert located is not None
    rows: dict[str, list[_Row]] = {table.name: [] for table in TABLES}

    def row(at: ET.Element, elements: dict[str, ET.Element]) -> _Row:
        values = {column: text_of(element) for column, element in elements.items()}
        return _Row(file, values, Where(name, located.position[at]), elements)

    for child in children(root, "CHILD"):
        header = first(child, "HEADER")
        base = _leaves(header)
        if header is not None:
            rows["Header"].append(row(header, base))
            for part, columns in _HEADER_PARTS:
                given = [base[c] for c in columns if c in base and text_of(base[c])]
                if given:
                    rows[part].append(row(given[0], base))
            for group, part in _GROUPS.items():
                for element in children(header, group):
                    own = _leaves(element)
                    if any(text_of(e) for e in own.values()):
                        rows[part].append(row(element, {**base, **own}))
        for episode in children(child, "EPISODE"):
            rows["Episodes"].append(row(episode, {**base, **_leaves(episode)}))
    extract.files.append(name)
    for table in TABLES:
        _load_rows(file, table, rows[table.name])
