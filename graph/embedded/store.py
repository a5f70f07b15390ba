"""The embedded store: a networkx graph in memory for traversal, durable in SQLite."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jellyfish
import networkx as nx

from graph.changes import Change, stamp
from graph.embedded.durability import Durable
from graph.errors import PersonNotFound, StoreError
from graph.model import (
    Address,
    Edge,
    Event,
    HasRecord,
    Household,
    IdentityEvent,
    Involvement,
    LinkageModel,
    LinkDecision,
    LinkExplanation,
    MemberOf,
    Node,
    Organisation,
    ParentOf,
    PartnerOf,
    Person,
    Practitioner,
    RelatedTo,
    ReviewPair,
    RiskIndicator,
    SourceRecord,
)
from graph.normalise import name_keys, name_tokens, normalise_postcode, query_keys
from graph.store import (
    HOUSEHOLD_KIN_DEPTH,
    NAME_CLAIM_FIELDS,
    SLIP_MIN_LENGTH,
    Elsewhere,
    GraphBatch,
    HouseholdView,
    InvolvementView,
    KinGraph,
    LoadLog,
    SearchCriteria,
    SearchMatches,
    held_birth_dates,
    held_name_words,
    held_upns,
    slip_forms,
    word_keys,
)

_KIN_EDGE_TYPES = frozenset({ParentOf.type, PartnerOf.type, RelatedTo.type})


def _started_by(valid_from: date | None, day: date) -> bool:
    return valid_from is None or valid_from <= day


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the store's whole history is read in.

    Everything a store open makes lives as long as the store, yet each full collection
    walks all of it again: opening a 100,000-person store ran gen-2 collections growing
    to 5 s each, some 24 s of a 150 s open. Garbage made meanwhile is collected at the
    first collection after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class EmbeddedStore:
    """A store in one directory. Open it, ask it questions, write batches to it.

    >>> import tempfile
    >>> from graph.store import GraphBatch
    >>> store = EmbeddedStore(Path(tempfile.mkdtemp()))
    >>> store.write(GraphBatch(nodes=[Person(id="P1", given_names="Ann", family_name="Lee")]))
    1
    >>> store.people(["P1"])["P1"].display_name
    'Ann Lee'
    """

    name = "embedded"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._durable = Durable(directory / "graph.sqlite")
        self._lock = threading.RLock()
        self._graph: Any = nx.MultiDiGraph()
        self._by_label: dict[str, set[str]] = defaultdict(set)
        self._by_nhs: dict[str, set[str]] = defaultdict(set)
        self._by_name_token: dict[str, set[str]] = defaultdict(set)
        # Keys of names only a source's claim gives (a former surname, an alias): searched
        # with the current name's keys by `search_matches`, not by `search_candidates`.
        self._by_claimed_name_key: dict[str, set[str]] = defaultdict(set)
        # Every name word ever held, under each of its `slip_forms`, to find one-letter
        # slips by lookup. Never pruned: a word nobody holds any more finds nobody.
        self._name_words_by_form: dict[str, set[str]] = defaultdict(set)
        self._name_words: set[str] = set()
        self._by_birth_date: dict[date, set[str]] = defaultdict(set)
        self._by_upn: dict[str, set[str]] = defaultdict(set)
        self._involvements_of: dict[str, set[str]] = defaultdict(set)
        self._events_of: dict[str, set[str]] = defaultdict(set)
        self._risks_of: dict[str, set[str]] = defaultdict(set)
        self._identity_events_of: dict[str, set[str]] = defaultdict(set)
        self._addresses_at_postcode: dict[str, set[str]] = defaultdict(set)
        self._households_at: dict[str, set[str]] = defaultdict(set)
        self._seen_batch = 0
        self._seen_version = -1
        with collector_paused():
            self._catch_up()

    def _catch_up(self) -> None:
        """Apply batches other processes committed since we last looked (a load while serving).

        Writes are upserts, so re-applying rows written after our last batch is exact.
        """
        version = self._durable.data_version()
        if version == self._seen_version:
            return
        last = self._durable.last_batch()
        if last > self._seen_batch:
            for node in self._durable.nodes(after_batch=self._seen_batch):
                self._put_node(node)
            for edge in self._durable.edges(after_batch=self._seen_batch):
                self._put_edge(edge)
            self._seen_batch = last
        self._seen_version = version

    # --- writing -------------------------------------------------------------

    def write(self, batch: GraphBatch) -> int:
        with self._lock:
            self._catch_up()
            self._check_endpoints(batch)
            seq = self._durable.commit(batch)
            for node in batch.nodes:
                self._put_node(node)
            for edge in batch.edges:
                self._put_edge(edge)
            if seq == self._seen_batch + 1:
                # Otherwise another process committed in between: leave the gap for
                # `_catch_up` to fill, which re-applies our own batch harmlessly.
                self._seen_batch = seq
            return seq

    def _check_endpoints(self, batch: GraphBatch) -> None:
        incoming = {node.id for node in batch.nodes}
        for edge in batch.edges:
            for end in (edge.src, edge.dst):
                if end not in incoming and end not in self._graph:
                    raise StoreError(f"{edge.type} edge {edge.key} names missing node {end!r}")

    def _node(self, node_id: str) -> Any:
        return self._graph.nodes[node_id]["obj"] if node_id in self._graph else None

    def _put_node(self, node: Node) -> None:
        old = self._node(node.id)
        if old is not None:
            self._unindex(old)
        self._graph.add_node(node.id, obj=node)
        self._index(node)

    def _index(self, node: Node) -> None:
        self._by_label[node.label].add(node.id)
        if isinstance(node, Person):
            if node.nhs_number:
                self._by_nhs[node.nhs_number].add(node.id)
            current = name_keys(node.given_names, node.family_name)
            for key in current:
                self._by_name_token[key].add(node.id)
            for key in _claimed_name_keys(node) - current:
                self._by_claimed_name_key[key].add(node.id)
            for word in held_name_words(node):
                if word not in self._name_words:
                    self._name_words.add(word)
                    for form in slip_forms(word):
                        self._name_words_by_form[form].add(word)
            for upn in held_upns(node):
                self._by_upn[upn].add(node.id)
            for born in held_birth_dates(node):
                self._by_birth_date[born].add(node.id)
        elif isinstance(node, Involvement):
            self._involvements_of[node.person_id].add(node.id)
        elif isinstance(node, Event):
            self._events_of[node.person_id].add(node.id)
        elif isinstance(node, RiskIndicator):
            self._risks_of[node.person_id].add(node.id)
        elif isinstance(node, IdentityEvent):
            self._identity_events_of[node.person_id].add(node.id)
        elif isinstance(node, Address):
            self._addresses_at_postcode[normalise_postcode(node.postcode)].add(node.id)
        elif isinstance(node, Household):
            self._households_at[node.address_id].add(node.id)

    def _unindex(self, node: Node) -> None:
        self._by_label[node.label].discard(node.id)
        if isinstance(node, Person):
            if node.nhs_number:
                self._by_nhs[node.nhs_number].discard(node.id)
            current = name_keys(node.given_names, node.family_name)
            for key in current:
                self._by_name_token[key].discard(node.id)
            for key in _claimed_name_keys(node) - current:
                self._by_claimed_name_key[key].discard(node.id)
            for upn in held_upns(node):
                self._by_upn[upn].discard(node.id)
            for born in held_birth_dates(node):
                self._by_birth_date[born].discard(node.id)
        elif isinstance(node, Involvement):
            self._involvements_of[node.person_id].discard(node.id)
        elif isinstance(node, Event):
            self._events_of[node.person_id].discard(node.id)
        elif isinstance(node, RiskIndicator):
            self._risks_of[node.person_id].discard(node.id)
        elif isinstance(node, IdentityEvent):
            self._identity_events_of[node.person_id].discard(node.id)
        elif isinstance(node, Address):
            self._addresses_at_postcode[normalise_postcode(node.postcode)].discard(node.id)
        elif isinstance(node, Household):
            self._households_at[node.address_id].discard(node.id)

    def _put_edge(self, edge: Edge) -> None:
        if isinstance(edge, HasRecord):
            # A record belongs to one person at a time: moving it drops the old link.
            for owner, _, key in list(self._graph.in_edges(edge.dst, keys=True)):
                if key == edge.key:
                    self._graph.remove_edge(owner, edge.dst, key)
        self._graph.add_edge(edge.src, edge.dst, key=edge.key, obj=edge)

    # --- reading -------------------------------------------------------------

    def people(self, ids: Iterable[str]) -> dict[str, Person]:
        with self._lock:
            self._catch_up()
            found = {}
            for person_id in ids:
                node = self._node(person_id)
                if isinstance(node, Person):
                    found[person_id] = node
            return found

    def addresses(self, ids: Iterable[str]) -> dict[str, Address]:
        with self._lock:
            self._catch_up()
            return {address_id: node for address_id in ids
                    if isinstance(node := self._node(address_id), Address)}

    def _person(self, person_id: str) -> Person:
        node = self._node(person_id)
        if not isinstance(node, Person):
            raise PersonNotFound(person_id)
        return node

    def record_owners(self, record_ids: Iterable[str]) -> dict[str, str]:
        with self._lock:
            self._catch_up()
            owners = {}
            for record_id in record_ids:
                if record_id not in self._graph:
                    continue
                for owner, _, data in self._graph.in_edges(record_id, data=True):
                    if isinstance(data["obj"], HasRecord):
                        owners[record_id] = owner
            return owners

    def _edges_of(self, node_id: str) -> Iterable[Edge]:
        for _, _, data in self._graph.out_edges(node_id, data=True):
            yield data["obj"]
        for _, _, data in self._graph.in_edges(node_id, data=True):
            yield data["obj"]

    def kin(self, person_id: str, depth: int, as_of: date) -> KinGraph:
        with self._lock:
            self._catch_up()
            subject = self._person(person_id)
            people: dict[str, Person] = {subject.id: subject}
            parents: dict[str, ParentOf] = {}
            partners: dict[str, PartnerOf] = {}
            related: dict[str, RelatedTo] = {}
            frontier = deque([(subject.id, 0)])
            while frontier:
                current, steps = frontier.popleft()
                if steps >= depth:
                    continue
                for edge in self._edges_of(current):
                    if edge.type not in _KIN_EDGE_TYPES:
                        continue
                    assert isinstance(edge, ParentOf | PartnerOf | RelatedTo)
                    if not _started_by(edge.valid_from, as_of):
                        continue
                    other = edge.dst if edge.src == current else edge.src
                    person = self._node(other)
                    if not isinstance(person, Person) or _born_after(person, as_of):
                        continue
                    if isinstance(edge, ParentOf):
                        parents[edge.key] = edge
                    elif isinstance(edge, PartnerOf):
                        partners[edge.key] = edge
                    else:
                        related[edge.key] = edge
                    if other not in people:
                        people[other] = person
                        frontier.append((other, steps + 1))
            return KinGraph(
                subject_id=subject.id,
                people=people,
                parents=tuple(parents.values()),
                partners=tuple(partners.values()),
                related=tuple(related.values()),
            )

    def household(self, person_id: str, as_of: date) -> HouseholdView:
        with self._lock:
            self._catch_up()
            self._person(person_id)
            memberships = [
                edge
                for edge in self._edges_of(person_id)
                if isinstance(edge, MemberOf) and edge.src == person_id and edge.current_on(as_of)
            ]
            kin = self.kin(person_id, HOUSEHOLD_KIN_DEPTH, as_of)
            if not memberships:
                return HouseholdView(person_id, as_of, None, None, (), kin)
            latest = max(memberships, key=lambda m: m.valid_from or date.min)
            household = self._node(latest.dst)
            assert isinstance(household, Household)
            address = self._node(household.address_id)
            members = tuple(
                data["obj"]
                for _, _, data in self._graph.in_edges(household.id, data=True)
                if isinstance(data["obj"], MemberOf) and data["obj"].current_on(as_of)
            )
            people = dict(kin.people)
            for member in members:
                person = self._node(member.src)
                if isinstance(person, Person):
                    people.setdefault(member.src, person)
            kin = KinGraph(kin.subject_id, people, kin.parents, kin.partners, kin.related)
            return HouseholdView(
                person_id,
                as_of,
                household,
                address if isinstance(address, Address) else None,
                members,
                kin,
                self._elsewhere(household.id, memberships),
            )

    def _elsewhere(self, chosen: str, memberships: list[MemberOf]) -> tuple[Elsewhere, ...]:
        """The other households these current memberships place the subject in."""
        by_household: dict[str, list[MemberOf]] = {}
        for membership in memberships:
            if membership.dst != chosen:
                by_household.setdefault(membership.dst, []).append(membership)
        found = []
        for household_id in sorted(by_household):
            other = self._node(household_id)
            if not isinstance(other, Household):
                continue
            address = self._node(other.address_id)
            found.append(Elsewhere(
                other, address if isinstance(address, Address) else None,
                tuple(sorted(by_household[household_id], key=lambda m: m.key))))
        return tuple(found)

    # Traversals in memory cost no round trip: the batched forms walk from each subject.
    def households(
        self, subjects: Sequence[tuple[str, date]]
    ) -> dict[tuple[str, date], HouseholdView]:
        with self._lock:
            self._catch_up()
            return {(person_id, day): self.household(person_id, day)
                    for person_id, day in dict.fromkeys(subjects)
                    if isinstance(self._node(person_id), Person)}

    def kin_graphs(
        self, subjects: Sequence[tuple[str, date]], depth: int
    ) -> dict[tuple[str, date], KinGraph]:
        with self._lock:
            self._catch_up()
            return {(person_id, day): self.kin(person_id, depth, day)
                    for person_id, day in dict.fromkeys(subjects)
                    if isinstance(self._node(person_id), Person)}

    def involvements(
        self, person_ids: Sequence[str], as_of: date, include_closed: bool = False
    ) -> list[InvolvementView]:
        with self._lock:
            self._catch_up()
            views = []
            for person_id in person_ids:
                for involvement_id in sorted(self._involvements_of.get(person_id, ())):
                    involvement = self._node(involvement_id)
                    assert isinstance(involvement, Involvement)
                    begun = involvement.start <= as_of
                    if not (involvement.active_on(as_of) or (include_closed and begun)):
                        continue
                    organisation = self._node(involvement.organisation_id or "")
                    lead = self._node(involvement.lead_id or "")
                    views.append(
                        InvolvementView(
                            involvement,
                            organisation if isinstance(organisation, Organisation) else None,
                            lead if isinstance(lead, Practitioner) else None,
                        )
                    )
            return views

    def events(self, person_ids: Sequence[str], start: date, end: date) -> list[Event]:
        with self._lock:
            self._catch_up()
            found = [
                self._node(event_id)
                for person_id in dict.fromkeys(person_ids)
                for event_id in self._events_of.get(person_id, ())
            ]
            return sorted(
                (e for e in found if isinstance(e, Event) and start <= e.date <= end),
                key=lambda e: (e.date, e.id),
            )

    def risk_indicators(self, person_ids: Sequence[str], as_of: date) -> list[RiskIndicator]:
        with self._lock:
            self._catch_up()
            found = []
            for person_id in dict.fromkeys(person_ids):
                for risk_id in sorted(self._risks_of.get(person_id, ())):
                    risk = self._node(risk_id)
                    if isinstance(risk, RiskIndicator) and risk.current_on(as_of):
                        found.append(risk)
            return found

    def all_involvements(self) -> list[Involvement]:
        with self._lock:
            self._catch_up()
            return [i for i in self._labelled(Involvement.label) if isinstance(i, Involvement)]

    def all_risk_indicators(self) -> list[RiskIndicator]:
        with self._lock:
            self._catch_up()
            return [r for r in self._labelled(RiskIndicator.label)
                    if isinstance(r, RiskIndicator)]

    def search_candidates(self, criteria: SearchCriteria, limit: int) -> list[Person]:
        with self._lock:
            self._catch_up()
            found: set[str] = set()
            if criteria.nhs_number:
                found |= self._by_nhs.get(criteria.nhs_number, set())
            if criteria.name:
                for key in query_keys(criteria.name):
                    found |= self._by_name_token.get(key, set())
            if criteria.upn:
                found |= self._by_upn.get(criteria.upn.strip().upper(), set())
            if criteria.birth_date:
                found |= self._by_birth_date.get(criteria.birth_date, set())
            if criteria.postcode:
                found |= self._people_at_postcode(normalise_postcode(criteria.postcode))
            people = [self._node(person_id) for person_id in sorted(found)]
            return [p for p in people if isinstance(p, Person)][: max(limit, 0)]

    def search_matches(
        self, criteria: SearchCriteria, birth_dates: Sequence[date], limit: int
    ) -> SearchMatches:
        with self._lock:
            self._catch_up()
            found: set[str] = set()
            if criteria.nhs_number:
                found |= self._by_nhs.get(criteria.nhs_number, set())
            if criteria.upn:
                found |= self._by_upn.get(criteria.upn.strip().upper(), set())
            for born in birth_dates:
                found |= self._by_birth_date.get(born, set())
            lived: dict[str, tuple[Address, ...]] = {}
            if criteria.postcode:
                lived = self._residents_at_postcode(normalise_postcode(criteria.postcode))
            found |= lived.keys()
            words = list(dict.fromkeys(name_tokens(criteria.name or "")))
            if words:
                found.update(sorted(self._matching_every_word(words))[: max(limit, 0)])
            people = {}
            for person_id in sorted(found):
                node = self._node(person_id)
                if isinstance(node, Person):
                    people[person_id] = node
            return SearchMatches(people, lived)

    def _matching_every_word(self, words: list[str]) -> set[str]:
        """People holding, for every word, a name word that is it, a form of it or a slip."""
        holders: list[list[set[str]]] = []  # per word, the index sets any of which will do
        for word in words:
            keys = word_keys(word)
            if len(word) >= SLIP_MIN_LENGTH:
                keys |= self._slips_of(word)
            holders.append([found for key in keys
                            for found in (self._by_name_token.get(key),
                                          self._by_claimed_name_key.get(key)) if found])
        # Start from the rarest word and only test its holders against the others: a
        # common surname's thousands of holders are never gathered into one set.
        holders.sort(key=lambda sets: sum(len(s) for s in sets))
        found = set().union(*holders[0])
        for sets in holders[1:]:
            found = {p for p in found if any(p in s for s in sets)}
        return found

    def _slips_of(self, word: str) -> set[str]:
        """Name words held by anyone that are one edit from `word` (or it)."""
        near: set[str] = set()
        for form in slip_forms(word):
            near |= self._name_words_by_form.get(form, set())
        return {w for w in near if jellyfish.damerau_levenshtein_distance(word, w) <= 1}

    def _people_at_postcode(self, postcode: str) -> set[str]:
        return set(self._residents_at_postcode(postcode))

    def _residents_at_postcode(self, postcode: str) -> dict[str, tuple[Address, ...]]:
        """Everyone who lived at an address with this postcode, and those addresses."""
        found: dict[str, list[Address]] = defaultdict(list)
        for address_id in sorted(self._addresses_at_postcode.get(postcode, ())):
            address = self._node(address_id)
            if not isinstance(address, Address):
                continue
            for household_id in self._households_at.get(address_id, ()):
                for member, _, data in self._graph.in_edges(household_id, data=True):
                    if isinstance(data["obj"], MemberOf) and address not in found[member]:
                        found[member].append(address)
        return {member: tuple(addresses) for member, addresses in found.items()}

    def source_records(self, system: str) -> list[SourceRecord]:
        with self._lock:
            self._catch_up()
            records = (self._node(i) for i in sorted(self._by_label.get(SourceRecord.label, ())))
            return [r for r in records if isinstance(r, SourceRecord) and r.system == system]

    def _labelled(self, label: str) -> list[Any]:
        return [self._node(i) for i in sorted(self._by_label.get(label, ()))]

    def all_source_records(self) -> list[SourceRecord]:
        with self._lock:
            self._catch_up()
            return [r for r in self._labelled(SourceRecord.label) if isinstance(r, SourceRecord)]

    def records_of(self, person_id: str) -> list[SourceRecord]:
        with self._lock:
            self._catch_up()
            if person_id not in self._graph:
                return []
            found = [
                self._node(dst)
                for _, dst, data in self._graph.out_edges(person_id, data=True)
                if isinstance(data["obj"], HasRecord)
            ]
            return sorted((r for r in found if isinstance(r, SourceRecord)), key=lambda r: r.id)

    def records_by_person(self, person_ids: Iterable[str]) -> dict[str, list[SourceRecord]]:
        with self._lock:
            self._catch_up()
            return {person_id: self.records_of(person_id)
                    for person_id in dict.fromkeys(person_ids)}

    def link_decisions(self) -> list[LinkDecision]:
        with self._lock:
            self._catch_up()
            found = [d for d in self._labelled(LinkDecision.label) if isinstance(d, LinkDecision)]
            return sorted(found, key=lambda d: (d.decided_at, d.id))

    def linkage_models(self) -> list[LinkageModel]:
        with self._lock:
            self._catch_up()
            found = [m for m in self._labelled(LinkageModel.label) if isinstance(m, LinkageModel)]
            return sorted(found, key=lambda m: (m.trained_at, m.id))

    def review_queue(self, after: str | None, first: int) -> list[ReviewPair]:
        with self._lock:
            self._catch_up()
            found = [
                p
                for p in self._labelled(ReviewPair.label)
                if isinstance(p, ReviewPair)
                and p.status == "open"
                and (after is None or p.id > after)
            ]
            return found[: max(first, 0)]

    def link_explanation(self, person_id: str) -> LinkExplanation | None:
        with self._lock:
            self._catch_up()
            found = self._node(f"X:{person_id}")
            return found if isinstance(found, LinkExplanation) else None

    def link_explanations(self, person_ids: Iterable[str]) -> dict[str, LinkExplanation]:
        with self._lock:
            self._catch_up()
            found = {person_id: self.link_explanation(person_id)
                     for person_id in dict.fromkeys(person_ids)}
            return {person_id: x for person_id, x in found.items() if x is not None}

    def identity_events(self, person_id: str) -> list[IdentityEvent]:
        with self._lock:
            self._catch_up()
            # By index: a borough's store holds an event for every person it ever made.
            found = [self._node(i) for i in self._identity_events_of.get(person_id, ())]
            return sorted((e for e in found if isinstance(e, IdentityEvent)),
                          key=lambda e: (e.on, e.id))

    def identity_events_by_person(
        self, person_ids: Iterable[str]
    ) -> dict[str, list[IdentityEvent]]:
        with self._lock:
            self._catch_up()
            return {person_id: self.identity_events(person_id)
                    for person_id in dict.fromkeys(person_ids)}

    def memberships(self, person_ids: Iterable[str]) -> list[MemberOf]:
        with self._lock:
            self._catch_up()
            found = []
            for person_id in person_ids:
                if person_id in self._graph:
                    found += [e for e in self._edges_of(person_id)
                              if isinstance(e, MemberOf) and e.src == person_id]
            return found

    def residents(self, household_ids: Iterable[str]) -> list[MemberOf]:
        with self._lock:
            self._catch_up()
            found = []
            for household_id in household_ids:
                if household_id in self._graph:
                    found += [data["obj"] for _, _, data in
                              self._graph.in_edges(household_id, data=True)
                              if isinstance(data["obj"], MemberOf)]
            return found

    def changes(
        self,
        after: int,
        first: int,
        person_ids: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> list[Change]:
        # Read from SQLite, not memory: a load committed by another process is there at once.
        with self._lock:
            wanted = sorted(set(person_ids)) if person_ids is not None else None
            return self._durable.changes(after, first, wanted,
                                         stamp(since) if since else None)

    def last_change(self) -> int:
        with self._lock:
            return self._durable.last_change()

    def involvements_from(self, system: str) -> list[Involvement]:
        with self._lock:
            self._catch_up()
            found = []
            for involvement_id in sorted(self._by_label.get(Involvement.label, ())):
                involvement = self._node(involvement_id)
                if any(s.system == system for s in involvement.sources):
                    found.append(involvement)
            return found

    def counts(self) -> dict[str, int]:
        with self._lock:
            self._catch_up()
            totals = {label: len(ids) for label, ids in self._by_label.items() if ids}
            for _, _, data in self._graph.edges(data=True):
                totals[data["obj"].type] = totals.get(data["obj"].type, 0) + 1
            return totals

    def load_logs(self) -> list[LoadLog]:
        with self._lock:
            return self._durable.load_logs()

    def close(self) -> None:
        self._durable.close()


def _claimed_name_keys(person: Person) -> set[str]:
    return name_keys(*(c.value for c in person.claims if c.field in NAME_CLAIM_FIELDS))


def _born_after(person: Person, day: date) -> bool:
    return person.birth_date is not None and person.birth_date > day
