"""Which source systems could hold a record of a person, which do, and as of when.

An empty answer must never read as "not involved": for each system a person is either
known to it, not known to it although inside what it covers, outside what it covers,
or in a system not loaded yet. (Withheld from the viewer is the policy's fourth state,
decided above this module.) Coverage is declared per system in TOML; the date of each
system's latest extract comes from the load logs.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from graph.errors import FamgraphError
from graph.model import Person
from graph.store import Store

DEFAULT_FILE = Path(__file__).with_name("coverage.toml")


class CoverageState(enum.StrEnum):
    RECORDS = "records"
    NO_RECORD = "no_record"
    OUTSIDE_COVERAGE = "outside_coverage"
    NOT_LOADED = "not_loaded"


@dataclass(frozen=True, slots=True)
class Coverage:
    """What one system declares it covers."""

    system: str
    covers: str
    ages: tuple[int, int] | None = None
    since: date | None = None
    until: date | None = None  # the last day its records run to (an archived system)

    def includes(self, person: Person, day: date) -> bool:
        if self.since is not None and day < self.since:
            return False
        if self.until is not None and day > self.until:
            return False
        if self.ages is None or person.birth_date is None:
            return True  # no age limit, or no age to test: the system might hold them
        age = day.year - person.birth_date.year - (
            (day.month, day.day) < (person.birth_date.month, person.birth_date.day))
        return self.ages[0] <= age <= self.ages[1]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    system: str
    state: CoverageState
    covers: str
    as_of: date | None  # the system's latest extract
    records: int


def read_coverage(path: Path | None = None) -> dict[str, Coverage]:
    """The declarations in `path` (default: the file beside this module).

    Raises
    ------
    FamgraphError : the file is missing or malformed, naming the system and field
    """
    where = path or DEFAULT_FILE
    try:
        raw = tomllib.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FamgraphError(f"{where}: cannot read the coverage file: {exc}") from None
    declared: dict[str, Coverage] = {}
    for system, spec in dict(raw.get("systems", {})).items():
        try:
            ages = spec.get("ages")
            if ages is not None and not (len(ages) == 2 and 0 <= ages[0] <= ages[1]):
                raise ValueError("ages must be [youngest, oldest]")
            since = spec.get("since")
            if since is not None and not isinstance(since, date):
                raise ValueError("since must be a date")
            declared[system] = Coverage(system, str(spec["covers"]),
                                        (int(ages[0]), int(ages[1])) if ages else None, since)
        except (KeyError, TypeError, ValueError) as exc:
            raise FamgraphError(f"{where}: systems.{system}: {exc}") from None
    return declared


def latest_extracts(store: Store) -> dict[str, date]:
    """For each source system loaded, the date of its latest extract."""
    latest: dict[str, date] = {}
    for log in store.load_logs():
        for system, day in dict(log.detail.get("systems", {})).items():
            extracted = date.fromisoformat(str(day))
            if system not in latest or extracted > latest[system]:
                latest[system] = extracted
    return latest


def declared_in_loads(store: Store) -> dict[str, Coverage]:
    """What each system's mapping declared it covers, from the latest load that said.

    A mapping's `[coverage]` travels with the extract it describes, so for its system it
    is taken over the coverage file (see docs/mapping.md)."""
    declared: dict[str, Coverage] = {}
    for log in store.load_logs():  # oldest first: a later load's declaration wins
        for system, spec in dict(log.detail.get("coverage", {})).items():
            ages = str(spec.get("ages", ""))
            youngest, _, oldest = ages.partition("-")
            area = str(spec.get("area", ""))
            declared[system] = Coverage(
                system,
                str(spec["covers"]) + (f" (area: {area})" if area else ""),
                (int(youngest), int(oldest)) if ages else None,
                date.fromisoformat(spec["since"]) if spec.get("since") else None,
                date.fromisoformat(spec["until"]) if spec.get("until") else None,
            )
    return declared


def coverage_of(
    person: Person, day: date, extracts: Mapping[str, date], declared: Mapping[str, Coverage]
) -> list[SourceStatus]:
    """Each known system's state for `person` on `day`, systems in name order."""
    held: dict[str, int] = {}
    for ref in person.sources:
        held[ref.system] = held.get(ref.system, 0) + 1
    statuses = []
    for system in sorted(set(extracts) | set(declared) | set(held)):
        cover = declared.get(system)
        if held.get(system):
            state = CoverageState.RECORDS
        elif system not in extracts:
            state = CoverageState.NOT_LOADED
        elif cover is not None and not cover.includes(person, day):
            state = CoverageState.OUTSIDE_COVERAGE
        else:
            state = CoverageState.NO_RECORD
        statuses.append(SourceStatus(system, state, cover.covers if cover else "",
                                     extracts.get(system), held.get(system, 0)))
    return statuses
