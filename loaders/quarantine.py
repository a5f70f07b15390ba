"""Collects rejected rows and dropped values with where they were and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.store import Rejection


@dataclass(slots=True)
class Quarantine:
    """Every problem of one load, gathered before anything is reported or written."""

    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)

    def reject(self, file: str, row: int, field: str, reason: str) -> None:
        self.rejected.append(Rejection(file, row, field, reason))

    def warn(self, file: str, row: int, field: str, reason: str) -> None:
        self.warnings.append(Rejection(file, row, field, reason))

    def rejected_rows(self) -> int:
        return len({(r.file, r.row) for r in self.rejected})
