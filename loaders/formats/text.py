"""A CSV export's bytes as text and rows: the encodings and separators councils' tools save.

Excel saves "CSV UTF-8" with a UTF-8 byte-order mark, plain "CSV" in Windows-1252 and
"Unicode text" in UTF-16 with tabs between columns; a byte-order mark is trusted over what
the caller expects, and anything else that does not decode is refused with one line naming
the encoding it looks like and how to re-save it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from loaders.errors import LoadError

# UTF-32's mark begins with UTF-16's, so it is looked for first.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
RESAVE = "re-save it from Excel as 'CSV UTF-8 (Comma delimited)'"


def encoding_of(data: bytes) -> str | None:
    """The encoding a byte-order mark names, in plain words, or None without one."""
    return next((label for mark, _, label in BYTE_ORDER_MARKS if data.startswith(mark)), None)


def decode(data: bytes, name: str, encoding: str = "utf-8", hint: str = "") -> str:
    """The file's text: by its byte-order mark if it has one, else in `encoding`.

    `hint` is the other fix the caller offers (a mapping's `encoding` setting).

    Raises
    ------
    LoadError : the bytes are not text in that encoding, naming what they look like
    """
    for mark, codec, label in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec).removeprefix("\ufeff")
            except UnicodeDecodeError as exc:
                raise LoadError(name, f"starts with a {label} byte-order mark but is not "
                                f"{label} (byte {exc.start}): {RESAVE}") from None
    if len(data) >= 4 and data[1::2][:8].count(0) >= 3 and 0 not in data[0::2][:8]:
        raise LoadError(name, "looks like UTF-16 without a byte-order mark: " + RESAVE)
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        looks = ""
        if encoding.replace("-", "").lower().startswith("utf8"):
            try:
                data.decode("cp1252")
                looks = ", and reads as Windows-1252 (Excel's plain 'CSV')"
            except UnicodeDecodeError:
                pass
        fix = f"{RESAVE}{' or ' + hint if hint else ''}"
        raise LoadError(name, f"is not {encoding} (byte {exc.start}){looks}: {fix}") from None


def read_text(path: Path, encoding: str = "utf-8", hint: str = "") -> str:
    """`decode` of a file's bytes, refusing NUL bytes outside UTF-16 and UTF-32.

    Raises
    ------
    LoadError : unreadable, not text in the encoding, or holding NUL bytes
    """
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(name, f"cannot be read: {exc.strerror}") from None
    text = decode(data, name, encoding, hint)
    if "\x00" in text:
        raise LoadError(name, "contains NUL bytes: not a CSV file")
    return text


def delimiter_of(text: str) -> str:
    """A tab when the first line has tabs and no commas (Excel's "Unicode text"), else a comma."""
    first = text.split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


class Rows:
    """The records of a CSV text, each with the physical line it begins on: a quoted field
    over several lines (an address) is one record, reported by its first line."""

    def __init__(self, text: str, delimiter: str | None = None) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""),
                                  delimiter=delimiter or delimiter_of(text))

    @property
    def line(self) -> int:
        """The physical line the reader has reached (the last line of the last record)."""
        return self._reader.line_num

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            first = self._reader.line_num + 1
            values = next(self._reader, None)
            if values is None:
                return
            yield first, values


def first_line(path: Path) -> str:
    """The header line of a text file in whatever encoding its mark names, or '' if it is
    not readable text; for telling formats apart without reading the whole file."""
    try:
        with path.open("rb") as f:
            data = f.read(64 * 1024)
    except OSError:
        return ""
    for mark, codec, _ in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            text = data.decode(codec, errors="ignore").removeprefix("\ufeff")
            return text.split("\n", 1)[0].rstrip("\r")
    try:
        return data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return ""
