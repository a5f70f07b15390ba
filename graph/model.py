"""Node and edge types of the family-context graph, validated when built."""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, TypeAlias

from graph.errors import InvalidGraphData


class Sensitivity(enum.StrEnum):
    NORMAL = "normal"
    SENSITIVE = "sensitive"
    RESTRICTED = "restricted"
    SEALED = "sealed"  # adoption, protected identities: narrower than restricted


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class ParentKind(enum.StrEnum):
    BIRTH = "birth"
    ADOPTIVE = "adoptive"
    STEP = "step"
    FOSTER = "foster"
    SPECIAL_GUARDIAN = "special_guardian"
    UNKNOWN = "unknown"


class PartnerKind(enum.StrEnum):
    PARTNER = "partner"
    SPOUSE = "spouse"


class PartnerStatus(enum.StrEnum):
    CURRENT = "current"
    SEPARATED = "separated"
    DIVORCED = "divorced"
    ENDED = "ended"


class ServiceLevel(enum.StrEnum):
    UNIVERSAL = "universal"
    TARGETED = "targeted"
    SPECIALIST = "specialist"
    STATUTORY = "statutory"


class EmotionalKind(enum.StrEnum):
    CLOSE = "close"
    CONFLICT = "conflict"
    HOSTILE = "hostile"
    ABUSE = "abuse"
    CUT_OFF = "cut_off"


def _require(condition: bool, kind: str, field_name: str, reason: str) -> None:
    if not condition:
        raise InvalidGraphData(kind=kind, field=field_name, reason=reason)


