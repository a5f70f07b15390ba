"""Mapped CSV: any council CSV onto the canonical columns through a small TOML mapping.

A folder holding `mapping.toml` is one extract. The mapping names, per source file,
which canonical kind it is and how each canonical column is made from the source's:
taken from one column or joined from several, split by lines or a separator and parts
picked, a pattern's capture, a value map for codes, a date format, a constant, trimmed.
It may also say what the data says of itself: the date it was extracted (a column, the
file name or a fixed date) and what the system covers. See docs/mapping.md.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.store import Rejection
from loaders.errors import LoadError, RowProblem
from loaders.formats.canonical_csv import (
    DATE_COLUMNS,
    FILE_KINDS,
    MAX_FIELD,
    columns_of,
    parse_row,
)
from loaders.formats.text import Rows, read_text
from loaders.quarantine import Quarantine
from loaders.records import Extract, Where

MAPPING_FILE = "mapping.toml"
ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"})
TAKES = ("all", "first", "last", "all_but_last", "all_but_first", "middle")
COVERAGE_KEYS = frozenset({"covers", "since", "until", "area", "ages"})
COLUMN_KEYS = frozenset({"column", "columns", "value", "join", "split", "take", "pattern",
                         "values", "default", "date_format", "trim", "case"})
CASES = {"upper": str.upper, "lower": str.lower, "title": str.title}


@dataclass(frozen=True, slots=True)
class Column:
    """How one canonical column is made from a source row, in this order: each source
    column read and trimmed; split into parts and some taken; everything joined; a
    pattern's capture; a value map; a date format. `value` alone is a constant."""

    sources: tuple[str, ...] = ()
    value: str | None = None
    join: str = " "
    split: str | None = None  # "lines", or a separator
    take: str | tuple[int, ...] = "all"
    pattern: re.Pattern[str] | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    date_formats: tuple[str, ...] = ()
    trim: str = ""
    case: str | None = None  # upper, lower or title, after the pattern

    def describe(self) -> str:
        """Where the value came from, for messages: the source column names."""
        return " + ".join(self.sources) if self.sources else "constant"


@dataclass(frozen=True, slots=True)
class FileMapping:
    """How one source file (by name or glob) maps onto one canonical kind."""

    name: str
    kind: str
    columns: Mapping[str, Column]
    constants: Mapping[str, str] = field(default_factory=dict)

    def source_of(self, canonical: str) -> str:
        """The source column(s) behind a canonical column, for messages."""
        column = self.columns.get(canonical)
        if column is not None and column.sources:
            return f"{column.describe()} ({canonical})"
        return canonical

    def sources(self) -> set[str]:
        return {s for column in self.columns.values() for s in column.sources}


@dataclass(frozen=True, slots=True)
class ExtractDate:
    """Where a mapping finds the day its data was extracted."""

    fixed: date | None = None
    column: str | None = None
    file_name: re.Pattern[str] | None = None
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mapping_:
    path: Path
    system: str | None
    encoding: str
    files: tuple[FileMapping, ...]
    delimiter: str | None = None
    extract_date: ExtractDate = ExtractDate()
    coverage: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _table(raw: Any, where: str, path: Path) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise LoadError(str(path), f"{where} must be a table")
    return raw


def _text(raw: Any, where: str, path: Path) -> str:
    if not isinstance(raw, str) or not raw:
        raise LoadError(str(path), f"{where} must be a non-empty string")
    return raw


def _formats(raw: Any, where: str, path: Path) -> tuple[str, ...]:
    """One strptime format or a list tried in order."""
    if raw is None:
        return ()
    formats = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else None
    if not formats or not all(isinstance(f, str) and "%" in f for f in formats):
        raise LoadError(str(path), f"{where} date_format must be a strptime format such as "
                        "\"%d/%m/%Y\" or a list of them")
    return formats


def _pattern(raw: Any, where: str, path: Path) -> re.Pattern[str]:
    try:
        pattern = re.compile(_text(raw, where, path))
    except re.error as exc:
        raise LoadError(str(path), f"{where} is not a regular expression: {exc}") from None
    if pattern.groups > 1:
        raise LoadError(str(path), f"{where} may capture at most one group")
    return pattern


