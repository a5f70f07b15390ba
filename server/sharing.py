"""Information-sharing agreements, read from TOML: who sees which systems and categories."""

from __future__ import annotations

import enum
import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.errors import FamgraphError
from graph.model import RiskKind, Sensitivity

DEFAULT_FILE = Path(__file__).resolve().parent / "sharing.toml"

# Lowest first: an agency's ceiling lets through its own level and everything below.
SENSITIVITY_ORDER = (
    Sensitivity.NORMAL,
    Sensitivity.SENSITIVE,
    Sensitivity.RESTRICTED,
    Sensitivity.SEALED,
)


class Category(enum.StrEnum):
    """Kinds of fact, as agreements name them and audit rows list them."""

    IDENTITY = "identity"
    DEMOGRAPHICS = "demographics"
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    ADDRESS = "address"
    HOUSEHOLD = "household"
    FAMILY = "family"
    SERVICES = "services"
    SERVICE_DETAIL = "service_detail"
    SOURCES = "sources"
    RISK_INDICATORS = "risk_indicators"


class Purpose(enum.StrEnum):
    """Why a viewer is looking (docs/security.md rule 13); each maps to a lawful basis in the
    file."""

    MASH_SCREENING = "mash_screening"
    S47_ENQUIRY = "s47_enquiry"
    S17_ASSESSMENT = "s17_assessment"
    EARLY_HELP = "early_help"
    CP_CONFERENCE = "cp_conference"


PURPOSE_NAMES = frozenset(purpose.value for purpose in Purpose)

VIEW_RESTRICTED = "view_restricted"
VIEW_SEALED = "view_sealed"
AUDIT_READ = "audit_read"
# May see the review queue and link or unlink records (identity resolution).
RESOLVE_IDENTITY = "resolve_identity"
# May read management information: suppressed aggregate counts, never a person.
READ_MANAGEMENT_INFORMATION = "read_management_information"
PERMISSIONS = frozenset({VIEW_RESTRICTED, VIEW_SEALED, AUDIT_READ, RESOLVE_IDENTITY,
                         READ_MANAGEMENT_INFORMATION})


class SharingConfigError(FamgraphError):
    """Raised when the sharing file is missing, unreadable or names something unknown."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"sharing file {path}: {reason}")


@dataclass(frozen=True, slots=True)
class Contact:
    """Whom an agency's users ask about information withheld from them."""

    name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Agreement:
    """What one agency may see."""

    agency: str
    systems: frozenset[str]
    categories: frozenset[Category]
    sensitivity: Sensitivity
    break_glass: bool
    # Which risk-indicator kinds the agency sees, on top of the `risk_indicators` category:
    # a school sees attendance, not a parent's mental health or police intelligence.
    risk_kinds: frozenset[RiskKind] = frozenset()
    # Which purposes its users may act under and which acting roles they may hold: a
    # police officer does not act for early help, nor holds a social worker's permissions.
    purposes: frozenset[Purpose] = frozenset()
    roles: frozenset[str] = frozenset()
    # The agency's information-sharing contact, if the file gives one.
    contact: Contact | None = None


NO_AGREEMENT = Agreement("", frozenset(), frozenset(), Sensitivity.NORMAL, False)


@dataclass(frozen=True, slots=True)
class SharingRules:
    """Every agreement, role and purpose in one sharing file."""

    agreements: dict[str, Agreement]
    roles: dict[str, frozenset[str]]
    lawful_basis: dict[Purpose, str]

    def agreement(self, agency: str) -> Agreement:
        """The agency's agreement; an agency without one sees nothing (deny by default)."""
        return self.agreements.get(agency, NO_AGREEMENT)

    def permissions(self, role: str) -> frozenset[str]:
        return self.roles.get(role, frozenset())

    def may_hold(self, agency: str, role: str) -> bool:
        """Whether the agency's users may act in `role`."""
        return role in self.agreement(agency).roles

    def may_use(self, agency: str, purpose: Purpose | None) -> bool:
        """Whether the agency's users may act under `purpose`."""
        return purpose in self.agreement(agency).purposes

    def basis(self, purpose: Purpose | None) -> str:
        return self.lawful_basis.get(purpose, "") if purpose else ""


def at_most(level: Sensitivity, ceiling: Sensitivity) -> bool:
    return SENSITIVITY_ORDER.index(level) <= SENSITIVITY_ORDER.index(ceiling)


