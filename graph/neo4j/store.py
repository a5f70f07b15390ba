"""The Neo4j store: the store protocol over the official driver, one round trip per question.

Each node keeps its full value as JSON in `data` (decoded by the same codec as the
embedded store) plus the few properties Cypher filters and indexes on.
"""

from __future__ import annotations

import functools
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from neo4j import READ_ACCESS, Driver, ManagedTransaction, Query, unit_of_work
from neo4j.exceptions import (
    ClientError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.changes import Change, decode_change, encode_change
from graph.errors import StoreError, StoreTimeout, StoreUnavailable
from graph.model import (
    EDGE_TYPES,
    NODE_TYPES,
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
    decode,
    encode,
)
from graph.neo4j import cypher
from graph.normalise import name_keys, name_tokens, normalise_postcode, query_keys, sounds_like
from graph.store import (
    HOUSEHOLD_KIN_DEPTH,
    RECORD_BLOCKS,
    SLIP_MIN_LENGTH,
    Elsewhere,
    GraphBatch,
    HouseholdView,
    InvolvementView,
    KinGraph,
    LoadLog,
    Rejection,
    SearchCriteria,
    SearchMatches,
    Store,
    held_birth_dates,
    held_name_words,
    held_upns,
    slip_forms,
    word_keys,
)

# Seconds a read question may run; a write batch gets longer (docs/security.md rule 6), and longer
# still the more it holds: a whole borough's extract is one atomic batch.
READ_TIMEOUT = 4.0
WRITE_TIMEOUT = 120.0
WRITE_SECONDS_PER_ITEM = 0.01
# A read failing within this many seconds met a dead pooled connection, and is worth one
# more try on a fresh one; a slower failure was Neo4j itself not answering.
STALE_FAILURE = 0.25
# Seconds the driver keeps retrying a write after a transient failure (a deadlock, a
# leader switch), whatever shorter retry time the driver was given for reads.
WRITE_RETRY = 30.0


# What the driver raises when the server is stopped, restarting or out of reach: the
# caller may try again later (a TransientError here is, say, a database still starting).
_UNREACHABLE = (ServiceUnavailable, SessionExpired, TransientError, OSError)


# Rows sent in one UNWIND statement of a write: a batch of any size is written in pieces of
# this many, all in the batch's one transaction, so the server plans and holds a bounded
# parameter list at a time.
ROWS_PER_STATEMENT = 2_000


def _statements(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows in lists of `ROWS_PER_STATEMENT`, one UNWIND statement each."""
    every = list(rows)
    for start in range(0, len(every), ROWS_PER_STATEMENT):
        yield every[start:start + ROWS_PER_STATEMENT]


@contextmanager
def as_store_errors(timeout: float | None = None) -> Iterator[None]:
    """The driver's failures as the store's: out of reach is `StoreUnavailable`, past the
    transaction's timeout (`timeout` seconds, when it has one) is `StoreTimeout`."""
    try:
        yield
    except _UNREACHABLE as exc:
        raise StoreUnavailable(f"Neo4j is not reachable: {type(exc).__name__}") from exc
    except ClientError as exc:
        if "TransactionTimedOut" in (exc.code or ""):
            within = f"within {timeout} s" if timeout is not None else "in time"
            raise StoreTimeout(f"Neo4j did not answer {within}") from exc
        raise


def write_timeout(batch: GraphBatch) -> float:
    """Seconds a batch may take to write: a floor, plus time for each node and edge."""
    return WRITE_TIMEOUT + WRITE_SECONDS_PER_ITEM * len(batch)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# Marks a key that is a held word with one letter dropped, apart from the words themselves.
_DROPPED = "%"
# Marks a key that is a UPN the person holds (a name key never has this character).
_UPN = "#"
# Marks a key that is a birth date some source gave the person (ISO 8601).
_BORN = "@"
# Lucene refuses a query of more terms than this (its default limit is 1,024).
_MAX_TERMS = 1_000


def search_key_text(person: Person) -> str:
    """What `search_matches` finds a person under: every name word they hold (current or
    claimed), its sound and, for words long enough to slip, each one-letter-shorter form;
    and every UPN and birth date they hold, so a UPN search is an index lookup, not a scan
    of everyone, and a birth date any source gave finds them."""
    keys: set[str] = {_UPN + upn for upn in held_upns(person)}
    keys |= {_BORN + born.isoformat() for born in held_birth_dates(person)}
    for word in held_name_words(person):
        keys |= {word, sounds_like(word)}
        if len(word) >= SLIP_MIN_LENGTH:
            keys |= {_DROPPED + form for form in slip_forms(word) - {word}}
    return " ".join(sorted(keys))


def _word_terms(word: str) -> set[str]:
    """Keys any one of which a person holding a match for the searched word has."""
    terms = word_keys(word)
    if len(word) >= SLIP_MIN_LENGTH:
        # Two words within one edit share a slip form (`slip_forms`): the searched word or
        # one of its shorter forms is the held word, or a shorter form of it.
        forms = slip_forms(word)
        terms |= forms | {_DROPPED + form for form in forms}
    return terms


def _every_word_query(words: list[str]) -> str:
    """A Lucene query requiring, for each word, one of its terms: Lucene intersects the
    words' postings itself, so only people matching every word leave the index. Words past
    the term limit are left out, which only widens the answer (the caller checks)."""
    groups: list[str] = []
    used = 0
    for terms in sorted((_word_terms(w) for w in dict.fromkeys(words)), key=len):
        if used + len(terms) > _MAX_TERMS:
            break
        used += len(terms)
        groups.append("+(" + " ".join(_lucene_term(t) for t in sorted(terms)) + ")")
    return " ".join(groups)


def node_row(node: Node) -> dict[str, Any]:
    """Properties stored on a node: its JSON value and what Cypher filters on."""
    row: dict[str, Any] = {"id": node.id, "data": json.dumps(encode(node))}
    if isinstance(node, Person):
        row |= {"nhs_number": node.nhs_number, "birth_date": _iso(node.birth_date),
                "name_key_text": " ".join(sorted(name_keys(node.given_names, node.family_name))),
                "search_key_text": search_key_text(node),
                "upns": sorted(held_upns(node))}
    elif isinstance(node, Address):
        row["postcode_key"] = normalise_postcode(node.postcode)
    elif isinstance(node, Household):
        row["address_id"] = node.address_id
    elif isinstance(node, Involvement):
        row |= {"person_id": node.person_id, "start": _iso(node.start), "end": _iso(node.end),
                "organisation_id": node.organisation_id, "lead_id": node.lead_id,
                "source_systems": sorted({s.system for s in node.sources})}
    elif isinstance(node, SourceRecord):
        row |= {"system": node.system, "block_text": node.fields.get(RECORD_BLOCKS)}
    elif isinstance(node, Event):
        row |= {"person_id": node.person_id, "date": _iso(node.date)}
    elif isinstance(node, RiskIndicator):
        row |= {"person_id": node.person_id, "valid_from": _iso(node.valid_from),
                "valid_to": _iso(node.valid_to)}
    elif isinstance(node, IdentityEvent | LinkExplanation):
        row["person_id"] = node.person_id
    elif isinstance(node, ReviewPair):
        row |= {"status": node.status, "person_a": node.person_a, "person_b": node.person_b}
    return row


def edge_row(edge: Edge) -> dict[str, Any]:
    row: dict[str, Any] = {"src": edge.src, "dst": edge.dst, "key": edge.key,
                           "data": json.dumps(encode(edge))}
    if not isinstance(edge, HasRecord):
        row |= {"valid_from": _iso(edge.valid_from), "valid_to": _iso(edge.valid_to)}
    return row


# Values decoded from their stored JSON, by that JSON: a busy family's household, asked by
# every worker looking at it, is read again but not decoded again (decoding was a third of
# a front-door request's Python time). Values are frozen, so one is safely shared, and a
# changed node has other JSON, so never meets its old value. As the embedded store's cache,
# bounded: this many values of a few kilobytes each.
DECODED_ENTRIES = 20_000


# Node labels and edge types, by name (a label is CamelCase, a type UPPER_SNAKE: no clash).
_TYPES = NODE_TYPES | EDGE_TYPES


def _node(label: str, data: str | None) -> Any:
    return _decoded(label, data) if data else None


def _read_once(name: str, data: str) -> Any:
    """A node decoded past the cache: a whole label or system, read for an aggregate or
    identity resolution, would push out every family kept for the questions."""
    return decode(_TYPES[name], json.loads(data))


def _edge(kind: str, data: str) -> Any:
    return _decoded(kind, data)


_decoded = functools.lru_cache(maxsize=DECODED_ENTRIES)(_read_once)


class Neo4jStore(Store):
    """A store in one Neo4j database. The driver is made at the edge and passed in."""

    name = "neo4j"

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self._driver, self._database = driver, database

    def migrate(self) -> None:
        """Put the constraints and indexes in place and give people stored before the search
        keys existed their keys. Idempotent: run at every open, it changes nothing twice.

        Raises
        ------
        StoreError : Neo4j is not reachable
        """
        with as_store_errors():
            for statement in cypher.CONSTRAINTS:
                self._driver.execute_query(statement, database_=self._database)
            self._driver.execute_query(cypher.SEARCH_INDEX, database_=self._database)
            self._add_search_keys()

    def prepare(self) -> None:
        """Plan the heaviest questions once: a cold plan can take seconds, and every later
        ask then fits its timeout. Changes nothing stored; safe to run at any time.

        Raises
        ------
        StoreError : Neo4j is not reachable
        """
        with as_store_errors():
            for statement, parameters in cypher.WARM_UP:
                self._driver.execute_query(statement, parameters, database_=self._database)

    def _add_search_keys(self) -> None:
        """Give people stored before `search_key_text` existed their keys, then wait for
        the index to hold them: until then a search would miss them."""
        while True:
            records, _, _ = self._driver.execute_query(
                cypher.UNKEYED_PEOPLE, upn_mark=_UPN, born_mark=_BORN, database_=self._database)
            if not records:
                break
            people = [_node("Person", r["data"]) for r in records]
            rows = [{"id": p.id, "keys": search_key_text(p)} for p in people]
            self._driver.execute_query(cypher.SET_SEARCH_KEYS, rows=rows,
                                       database_=self._database)
        self._driver.execute_query(cypher.AWAIT_SEARCH_INDEX, database_=self._database)

    # --- running statements ------------------------------------------------

    def _read(self, statement: str, **parameters: Any) -> list[Any]:
        """The rows of one read statement, in one round trip: an auto-commit transaction
        sends RUN and PULL together and needs no COMMIT, where a managed transaction
        (`execute_query`) waits on the network twice. A read changes nothing, so one that
        failed at once on a connection the server had closed (a pooled one from before a
        restart) is sent once more on a fresh connection. One that failed slowly (a
        connection attempt timing out) is not: a second wait as long would take the
        request past its deadline, where it should have had its 503."""
        query = Query(statement, timeout=READ_TIMEOUT)
        for attempt in range(2):
            began = time.monotonic()
            try:
                with as_store_errors(READ_TIMEOUT), self._driver.session(
                        database=self._database, default_access_mode=READ_ACCESS) as session:
                    return list(session.run(query, parameters))
            except StoreUnavailable as exc:
                closed = isinstance(exc.__cause__, (ServiceUnavailable, SessionExpired))
                if attempt or not closed or time.monotonic() - began > STALE_FAILURE:
                    raise
        raise AssertionError("unreachable: the second attempt returns or raises")

    # --- writing -------------------------------------------------------------

    def write(self, batch: GraphBatch) -> int:
        try:
            with self._driver.session(database=self._database,
                                      max_transaction_retry_time=WRITE_RETRY) as session:
                write = unit_of_work(timeout=write_timeout(batch))(self._write_batch)
                return int(session.execute_write(write, batch))
        except StoreError:
            raise
        except _UNREACHABLE as exc:
            raise StoreUnavailable(f"Neo4j is not reachable: {type(exc).__name__}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused the batch: {exc.message}") from exc

    @staticmethod
    def _write_batch(tx: ManagedTransaction, batch: GraphBatch) -> int:
        # Idempotent as a whole, as the driver may retry it on a transient error.
        nodes: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for node in batch.nodes:
            nodes[node.label][node.id] = node_row(node)  # later items replace earlier ones
        for label, by_id in nodes.items():
            for rows in _statements(by_id.values()):
                tx.run(cypher.UPSERT_NODES[label], rows=rows).consume()
        edges: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for edge in batch.edges:
            edges[edge.type][edge.key] = edge_row(edge)
        for kind, by_key in edges.items():
            for rows in _statements(by_key.values()):
                missing = tx.run(cypher.MISSING_ENDPOINTS[kind], rows=rows).single()
                if missing is not None:
                    # Raising inside the transaction function rolls the whole batch back.
                    raise StoreError(f"{kind} edge {missing['key']} names missing node "
                                     f"{missing['missing']!r}")
                if kind == "HAS_RECORD":
                    tx.run(cypher.DETACH_RECORDS, ids=[r["dst"] for r in rows]).consume()
                tx.run(cypher.UPSERT_EDGES[kind], rows=rows).consume()
        seq = int(tx.run(cypher.NEXT_BATCH).single(strict=True)["seq"])
        if batch.log is not None:
            tx.run(cypher.SAVE_LOAD_LOG, seq=seq, data=json.dumps(_log_as_json(batch.log)))
        if batch.changes:
            count = len(batch.changes)
            last = int(tx.run(cypher.RESERVE_CHANGES, count=count).single(strict=True)["last"])
            saved = [{"seq": last - count + 1 + n, "recorded_at": change.recorded_at,
                     "people": list(change.people), "data": encode_change(change)}
                    for n, change in enumerate(batch.changes)]
            tx.run(cypher.SAVE_CHANGES, rows=saved, batch=seq).consume()
        return seq

    # --- the store's primitives (graph.store.Store), each one read -------------

    def _nodes_by_id(self, label: str, ids: list[str]) -> dict[str, Node]:
        return {r["id"]: _node(label, r["data"])
                for r in self._read(cypher.NODES_BY_ID[label], ids=ids)}

    def _nodes_labelled(self, label: str) -> list[Node]:
        return [_read_once(label, r["data"]) for r in self._read(cypher.NODES_LABELLED[label])]

    def _nodes_about(self, label: str, person_ids: list[str]) -> list[Node]:
        return [_node(label, r["data"])
                for r in self._read(cypher.NODES_ABOUT[label], ids=person_ids)]

    def _nodes_from(self, label: str, system: str) -> list[Node]:
        return [_read_once(label, r["data"])
                for r in self._read(cypher.NODES_FROM[label], system=system)]

    def _record_owners(self, record_ids: list[str]) -> dict[str, str]:
        rows = self._read(cypher.RECORD_OWNERS, ids=record_ids)
        return {r["record"]: r["person"] for r in rows}

    def _records_by_person(self, person_ids: list[str]) -> dict[str, list[SourceRecord]]:
        found: dict[str, list[SourceRecord]] = defaultdict(list)
        for row in self._read(cypher.RECORDS_BY_PERSON, ids=person_ids):
            found[row["person"]].append(_read_once("SourceRecord", row["data"]))
        return found

    def _records_in_blocks(self, blocks: list[str]) -> list[SourceRecord]:
        # Not a question (no read timeout): the first delta after an upgrade waits while
        # Neo4j fills the new index over every stored record, however long that takes.
        with as_store_errors():
            self._driver.execute_query(cypher.AWAIT_RECORD_BLOCKS, database_=self._database)
        found = {r["id"]: r["data"] for r in self._read(cypher.RECORDS_WITHOUT_BLOCKS)}
        # Keys are hex words; a full-text query ORs its words, so many at a time.
        for start in range(0, len(blocks), cypher.BLOCKS_PER_QUERY):
            terms = " ".join(blocks[start:start + cypher.BLOCKS_PER_QUERY])
            found |= {r["id"]: r["data"] for r in self._read(cypher.RECORDS_IN_BLOCKS,
                                                             terms=terms)}
        return [_read_once("SourceRecord", data) for data in found.values()]

    def _households(
        self, subjects: list[tuple[str, date]], with_involvements: bool
    ) -> dict[tuple[str, date], HouseholdView]:
        rows = self._by_subject(cypher.households(HOUSEHOLD_KIN_DEPTH, with_involvements),
                                subjects)
        return {(person_id, day): _household_view(person_id, day, row)
                for (person_id, day), row in rows.items()}

    def _kin_graphs(
        self, subjects: list[tuple[str, date]], depth: int
    ) -> dict[tuple[str, date], KinGraph]:
        rows = self._by_subject(cypher.kin_graphs(depth), subjects)
        return {(person_id, day): _kin_graph(person_id, row["people"], row["edges"])
                for (person_id, day), row in rows.items()}

    def _by_subject(self, statement: str,
                    subjects: list[tuple[str, date]]) -> dict[tuple[str, date], Any]:
        """The row of a statement over $keys for each subject whose person is held."""
        keys = [{"id": person_id, "as_of": day.isoformat()} for person_id, day in subjects]
        found = {(r["id"], r["as_of"]): r for r in self._read(statement, keys=keys)}
        return {(person_id, day): row for person_id, day in subjects
                if (row := found.get((person_id, day.isoformat()))) is not None}

    def _involvements(self, person_ids: list[str], as_of: date) -> list[InvolvementView]:
        return _involvement_views(self._read(cypher.INVOLVEMENTS, ids=person_ids,
                                             as_of=as_of.isoformat()))

    def _memberships(self, ids: list[str], end: str) -> list[MemberOf]:
        statement = cypher.MEMBERSHIPS if end == "src" else cypher.RESIDENTS
        return [_edge("MEMBER_OF", r["data"]) for r in self._read(statement, ids=ids)]

    def _search_candidates(self, criteria: SearchCriteria, limit: int) -> list[Person]:
        rows = self._read(
            cypher.SEARCH,
            nhs=criteria.nhs_number or None,
            key_query=" OR ".join(_lucene_term(k) for k in sorted(query_keys(criteria.name)))
            if criteria.name else "",
            upn=criteria.upn.strip().upper() if criteria.upn else None,
            birth=_iso(criteria.birth_date),
            postcode=normalise_postcode(criteria.postcode) if criteria.postcode else None,
            limit=limit,
        )
        return [_node("Person", r["data"]) for r in rows]

    def _search_matches(
        self, criteria: SearchCriteria, birth_dates: list[date], limit: int
    ) -> SearchMatches:
        parameters: dict[str, Any] = {
            "nhs": criteria.nhs_number or None,
            "upn": (criteria.upn or "").strip().upper() or None,
            "births": [_iso(day) for day in birth_dates] or None,
            "postcode": normalise_postcode(criteria.postcode) if criteria.postcode else None,
            "words": _every_word_query(name_tokens(criteria.name or "")) or None,
        }
        # Only the branches asked for: an unused one can still cost a scan of every person.
        asked = frozenset(k for k, v in parameters.items() if v is not None)
        if not asked:
            return SearchMatches({})
        rows = self._read(
            cypher.SEARCH_MATCHES[asked], **parameters, limit=limit,
            upn_term=_lucene_term(_UPN + parameters["upn"]) if parameters["upn"] else None,
            births_term=" OR ".join(_lucene_term(_BORN + day) for day in parameters["births"])
            if parameters["births"] else None,
        )
        return SearchMatches(
            {r["id"]: _node("Person", r["data"]) for r in rows},
            {r["id"]: tuple(_node("Address", data) for data in sorted(r["lived"]))
             for r in rows if r["lived"]})

    def _open_review_pairs(self, after: str | None, first: int) -> list[ReviewPair]:
        rows = self._read(cypher.REVIEW_QUEUE, after=after, first=first)
        return [_node("ReviewPair", r["data"]) for r in rows]

    def _changes(
        self, after: int, first: int, person_ids: list[str] | None, since: str | None
    ) -> list[Change]:
        rows = self._read(cypher.CHANGES, after=after, first=first, ids=person_ids,
                          since=since)
        return [decode_change(r["data"], int(r["seq"])) for r in rows]

    def last_change(self) -> int:
        rows = self._read(cypher.LAST_CHANGE)
        return int(rows[0]["last"]) if rows else 0

    def _counts(self) -> dict[str, int]:
        totals = {row["label"]: int(row["count"]) for row in self._read(cypher.COUNT_NODES)}
        return totals | {row["type"]: int(row["count"]) for row in self._read(cypher.COUNT_EDGES)}

    def load_logs(self) -> list[LoadLog]:
        return [_log_from_json(json.loads(r["data"])) for r in self._read(cypher.LOAD_LOGS)]

    def close(self) -> None:
        """The driver belongs to whoever made it; closing the store leaves it open."""


def _lucene_term(key: str) -> str:
    """One exact term for the fulltext index: every Lucene operator character escaped."""
    special = set('+-&|!(){}[]^"~*?:\\/ ')
    return "".join("\\" + c if c in special else c for c in key)


def _kin_graph(subject_id: str, people_data: list[str], edges: list[dict[str, str]]) -> KinGraph:
    people = {p.id: p for p in (_node("Person", data) for data in people_data)}
    parents: list[ParentOf] = []
    partners: list[PartnerOf] = []
    related: list[RelatedTo] = []
    for edge in edges:
        value = _edge(edge["type"], edge["data"])
        if isinstance(value, ParentOf):
            parents.append(value)
        elif isinstance(value, PartnerOf):
            partners.append(value)
        elif isinstance(value, RelatedTo):
            related.append(value)
    return KinGraph(subject_id, people, tuple(parents), tuple(partners), tuple(related))


def _involvement_views(rows: Iterable[Any]) -> list[InvolvementView]:
    """Rows of {involvement, organisation, lead} (`cypher._begun_involvements`)."""
    return [InvolvementView(_node("Involvement", r["involvement"]),
                            _node("Organisation", r["organisation"]),
                            _node("Practitioner", r["lead"]))
            for r in rows]


def _household_view(person_id: str, as_of: date, row: Any) -> HouseholdView:
    """A household row (`cypher.households`' columns) as the protocol answers it."""
    kin = _kin_graph(person_id, row["people"], row["edges"])
    asked = row.get("involvements")  # a column only when asked for
    involvements = None if asked is None else tuple(_involvement_views(asked))
    household = _node("Household", row["household"])
    if household is None:
        return HouseholdView(person_id, as_of, None, None, (), kin, (), involvements)
    members = tuple(_edge("MEMBER_OF", data) for data in row["members"])
    people = dict(kin.people)
    for data in row["residents"]:
        resident = _node("Person", data)
        people.setdefault(resident.id, resident)
    return HouseholdView(
        person_id, as_of, household, _node("Address", row["address"]), members,
        KinGraph(kin.subject_id, people, kin.parents, kin.partners, kin.related),
        _elsewhere(household.id, row["current"]), involvements,
    )


def _elsewhere(chosen: str, rows: Any) -> tuple[Elsewhere, ...]:
    """The other households the subject's current memberships (`cypher`'s `current`) place
    them in, as the embedded store orders them."""
    found: dict[str, tuple[Household, Address | None, list[MemberOf]]] = {}
    for row in rows:
        other = _node("Household", row["household"])
        if other is None or other.id == chosen:
            continue
        entry = found.setdefault(other.id, (other, _node("Address", row["address"]), []))
        entry[2].append(_edge("MEMBER_OF", row["membership"]))
    return tuple(
        Elsewhere(other, address, tuple(sorted(memberships, key=lambda m: m.key)))
        for other, address, memberships in (found[key] for key in sorted(found)))


def _log_as_json(log: LoadLog) -> dict[str, Any]:
    return {
        "source": log.source, "read": log.read, "loaded": log.loaded,
        "quarantined": log.quarantined, "detail": dict(log.detail),
        "rejections": [[r.file, r.row, r.field, r.reason] for r in log.rejections],
        "warnings": [[r.file, r.row, r.field, r.reason] for r in log.warnings],
    }


def _log_from_json(data: dict[str, Any]) -> LoadLog:
    return LoadLog(
        data["source"], data["read"], data["loaded"], data["quarantined"],
        tuple(Rejection(*r) for r in data["rejections"]),
        tuple(Rejection(*r) for r in data["warnings"]), data["detail"],
    )


def delete_everything(driver: Driver, database: str | None = None) -> None:
    """Empty the database: for tests that need a fresh store each time."""
    with driver.session(database=database) as session:
        session.run(cypher.DELETE_ALL).consume()


__all__ = ["Neo4jStore", "Organisation", "Practitioner", "delete_everything"]
