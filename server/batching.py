"""Per-request DataLoaders: resolvers say what they need, and the store is asked once.

Sibling resolvers (every search result's household, every member's services, two aliases
of one person) load through these instead of calling the store, so a request makes one
store call per kind of question however many items ask, and a question two fields ask
(the household, for its own field and for the household's services) is answered once.
Loaders live for one request: nothing cached here outlives the viewer who asked.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from strawberry.dataloader import DataLoader

from graph.errors import PersonNotFound
from graph.model import IdentityEvent, LinkExplanation, Person, ReviewPair, SourceRecord
from graph.questions.chronology import ChronologyEntry, chronologies_of
from graph.questions.coverage import (
    Coverage,
    declared_in_loads,
    latest_extracts,
    read_coverage,
)
from graph.questions.household import (
    HouseholdAnswer,
    HouseholdPeriod,
    household_histories,
    household_of,
)
from graph.questions.risk import RiskFound, risks_of_scopes
from graph.questions.services import (
    FAMILY_SCOPE_DEPTH,
    Scope,
    ServiceEngaged,
    people_in_scope,
    services_of_scopes,
)
from graph.store import HouseholdView, InvolvementView, KinGraph, Store
from server.stores import calls_for

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


@dataclass(frozen=True, slots=True)
class KinKey:
    person_id: str
    depth: int
    day: date


@dataclass(frozen=True, slots=True)
class ChronologyKey:
    person_id: str
    scope: Scope
    first: date
    last: date


@dataclass(frozen=True, slots=True)
class IdentityEvidence:
    """What the store holds on why a person's records are one person."""

    explanation: LinkExplanation | None
    records: list[SourceRecord]
    events: list[IdentityEvent]


_Keys = TypeVar("_Keys")
_Loaded = TypeVar("_Loaded")


def _weakly(
    method: Callable[[list[_Keys]], Awaitable[list[_Loaded]]],
) -> Callable[[list[_Keys]], Awaitable[list[_Loaded]]]:
    """A DataLoader's batch function that does not keep its `Loaders` alive.

    Loaders own their DataLoaders; a loader holding a bound method of its owner would make
    a cycle, and everything the request loaded (people, services, households) would wait
    for a full garbage collection instead of going when the request does. At front-door
    rates those collections ran every second or so and stalled every request in flight.
    """
    owner = weakref.WeakMethod(method)

    async def load(keys: list[_Keys]) -> list[_Loaded]:
        bound = owner()
        if bound is None:  # a loader used after its request ended
            raise RuntimeError("the request these loaders belonged to has finished")
        return await bound(keys)

    return load


class Timed(Protocol):
    """What holds a request's deadline (its `Disclosure`)."""

    deadline: float | None  # time.monotonic() after which nothing more is released