def _check_period(kind: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None:
        _require(start <= end, kind, "valid_to", "ends before it starts")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One source record that asserted a fact: which system, which local id."""

    system: str
    record_id: str

    def __post_init__(self) -> None:
        _require(bool(self.system), "SourceRef", "system", "is empty")
        _require(bool(self.record_id), "SourceRef", "record_id", "is empty")

    @property
    def key(self) -> str:
        return f"{self.system}/{self.record_id}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A value one source asserted about a person, kept so disagreements can be shown.

    `sensitivity` is the value's own: a postcode claimed from a refuge is restricted
    though the person is not."""

    field: str
    value: str
    source: SourceRef
    sensitivity: Sensitivity = Sensitivity.NORMAL


def most_asserted(claims: Iterable[Claim], field: str) -> str | None:
    """The value most of these claims give for `field`; ties go to the smallest value, so
    reruns agree. None when no claim gives it. A load chooses a person's values so, and the
    access policy chooses again from the claims a viewer may see."""
    votes = Counter(c.value for c in claims if c.field == field)
    if not votes:
        return None
    return min(votes.items(), key=lambda item: (-item[1], item[0]))[0]


# --- nodes -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One resolved human. `id` is stable across reloads while any of its records remain."""

    label: ClassVar[str] = "Person"
    id: str
    given_names: str
    family_name: str
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None
    death_date: date | None = None
    nhs_number: str | None = None
    upn: str | None = None
    sources: tuple[SourceRef, ...] = ()
    claims: tuple[Claim, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        _require(bool(self.id), "Person", "id", "is empty")
        if self.birth_date and self.death_date:
            _require(self.birth_date <= self.death_date, "Person", "death_date", "before birth")

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.given_names, self.family_name) if part)
        return name or "(no name recorded)"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record in one source system, as extracted."""

    label: ClassVar[str] = "SourceRecord"
    id: str
    system: str
    local_id: str
    extract_date: date | None = None
    fields: dict[str, str] = field(default_factory=dict)
    sensitivity: Sensitivity = Sensitivity.NORMAL
    ended: date | None = None  # missing from its system's full extracts since this date

    def __post_init__(self) -> None:
        _require(bool(self.system), "SourceRecord", "system", "is empty")
        _require(bool(self.local_id), "SourceRecord", "local_id", "is empty")


@dataclass(frozen=True, slots=True)
class Address:
    label: ClassVar[str] = "Address"
    id: str
    line1: str
    line2: str = ""
    town: str = ""
    postcode: str = ""
    uprn: str | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    @property
    def one_line(self) -> str:
        return ", ".join(
            part for part in (self.line1, self.line2, self.town, self.postcode) if part
        )


@dataclass(frozen=True, slots=True)
class Household:
    """The people resident at one address; membership lives on `MemberOf` edges."""

    label: ClassVar[str] = "Household"
    id: str
    address_id: str
    sensitivity: Sensitivity = Sensitivity.NORMAL


@dataclass(frozen=True, slots=True)
class Organisation:
    label: ClassVar[str] = "Organisation"
    id: str
    name: str
    kind: str = "team"
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Practitioner:
    label: ClassVar[str] = "Practitioner"
    id: str
    name: str
    role: str = ""
    team: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Involvement:
    """A service episode about one person, delivered by an organisation, led by a practitioner."""

    label: ClassVar[str] = "Involvement"
    id: str
    person_id: str
    service: str
    level: ServiceLevel
    start: date
    end: date | None = None
    status: str = "open"
    reason: str = ""
    organisation_id: str | None = None
    lead_id: str | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        _require(bool(self.service), "Involvement", "service", "is empty")
        _check_period("Involvement", self.start, self.end)

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Event:
    label: ClassVar[str] = "Event"
    id: str
    person_id: str
    date: date
    type: str
    summary: str = ""
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL


# CIN census primary need codes and their descriptions (the DfE's XSDs, shortened where
# long): what the CIN census loader writes into an episode's reason, and what management
# information counts as needs.
CIN_PRIMARY_NEEDS = {
    "N0": "not stated",
    "N1": "abuse, neglect and exploitation",
    "N2": "child's disability",
    "N3": "parental disability or illness",
    "N4": "family in acute stress",
    "N5": "family dysfunction",
    "N6": "socially unacceptable behaviour",
    "N7": "low income",
    "N8": "absent parenting",
    "N9": "cases other than children in need",
}


class RiskKind(enum.StrEnum):
    """The closed list of risk-indicator kinds (docs/architecture.md, "The graph")."""

    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    DOMESTIC_ABUSE = "domestic_abuse"
    OFFENDING = "offending"
    FINANCES = "finances"
    HOUSING = "housing"
    ATTENDANCE = "attendance"
    DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class RiskIndicator:
    """A risk factor one source recorded about one person, from `valid_from` until `valid_to`
    (null: still current as far as the source said). `summary` says what the source said,
    such as whose the concern is when a child's record names a parent's factor."""

    label: ClassVar[str] = "RiskIndicator"
    id: str
    person_id: str
    kind: RiskKind
    valid_from: date | None = None
    valid_to: date | None = None
    summary: str = ""
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.SENSITIVE

    def __post_init__(self) -> None:
        _require(isinstance(self.kind, RiskKind), "RiskIndicator", "kind", "not a risk kind")
        _check_period("RiskIndicator", self.valid_from, self.valid_to)

    def current_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


# --- identity resolution: decisions, events, trained models, review, explanations ---


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """A person's ruling that two source records are (`link`) or are not (`unlink`) one human.

    Decisions are never overwritten: each has its own id, and the latest per pair wins.
    """

    label: ClassVar[str] = "LinkDecision"
    id: str
    record_a: str  # source-record key, `system/record_id`
    record_b: str
    action: str  # "link" or "unlink"
    reason: str
    decided_by: str
    decided_at: str  # ISO 8601 UTC time

    def __post_init__(self) -> None:
        _require(self.action in ("link", "unlink"), "LinkDecision", "action", "not link/unlink")
        _require(self.record_a != self.record_b, "LinkDecision", "record_b", "same record")
        _require(bool(self.reason.strip()), "LinkDecision", "reason", "is empty")


@dataclass(frozen=True, slots=True)
class IdentityEvent:
    """A change in which records make up a person: created, merged, split, records moved."""

    label: ClassVar[str] = "IdentityEvent"
    id: str
    person_id: str
    kind: str  # created | merged | split | gained | lost
    on: date
    records: tuple[str, ...] = ()
    other_person: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LinkageModel:
    """The trained linkage parameters one load used, kept so a link can be explained later."""

    label: ClassVar[str] = "LinkageModel"
    id: str
    trained_at: str  # ISO 8601 UTC time
    records: int
    parameters: str  # Splink's model JSON: settings with trained m and u probabilities
    summary: str = "{}"  # JSON: thresholds, counts, how training went


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """Two records the model could not decide on, waiting for a person to link or unlink."""

    label: ClassVar[str] = "ReviewPair"
    id: str
    record_a: str
    record_b: str
    person_a: str
    person_b: str
    probability: float
    match_weight: float
    grade: str  # FHIR $match: certain | probable | possible
    evidence: str  # JSON list of {field, level, weight}
    status: str = "open"  # open | decided | superseded
    raised_on: date | None = None
    model_id: str = ""


@dataclass(frozen=True, slots=True)
class LinkExplanation:
    """Why a person's records were joined: each link with its field-by-field match weights."""

    label: ClassVar[str] = "LinkExplanation"
    id: str
    person_id: str
    records: tuple[str, ...]
    links: str  # JSON list of {a, b, decided_by, probability, match_weight, grade, fields}
    model_id: str = ""


