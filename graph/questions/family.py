"""The wider family as a genogram: people in generations, parent and partner edges."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date

from graph.model import ParentKind, ParentOf, PartnerOf, Person, SourceRef
from graph.questions import resolve_as_of
from graph.questions.kinship import describe_all
from graph.store import KinGraph, Store

MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class GenogramPerson:
    person: Person
    generation: int  # 0 for the subject, -1 parents, +1 children
    relationship: str
    is_subject: bool


@dataclass(frozen=True, slots=True)
class GenogramEdge:
    """`kind` is PARENT or PARTNER; `subtype` the parent kind or partner kind."""

    kind: str
    src: str
    dst: str
    subtype: str
    status: str
    valid_from: date | None
    valid_to: date | None
    provenance: str  # recorded, inferred or asserted
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Genogram:
    subject_id: str
    as_of: date
    people: tuple[GenogramPerson, ...]
    edges: tuple[GenogramEdge, ...]


def genogram_of(
    store: Store, person_id: str, depth: int = 2, as_of: date | None = None
) -> Genogram:
    """The family around `person_id` within `depth` steps (1..6), for drawing.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    ValueError : depth outside 1..6
    """
    check_depth(depth)
    day = resolve_as_of(as_of)
    return genogram_from(store.kin(person_id, depth, day), day)


def check_depth(depth: int) -> None:
    """
    Raises
    ------
    ValueError : depth outside 1..6
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")


def genogram_from(kin: KinGraph, day: date) -> Genogram:
    """The genogram of a kin graph the store found for its subject on `day`."""
    person_id = kin.subject_id
    generations = _generations(person_id, kin.parents, kin.partners)
    words = describe_all(kin, person_id, list(kin.people), day)
    people = tuple(
        GenogramPerson(p, generations.get(p.id, 0), words[p.id], p.id == person_id)
        for p in sorted(kin.people.values(), key=lambda p: (generations.get(p.id, 0), p.id))
    )
    edges = [
        GenogramEdge(
            "PARENT",
            e.src,
            e.dst,
            str(e.kind),
            "current" if e.valid_to is None or day < e.valid_to else "ended",
            e.valid_from,
            e.valid_to,
            "recorded",
            e.sources,
        )
        for e in kin.parents
        if e.kind is not ParentKind.STEP or e.valid_to is None or e.valid_to >= day
    ]
    edges += [
        GenogramEdge(
            "PARTNER",
            e.src,
            e.dst,
            str(e.kind),
            _status_on(e, day),
            e.valid_from,
            e.valid_to,
            "recorded",
            e.sources,
        )
        for e in kin.partners
    ]
    return Genogram(person_id, day, people, tuple(edges))


def _status_on(partnership: PartnerOf, day: date) -> str:
    """A partnership's status as it stood on `day`: one that ended later was current then.

    >>> from graph.model import PartnerKind, PartnerStatus
    >>> ended = PartnerOf("a", "b", PartnerKind.SPOUSE, PartnerStatus.DIVORCED,
    ...                   date(2001, 1, 1), date(2010, 1, 1), ())
    >>> _status_on(ended, date(2005, 1, 1)), _status_on(ended, date(2011, 1, 1))
    ('current', 'divorced')
    """
    if partnership.valid_to is not None and day < partnership.valid_to:
        return "current"
    return str(partnership.status)


def _generations(
    subject: str, parents: tuple[ParentOf, ...], partners: tuple[PartnerOf, ...]
) -> dict[str, int]:
    """Generation of each person relative to the subject, by breadth-first walk."""
    steps: dict[str, list[tuple[str, int]]] = {}
    for parent in parents:
        steps.setdefault(parent.src, []).append((parent.dst, 1))
        steps.setdefault(parent.dst, []).append((parent.src, -1))
    for couple in partners:
        steps.setdefault(couple.src, []).append((couple.dst, 0))
        steps.setdefault(couple.dst, []).append((couple.src, 0))
    generation = {subject: 0}
    queue = deque([subject])
    while queue:
        current = queue.popleft()
        for other, delta in steps.get(current, ()):
            if other not in generation:
                generation[other] = generation[current] + delta
                queue.append(other)
    return generation


@dataclass(frozen=True, slots=True)
class FamilyMember:
    person: Person
    relationship: str
    generation: int


def family_of(
    store: Store, person_id: str, depth: int = 2, as_of: date | None = None
) -> list[FamilyMember]:
    """The wider family within `depth` steps, each with their relationship, nearest first.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    ValueError : depth outside 1..6
    """
    return family_from(genogram_of(store, person_id, depth, as_of))


def family_from(genogram: Genogram) -> list[FamilyMember]:
    """Everyone on a genogram but its subject, nearest first."""
    return [
        FamilyMember(g.person, g.relationship, g.generation)
        for g in sorted(genogram.people, key=lambda g: (abs(g.generation), g.person.id))
        if not g.is_subject
    ]
