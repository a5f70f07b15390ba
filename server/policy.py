"""The one access policy: what a viewer may see of each fact, decided in one function.

Every output path (GraphQL, pages, genogram, exports) hands each fact to `release`
before it leaves, and records what was returned and withheld for the audit log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph.model import Address, Person, Sensitivity
from graph.store import InvolvementView


class Purpose(enum.StrEnum):
    """Why a viewer is looking; each maps to a lawful basis (SECURITY.md 13)."""

    MASH_SCREENING = "mash_screening"
    S47_ENQUIRY = "s47_enquiry"
    S17_ASSESSMENT = "s17_assessment"
    EARLY_HELP = "early_help"
    CP_CONFERENCE = "cp_conference"


LAWFUL_BASIS = {
    Purpose.MASH_SCREENING: "Children Act 2004 s11; Working Together 2023",
    Purpose.S47_ENQUIRY: "Children Act 1989 s47",
    Purpose.S17_ASSESSMENT: "Children Act 1989 s17",
    Purpose.EARLY_HELP: "Children Act 2004 s10 with consent",
    Purpose.CP_CONFERENCE: "Working Together 2023, chapter 4",
}


class Category(enum.StrEnum):
    """Kinds of fact, as information-sharing agreements name them and audit rows list them."""

    IDENTITY = "identity"
    ADDRESS = "address"
    HOUSEHOLD = "household"
    FAMILY = "family"
    SERVICES = "services"


VIEW_RESTRICTED = "view_restricted"
# May see the review queue and link or unlink records (identity resolution).
RESOLVE_IDENTITY = "resolve_identity"


@dataclass(frozen=True, slots=True)
class Viewer:
    user: str
    agency: str
    role: str
    purpose: Purpose
    permissions: frozenset[str] = frozenset()


Fact = TypeVar("Fact", Person, Address, InvolvementView)


@dataclass(frozen=True, slots=True)
class Release(Generic[Fact]):
    """What the policy let through (`value`, None if withheld) and under which category."""

    value: Fact | None
    category: Category
    redacted: bool


def release(viewer: Viewer, fact: Fact) -> Release[Fact]:
    """Decide what `viewer` may see of `fact`.

    Today's rules: restricted facts are withheld, and restricted people are shown by
    name only, unless the viewer holds `view_restricted`. Information-sharing
    agreements per agency and source system are filled in here, not at call sites.
    """
    may_see_restricted = VIEW_RESTRICTED in viewer.permissions
    if isinstance(fact, Person):
        if fact.sensitivity is Sensitivity.RESTRICTED and not may_see_restricted:
            name_only = Person(
                id=fact.id,
                given_names=fact.given_names,
                family_name=fact.family_name,
                sensitivity=Sensitivity.RESTRICTED,
            )
            return Release(name_only, Category.IDENTITY, True)
        return Release(fact, Category.IDENTITY, False)
    if isinstance(fact, Address):
        if fact.sensitivity is Sensitivity.RESTRICTED and not may_see_restricted:
            return Release(None, Category.ADDRESS, True)
        return Release(fact, Category.ADDRESS, False)
    involvement = fact.involvement
    if involvement.sensitivity is Sensitivity.RESTRICTED and not may_see_restricted:
        return Release(None, Category.SERVICES, True)
    return Release(fact, Category.SERVICES, False)
