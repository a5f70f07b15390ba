"""Where the source systems disagree about a person: names, dates, identifiers, postcodes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from graph.errors import PersonNotFound
from graph.model import Person, SourceRef
from graph.store import Store

# Fields worth showing when sources differ, in the order a worker reads them.
COMPARED = ("given_names", "family_name", "birth_date", "sex", "nhs_number", "upn", "postcode",
            "death_date")


@dataclass(frozen=True, slots=True)
class Assertion:
    value: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    field: str
    assertions: tuple[Assertion, ...]  # most sources first


def discrepancies_of(store: Store, person_id: str) -> list[Discrepancy]:
    """Fields on which the subject's source records assert different values.

    Values are compared as recorded: a nickname or a swapped birth date shows up
    here, which is the point — a worker sees what each system holds.

    Raises
    ------
    PersonNotFound : the store holds no person with that id
    """
    person = store.people([person_id]).get(person_id)
    if person is None:
        raise PersonNotFound(person_id)
    return discrepancies_in(person)


def discrepancies_in(person: Person) -> list[Discrepancy]:
    """Fields on which the source records joined into `person` assert different values."""
    values: dict[str, dict[str, list[SourceRef]]] = defaultdict(lambda: defaultdict(list))
    for claim in person.claims:
        values[claim.field][claim.value].append(claim.source)
    found = []
    for field in COMPARED:
        if len(values.get(field, {})) > 1:
            assertions = sorted(
                (Assertion(value, tuple(sorted(refs, key=lambda r: r.key)))
                 for value, refs in values[field].items()),
                key=lambda a: (-len(a.sources), a.value),
            )
            found.append(Discrepancy(field, tuple(assertions)))
    return found