def load_rules(path: Path | None = None) -> SharingRules:
    """Read and check a sharing file (default: the one shipped beside this module).

    Raises
    ------
    SharingConfigError : unreadable, or it names an unknown category, level, purpose,
        permission, role or risk kind
    """
    path = path or DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SharingConfigError(path, f"cannot be read: {exc}") from None
    return parse_rules(data, path)


def parse_rules(data: dict[str, Any], path: Path = DEFAULT_FILE) -> SharingRules:
    """Rules from a parsed sharing file; every name checked against the closed lists."""

    def fail(reason: str) -> SharingConfigError:
        return SharingConfigError(path, reason)

    try:
        basis = {Purpose(name): str(text) for name, text in data.get("purposes", {}).items()}
    except ValueError as exc:
        raise fail(f"unknown purpose ({exc})") from None
    missing = set(Purpose) - set(basis)
    if missing:
        raise fail(f"purposes without a lawful basis: {', '.join(sorted(missing))}")
    roles: dict[str, frozenset[str]] = {}
    for role, permissions in data.get("roles", {}).items():
        unknown = set(permissions) - PERMISSIONS
        if unknown:
            raise fail(f"role {role} has unknown permissions {sorted(unknown)}")
        roles[role] = frozenset(permissions)
    agreements = {}
    for agency, spec in data.get("agencies", {}).items():
        if not isinstance(spec, dict):
            raise fail(f"agency {agency} must be a table")
        purposes, held = _names(spec, "purposes", agency, fail), _names(spec, "roles", agency, fail)
        for purpose in purposes:
            if purpose not in PURPOSE_NAMES:
                raise fail(f"agency {agency} names unknown purpose {purpose}")
        for role in held:
            if role not in roles:
                raise fail(f"agency {agency} names unknown role {role} (not under [roles])")
        try:
            agreements[agency] = Agreement(
                agency=agency,
                systems=frozenset(str(s) for s in spec.get("systems", [])),
                categories=frozenset(Category(c) for c in spec.get("categories", [])),
                sensitivity=Sensitivity(spec.get("sensitivity", "normal")),
                break_glass=bool(spec.get("break_glass", False)),
                risk_kinds=frozenset(RiskKind(k) for k in spec.get("risk_kinds", [])),
                purposes=frozenset(Purpose(p) for p in purposes),
                roles=frozenset(held),
                contact=_contact(spec, agency, fail),
            )
        except (ValueError, AttributeError) as exc:
            raise fail(f"agency {agency}: {exc}") from None
        if agreements[agency].sensitivity not in (Sensitivity.NORMAL, Sensitivity.SENSITIVE):
            raise fail(f"agency {agency}: restricted and sealed come from roles and grants")
    return SharingRules(agreements, roles, basis)


_CONTACT_FIELDS = ("name", "role", "email", "phone")
_PHONE = re.compile(r"^\+?[0-9][0-9 ]{6,19}$")


def _contact(
    spec: dict[str, Any], agency: str, fail: Callable[[str], SharingConfigError]
) -> Contact | None:
    """The agency's information-sharing contact: a table of name, role, email and phone,
    each a non-empty string, the email with one @ and a dotted domain, the phone digits and
    spaces (an optional leading +). No table: no contact."""
    found = spec.get("contact")
    if found is None:
        return None
    if not isinstance(found, dict):
        raise fail(f"agency {agency}: contact must be a table")
    unknown = set(found) - set(_CONTACT_FIELDS)
    if unknown:
        raise fail(f"agency {agency}: contact has unknown fields {sorted(unknown)}")
    values = {}
    for name in _CONTACT_FIELDS:
        value = found.get(name)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"agency {agency}: contact needs a {name}")
        values[name] = value.strip()
    local, at, domain = values["email"].partition("@")
    if not (local and at and "." in domain and "@" not in domain):
        raise fail(f"agency {agency}: contact email is not an email address")
    if not _PHONE.match(values["phone"]):
        raise fail(f"agency {agency}: contact phone is not a phone number")
    return Contact(**values)


def _names(
    spec: dict[str, Any], key: str, agency: str, fail: Callable[[str], SharingConfigError]
) -> list[str]:
    """The agency's list of purposes or roles; a missing list is an error, not "none", so
    a sharing file written before agencies named them fails at start, not at sign-in."""
    names = spec.get(key)
    if names is None:
        raise fail(f"agency {agency} does not say which {key} it may hold "
                   f"(write {key} = [] for none)")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise fail(f"agency {agency}: {key} must be a list of names")
    return names


@functools.cache
def default_rules() -> SharingRules:
    """The shipped sharing file, read once; the app passes the configured one explicitly."""
    return load_rules()