def _column(raw: Any, where: str, path: Path, default_formats: tuple[str, ...]) -> Column:
    """A column's spec: a source column's name, a list of names, or a table of steps."""
    if isinstance(raw, str | list):
        raw = {"columns": raw if isinstance(raw, list) else [raw]}
    spec = _table(raw, where, path)
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise LoadError(str(path), f"{where} has unknown keys {sorted(unknown)}; a column may "
                        f"say {', '.join(sorted(COLUMN_KEYS))}")
    if "column" in spec:
        sources: tuple[Any, ...] = (spec["column"],)
    else:
        listed = spec.get("columns", [])
        sources = tuple(listed) if isinstance(listed, list) else (listed,)
    if not all(isinstance(s, str) and s for s in sources):
        raise LoadError(str(path), f"{where} names a source column that is not a string")
    value = spec.get("value")
    if value is not None and not isinstance(value, str):
        raise LoadError(str(path), f"{where} value must be a string")
    if bool(sources) == (value is not None):
        raise LoadError(str(path), f"{where} needs a source column (column or columns) or a "
                        "constant (value), not both")
    take = spec.get("take", "all")
    if isinstance(take, int):
        take = [take]
    if isinstance(take, list) and take and all(isinstance(n, int) and n for n in take):
        take = tuple(take)
    elif take not in TAKES:
        raise LoadError(str(path), f"{where} take must be one of {', '.join(TAKES)}, or parts' "
                        "numbers in the order wanted (1 the first, -1 the last: [2, 1])")
    split = spec.get("split")
    if split is not None:
        split = _text(split, f"{where} split", path)
    elif take != "all":
        raise LoadError(str(path), f"{where} takes parts but does not split (split = \"lines\" "
                        "or a separator)")
    case = spec.get("case")
    if case is not None and case not in CASES:
        raise LoadError(str(path), f"{where} case must be one of {', '.join(CASES)}")
    default = spec.get("default")
    if default is not None and not isinstance(default, str):
        raise LoadError(str(path), f"{where} default must be a string")
    return Column(
        sources=tuple(sources),
        value=value,
        join=str(spec.get("join", ", " if split else " ")),
        split=split,
        take=take,
        pattern=_pattern(spec["pattern"], f"{where} pattern", path) if "pattern" in spec else None,
        values={str(k): str(v) for k, v in _table(spec.get("values"), f"{where} values",
                                                  path).items()},
        default=default,
        date_formats=_formats(spec.get("date_format"), where, path) or default_formats,
        trim=str(spec.get("trim", "")),
        case=case,
    )


def _extract_date(raw: Any, path: Path) -> ExtractDate:
    spec = _table(raw, "[extract]", path)
    unknown = set(spec) - {"date", "date_column", "date_from_file_name", "date_format"}
    if unknown:
        raise LoadError(str(path), f"[extract] has unknown keys {sorted(unknown)}")
    fixed = spec.get("date")
    if fixed is not None and not isinstance(fixed, date):
        raise LoadError(str(path), "[extract] date must be a TOML date such as 2022-10-15")
    column = spec.get("date_column")
    found = ExtractDate(
        fixed=fixed,
        column=_text(column, "[extract] date_column", path) if column is not None else None,
        file_name=(_pattern(spec["date_from_file_name"], "[extract] date_from_file_name", path)
                   if "date_from_file_name" in spec else None),
        formats=_formats(spec.get("date_format"), "[extract]", path),
    )
    if sum(x is not None for x in (found.fixed, found.column, found.file_name)) > 1:
        raise LoadError(str(path), "[extract] names the date one way only: date, date_column "
                        "or date_from_file_name")
    return found


