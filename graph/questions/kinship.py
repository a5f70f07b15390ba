"""Plain words for how one person is related to another, derived from a kin graph.

Siblings, grandparents, aunts and cousins are derived from parent and partner
edges, never stored. Words follow what front-door staff write: "mother",
"half-brother (maternal)", "mother's partner", "unrelated adult".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from graph.model import ParentKind, ParentOf, PartnerKind, PartnerOf, PartnerStatus, Person, Sex
from graph.store import KinGraph

ADULT_AGE = 18

# Parent kinds that make siblings: a shared step or foster carer does not.
_BLOOD_OR_LEGAL = frozenset({ParentKind.BIRTH, ParentKind.ADOPTIVE, ParentKind.UNKNOWN})


def _by_sex(person: Person, female: str, male: str, other: str) -> str:
    if person.sex is Sex.FEMALE:
        return female
    if person.sex is Sex.MALE:
        return male
    return other


def _current(valid_to: date | None, day: date) -> bool:
    return valid_to is None or day <= valid_to


@dataclass(slots=True)
class _Index:
    """Parent and partner lookups over one kin graph at one date."""

    as_of: date
    parents: dict[str, dict[str, ParentOf]] = field(default_factory=lambda: defaultdict(dict))
    children: dict[str, dict[str, ParentOf]] = field(default_factory=lambda: defaultdict(dict))
    partners: dict[str, dict[str, PartnerOf]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def of(cls, kin: KinGraph, as_of: date) -> _Index:
        index = cls(as_of)
        for edge in kin.parents:
            if _current(edge.valid_to, as_of) or edge.kind in _BLOOD_OR_LEGAL:
                index.parents[edge.dst][edge.src] = edge
                index.children[edge.src][edge.dst] = edge
        for couple in kin.partners:
            index.partners[couple.src][couple.dst] = couple
            index.partners[couple.dst][couple.src] = couple
        return index

    def family_parents(self, person_id: str) -> set[str]:
        return {p for p, e in self.parents[person_id].items() if e.kind in _BLOOD_OR_LEGAL}

    def current_partners(self, person_id: str) -> set[str]:
        return {
            other
            for other, edge in self.partners[person_id].items()
            if edge.status is PartnerStatus.CURRENT and _current(edge.valid_to, self.as_of)
        }


def relationship_of(kin: KinGraph, subject_id: str, other_id: str, as_of: date) -> str:
    """How `other_id` is related to `subject_id`, in plain words.

    Parameters
    ----------
    kin : the people around the subject with the parent and partner edges among them
    subject_id, other_id : ids of two people in `kin.people`
    as_of : the date the relationship is described on

    Returns
    -------
    A short phrase such as "mother", "half-sister (paternal)" or "unrelated adult".

    Examples
    --------
    >>> from graph.model import Person, ParentOf, ParentKind, Sex
    >>> from datetime import date
    >>> mum = Person(id="M", given_names="Ann", family_name="Lee", sex=Sex.FEMALE)
    >>> kid = Person(id="C", given_names="Bo", family_name="Lee", sex=Sex.MALE)
    >>> kin = KinGraph("C", {"M": mum, "C": kid}, (ParentOf("M", "C", ParentKind.BIRTH),))
    >>> relationship_of(kin, "C", "M", date(2026, 1, 1))
    'mother'
    >>> relationship_of(kin, "M", "C", date(2026, 1, 1))
    'son'
    """
    return _Words(kin, _Index.of(kin, as_of), as_of).describe(subject_id, other_id)


def describe_all(kin: KinGraph, subject_id: str, others: list[str], as_of: date) -> dict[str, str]:
    """`relationship_of` for many people, building the lookups once."""
    words = _Words(kin, _Index.of(kin, as_of), as_of)
    return {other: words.describe(subject_id, other) for other in others}


@dataclass(slots=True)
class _Words:
    kin: KinGraph
    index: _Index
    as_of: date

    def describe(self, subject: str, other: str) -> str:
        if subject == other:
            return "self"
        person = self.kin.people.get(other)
        if person is None:
            return "unknown person"
        for rule in (
            self._parent,
            self._child,
            self._partner,
            self._sibling,
            self._grandparent,
            self._grandchild,
            self._parents_partner,
            self._aunt_or_uncle,
            self._niece_or_nephew,
            self._cousin,
            self._recorded_relation,
        ):
            words = rule(subject, other, person)
            if words:
                return words
        age = person.age_on(self.as_of)
        if age is None:
            return "unrelated person"
        return "unrelated adult" if age >= ADULT_AGE else "unrelated child"

    def _parent(self, subject: str, other: str, person: Person) -> str | None:
        edge = self.index.parents[subject].get(other)
        if edge is None:
            return None
        if edge.kind is ParentKind.STEP:
            return _by_sex(person, "step-mother", "step-father", "step-parent")
        if edge.kind is ParentKind.ADOPTIVE:
            return _by_sex(person, "adoptive mother", "adoptive father", "adoptive parent")
        if edge.kind is ParentKind.FOSTER:
            return "foster carer"
        if edge.kind is ParentKind.SPECIAL_GUARDIAN:
            return "special guardian"
        return _by_sex(person, "mother", "father", "parent")

    def _child(self, subject: str, other: str, person: Person) -> str | None:
        edge = self.index.children[subject].get(other)
        if edge is None:
            return None
        if edge.kind is ParentKind.STEP:
            return _by_sex(person, "step-daughter", "step-son", "step-child")
        if edge.kind is ParentKind.FOSTER:
            return "foster child"
        if edge.kind is ParentKind.SPECIAL_GUARDIAN:
            return "child under special guardianship"
        if edge.kind is ParentKind.ADOPTIVE:
            return _by_sex(person, "adopted daughter", "adopted son", "adopted child")
        return _by_sex(person, "daughter", "son", "child")

    def _partner(self, subject: str, other: str, person: Person) -> str | None:
        edge = self.index.partners[subject].get(other)
        if edge is None:
            return None
        current = edge.status is PartnerStatus.CURRENT and _current(edge.valid_to, self.as_of)
        if edge.kind is PartnerKind.SPOUSE:
            spouse = _by_sex(person, "wife", "husband", "spouse")
            return spouse if current else f"ex-{spouse}"
        return "partner" if current else "ex-partner"

    def _sibling(self, subject: str, other: str, person: Person) -> str | None:
        mine, theirs = self.index.family_parents(subject), self.index.family_parents(other)
        shared = mine & theirs
        if not shared:
            return self._step_sibling(subject, other, person)
        word = _by_sex(person, "sister", "brother", "sibling")
        if mine == theirs:
            born = self.kin.people[subject].birth_date if subject in self.kin.people else None
            # Same parents, same birthday: twins (or more), which workers name as such.
            return f"twin {word}" if born is not None and born == person.birth_date else word
        sides = sorted(
            _by_sex(self.kin.people[p], "maternal", "paternal", "shared parent")
            for p in shared
            if p in self.kin.people
        )
        return f"half-{word} ({', '.join(sides)})"

    def _step_sibling(self, subject: str, other: str, person: Person) -> str | None:
        for parent in self.index.family_parents(subject):
            for partner in self.index.current_partners(parent):
                if partner in self.index.family_parents(other):
                    return _by_sex(person, "step-sister", "step-brother", "step-sibling")
        return None

    def _grandparent(self, subject: str, other: str, person: Person) -> str | None:
        for parent in self.index.family_parents(subject):
            if other in self.index.family_parents(parent):
                side = _by_sex(self.kin.people[parent], "maternal ", "paternal ", "")
                return side + _by_sex(person, "grandmother", "grandfather", "grandparent")
        return None

    def _grandchild(self, subject: str, other: str, person: Person) -> str | None:
        for parent in self.index.family_parents(other):
            if subject in self.index.family_parents(parent):
                return _by_sex(person, "granddaughter", "grandson", "grandchild")
        return None

    def _parents_partner(self, subject: str, other: str, person: Person) -> str | None:
        for parent in sorted(self.index.family_parents(subject)):
            edge = self.index.partners[parent].get(other)
            if edge is None or other not in self.index.current_partners(parent):
                continue
            if edge.kind is PartnerKind.SPOUSE:
                return _by_sex(person, "step-mother", "step-father", "step-parent")
            owner = _by_sex(self.kin.people[parent], "mother's", "father's", "parent's")
            return f"{owner} partner"
        return None

    def _siblings_of(self, person_id: str) -> set[str]:
        found: set[str] = set()
        for parent in self.index.family_parents(person_id):
            found |= {
                c for c, e in self.index.children[parent].items() if e.kind in _BLOOD_OR_LEGAL
            }
        found.discard(person_id)
        return found

    def _aunt_or_uncle(self, subject: str, other: str, person: Person) -> str | None:
        for parent in sorted(self.index.family_parents(subject)):
            if other in self._siblings_of(parent):
                side = _by_sex(self.kin.people[parent], "maternal ", "paternal ", "")
                return side + _by_sex(person, "aunt", "uncle", "aunt or uncle")
        return None

    def _niece_or_nephew(self, subject: str, other: str, person: Person) -> str | None:
        for parent in self.index.family_parents(other):
            if parent in self._siblings_of(subject):
                return _by_sex(person, "niece", "nephew", "niece or nephew")
        return None

    def _cousin(self, subject: str, other: str, person: Person) -> str | None:
        for parent in self.index.family_parents(subject):
            for aunt in self._siblings_of(parent):
                if other in self.index.children[aunt]:
                    return "cousin"
        return None

    def _recorded_relation(self, subject: str, other: str, person: Person) -> str | None:
        for edge in self.kin.related:
            if {edge.src, edge.dst} == {subject, other}:
                return edge.kind.replace("_", " ")
        return None
