"""Mapped CSV: any council CSV onto the canonical columns through a small TOML mapping.

A folder holding `mapping.toml` is one extract. The mapping names, per source file,
which canonical kind it is, which source column feeds each canonical column (a list
of columns is joined with spaces), value maps (sex codes and the like), constants,
and the date format. See docs/mapping.md for the full format.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from loaders.errors import LoadError, RowProblem
from loaders.formats.canonical_csv import DATE_COLUMNS, FILE_KINDS, MAX_FIELD, parse_row
from loaders.quarantine import Quarantine
from loaders.records import Extract, Where

MAPPING_FILE = "mapping.toml"
ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1"})


@dataclass(frozen=True, slots=True)
class FileMapping:
    """How one source file (by name or glob) maps onto one canonical kind."""

    name: str
    kind: str
    columns: Mapping[str, tuple[str, ...]]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None

    def source_of(self, canonical: str) -> str:
        """The source column(s) behind a canonical column, for messages."""
        sources = self.columns.get(canonical)
        if sources:
            return f"{' + '.join(sources)} ({canonical})"
        return canonical


@dataclass(frozen=True, slots=True)
class Mapping_:
    path: Path
    system: str | None
    encoding: str
    files: tuple[FileMapping, ...]


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


def read_mapping(path: Path) -> Mapping_:
    """Parse and check a mapping file before any data is read.

    Raises
    ------
    LoadError : not TOML, or names an unknown kind or canonical column
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
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
    default_format = raw.get("date_format")
    entries = raw.get("files")
    if not isinstance(entries, list) or not entries:
        raise LoadError(str(path), "needs at least one [[files]] table")
    files = []
    for number, entry in enumerate(entries, 1):
        where = f"[[files]] #{number}"
        entry = _table(entry, where, path)
        kind = _text(entry.get("kind"), f"{where} kind", path)
        if kind not in FILE_KINDS:
            raise LoadError(str(path), f"{where} kind {kind!r} is not one of {sorted(FILE_KINDS)}")
        canonical = set(FILE_KINDS[kind])
        columns: dict[str, tuple[str, ...]] = {}
        for target, source in _table(entry.get("columns"), f"{where} columns", path).items():
            if target not in canonical:
                raise LoadError(str(path), f"{where} maps unknown {kind} column {target!r}")
            sources = (source,) if isinstance(source, str) else tuple(source)
            if not sources or not all(isinstance(s, str) and s for s in sources):
                raise LoadError(str(path), f"{where} column {target!r} names no source column")
            columns[target] = sources
        values = {
            target: {str(k): str(v) for k, v in _table(table, f"{where} values", path).items()}
            for target, table in _table(entry.get("values"), f"{where} values", path).items()
        }
        constants = {
            str(k): str(v) for k, v in _table(entry.get("constants"), f"{where} constants",
                                              path).items()
        }
        unknown = (set(values) | set(constants)) - canonical
        if unknown:
            raise LoadError(str(path), f"{where} names unknown {kind} columns {sorted(unknown)}")
        date_format = entry.get("date_format", default_format)
        files.append(FileMapping(_text(entry.get("name"), f"{where} name", path), kind, columns,
                                 values, constants, date_format))
    return Mapping_(path, system, encoding, tuple(files))


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
    for spec in mapping.files:
        matches = sorted(p for p in folder.iterdir()
                         if p.is_file() and fnmatch.fnmatch(p.name, spec.name))
        if not matches:
            raise LoadError(str(folder / spec.name), f"named in {mapping.path} but not found")
        for path in matches:
            _read_file(path, spec, mapping, extract, quarantine, today)
    return extract


def _read_file(path: Path, spec: FileMapping, mapping: Mapping_, extract: Extract,
               quarantine: Quarantine, today: date) -> None:
    name = str(path)
    try:
        text = path.read_bytes().decode(mapping.encoding)
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"is not {mapping.encoding} (byte {exc.start})") from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise LoadError(name, "contains NUL bytes: not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise LoadError(name, "is empty: expected a header row")
        missing = sorted({s for sources in spec.columns.values() for s in sources} - set(header))
        if missing:
            raise LoadError(name, f"header lacks columns the mapping names: {', '.join(missing)}")
        extract.files.append(name)
        for values in reader:
            row = reader.line_num
            if not any(v.strip() for v in values):
                continue
            extract.read += 1
            if len(values) != len(header):
                quarantine.reject(name, row, "",
                                  f"has {len(values)} fields, the header has {len(header)}")
                continue
            source = dict(zip(header, values, strict=True))
            try:
                fields = _canonical_fields(source, spec, mapping, Where(name, row), quarantine)
                parse_row(spec.kind, fields, Where(name, row), extract, quarantine, today)
            except RowProblem as problem:
                quarantine.reject(name, row, spec.source_of(problem.field), problem.reason)
    except csv.Error as exc:
        raise LoadError(name, f"line {reader.line_num}: not valid CSV ({exc})") from None


REQUIRED_DATES = frozenset({"start", "date"})
# Columns that are optional in one kind and required in another.
REQUIRED_DATES_OF = {"risk_indicators": frozenset({"from"})}


def _canonical_fields(source: dict[str, str], spec: FileMapping, mapping: Mapping_,
                      where: Where, quarantine: Quarantine) -> dict[str, str]:
    fields = {}
    for column in FILE_KINDS[spec.kind]:
        if column in spec.columns:
            value = " ".join(source[s].strip() for s in spec.columns[column] if source[s].strip())
        elif column in spec.constants:
            value = spec.constants[column]
        elif column == "system" and mapping.system:
            value = mapping.system
        else:
            value = ""
        if len(value) > MAX_FIELD:
            raise RowProblem(column, f"longer than {MAX_FIELD} characters")
        table = spec.values.get(column)
        if table and value:
            value = table.get(value, table.get(value.upper(), value))
        if column in DATE_COLUMNS and value and spec.date_format:
            try:
                value = _iso_date(column, value, spec.date_format)
            except RowProblem as problem:
                if column in REQUIRED_DATES | REQUIRED_DATES_OF.get(spec.kind, frozenset()):
                    raise
                # As in canonical CSV: a bad optional value is dropped, the row kept.
                quarantine.warn(where.file, where.row, spec.source_of(column),
                                problem.reason + "; value dropped")
                value = ""
        fields[column] = value
    return fields


def _iso_date(column: str, value: str, date_format: str) -> str:
    try:
        return datetime.strptime(value.strip(), date_format).date().isoformat()
    except ValueError:
        raise RowProblem(column, f"{value[:40]!r} does not match the date format {date_format}"
                         ) from None