def _coverage(raw: Any, system: str | None, path: Path) -> dict[str, dict[str, str]]:
    spec = _table(raw, "[coverage]", path)
    if not spec:
        return {}
    by_system = spec if all(isinstance(v, dict) for v in spec.values()) else None
    if by_system is None:
        if system is None:
            raise LoadError(str(path), "[coverage] needs the top-level system, or one "
                            "[coverage.SYSTEM] table per system")
        by_system = {system: spec}
    declared: dict[str, dict[str, str]] = {}
    for name, table in by_system.items():
        unknown = set(table) - COVERAGE_KEYS
        if unknown:
            raise LoadError(str(path), f"[coverage] {name} has unknown keys {sorted(unknown)}; "
                            f"it may say {', '.join(sorted(COVERAGE_KEYS))}")
        if "covers" not in table:
            raise LoadError(str(path), f"[coverage] {name} needs covers (what it holds, in words)")
        for key in ("since", "until"):
            if key in table and not isinstance(table[key], date):
                raise LoadError(str(path), f"[coverage] {name} {key} must be a TOML date")
        ages = table.get("ages")
        if ages is not None and not (isinstance(ages, list) and len(ages) == 2
                                     and all(isinstance(a, int) for a in ages)
                                     and 0 <= ages[0] <= ages[1]):
            raise LoadError(str(path), f"[coverage] {name} ages must be [youngest, oldest]")
        declared[name] = {k: (f"{v[0]}-{v[1]}" if k == "ages" else str(v))
                          for k, v in table.items()}
    return declared


