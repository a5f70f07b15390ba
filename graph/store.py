"""The store protocol every backend implements, and the shapes its answers come in.

The protocol speaks the family-context questions (household, family, services,
search candidates) so that each backend can answer one in a single round trip.
Wording, scoping and defaults live once in `graph.questions`, above the protocol.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from graph.changes import Change, stamp
from graph.errors import PersonNotFound
from graph.model import (
    Address,
    Edge,
    Event,
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
from graph.nicknames import variants_of
from graph.normalise import name_tokens, sounds_like

# Family steps from the subject that name every household member we have words for:
# grandparent (2 up), parent's partner (1 up, 1 across), cousin (2 up, 2 down).
HOUSEHOLD_KIN_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Rejection:
    """A source row kept out of the graph (or a value dropped from one), where it was and why."""

    file: str
    row: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class LoadLog:
    """What one load read, wrote and rejected; stored in the same transaction as its batch."""

    source: str
    read: int
    loaded: int
    quarantined: int
    rejections: tuple[Rejection, ...] = ()
    warnings: tuple[Rejection, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.quarantined


@dataclass(slots=True)
class GraphBatch:
    """Nodes and edges written all together or not at all; later items replace same-id ones.

    `changes` are what the load learned for followers, kept in the same transaction.
    """

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    log: LoadLog | None = None
    changes: list[Change] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.edges)


@dataclass(frozen=True, slots=True)
class KinGraph:
    """People within some steps of a subject over family edges, with the edges among them."""

    subject_id: str
    people: Mapping[str, Person]
    parents: tuple[ParentOf, ...] = ()
    partners: tuple[PartnerOf, ...] = ()
    related: tuple[RelatedTo, ...] = ()


def kin_within(kin: KinGraph, depth: int) -> KinGraph:
    """The part of a kin graph within `depth` steps of its subject: what `Store.kin` to that
    depth gives, from a graph walked at least as deep (a household's, `HOUSEHOLD_KIN_DEPTH`)
    with no second read. Everyone within `depth` steps is reached over the deeper graph's
    edges, and its edges are those touching someone nearer than `depth`, as the stores'.
    People the deeper graph holds without an edge (a household's residents) are left out."""
    edges: list[ParentOf | PartnerOf | RelatedTo] = [*kin.parents, *kin.partners, *kin.related]
    touching: dict[str, list[ParentOf | PartnerOf | RelatedTo]] = {}
    for edge in edges:
        touching.setdefault(edge.src, []).append(edge)
        touching.setdefault(edge.dst, []).append(edge)
    distance = {kin.subject_id: 0}
    level = [kin.subject_id]
    for step in range(1, depth + 1):
        following = []
        for current in level:
            for edge in touching.get(current, ()):
                other = edge.dst if edge.src == current else edge.src
                if other not in distance and other in kin.people:
                    distance[other] = step
                    following.append(other)
        level = following
    kept = [e for e in edges if e.src in distance and e.dst in distance
            and min(distance[e.src], distance[e.dst]) < depth]
    return KinGraph(
        kin.subject_id, {pid: p for pid, p in kin.people.items() if pid in distance},
        tuple(e for e in kept if isinstance(e, ParentOf)),
        tuple(e for e in kept if isinstance(e, PartnerOf)),
        tuple(e for e in kept if isinstance(e, RelatedTo)))


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """Another household a source places the subject in on the same day, beside the one
    chosen: its address and the subject's memberships of it (whose sources say so)."""

    household: Household
    address: Address | None
    memberships: tuple[MemberOf, ...]


@dataclass(frozen=True, slots=True)
class HouseholdView:
    """The household a subject lived in on `as_of`: its address, residents and their kin.

    `elsewhere` holds every other household the subject's memberships current on `as_of`
    place them in (sources disagreeing about where they lived), ordered by household id.
    `involvements`, when the household was asked for with them, holds every involvement
    begun by `as_of` about anyone in `kin.people` (residents and kin), in any order: what
    the subject's services, in any scope, are chosen from (`involvements_among`) without
    asking the store again. None when not asked for: never "no services"."""

    subject_id: str
    as_of: date
    household: Household | None
    address: Address | None
    members: tuple[MemberOf, ...]
    kin: KinGraph
    elsewhere: tuple[Elsewhere, ...] = ()
    involvements: tuple[InvolvementView, ...] | None = None

    def involvements_covering(
        self, people: Iterable[str]
    ) -> tuple[InvolvementView, ...] | None:
        """`involvements`, when the view was read with them and they are about everyone in
        `people` (all in `kin.people`); None when the store must be asked instead."""
        if self.involvements is None or any(p not in self.kin.people for p in people):
            return None
        return self.involvements


@dataclass(frozen=True, slots=True)
class InvolvementView:
    involvement: Involvement
    organisation: Organisation | None
    lead: Practitioner | None


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """Any of these finds a candidate: a name (its words, short forms or sound), an exact
    birth date, a postcode lived at (now or before), an NHS number or a UPN."""

    name: str | None = None
    birth_date: date | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    upn: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.name or self.birth_date or self.postcode or self.nhs_number
                    or self.upn)


# The field of a SourceRecord that holds the keys of the linkage blocks it is in.
RECORD_BLOCKS = "blocks"
# Name fields a person's sources gave: a search matches any of them, not just the current name.
NAME_CLAIM_FIELDS = ("given_names", "family_name", "other_names")
# A one-letter slip only counts for words this long: shorter ones are too often another name.
SLIP_MIN_LENGTH = 4


def held_name_words(person: Person) -> list[str]:
    """Every word of every name the person is known by: current name first, then claims."""
    held = name_tokens(person.given_names, person.family_name)
    held += [t for c in person.claims if c.field in NAME_CLAIM_FIELDS for t in name_tokens(c.value)]
    return held


def held_upns(person: Person) -> set[str]:
    """Every UPN any source gave the person: schools change them, searches use old ones."""
    return {c.value for c in person.claims if c.field == "upn"} | (
        {person.upn} if person.upn else set())


def held_birth_dates(person: Person) -> set[date]:
    """Every birth date any source gave the person: a search finds them by any of these, so
    which people it finds never hangs on which source's date was chosen to show."""
    held = {person.birth_date} if person.birth_date else set()
    for claim in person.claims:
        if claim.field == "birth_date":
            try:
                held.add(date.fromisoformat(claim.value))
            except ValueError:
                continue  # a loader checks dates; a store written by hand may hold anything
    return held


def word_keys(word: str) -> set[str]:
    """Keys a held word shares with a searched `word` when it is the word, a short or long
    form of it, or sounds like it (held words are indexed under themselves and their sound)."""
    return set(variants_of(word)) | {sounds_like(word)}


def slip_forms(word: str) -> set[str]:
    """The word and each form of it one letter shorter.

    Two words within one edit (a letter changed, added, dropped or two swapped) always share
    one of these, so an index of them finds slips without comparing every word; it also
    finds a few words two edits apart, which the caller's check drops.

    >>> sorted(slip_forms("shaw"))
    ['haw', 'saw', 'sha', 'shaw', 'shw']
    """
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))} - {""}


