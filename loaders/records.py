"""Source rows after parsing and validation, before identity resolution: one type per kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    row: int


@dataclass(frozen=True, slots=True)
class AddressPeriod:
    system: str
    record_id: str
    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str | None
    valid_from: date | None
    valid_to: date | None
    restricted: bool
    where: Where


@dataclass(frozen=True, slots=True)
class PersonRecord:
    system: str
    record_id: str
    given_names: str
    family_name: str
    other_names: str
    sex: str
    birth_date: date | None
    death_date: date | None
    nhs_number: str | None
    upn: str | None
    address: AddressPeriod | None
    where: Where
    warnings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.system}/{self.record_id}"


@dataclass(frozen=True, slots=True)
class RelationshipRecord:
    system: str
    from_record_id: str
    to_record_id: str
    kind: str
    valid_from: date | None
    valid_to: date | None
    where: Where


@dataclass(frozen=True, slots=True)
class InvolvementRecord:
    system: str
    record_id: str
    service: str
    level: str
    start: date
    end: date | None
    status: str
    reason: str
    organisation: str
    lead: dict[str, str]
    sensitivity: str
    where: Where
    organisation_kind: str = "team"
    organisation_code: str = ""
    last_activity: date | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    system: str
    record_id: str
    date: date
    type: str
    summary: str
    sensitivity: str
    where: Where


@dataclass(frozen=True, slots=True)
class RiskRecord:
    """A risk indicator one source recorded about one of its records (canonical kind
    `risk_indicators`); `kind` is one of `graph.model.RiskKind`'s values."""

    system: str
    record_id: str
    kind: str
    valid_from: date | None
    valid_to: date | None
    summary: str
    sensitivity: str
    where: Where


@dataclass(slots=True)
class Extract:
    """Everything read from one or more canonical files, plus how many rows were read."""

    people: list[PersonRecord] = field(default_factory=list)
    addresses: list[AddressPeriod] = field(default_factory=list)
    relationships: list[RelationshipRecord] = field(default_factory=list)
    involvements: list[InvolvementRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)
    read: int = 0
    files: list[str] = field(default_factory=list)
    # What the data says of itself, by system: the day it was extracted, and what it covers
    # (a mapping's [extract] and [coverage] tables); loads without them use the load day.
    extract_dates: dict[str, date] = field(default_factory=dict)
    coverage: dict[str, dict[str, str]] = field(default_factory=dict)

    def rows(self) -> int:
        return (
            len(self.people)
            + len(self.addresses)
            + len(self.relationships)
            + len(self.involvements)
            + len(self.events)
            + len(self.risks)
        )