class Loaders:
    """The DataLoaders of one request over `store`."""

    def __init__(self, store: Store, request: Timed | None = None) -> None:
        self.store, self._request = store, request
        self._calls = calls_for(store)
        self._extracts: dict[str, date] | None = None
        # By (subject, day): the household views this request read, with their people's
        # involvements (`HouseholdView.involvements`).
        self._viewed: dict[tuple[str, date], HouseholdView] = {}
        self._declared: dict[str, Coverage] | None = None
        self.people: DataLoader[str, Person | None] = DataLoader(_weakly(self._people))
        self.households: DataLoader[tuple[str, date], HouseholdAnswer] = DataLoader(
            _weakly(self._households))
        self.kin: DataLoader[KinKey, KinGraph] = DataLoader(_weakly(self._kin))
        self.histories: DataLoader[str, list[HouseholdPeriod]] = DataLoader(
            _weakly(self._histories))
        self.services: DataLoader[ServicesKey, list[ServiceEngaged]] = DataLoader(
            _weakly(self._services))
        self.risks: DataLoader[ServicesKey, list[RiskFound]] = DataLoader(
            _weakly(self._risks))
        self.chronologies: DataLoader[ChronologyKey, list[ChronologyEntry]] = DataLoader(
            _weakly(self._chronologies))
        self.identities: DataLoader[str, IdentityEvidence] = DataLoader(
            _weakly(self._identities))
        self.review_pairs: DataLoader[str, list[ReviewPair]] = DataLoader(
            _weakly(self._review_pairs))
        # What the policy released of a loaded answer, and how much it withheld, by what
        # was asked: two fields over one answer (a list and its withheld count) share the
        # decisions instead of running every item through the policy again.
        self.released: dict[Hashable, tuple[list[Any], int]] = {}

    async def ask(self, work: Callable[[], Answer], *, writes: bool = False) -> Answer:
        """`work`'s answer, asked so that it never blocks the event loop, and given up
        (StoreUnavailable) if the store has not answered by the request's deadline."""
        deadline = self._request.deadline if self._request is not None else None
        return await self._calls(work, writes=writes, deadline=deadline)

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

    async def extracts(self) -> dict[str, date]:
        """Each source system's latest extract date, read once per request."""
        if self._extracts is None:
            self._extracts = await self.ask(lambda: latest_extracts(self.store))
        return self._extracts

    async def declared_coverage(self) -> dict[str, Coverage]:
        """What the loaded extracts' mappings declared they cover, asked once per request."""
        if self._declared is None:
            self._declared = await self.ask(lambda: declared_in_loads(self.store))
        return self._declared

    async def people_of(self, ids: set[str] | list[str]) -> list[Person]:
        """The people with these ids that the store holds."""
        return [p for p in await self.people.load_many(list(ids)) if p is not None]

    async def _people(self, ids: list[str]) -> list[Person | None]:
        found = await self.ask(lambda: self.store.people(ids))
        return [found.get(i) for i in ids]

    async def _households(
        self, keys: list[tuple[str, date]]
    ) -> list[HouseholdAnswer | BaseException]:
        def answer() -> tuple[list[HouseholdAnswer | BaseException],
                              dict[tuple[str, date], HouseholdView]]:
            # With the involvements of everyone in them: the services of a household or
            # family scope are chosen from those, in the same round trip.
            views = self.store.households(keys, with_involvements=True)
            return [household_of(self.store, person_id, day, views[(person_id, day)])
                    if (person_id, day) in views else PersonNotFound(person_id)
                    for person_id, day in keys], views

        answers, views = await self.ask(answer)
        for key, view in views.items():
            # The people a household read (residents and kin) are those its services and
            # members are about: later loads of them need no store call of their own.
            self.people.prime_many(view.kin.people)
            self._viewed[key] = view
        return answers

    async def _kin(self, keys: list[KinKey]) -> list[KinGraph | BaseException]:
        # The store walks to one depth per question: in practice every key shares it.
        found: dict[KinKey, KinGraph] = {}
        for depth in dict.fromkeys(key.depth for key in keys):
            subjects = [(key.person_id, key.day) for key in keys if key.depth == depth]
            graphs = await self.ask(lambda: self.store.kin_graphs(subjects, depth))  # noqa: B023
            for (person_id, day), kin in graphs.items():
                found[KinKey(person_id, depth, day)] = kin
        return [found[key] if key in found else PersonNotFound(key.person_id) for key in keys]

    async def _histories(self, ids: list[str]) -> list[list[HouseholdPeriod] | BaseException]:
        held = [p.id for p in await self.people_of(ids)]
        found = await self.ask(lambda: household_histories(self.store, held)) if held else {}
        return [found[i] if i in found else PersonNotFound(i) for i in ids]

    async def _review_pairs(self, ids: list[str]) -> list[list[ReviewPair]]:
        found = await self.ask(lambda: self.store.review_pairs_of(ids))
        return [found[i] for i in ids]

    async def _identities(self, ids: list[str]) -> list[IdentityEvidence]:
        def answer() -> list[IdentityEvidence]:
            explanations = self.store.link_explanations(ids)
            records = self.store.records_by_person(ids)
            events = self.store.identity_events_by_person(ids)
            return [IdentityEvidence(explanations.get(i), records[i], events[i]) for i in ids]

        return await self.ask(answer)

    async def _scope(
        self, person_id: str, scope: Scope, day: date
    ) -> dict[str, str] | PersonNotFound:
        """The people in a subject's scope (with their words), or why there are none."""
        try:
            household = (await self.households.load((person_id, day))
                         if scope is not Scope.CHILD else None)
            kin = (await self.kin.load(KinKey(person_id, FAMILY_SCOPE_DEPTH, day))
                   if scope is Scope.FAMILY else None)
            if household is None:
                await self.person(person_id)
            return await self.ask(
                lambda: people_in_scope(self.store, person_id, scope, day, household, kin))
        except PersonNotFound as exc:
            return exc

    async def _scopes(
        self, asked: list[tuple[str, Scope, date]]
    ) -> list[dict[str, str] | PersonNotFound]:
        # Together, not one after another: each scope's household and kin then load in one
        # batch with the others'.
        return list(await asyncio.gather(*(self._scope(*a) for a in asked)))

    async def _services(
        self, keys: list[ServicesKey]
    ) -> list[list[ServiceEngaged] | BaseException]:
        return await self._by_day(keys, lambda day, closed, scopes: services_of_scopes(
            self.store, scopes, day, closed, self._read_with_households(scopes, day)))

    def _read_with_households(
        self, scopes: list[dict[str, str]], day: date
    ) -> list[InvolvementView] | None:
        """Every involvement begun by `day` about the people of these scopes, when the
        subjects' households on that day were read with them (`_households`) and hold
        everyone in them; None when a store call is needed."""
        found: dict[str, InvolvementView] = {}  # by id: two households may share people
        for scope in scopes:
            subject = next(iter(scope))  # `people_in_scope` puts the subject first
            viewed = self._viewed.get((subject, day))
            held = viewed.involvements_covering(scope) if viewed is not None else None
            if held is None:
                return None
            found.update((view.involvement.id, view) for view in held)
        return list(found.values())

    async def _risks(self, keys: list[ServicesKey]) -> list[list[RiskFound] | BaseException]:
        return await self._by_day(keys, lambda day, _, scopes: risks_of_scopes(
            self.store, scopes, day))

    async def _by_day(
        self, keys: list[ServicesKey],
        ask: Callable[[date, bool, list[dict[str, str]]], list[Answer]],
    ) -> list[Answer | BaseException]:
        """Each key's answer, asking the store once per (day, include_closed) for every
        scope with it: in practice, once."""
        found = await self._scopes([(k.person_id, k.scope, k.day) for k in keys])
        answers: dict[ServicesKey, Answer | BaseException] = {}
        scopes: dict[ServicesKey, dict[str, str]] = {}
        for key, scope in zip(keys, found, strict=True):
            if isinstance(scope, PersonNotFound):
                answers[key] = scope
            else:
                scopes[key] = scope
        groups: dict[tuple[date, bool], list[ServicesKey]] = defaultdict(list)
        for key in scopes:
            groups[(key.day, key.include_closed)].append(key)
        for (day, closed), group in groups.items():
            asked = [scopes[k] for k in group]
            found_now = await self.ask(lambda: ask(day, closed, asked))  # noqa: B023
            answers.update(zip(group, found_now, strict=True))
        return [answers[key] for key in keys]

    async def _chronologies(
        self, keys: list[ChronologyKey]
    ) -> list[list[ChronologyEntry] | BaseException]:
        found = await self._scopes([(k.person_id, k.scope, k.last) for k in keys])
        asked = [(scope, key.first, key.last) for key, scope in zip(keys, found, strict=True)
                 if not isinstance(scope, PersonNotFound)]
        answers = iter(await self.ask(lambda: chronologies_of(self.store, asked))
                       if asked else [])
        return [scope if isinstance(scope, PersonNotFound) else next(answers)
                for scope in found]
