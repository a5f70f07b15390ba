"""One module per source format; each says which paths it claims and reads them into records.

Every format module provides `NAME`, `claims(path) -> bool` (a cheap sniff) and
`read(path, quarantine, today, extract)`, which validates through the canonical
row parser and raises `LoadError` for a file it cannot read at all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol

from loaders.quarantine import Quarantine
from loaders.records import Extract


class Format(Protocol):
    NAME: str

    def claims(self, path: Path) -> bool: ...

    def read(self, path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None: ...