Node: TypeAlias = (
    Person
    | SourceRecord
    | Address
    | Household
    | Organisation
    | Practitioner
    | Involvement
    | Event
    | RiskIndicator
    | LinkDecision
    | IdentityEvent
    | LinkageModel
    | ReviewPair
    | LinkExplanation
)

# --- edges -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParentOf:
    type: ClassVar[str] = "PARENT_OF"
    src: str
    dst: str
    kind: ParentKind = ParentKind.UNKNOWN
    parental_responsibility: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        _require(self.src != self.dst, "ParentOf", "dst", "a person cannot be their own parent")
        _check_period("ParentOf", self.valid_from, self.valid_to)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.src}:{self.dst}:{self.kind}"


@dataclass(frozen=True, slots=True)
class PartnerOf:
    """Stored once per couple, with `src` < `dst`, so the pair has one key."""

    type: ClassVar[str] = "PARTNER_OF"
    src: str
    dst: str
    kind: PartnerKind = PartnerKind.PARTNER
    status: PartnerStatus = PartnerStatus.CURRENT
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        _require(self.src != self.dst, "PartnerOf", "dst", "a person cannot partner themselves")
        _require(self.src < self.dst, "PartnerOf", "src", "couples are stored with src < dst")
        _check_period("PartnerOf", self.valid_from, self.valid_to)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.src}:{self.dst}:{self.valid_from}"


@dataclass(frozen=True, slots=True)
class RelatedTo:
    type: ClassVar[str] = "RELATED_TO"
    src: str
    dst: str
    kind: str
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    @property
    def key(self) -> str:
        return f"{self.type}:{self.src}:{self.dst}:{self.kind}"


@dataclass(frozen=True, slots=True)
class Emotional:
    type: ClassVar[str] = "EMOTIONAL"
    src: str
    dst: str
    kind: EmotionalKind
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.SENSITIVE

    @property
    def key(self) -> str:
        return f"{self.type}:{self.src}:{self.dst}:{self.kind}"


@dataclass(frozen=True, slots=True)
class HasRecord:
    type: ClassVar[str] = "HAS_RECORD"
    src: str
    dst: str
    probability: float = 1.0
    decided_by: str = "rule"

    def __post_init__(self) -> None:
        _require(0.0 <= self.probability <= 1.0, "HasRecord", "probability", "outside 0..1")

    @property
    def key(self) -> str:
        return f"{self.type}:{self.dst}"  # a record belongs to one person at a time


@dataclass(frozen=True, slots=True)
class MemberOf:
    """A person resident in a household from `valid_from` until `valid_to` (null: still there)."""

    type: ClassVar[str] = "MEMBER_OF"
    src: str
    dst: str
    valid_from: date | None = None
    valid_to: date | None = None
    sources: tuple[SourceRef, ...] = ()
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        _check_period("MemberOf", self.valid_from, self.valid_to)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.src}:{self.dst}:{self.valid_from}"

    def current_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


