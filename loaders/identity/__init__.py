"""Identity resolution: which source records are the same human, behind one interface."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from graph.store import Store
from loaders.records import PersonRecord


@dataclass(frozen=True, slots=True)
class Resolution:
    """For each record key (`system/record_id`), its person id and how that was decided."""

    person_of: dict[str, str]
    decided_by: dict[str, str]
    probability: dict[str, float]


class Resolver(Protocol):
    def resolve(self, records: Sequence[PersonRecord], store: Store) -> Resolution:
        """Assign every record a person id, keeping ids the store already gave."""
        ...


def record_node_id(key: str) -> str:
    """The graph id of a source record node."""
    return f"R:{key}"


def mint_person_id(record_keys: Sequence[str]) -> str:
    """A new person id, derived from the cluster's first record so reruns mint the same one."""
    digest = hashlib.sha256(min(record_keys).encode()).hexdigest()
    return f"P{digest[:12]}"
