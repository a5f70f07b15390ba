"""Per-request DataLoaders: resolvers say what they need, and the store is asked once.

Sibling resolvers (every search result's household, every member's services, two aliases
of one person) load through these instead of calling the store, so a request makes one
store call per kind of question however many items ask, and a question two fields ask
(the household, for its own field and for the household's services) is answered once.
Loaders live for one request: nothing cached here outlives the viewer who asked.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.errors import PersonNotFound
from graph.model import Person
from graph.questions.coverage import Coverage, latest_extracts, read_coverage
from graph.questions.household import HouseholdAnswer, household_of
from graph.questions.risk import RiskFound, risks_of_scopes
from graph.questions.services import Scope, ServiceEngaged, people_in_scope, services_of_scopes
from graph.store import Store

Answer = TypeVar("Answer")


@functools.lru_cache(maxsize=4)
def coverage_declarations(path: str) -> dict[str, Coverage]:
    """The coverage file a setting names (empty: the shipped one), read once per process."""
    return read_coverage(Path(path) if path else None)


@dataclass(frozen=True, slots=True)
class ServicesKey:
    person_id: str
    scope: Scope
    day: date
    include_closed: bool = False


class Loaders:
    """The DataLoaders of one request over `store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._extracts: dict[str, date] | None = None
        self.people: DataLoader[str, Person | None] = DataLoader(self._people)
        self.households: DataLoader[tuple[str, date], HouseholdAnswer] = DataLoader(
            self._households)
        self.services: DataLoader[ServicesKey, list[ServiceEngaged]] = DataLoader(
            self._services)
        self.risks: DataLoader[ServicesKey, list[RiskFound]] = DataLoader(self._risks)
        # What the policy released of a loaded answer, and how much it withheld, by what
        # was asked: two fields over one answer (a list and its withheld count) share the
        # decisions instead of running every item through the policy again.
        self.released: dict[Hashable, tuple[list[Any], int]] = {}

    async def person(self, person_id: str) -> Person:
        """
        Raises
        ------
        PersonNotFound : the store holds no person with that id
        """
        found = await self.people.load(person_id)
        if found is None:
            raise PersonNotFound(person_id)
        return found

    def extracts(self) -> dict[str, date]:
        """Each source system's latest extract date, read once per request."""
        if self._extracts is None:
            self._extracts = latest_extracts(self.store)
        return self._extracts

    async def people_of(self, ids: set[str] | list[str]) -> list[Person]:
        """The people with these ids that the store holds."""
        return [p for p in await self.people.load_many(list(ids)) if p is not None]

    async def _people(self, ids: list[str]) -> list[Person | None]:
        found = self.store.people(ids)
        return [found.get(i) for i in ids]

    async def _households(
        self, keys: list[tuple[str, date]]
    ) -> list[HouseholdAnswer | BaseException]:
        # The protocol answers one household per round trip (each is a traversal from
        # its subject); the loader still shares each answer between the fields asking.
        answers: list[HouseholdAnswer | BaseException] = []
        for person_id, day in keys:
            try:
                answers.append(household_of(self.store, person_id, day))
            except PersonNotFound as exc:
                answers.append(exc)
        return answers

    async def _scopes(
        self, keys: list[ServicesKey]
    ) -> tuple[dict[ServicesKey, dict[str, str]], dict[ServicesKey, BaseException]]:
        """The people in each key's scope (with their words), or why there are none."""
        scopes: dict[ServicesKey, dict[str, str]] = {}
        failed: dict[ServicesKey, BaseException] = {}
        for key in keys:
            try:
                household = (await self.households.load((key.person_id, key.day))
                             if key.scope is not Scope.CHILD else None)
                if household is None:
                    await self.person(key.person_id)
                scopes[key] = people_in_scope(self.store, key.person_id, key.scope, key.day,
                                              household)
            except PersonNotFound as exc:
                failed[key] = exc
        return scopes, failed

    async def _services(
        self, keys: list[ServicesKey]
    ) -> list[list[ServiceEngaged] | BaseException]:
        return await self._by_day(keys, lambda day, closed, scopes: services_of_scopes(
            self.store, scopes, day, closed))

    async def _risks(self, keys: list[ServicesKey]) -> list[list[RiskFound] | BaseException]:
        return await self._by_day(keys, lambda day, _, scopes: risks_of_scopes(
            self.store, scopes, day))

    async def _by_day(
        self, keys: list[ServicesKey],
        ask: Callable[[date, bool, list[dict[str, str]]], list[Answer]],
    ) -> list[Answer | BaseException]:
        """Each key's answer, asking the store once per (day, include_closed) for every
        scope with it: in practice, once."""
        scopes, failed = await self._scopes(keys)
        groups: dict[tuple[date, bool], list[ServicesKey]] = defaultdict(list)
        for key in scopes:
            groups[(key.day, key.include_closed)].append(key)
        answers: dict[ServicesKey, Answer | BaseException] = dict(failed)
        for (day, closed), group in groups.items():
            answers.update(zip(group, ask(day, closed, [scopes[k] for k in group]),
                               strict=True))
        return [answers[key] for key in keys]
