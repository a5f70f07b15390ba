"""The embedded store: SQLite on disk is the store of record, read per question.

Each question reads the small neighbourhood it needs (a person, their edges, a few steps of
kin) by index, and keeps what it decoded in a bounded cache that any other process's commit
empties. Opening a store reads nothing but its schema version, whatever it holds.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jellyfish

from graph.changes import Change
from graph.embedded import keys
from graph.embedded.durability import Durable
from graph.errors import StoreError
from graph.model import (
    Address,
    Edge,
    Event,
    HasRecord,
    Household,
    IdentityEvent,
    Involvement,
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
from graph.normalise import name_tokens, normalise_postcode, query_keys
from graph.store import (
    HOUSEHOLD_KIN_DEPTH,
    SLIP_MIN_LENGTH,
    Elsewhere,
    GraphBatch,
    HouseholdView,
    InvolvementView,
    KinGraph,
    LoadLog,
    SearchCriteria,
    SearchMatches,
    Store,
    slip_forms,
    word_keys,
)

_KIN_EDGE_TYPES = (ParentOf.type, PartnerOf.type, RelatedTo.type)
# Decoded nodes and edge lists kept between questions. A person's household, services and
# genogram read some tens of each; this many keeps the busiest few thousand families
# decoded in well under 1 GB.
CACHE_ENTRIES = 100_000


def _started_by(valid_from: date | None, day: date) -> bool:
    return valid_from is None or valid_from <= day


class _Decoded:
    """What questions decoded from SQLite, least recently used dropped first.

    `nodes` maps an id to its node (None: not held); `out` and `into` map a node id to the
    edges leaving and reaching it. Entries are only ever whole, so a hit needs no query.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.nodes: OrderedDict[str, Node | None] = OrderedDict()
        self.out: OrderedDict[str, list[Edge]] = OrderedDict()
        self.into: OrderedDict[str, list[Edge]] = OrderedDict()

    def clear(self) -> None:
        self.nodes.clear()
        self.out.clear()
        self.into.clear()

    def put(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        if len(table) > self.size:
            table.popitem(last=False)


class EmbeddedStore(Store):
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

    def __init__(self, directory: Path, cache_entries: int = CACHE_ENTRIES) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._durable = Durable(directory / "graph.sqlite")
        self._lock = threading.RLock()
        self._cache = _Decoded(cache_entries)
        self._seen_version = -1
        self._depth = 0
        self._current = not self._durable.behind()

    def migrate(self) -> None:
        """Bring an older store file to this famgraph's schema, in one transaction
        (`Durable.migrate`); a file already current is left as it is."""
        with self._lock:
            self._durable.migrate()
            self._current = True

    def _check_current(self) -> None:
        """Refuse to read or write a file at an older schema: its indexes would miss nodes.
        (The change feed and load logs are tables no migration touches: they answer.)

        Raises
        ------
        StoreError : the file has not been migrated (`open_store` migrates every store)
        """
        if not self._current:
            self._current = not self._durable.behind()  # another process may have
            if not self._current:
                raise StoreError(f"store file {self._durable.path} is at an older schema: "
                                 f"run famgraph migrate --store {self.directory}")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """One question's reads: one snapshot, and a cache no other process's commit staled.

        Nested questions (`households` asks `household`) share the outermost snapshot.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._check_current()
            with self._durable.snapshot():
                version = self._durable.data_version()
                if version != self._seen_version:
                    self._cache.clear()
                    self._seen_version = version
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    # --- writing -------------------------------------------------------------

    def write(self, batch: GraphBatch) -> int:
        with self._lock:
            self._check_current()
            try:
                return self._durable.commit(batch)
            finally:
                # Our own commits leave `data_version` as it was: forget what they replaced.
                self._cache.clear()

    # --- what questions read -------------------------------------------------

    def _nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes held with these ids, from the cache or in one query."""
        cache = self._cache.nodes
        wanted = list(dict.fromkeys(ids))
        known: dict[str, Node | None] = {}
        for node_id in wanted:
            if node_id in cache:
                cache.move_to_end(node_id)
                known[node_id] = cache[node_id]
        missing = [i for i in wanted if i not in known]
        if missing:
            found = self._durable.nodes_by_id(missing)
            for node_id in missing:
                # Answer from what was read, not from the cache: putting one node in may
                # push out another this same question wants.
                known[node_id] = found.get(node_id)
                self._cache.put(cache, node_id, known[node_id])
        return {i: node for i in wanted if (node := known[i]) is not None}

    def _node(self, node_id: str) -> Any:
        return self._nodes([node_id]).get(node_id)

    def _adjacent(self, table: OrderedDict[str, list[Edge]], end: str,
                  ids: Iterable[str]) -> dict[str, list[Edge]]:
        wanted = list(dict.fromkeys(ids))
        missing = [i for i in wanted if i not in table]
        if missing:
            for node_id, edges in self._durable.edges_at(missing, end).items():
                self._cache.put(table, node_id, edges)
        found = {}
        for node_id in wanted:
            held = table.get(node_id)
            # None: dropped by a put above, in a borough-sized question.
            found[node_id] = held if held is not None else self._durable.edges_at(
                [node_id], end)[node_id]
        return found

    def _out_edges(self, ids: Iterable[str]) -> dict[str, list[Edge]]:
        return self._adjacent(self._cache.out, "src", ids)

    def _in_edges(self, ids: Iterable[str]) -> dict[str, list[Edge]]:
        return self._adjacent(self._cache.into, "dst", ids)

    def _edges_around(self, ids: Iterable[str]) -> None:
        """Read both ways' edges of those of these nodes the cache lacks, in one query."""
        cache = self._cache
        missing = [i for i in dict.fromkeys(ids) if i not in cache.out or i not in cache.into]
        if missing:
            leaving, reaching = self._durable.edges_around(missing)
            for node_id in missing:
                cache.put(cache.out, node_id, leaving[node_id])
                cache.put(cache.into, node_id, reaching[node_id])

    def _keyed(self, kind: str, key: str) -> list[str]:
        return sorted(self._durable.ids_by_key(kind, [key]))

    # --- the store's primitives (graph.store.Store) --------------------------

    def _question(self) -> contextlib.AbstractContextManager[None]:
        return self._reading()

    def _nodes_by_id(self, label: str, ids: list[str]) -> dict[str, Node]:
        return {i: node for i, node in self._nodes(ids).items() if node.label == label}

    def _nodes_labelled(self, label: str) -> Iterable[Node]:
        # Whole labels are read past the cache: a borough's records would flush it.
        return self._durable.labelled(label)

    def _nodes_about(self, label: str, person_ids: list[str]) -> Iterable[Node]:
        if label == LinkExplanation.label:
            ids = [f"X:{person_id}" for person_id in person_ids]  # one per person, by id
        else:
            ids = sorted(self._durable.ids_by_key(_ABOUT[label], person_ids))
        return [node for node in self._nodes(ids).values() if node.label == label]

    def _nodes_from(self, label: str, system: str) -> Iterable[Node]:
        if label == SourceRecord.label:
            ids = self._keyed(keys.RECORD_SYSTEM, system)
            return self._durable.nodes_by_id(ids).values()  # past the cache, as above
        return (node for node in self._durable.labelled(label)
                if isinstance(node, Involvement) and any(s.system == system
                                                         for s in node.sources))

    def _record_owners(self, record_ids: list[str]) -> dict[str, str]:
        owners = {}
        for record_id, edges in self._in_edges(record_ids).items():
            for edge in edges:
                if isinstance(edge, HasRecord):
                    owners[record_id] = edge.src
        return owners

    def _records_by_person(self, person_ids: list[str]) -> dict[str, list[SourceRecord]]:
        outs = self._out_edges(person_ids)
        records = self._nodes(e.dst for pid in person_ids for e in outs[pid]
                              if isinstance(e, HasRecord))
        return {pid: [r for e in outs[pid] if isinstance(e, HasRecord)
                      and isinstance(r := records.get(e.dst), SourceRecord)]
                for pid in person_ids}

    def _records_in_blocks(self, blocks: list[str]) -> Iterable[SourceRecord]:
        ids = sorted(self._durable.ids_by_key(keys.BLOCK, [*blocks, keys.NO_BLOCKS]))
        records = self._durable.nodes_by_id(ids)  # past the cache, as `_nodes_labelled`
        return [r for r in records.values() if isinstance(r, SourceRecord)]

    # Traversals in memory cost no round trip: the batched forms walk from each subject.
    def _households(
        self, subjects: list[tuple[str, date]], with_involvements: bool
    ) -> dict[tuple[str, date], HouseholdView]:
        views = {(person_id, day): self._household_of(person_id, day)
                 for person_id, day in subjects if isinstance(self._node(person_id), Person)}
        if with_involvements:
            views = {key: replace(view, involvements=tuple(
                self._involvements(list(view.kin.people), view.as_of)))
                for key, view in views.items()}
        return views

    def _kin_graphs(
        self, subjects: list[tuple[str, date]], depth: int
    ) -> dict[tuple[str, date], KinGraph]:
        return {(person_id, day): self._kin_of(person_id, depth, day)
                for person_id, day in subjects if isinstance(self._node(person_id), Person)}

    def _kin_of(self, person_id: str, depth: int, as_of: date) -> KinGraph:
        # Three queries in all: who is within `depth` family steps by any edge, then
        # themselves and their edges, into the cache the walk below reads from.
        near = self._durable.within(person_id, depth, _KIN_EDGE_TYPES)
        self._nodes(near)
        self._edges_around(near)
        subject = self._node(person_id)
        assert isinstance(subject, Person)
        people: dict[str, Person] = {subject.id: subject}
        parents: dict[str, ParentOf] = {}
        partners: dict[str, PartnerOf] = {}
        related: dict[str, RelatedTo] = {}
        level = [subject.id]
        for _ in range(depth):
            outs, ins = self._out_edges(level), self._in_edges(level)
            reached = self._nodes(
                edge.dst if edge.src == current else edge.src
                for current in level for edge in outs[current] + ins[current]
                if edge.type in _KIN_EDGE_TYPES)
            following = []
            for current in level:
                following += self._kin_step(current, outs[current] + ins[current], reached,
                                            as_of, people, parents, partners, related)
            level = following
        return KinGraph(
            subject_id=subject.id,
            people=people,
            parents=tuple(parents.values()),
            partners=tuple(partners.values()),
            related=tuple(related.values()),
        )

    def _kin_step(self, current: str, edges: list[Edge], reached: dict[str, Node], as_of: date,
                  people: dict[str, Person], parents: dict[str, ParentOf],
                  partners: dict[str, PartnerOf], related: dict[str, RelatedTo]) -> list[str]:
        """Follow one person's family edges valid on `as_of`; return who was newly reached."""
        found = []
        for edge in edges:
            if edge.type not in _KIN_EDGE_TYPES:
                continue
            assert isinstance(edge, ParentOf | PartnerOf | RelatedTo)
            if not _started_by(edge.valid_from, as_of):
                continue
            other = edge.dst if edge.src == current else edge.src
            person = reached.get(other)
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
                found.append(other)
        return found

    def _household_of(self, person_id: str, as_of: date) -> HouseholdView:
        # The kin walk reads the subject and their edges: memberships come from the cache.
        kin = self._kin_of(person_id, HOUSEHOLD_KIN_DEPTH, as_of)
        memberships = [
            edge
            for edge in self._out_edges([person_id])[person_id]
            if isinstance(edge, MemberOf) and edge.src == person_id and edge.current_on(as_of)
        ]
        if not memberships:
            return HouseholdView(person_id, as_of, None, None, (), kin)
        latest = max(memberships, key=lambda m: m.valid_from or date.min)
        # Every household the subject is placed in, and their addresses, two queries.
        households = self._nodes(m.dst for m in memberships)
        self._nodes(h.address_id for h in households.values() if isinstance(h, Household))
        household = households.get(latest.dst)
        assert isinstance(household, Household)
        address = self._node(household.address_id)
        members = tuple(
            edge for edge in self._in_edges([household.id])[household.id]
            if isinstance(edge, MemberOf) and edge.current_on(as_of)
        )
        people = dict(kin.people)
        residents = self._nodes(member.src for member in members)
        for member in members:
            person = residents.get(member.src)
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

    def _involvements(self, person_ids: list[str], as_of: date) -> list[InvolvementView]:
        held = self._nodes(sorted(self._durable.ids_by_key(keys.INVOLVEMENT_OF, person_ids)))
        chosen = [i for i in held.values() if isinstance(i, Involvement) and i.start <= as_of]
        named = self._nodes([i.organisation_id for i in chosen if i.organisation_id]
                            + [i.lead_id for i in chosen if i.lead_id])
        return [InvolvementView(
            involvement,
            organisation if isinstance(
                organisation := named.get(involvement.organisation_id or ""), Organisation)
            else None,
            lead if isinstance(lead := named.get(involvement.lead_id or ""), Practitioner)
            else None,
        ) for involvement in chosen]

    def _memberships(self, ids: list[str], end: str) -> list[MemberOf]:
        adjacent = self._out_edges(ids) if end == "src" else self._in_edges(ids)
        return [edge for node_id, edges in adjacent.items() for edge in edges
                if isinstance(edge, MemberOf) and getattr(edge, end) == node_id]

    def _search_candidates(self, criteria: SearchCriteria, limit: int) -> list[Person]:
        found: set[str] = set()
        if criteria.nhs_number:
            found |= self._durable.ids_by_key(keys.NHS, [criteria.nhs_number])
        if criteria.name:
            found |= self._durable.ids_by_key(keys.NAME, query_keys(criteria.name))
        if criteria.upn:
            found |= self._durable.ids_by_key(keys.UPN, [criteria.upn.strip().upper()])
        if criteria.birth_date:
            found |= self._durable.ids_by_key(keys.BORN, [criteria.birth_date.isoformat()])
        if criteria.postcode:
            found |= set(self._residents_at_postcode(normalise_postcode(criteria.postcode)))
        return [p for p in self._nodes(sorted(found)[:limit]).values() if isinstance(p, Person)]

    def _search_matches(
        self, criteria: SearchCriteria, birth_dates: list[date], limit: int
    ) -> SearchMatches:
        found: set[str] = set()
        if criteria.nhs_number:
            found |= self._durable.ids_by_key(keys.NHS, [criteria.nhs_number])
        if criteria.upn:
            found |= self._durable.ids_by_key(keys.UPN, [criteria.upn.strip().upper()])
        found |= self._durable.ids_by_key(keys.BORN, [d.isoformat() for d in birth_dates])
        lived: dict[str, tuple[Address, ...]] = {}
        if criteria.postcode:
            lived = self._residents_at_postcode(normalise_postcode(criteria.postcode))
        found |= lived.keys()
        words = list(dict.fromkeys(name_tokens(criteria.name or "")))
        if words:
            found.update(sorted(self._matching_every_word(words))[:limit])
        held = self._nodes(sorted(found))
        people = {i: node for i, node in held.items() if isinstance(node, Person)}
        return SearchMatches(people, lived)

    def _matching_every_word(self, words: list[str]) -> set[str]:
        """People holding, for every word, a name word that is it, a form of it or a slip."""
        per_word = []  # per word, the keys any of which will do
        for word in words:
            found = word_keys(word)
            if len(word) >= SLIP_MIN_LENGTH:
                found |= self._slips_of(word)
            per_word.append(found)
        # One statement intersecting the words' holders: SQLite keeps a common surname's
        # thousands of holders out of Python.
        return self._durable.ids_holding_each((keys.NAME, keys.CLAIMED_NAME), per_word)

    def _slips_of(self, word: str) -> set[str]:
        """Name words held by anyone that are one edit from `word` (or it)."""
        near = self._durable.words_by_form(slip_forms(word))
        return {w for w in near if jellyfish.damerau_levenshtein_distance(word, w) <= 1}

    def _residents_at_postcode(self, postcode: str) -> dict[str, tuple[Address, ...]]:
        """Everyone who lived at an address with this postcode, and those addresses."""
        found: dict[str, list[Address]] = defaultdict(list)
        addresses = self._nodes(self._keyed(keys.POSTCODE, postcode))
        for address_id, address in addresses.items():
            if not isinstance(address, Address):
                continue
            households = self._keyed(keys.HOUSEHOLD_AT, address_id)
            for edges in self._in_edges(households).values():
                for edge in edges:
                    if isinstance(edge, MemberOf) and address not in found[edge.src]:
                        found[edge.src].append(address)
        return {member: tuple(addresses) for member, addresses in found.items()}

    def _open_review_pairs(self, after: str | None, first: int) -> list[ReviewPair]:
        found: list[ReviewPair] = []
        for pair in self._durable.labelled(ReviewPair.label, after):
            if len(found) >= first:
                break
            if isinstance(pair, ReviewPair) and pair.status == "open":
                found.append(pair)
        return found

    def _changes(
        self, after: int, first: int, person_ids: list[str] | None, since: str | None
    ) -> list[Change]:
        # Read from SQLite, not memory: a load committed by another process is there at once.
        with self._lock:
            return self._durable.changes(after, first, person_ids, since)

    def last_change(self) -> int:
        with self._lock:
            return self._durable.last_change()

    def _counts(self) -> dict[str, int]:
        return self._durable.counts()

    def load_logs(self) -> list[LoadLog]:
        with self._lock:
            return self._durable.load_logs()

    def close(self) -> None:
        self._durable.close()


# The key each kind of node about a person is filed under (`graph.embedded.keys`).
_ABOUT = {Event.label: keys.EVENT_OF, RiskIndicator.label: keys.RISK_OF,
          IdentityEvent.label: keys.IDENTITY_EVENT_OF, ReviewPair.label: keys.REVIEW_OF}


def _born_after(person: Person, day: date) -> bool:
    return person.birth_date is not None and person.birth_date > day