def read_mapping(path: Path) -> Mapping_:
    """Parse and check a mapping file before any data is read.

    Raises
    ------
    LoadError : not TOML, or names an unknown kind, canonical column or step
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(str(path), f"cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(str(path), f"is not valid TOML: {exc}") from None
    system = raw.get("system")
    if system is not None:
        system = _text(system, "system", path)
    encoding = str(raw.get("encoding", "utf-8")).lower()
    if encoding not in ENCODINGS:
        raise LoadError(str(path), f"encoding {encoding!r} is not one of {sorted(ENCODINGS)}")
    delimiter = raw.get("delimiter")
    if delimiter is not None and not (isinstance(delimiter, str) and len(delimiter) == 1):
        raise LoadError(str(path), "delimiter must be one character (\",\", \"\\t\", \";\"...)")
    default_formats = _formats(raw.get("date_format"), "top-level", path)
    entries = raw.get("files")
    if not isinstance(entries, list) or not entries:
        raise LoadError(str(path), "needs at least one [[files]] table")
    files = [_file(entry, number, path, default_formats)
             for number, entry in enumerate(entries, 1)]
    return Mapping_(path, system, encoding, tuple(files), delimiter,
                    _extract_date(raw.get("extract"), path),
                    _coverage(raw.get("coverage"), system, path))


def _file(raw: Any, number: int, path: Path, default_formats: tuple[str, ...]) -> FileMapping:
    where = f"[[files]] #{number}"
    entry = _table(raw, where, path)
    kind = _text(entry.get("kind"), f"{where} kind", path)
    if kind not in FILE_KINDS:
        raise LoadError(str(path), f"{where} kind {kind!r} is not one of {sorted(FILE_KINDS)}")
    canonical = set(columns_of(kind))
    formats = _formats(entry.get("date_format"), where, path) or default_formats
    columns: dict[str, Column] = {}
    for target, spec in _table(entry.get("columns"), f"{where} columns", path).items():
        if target not in canonical:
            raise LoadError(str(path), f"{where} maps unknown {kind} column {target!r}")
        columns[target] = _column(spec, f"{where} column {target!r}", path,
                                  formats if target in DATE_COLUMNS else ())
    values = _table(entry.get("values"), f"{where} values", path)
    constants = {str(k): str(v) for k, v in
                 _table(entry.get("constants"), f"{where} constants", path).items()}
    unknown = (set(values) | set(constants)) - canonical
    if unknown:
        raise LoadError(str(path), f"{where} names unknown {kind} columns {sorted(unknown)}")
    for target, table in values.items():
        # The older spelling: [files.values.COLUMN] beside [files.columns].
        if target in columns:
            extra = {str(k): str(v) for k, v in _table(table, f"{where} values", path).items()}
            columns[target] = replace(columns[target], values={**extra, **columns[target].values})
    return FileMapping(_text(entry.get("name"), f"{where} name", path), kind, columns, constants)


NAME = "mapped"


def claims(path: Path) -> bool:
    """A folder holding a mapping.toml, or the mapping file itself."""
    if path.is_dir():
        return (path / MAPPING_FILE).is_file()
    return path.name == MAPPING_FILE


def read(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    """Read a mapped extract (its folder or its mapping file) into `extract`."""
    read_mapped(path if path.is_dir() else path.parent, quarantine, today, extract)


def read_mapped(folder: Path, quarantine: Quarantine, today: date,
                extract: Extract | None = None) -> Extract:
    """Read every file a folder's mapping names, as canonical records.

    Raises
    ------
    LoadError : bad mapping, a named file missing, a mapped column absent from a header
    """
    mapping = read_mapping(folder / MAPPING_FILE)
    extract = extract if extract is not None else Extract()
    dated = False
    for spec, path in files_of(folder, mapping):
        dated |= _read_file(path, spec, mapping, extract, quarantine, today)
    column = mapping.extract_date.column
    if column is not None and not dated:
        # Else every "as of" would quietly be the load day, which the mapping meant to avoid.
        raise LoadError(str(mapping.path), f"[extract] date_column {column!r} gave no date: "
                        "no file's header has it, or every value is empty")
    for system, declared in mapping.coverage.items():
        extract.coverage[system] = dict(declared)
    return extract


def files_of(folder: Path, mapping: Mapping_) -> Iterator[tuple[FileMapping, Path]]:
    """Each file the mapping names, with the table that reads it.

    Raises
    ------
    LoadError : a file the mapping names is not in the folder
    """
    for spec in mapping.files:
        matches = sorted(p for p in folder.iterdir()
                         if p.is_file() and fnmatch.fnmatch(p.name, spec.name))
        if not matches:
            raise LoadError(str(folder / spec.name), f"named in {mapping.path} but not found")
        for path in matches:
            yield spec, path


@dataclass(slots=True)
class MappedRow:
    """One source record and what the mapping made of it: canonical fields, or the problem
    that will quarantine it."""

    row: int
    source: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    problem: RowProblem | None = None


def mapped_rows(path: Path, spec: FileMapping, mapping: Mapping_, quarantine: Quarantine
                ) -> Iterator[MappedRow]:
    """The records of one source file through its mapping, each with the line it begins on;
    warnings go to `quarantine`, naming the source column and the canonical one.

    Raises
    ------
    LoadError : the file cannot be decoded, is not CSV or lacks a column the mapping names
    """
    name = str(path)
    rows = Rows(read_text(path, mapping.encoding,
                          hint=f"set encoding = \"cp1252\" in {MAPPING_FILE}"), mapping.delimiter)
    try:
        header = [h.strip() for h in next(iter(rows), (0, []))[1]]
        if not header:
            raise LoadError(name, "is empty: expected a header row")
        missing = sorted(spec.sources() - set(header))
        if missing:
            raise LoadError(name, f"header lacks columns the mapping names: {', '.join(missing)}"
                            f" (the header has {', '.join(header[:12])})")
        for row, values in rows:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield MappedRow(row, {}, problem=RowProblem(
                    "", f"has {len(values)} fields, the header has {len(header)}"))
                continue
            found = MappedRow(row, dict(zip(header, values, strict=True)))
            try:
                found.fields = _canonical_fields(found.source, spec, mapping,
                                                 Where(name, row), quarantine)
            except RowProblem as problem:
                found.problem = problem
            yield found
    except csv.Error as exc:
        raise LoadError(name, f"line {rows.line}: not valid CSV ({exc})") from None


def _read_file(path: Path, spec: FileMapping, mapping: Mapping_, extract: Extract,
               quarantine: Quarantine, today: date) -> bool:
    """Read one file into `extract`; True if any of its rows gave an extract date."""
    name = str(path)
    dated = False
    file_date = _date_in_name(path, mapping)
    extract.files.append(name)
    for found in mapped_rows(path, spec, mapping, quarantine):
        extract.read += 1
        where = Where(name, found.row)
        if found.problem is None:
            before = (len(quarantine.rejected), len(quarantine.warnings))
            try:
                parse_row(spec.kind, found.fields, where, extract, quarantine, today)
            except RowProblem as problem:
                found.problem = problem
            _name_sources(quarantine, spec, before)
            if found.problem is None:
                dated |= _note_extract_date(found, file_date, mapping, extract, where,
                                            quarantine)
        if found.problem is not None:
            quarantine.reject(name, found.row, spec.source_of(found.problem.field),
                              found.problem.reason)
    return dated


def _name_sources(quarantine: Quarantine, spec: FileMapping, before: tuple[int, int]) -> None:
    """The canonical rules name canonical fields; the analyst knows their own columns."""
    for problems, start in ((quarantine.rejected, before[0]), (quarantine.warnings, before[1])):
        for number in range(start, len(problems)):
            problem = problems[number]
            problems[number] = Rejection(problem.file, problem.row,
                                         spec.source_of(problem.field), problem.reason)


def _date_in_name(path: Path, mapping: Mapping_) -> date | None:
    pattern = mapping.extract_date.file_name
    if pattern is None:
        return None
    match = pattern.search(path.name)
    if match is None:
        raise LoadError(str(path), f"file name does not hold the extract date "
                        f"([extract] date_from_file_name = {pattern.pattern!r})")
    text = match.group(1) if pattern.groups else match.group(0)
    try:
        return _parse_date(text, mapping.extract_date.formats)
    except ValueError:
        raise LoadError(str(path), f"{text!r} in the file name is not a date in "
                        f"{' or '.join(mapping.extract_date.formats) or 'ISO 8601'}") from None


def _note_extract_date(found: MappedRow, file_date: date | None, mapping: Mapping_,
                       extract: Extract, where: Where, quarantine: Quarantine) -> bool:
    """The system's extract date is the latest any of its rows or files gives; True if
    this row gave one."""
    system = found.fields.get("system", "")
    wanted = mapping.extract_date
    day = wanted.fixed or file_date
    if wanted.column is not None and wanted.column in found.source:
        text = found.source[wanted.column].strip()
        if text:
            try:
                day = _parse_date(text, wanted.formats)
            except ValueError:
                quarantine.warn(where.file, where.row, f"{wanted.column} (extract date)",
                                f"{text[:40]!r} is not a date in "
                                f"{' or '.join(wanted.formats) or 'ISO 8601'}; value ignored")
    if day is None or not system:
        return False
    extract.extract_dates[system] = max(day, extract.extract_dates.get(system, day))
    return True


REQUIRED_DATES = frozenset({"start", "date"})
# Columns that are optional in one kind and required in another.
REQUIRED_DATES_OF = {"risk_indicators": frozenset({"from"})}


def _canonical_fields(source: dict[str, str], spec: FileMapping, mapping: Mapping_,
                      where: Where, quarantine: Quarantine) -> dict[str, str]:
    fields = {}
    for column in columns_of(spec.kind):
        made = spec.columns.get(column)
        if made is not None:
            value = make(made, source, column, where, quarantine, spec)
        elif column in spec.constants:
            value = spec.constants[column]
        elif column == "system" and mapping.system:
            value = mapping.system
        else:
            value = ""
        if len(value) > MAX_FIELD:
            raise RowProblem(column, f"longer than {MAX_FIELD} characters")
        if made is not None and column in DATE_COLUMNS and value and made.date_formats:
            try:
                value = _parse_date(value, made.date_formats).isoformat()
            except ValueError:
                problem = RowProblem(column, f"{value[:40]!r} does not match the date format "
                                     f"{' or '.join(made.date_formats)}")
                if column in REQUIRED_DATES | REQUIRED_DATES_OF.get(spec.kind, frozenset()):
                    raise problem from None
                # As in canonical CSV: a bad optional value is dropped, the row kept.
                quarantine.warn(where.file, where.row, spec.source_of(column),
                                problem.reason + "; value dropped")
                value = ""
        fields[column] = value
    return fields


def make(column: Column, source: Mapping[str, str], canonical: str, where: Where,
         quarantine: Quarantine, spec: FileMapping) -> str:
    """One canonical value from a source row, by the column's steps (dates are left to the
    caller, which knows whether the column is required)."""
    if column.value is not None:
        return column.value
    parts: list[str] = []
    for name in column.sources:
        text = source[name]
        pieces = _split(text, column.split) if column.split else [text]
        parts += [p for p in (piece.strip().strip(column.trim).strip()
                              for piece in _take(pieces, column.take)) if p]
    value = column.join.join(parts)
    if column.pattern is not None and value:
        match = column.pattern.search(value)
        if match is None:
            quarantine.warn(where.file, where.row, spec.source_of(canonical),
                            f"does not match the pattern {column.pattern.pattern!r}; "
                            "value dropped")
            value = ""
        else:
            value = (match.group(1) or "") if column.pattern.groups else match.group(0)
            value = value.strip()
    if column.case is not None:
        value = CASES[column.case](value)
    if column.values and (value or "" in column.values):
        mapped = column.values.get(value)
        if mapped is None:
            mapped = next((v for k, v in column.values.items()
                           if k.casefold() == value.casefold()), None)
        if mapped is None and column.default is not None:
            quarantine.warn(where.file, where.row, spec.source_of(canonical),
                            f"{value[:40]!r} is not in the value map; "
                            f"{column.default!r} used instead")
            mapped = column.default
        value = value if mapped is None else mapped
    return value


def _split(text: str, separator: str) -> list[str]:
    pieces = text.splitlines() if separator == "lines" else text.split(separator)
    return [p for p in pieces if p.strip()]


def _take(pieces: list[str], take: str | tuple[int, ...]) -> list[str]:
    if isinstance(take, tuple):
        indexes = [n - 1 if n > 0 else n for n in take]
        return [pieces[i] for i in indexes if -len(pieces) <= i < len(pieces)]
    return {
        "all": pieces,
        "first": pieces[:1],
        "last": pieces[-1:],
        "all_but_last": pieces[:-1],
        "all_but_first": pieces[1:],
        "middle": pieces[1:-1],
    }[take]


# A borough's extracts repeat the same few thousand dates; strptime is slow.
@functools.lru_cache(maxsize=1 << 16)
def _parse_date(text: str, formats: tuple[str, ...]) -> date:
    """A date or a datetime (its day) in one of `formats`, else ISO 8601.

    Raises
    ------
    ValueError : in none of them
    """
    text = text.strip()
    for form in formats:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    if formats:
        raise ValueError(text)
    return datetime.fromisoformat(text).date()


@dataclass(frozen=True, slots=True)
class Preview:
    """One source record beside what the mapping makes of it, for `famgraph mapping check`."""

    file: str
    kind: str
    row: int
    source: dict[str, str]
    fields: dict[str, str]
    problems: tuple[Rejection, ...]  # the refusal first, if refused, then every warning
    refused: bool


def preview(folder: Path, rows: int, today: date) -> Iterator[Preview]:
    """The first `rows` records of each file the folder's mapping names, each mapped and
    checked by the canonical rules exactly as a load would, nothing written.

    Raises
    ------
    LoadError : as a load would: a bad mapping, a missing file or column, an undecodable file
    """
    mapping = read_mapping(folder / MAPPING_FILE)
    for spec, path in files_of(folder, mapping):
        quarantine = Quarantine()
        seen = 0  # warnings of earlier records; a record's mapping warns before it is yielded
        for number, found in enumerate(mapped_rows(path, spec, mapping, quarantine)):
            if number >= rows:
                break
            where = Where(str(path), found.row)
            if found.problem is None:
                before = (len(quarantine.rejected), len(quarantine.warnings))
                try:
                    parse_row(spec.kind, found.fields, where, Extract(), quarantine, today)
                except RowProblem as problem:
                    found.problem = problem
                _name_sources(quarantine, spec, before)
            problems = list(quarantine.warnings[seen:])
            seen = len(quarantine.warnings)
            if found.problem is not None:
                problems.insert(0, Rejection(str(path), found.row,
                                             spec.source_of(found.problem.field),
                                             found.problem.reason))
            yield Preview(str(path), spec.kind, found.row, found.source, found.fields,
                          tuple(problems), found.problem is not None)