@dataclass(frozen=True, slots=True)
class SearchMatches:
    """What `Store.search_matches` found: the people, and for those who lived at the
    postcode, the addresses there they lived at (so a caller can ask whether the asker may
    see any of them before counting the postcode as matched)."""

    people: Mapping[str, Person]
    at_postcode: Mapping[str, tuple[Address, ...]] = field(default_factory=dict)


N = TypeVar("N", bound=Node)


class Store(ABC):
    """What every backend provides. Reads never return a partial write.

    The questions below are written once, here: the order of their answers, dropping
    repeated ids, limits, and each single form over its batched one. A backend gives the
    primitives at the end (each one read, a round trip to Neo4j), in the manner of a
    database API under a linker: the store of record changes, the questions do not.
    """

    name: str

    # --- writing -------------------------------------------------------------

    @abstractmethod
    def write(self, batch: GraphBatch) -> int:
        """Write the whole batch atomically and durably; return its sequence number."""

    @abstractmethod
    def migrate(self) -> None:
        """Bring what the store holds to this famgraph's schema: tables or constraints,
        indexes, and keys that older versions did not write. Idempotent: run at every open
        (`server.stores.open_store`), it changes nothing the second time."""

    @abstractmethod
    def close(self) -> None:
        """Let go of what the store holds open."""

    # --- people, addresses and records -------------------------------------

    def people(self, ids: Iterable[str]) -> dict[str, Person]:
        """The people with these ids, in the order asked; ids not held are left out."""
        return self._in_order(Person, ids)

    def addresses(self, ids: Iterable[str]) -> dict[str, Address]:
        """The addresses with these ids, in the order asked; ids not held are left out."""
        return self._in_order(Address, ids)

    def _in_order(self, kind: type[N], ids: Iterable[str]) -> dict[str, N]:
        wanted = list(dict.fromkeys(ids))
        with self._question():
            found = self._nodes_by_id(kind.label, wanted)
        return {i: node for i in wanted if isinstance(node := found.get(i), kind)}

    def record_owners(self, record_ids: Iterable[str]) -> dict[str, str]:
        """For source-record node ids, the id of the person each belongs to now."""
        with self._question():
            return self._record_owners(list(dict.fromkeys(record_ids)))

    def records_of(self, person_id: str) -> list[SourceRecord]:
        """The source records that belong to this person now, ordered by id."""
        return self.records_by_person([person_id])[person_id]

    def records_by_person(self, person_ids: Iterable[str]) -> dict[str, list[SourceRecord]]:
        """`records_of` each of these people at once: every id asked is a key."""
        wanted = list(dict.fromkeys(person_ids))
        with self._question():
            found = self._records_by_person(wanted)
        return {pid: _by_id(found.get(pid, ())) for pid in wanted}

    def source_records(self, system: str) -> list[SourceRecord]:
        """Every record the store holds from one source system, ended ones included,
        ordered by id."""
        with self._question():
            return _by_id(self._asserted_by(SourceRecord, system))

    def all_source_records(self) -> list[SourceRecord]:
        """Every source record of every system, ended ones included, ordered by id."""
        return self._every(SourceRecord)

    def source_records_in_blocks(self, blocks: Iterable[str]) -> list[SourceRecord]:
        """The source records whose `blocks` field (keys separated by spaces, written by
        identity resolution: `loaders.identity.blocks`) holds any of `blocks`, and every
        record without that field (kept before it was written, so in no known block),
        ended ones included, ordered by id: what a nightly delta compares its records with,
        without reading the whole store."""
        with self._question():
            return _by_id(self._records_in_blocks(sorted(set(blocks))))

    # --- family-context questions -------------------------------------------

    def household(self, person_id: str, as_of: date) -> HouseholdView:
        """The subject's household on `as_of`, with a kin graph deep enough to name members.

        Raises
        ------
        PersonNotFound : the store holds no person with this id
        """
        return _the_one(self.households([(person_id, as_of)]), person_id)

    def households(
        self, subjects: Sequence[tuple[str, date]], with_involvements: bool = False
    ) -> dict[tuple[str, date], HouseholdView]:
        """`household` of each (person id, day) at once, in the order asked; people not
        held are left out. `with_involvements`: each view's `involvements` too, in the same
        read (the household's services in one round trip)."""
        wanted = list(dict.fromkeys(subjects))
        with self._question():
            found = self._households(wanted, with_involvements) if wanted else {}
        return {subject: found[subject] for subject in wanted if subject in found}

    def kin(self, person_id: str, depth: int, as_of: date) -> KinGraph:
        """People within `depth` family steps of the subject, over edges valid on `as_of`.

        Raises
        ------
        PersonNotFound : the store holds no person with this id
        """
        return _the_one(self.kin_graphs([(person_id, as_of)], depth), person_id)

    def kin_graphs(
        self, subjects: Sequence[tuple[str, date]], depth: int
    ) -> dict[tuple[str, date], KinGraph]:
        """`kin` of each (person id, day) at once, all to one depth, in the order asked;
        people not held are left out."""
        wanted = list(dict.fromkeys(subjects))
        with self._question():
            found = self._kin_graphs(wanted, depth) if wanted else {}
        return {subject: found[subject] for subject in wanted if subject in found}

    def involvements(
        self, person_ids: Sequence[str], as_of: date, include_closed: bool = False
    ) -> list[InvolvementView]:
        """Service episodes about these people open on `as_of` (or, with `include_closed`,
        begun by then), ordered by the order of `person_ids`, then by involvement id."""
        with self._question():
            found = self._involvements(list(dict.fromkeys(person_ids)), as_of)
        return involvements_among(found, person_ids, as_of, include_closed)

    def events(self, person_ids: Sequence[str], start: date, end: date) -> list[Event]:
        """Dated events about these people from `start` to `end` inclusive, by date then id."""
        found = self._about(Event, person_ids)
        return sorted((e for e in found if start <= e.date <= end), key=lambda e: (e.date, e.id))

    def risk_indicators(self, person_ids: Sequence[str], as_of: date) -> list[RiskIndicator]:
        """Risk indicators about these people current on `as_of` (begun by then and not yet
        ended), ordered by the order of `person_ids`, then by indicator id."""
        order = _positions(person_ids)
        found = self._about(RiskIndicator, person_ids)
        return sorted((r for r in found if r.current_on(as_of)),
                      key=lambda r: (order[r.person_id], r.id))

    def memberships(self, person_ids: Iterable[str]) -> list[MemberOf]:
        """Every household membership of these people, past and present, ordered by
        person as asked, then by key."""
        order = _positions(person_ids)
        with self._question():
            found = self._memberships(list(order), "src")
        return sorted(found, key=lambda m: (order[m.src], m.key))

    def residents(self, household_ids: Iterable[str]) -> list[MemberOf]:
        """Every membership of these households, past and present, ordered by household as
        asked, then by key."""
        order = _positions(household_ids)
        with self._question():
            found = self._memberships(list(order), "dst")
        return sorted(found, key=lambda m: (order[m.dst], m.key))

    def all_involvements(self) -> list[Involvement]:
        """Every involvement the store holds, open or closed, ordered by id (for aggregates)."""
        return self._every(Involvement)

    def all_risk_indicators(self) -> list[RiskIndicator]:
        """Every risk indicator the store holds, ended ones too, ordered by id (for aggregates)."""
        return self._every(RiskIndicator)

    def involvements_from(self, system: str) -> list[Involvement]:
        """Every involvement one source system asserted, open or closed, ordered by id."""
        with self._question():
            return _by_id(self._asserted_by(Involvement, system))

    # --- search ----------------------------------------------------------------

    def search_candidates(self, criteria: SearchCriteria, limit: int) -> list[Person]:
        """People who might match, up to `limit` of them, lowest ids first; ranking is the
        caller's job."""
        if criteria.empty or limit <= 0:
            return []
        with self._question():
            return _by_id(self._search_candidates(criteria, limit))[:limit]

    def search_matches(
        self, criteria: SearchCriteria, birth_dates: Sequence[date], limit: int
    ) -> SearchMatches:
        """People a search might be about, narrower than `search_candidates`; ranking and
        the final word-by-word check are the caller's job.

        Everyone with the NHS number, the UPN (now or before), any of `birth_dates` (as any
        source gave it, `held_birth_dates`; not
        `criteria.birth_date`: the caller adds the swapped one), or who lived at the postcode,
        now or before (in `at_postcode`, with the addresses there); and, for a name, at most
        `limit` people (lowest ids first) who for EVERY word of it hold a name word (current
        or claimed) that is the word, a form of it (`word_keys`) or, for words of
        `SLIP_MIN_LENGTH` or more, within one edit of it. Stores may return more than that,
        never less.
        """
        if criteria.empty and not birth_dates:
            return SearchMatches({})
        with self._question():
            return self._search_matches(criteria, list(dict.fromkeys(birth_dates)),
                                        max(limit, 0))

    # --- identity resolution ---------------------------------------------------

    def link_decisions(self) -> list[LinkDecision]:
        """Every link and unlink decision people have made, oldest first."""
        with self._question():
            found = self._labelled(LinkDecision)
        return sorted(found, key=lambda d: (d.decided_at, d.id))

    def linkage_models(self) -> list[LinkageModel]:
        """Every trained linkage model a load used, oldest first."""
        with self._question():
            found = self._labelled(LinkageModel)
        return sorted(found, key=lambda m: (m.trained_at, m.id))

    def review_queue(self, after: str | None, first: int) -> list[ReviewPair]:
        """Up to `first` open review pairs ordered by id, those after id `after` only."""
        if first <= 0:
            return []
        with self._question():
            return _by_id(self._open_review_pairs(after, first))[:first]

    def review_pairs_of(self, person_ids: Iterable[str]) -> dict[str, list[ReviewPair]]:
        """The open review pairs naming each of these people, by id; every id asked is a
        key."""
        found: dict[str, list[ReviewPair]] = {pid: [] for pid in person_ids}
        for pair in _by_id(self._about(ReviewPair, found)):
            if pair.status == "open":
                for pid in dict.fromkeys((pair.person_a, pair.person_b)):
                    if pid in found:
                        found[pid].append(pair)
        return found

    def link_explanation(self, person_id: str) -> LinkExplanation | None:
        """Why this person's records were joined, as the last load that touched them said."""
        return self.link_explanations([person_id]).get(person_id)

    def link_explanations(self, person_ids: Iterable[str]) -> dict[str, LinkExplanation]:
        """`link_explanation` of each of these people at once, in the order asked; those
        without one are left out."""
        order = _positions(person_ids)
        found = {x.person_id: x for x in self._about(LinkExplanation, order)}
        return {pid: found[pid] for pid in order if pid in found}

    def identity_events(self, person_id: str) -> list[IdentityEvent]:
        """How this person's records came together or apart, oldest first."""
        return self.identity_events_by_person([person_id])[person_id]

    def identity_events_by_person(
        self, person_ids: Iterable[str]
    ) -> dict[str, list[IdentityEvent]]:
        """`identity_events` of each of these people at once: every id asked is a key."""
        found: dict[str, list[IdentityEvent]] = {pid: [] for pid in person_ids}
        for event in sorted(self._about(IdentityEvent, found), key=lambda e: (e.on, e.id)):
            found[event.person_id].append(event)
        return found

    # --- changes and the store's own records --------------------------------

    def changes(
        self,
        after: int,
        first: int,
        person_ids: Iterable[str] | None = None,
        since: datetime | None = None,
    ) -> list[Change]:
        """Up to `first` changes numbered above `after`, oldest first: only those about
        these people when `person_ids` is given, only those recorded at or after `since`."""
        if first <= 0:
            return []
        wanted = sorted(set(person_ids)) if person_ids is not None else None
        return self._changes(after, first, wanted, stamp(since) if since else None)[:first]

    @abstractmethod
    def last_change(self) -> int:
        """The number of the newest committed change (0 when there is none)."""

    def counts(self) -> dict[str, int]:
        """How many nodes of each label and edges of each type the store holds (none of
        those it holds none of)."""
        with self._question():
            return {name: count for name, count in self._counts().items() if count}

    @abstractmethod
    def load_logs(self) -> list[LoadLog]:
        """Every committed load's counts and rejections, oldest first."""

    # --- written once over the primitives ----------------------------------------

    def _every(self, kind: type[N]) -> list[N]:
        with self._question():
            return _by_id(self._labelled(kind))

    def _labelled(self, kind: type[N]) -> list[N]:
        return [n for n in self._nodes_labelled(kind.label) if isinstance(n, kind)]

    def _about(self, kind: type[N], person_ids: Iterable[str]) -> list[N]:
        with self._question():
            found = self._nodes_about(kind.label, list(dict.fromkeys(person_ids)))
        return [n for n in found if isinstance(n, kind)]

    def _asserted_by(self, kind: type[N], system: str) -> list[N]:
        return [n for n in self._nodes_from(kind.label, system) if isinstance(n, kind)]

    # --- the primitives a backend gives ------------------------------------------

    def _question(self) -> AbstractContextManager[None]:
        """What one question's reads share: a snapshot, for a backend that reads in
        several steps. Nested questions share the outermost."""
        return nullcontext()

    @abstractmethod
    def _nodes_by_id(self, label: str, ids: list[str]) -> Mapping[str, Node]:
        """The nodes of this label held with these (distinct) ids, in any order."""

    @abstractmethod
    def _nodes_labelled(self, label: str) -> Iterable[Node]:
        """Every node of this label, in any order."""

    @abstractmethod
    def _nodes_about(self, label: str, person_ids: list[str]) -> Iterable[Node]:
        """The nodes of this label about any of these (distinct) people, in any order:
        whose `person_id` is one of them, or, for a review pair, that names one of them."""

    @abstractmethod
    def _nodes_from(self, label: str, system: str) -> Iterable[Node]:
        """The source records (or involvements) one source system asserted, in any order."""

    @abstractmethod
    def _record_owners(self, record_ids: list[str]) -> dict[str, str]:
        """For these (distinct) record ids, the person each belongs to now."""

    @abstractmethod
    def _records_by_person(self, person_ids: list[str]) -> Mapping[str, list[SourceRecord]]:
        """The records each of these (distinct) people holds now, in any order; a person
        holding none may be left out."""

    @abstractmethod
    def _records_in_blocks(self, blocks: list[str]) -> Iterable[SourceRecord]:
        """`source_records_in_blocks` of these (distinct, sorted) keys, in any order."""

    @abstractmethod
    def _households(
        self, subjects: list[tuple[str, date]], with_involvements: bool
    ) -> Mapping[tuple[str, date], HouseholdView]:
        """`households` of these distinct subjects, at least one, in one read."""

    @abstractmethod
    def _kin_graphs(
        self, subjects: list[tuple[str, date]], depth: int
    ) -> Mapping[tuple[str, date], KinGraph]:
        """`kin_graphs` of these distinct subjects, at least one, in one read."""

    @abstractmethod
    def _involvements(self, person_ids: list[str], as_of: date) -> Iterable[InvolvementView]:
        """The involvements about these distinct people begun by `as_of`, open or not, with
        their organisations and leads, in any order, in one read."""

    @abstractmethod
    def _memberships(self, ids: list[str], end: str) -> Iterable[MemberOf]:
        """The household memberships leaving (`end` "src": people) or reaching ("dst":
        households) these distinct nodes, past and present, in any order."""

    @abstractmethod
    def _search_candidates(self, criteria: SearchCriteria, limit: int) -> Iterable[Person]:
        """At least the `limit` lowest-id people any criterion finds (`search_candidates`);
        `criteria` is not empty and `limit` is positive."""

    @abstractmethod
    def _search_matches(
        self, criteria: SearchCriteria, birth_dates: list[date], limit: int
    ) -> SearchMatches:
        """`search_matches`, asked at least one thing; `limit` is not negative."""

    @abstractmethod
    def _open_review_pairs(self, after: str | None, first: int) -> Iterable[ReviewPair]:
        """At least the `first` (positive) lowest-id open review pairs after id `after`."""

    @abstractmethod
    def _changes(
        self, after: int, first: int, person_ids: list[str] | None, since: str | None
    ) -> list[Change]:
        """`changes`, oldest first; `person_ids` sorted and distinct, `since` stamped
        (`graph.changes.stamp`), `first` positive."""

    @abstractmethod
    def _counts(self) -> Mapping[str, int]:
        """Nodes by label and edges by type."""




def involvements_among(
    found: Iterable[InvolvementView], person_ids: Sequence[str], as_of: date,
    include_closed: bool,
) -> list[InvolvementView]:
    """Of involvements begun by `as_of`, those about these people open on `as_of` (or, with
    `include_closed`, all of them), ordered by the order of `person_ids`, then by id:
    `Store.involvements`' answer, from what a store or a household view read."""
    order = _positions(person_ids)
    chosen = (v for v in found if v.involvement.person_id in order
              and (include_closed or v.involvement.active_on(as_of)))
    return sorted(chosen, key=lambda v: (order[v.involvement.person_id], v.involvement.id))


A = TypeVar("A")


def _the_one(found: Mapping[tuple[str, date], A], person_id: str) -> A:
    """The answer of a batched question asked about one subject.

    Raises
    ------
    PersonNotFound : the store holds no person with this id
    """
    if not found:
        raise PersonNotFound(person_id)
    return next(iter(found.values()))


def _by_id(found: Iterable[N]) -> list[N]:
    return sorted(found, key=lambda node: node.id)


def _positions(ids: Iterable[str]) -> dict[str, int]:
    """Each distinct id and where it first came: the order answers keep."""
    return {i: n for n, i in enumerate(dict.fromkeys(ids))}
