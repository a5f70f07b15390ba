"""Errors raised while loading an extract; each names the file and the reason."""

from __future__ import annotations

from graph.errors import FamgraphError


class LoadError(FamgraphError):
    """Raised when a whole file cannot be read (encoding, header); nothing is written."""

    def __init__(self, file: str, reason: str) -> None:
        self.file, self.reason = file, reason
        super().__init__(f"{file}: {reason}")


class RowProblem(FamgraphError):
    """Raised inside row parsing when a field makes the row unusable; it is quarantined."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")