Edge: TypeAlias = ParentOf | PartnerOf | RelatedTo | Emotional | HasRecord | MemberOf

NODE_TYPES: dict[str, type[Any]] = {
    cls.label: cls
    for cls in (
        Person,
        SourceRecord,
        Address,
        Household,
        Organisation,
        Practitioner,
        Involvement,
        Event,
        RiskIndicator,
        LinkDecision,
        IdentityEvent,
        LinkageModel,
        ReviewPair,
        LinkExplanation,
    )
}
EDGE_TYPES: dict[str, type[Any]] = {
    cls.type: cls for cls in (ParentOf, PartnerOf, RelatedTo, Emotional, HasRecord, MemberOf)
}


def couple(a: str, b: str) -> tuple[str, str]:
    """The (src, dst) order a `PartnerOf` edge stores a couple in."""
    return (a, b) if a < b else (b, a)


# --- codec: plain JSON-ready dicts, shared by every store ------------------


# Values JSON holds as they are: most of a node's fields, passed over without a test each.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _encode_value(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, SourceRef):
        return [value.system, value.record_id]
    if isinstance(value, Claim):
        encoded = [value.field, value.value, value.source.system, value.source.record_id]
        # Normal claims keep the four-item form stores written before sensitivity had.
        if value.sensitivity is not Sensitivity.NORMAL:
            encoded.append(value.sensitivity.value)
        return encoded
    if isinstance(value, tuple | list):
        return [item if type(item) in _PLAIN else _encode_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode_value(item) for key, item in value.items()}
    return value


def encode(item: Node | Edge) -> dict[str, Any]:
    """A node or edge as a JSON-ready dict (its label or type is not included)."""
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in dataclasses.fields(item))
    encoded = {}
    for name in names:
        value = getattr(item, name)
        encoded[name] = value if type(value) in _PLAIN else _encode_value(value)
    return encoded


# Each class's field names, worked out once: a load encodes every node it writes.
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _source_refs(raw: Any) -> tuple[SourceRef, ...]:
    return tuple(SourceRef(*pair) for pair in raw)


def _claims(raw: Any) -> tuple[Claim, ...]:
    return tuple(Claim(item[0], item[1], SourceRef(item[2], item[3]),
                       Sensitivity(item[4]) if len(item) > 4 else Sensitivity.NORMAL)
                 for item in raw)


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """How a field with this type hint is rebuilt from JSON (None: as it is)."""
    text = hint if isinstance(hint, str) else getattr(hint, "__name__", "")
    if "tuple[SourceRef" in text:
        return _source_refs
    if "tuple[Claim" in text:
        return _claims
    if text.startswith("tuple[str"):
        return tuple
    if text.startswith("date"):
        return date.fromisoformat
    for enum_type in (
        Sensitivity,
        Sex,
        ParentKind,
        PartnerKind,
        PartnerStatus,
        ServiceLevel,
        EmotionalKind,
        RiskKind,
    ):
        if text == enum_type.__name__:
            return enum_type
    return None


_CONVERTERS: dict[type[Any], dict[str, Callable[[Any], Any] | None]] = {}


def _converters(cls: type[Any]) -> dict[str, Callable[[Any], Any] | None]:
    # Worked out once a class: a store decodes tens of thousands of nodes a second.
    found = _CONVERTERS.get(cls)
    if found is None:
        found = _CONVERTERS[cls] = {f.name: _converter(f.type) for f in dataclasses.fields(cls)}
    return found


def decode(cls: type[Any], data: dict[str, Any]) -> Any:
    """Rebuild a node or edge of type `cls` from `encode`'s output."""
    converters = _converters(cls)
    fields = {}
    for name, raw in data.items():
        if name in converters:
            convert = converters[name]
            fields[name] = raw if raw is None or convert is None else convert(raw)
    return cls(**fields)
