"""People's decisions: `link` and `unlink` two source records, applied at once and for good.

A decision is a `LinkDecision` node, written in one batch with what it changes: a link
merges the two records' persons (the one with more records keeps its id), an unlink splits
a person at the weakest link between the two records. Every later load reads the decisions
and applies them before the model's links, so they always win.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from graph.errors import FamgraphError
from graph.model import (
    Edge,
    HasRecord,
    IdentityEvent,
    LinkDecision,
    LinkExplanation,
    Node,
    Person,
    Sensitivity,
    SourceRecord,
    SourceRef,
)
from graph.store import GraphBatch, Store
from loaders.assemble import person_from, stored_claims
from loaders.identity import mint_person_id, record_key, record_node_id
from loaders.identity.clusters import Link, cluster
from loaders.identity.splink_resolver import latest_decisions, short_digest

MAX_REASON = 2_000


class DecisionRefused(FamgraphError):
    """Raised when a link or unlink cannot be made; `field` and `reason` say why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: LinkDecision
    person_ids: tuple[str, ...]  # the persons the two records belong to afterwards
    changed: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _records(store: Store, person_id: str) -> list[SourceRecord]:
    return store.records_of(person_id)


def _explanation_links(store: Store, person_id: str) -> list[dict[str, object]]:
    found = store.link_explanation(person_id)
    return list(json.loads(found.links)) if found else []


def _person(
    person_id: str, records: Sequence[SourceRecord], earlier: Person | None
) -> Person:
    claims = [c for r in records for c in stored_claims(r)]
    refs = [SourceRef(r.system, r.local_id) for r in records]
    sensitivity = earlier.sensitivity if earlier else Sensitivity.NORMAL
    return person_from(person_id, claims, refs, sensitivity)


def decide(
    store: Store,
    record_a: str,
    record_b: str,
    action: str,
    reason: str,
    user: str,
    today: date | None = None,
) -> Outcome:
    """Record a person's link or unlink of two records and apply it in one batch.

    Raises
    ------
    DecisionRefused : a record is unknown, the reason is empty, or a link would join two
        different NHS numbers
    """
    if action not in ("link", "unlink"):
        raise DecisionRefused("action", "must be link or unlink")
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("reason", "say why, in words a reviewer can check")
    if len(reason) > MAX_REASON:
        raise DecisionRefused("reason", f"at most {MAX_REASON} characters")
    a, b = sorted((record_a.strip(), record_b.strip()))
    if a == b:
        raise DecisionRefused("record", "the two records are the same record")
    owners = {record_key(k): v for k, v in store.record_owners(
        [record_node_id(a), record_node_id(b)]).items()}
    for key in (a, b):
        if key not in owners:
            raise DecisionRefused("record", f"no source record {key!r} in the store")
    day = today or date.today()
    at = _now()
    decision = LinkDecision(
        id=f"D:{a}|{b}|{at}",
        record_a=a,
        record_b=b,
        action=action,
        reason=reason,
        decided_by=user,
        decided_at=at,
    )
    if action == "link":
        nodes, edges, people = _link(store, decision, owners[a], owners[b], day)
    else:
        nodes, edges, people = _unlink(store, decision, owners[a], day)
    nodes.insert(0, decision)
    nodes += _close_review(store, a, b)
    store.write(GraphBatch(nodes=nodes, edges=list[Edge](edges)))
    return Outcome(decision, people, changed=bool(edges))


def _close_review(store: Store, a: str, b: str) -> list[Node]:
    return [
        replace(pair, status="decided")
        for pair in store.review_queue(None, 10**9)
        if {pair.record_a, pair.record_b} == {a, b}
    ]


def _link(
    store: Store, decision: LinkDecision, person_a: str, person_b: str, day: date
) -> tuple[list[Node], list[HasRecord], tuple[str, ...]]:
    if person_a == person_b:
        return [], [], (person_a,)
    people = store.people([person_a, person_b])
    numbers = {p.nhs_number for p in people.values() if p.nhs_number}
    held = {
        c.value for p in people.values() for c in p.claims if c.field == "nhs_number"
    }
    if len(numbers) > 1 or len(held) > 1:
        raise DecisionRefused("record", "the two records' people carry different NHS numbers")
    records_a, records_b = _records(store, person_a), _records(store, person_b)
    keep, gone = (person_a, person_b)
    if (len(records_b), person_a) > (len(records_a), person_b):
        keep, gone = person_b, person_a
    kept_records = records_a + records_b
    moved = records_b if gone == person_b else records_a
    nodes: list[Node] = [_person(keep, kept_records, people.get(keep))]
    nodes.append(_person(gone, [], people.get(gone)))
    edges = [HasRecord(keep, r.id, 1.0, f"person:{decision.decided_by}") for r in moved]
    moved_keys = tuple(sorted(record_key(r.id) for r in moved))
    words = f"linked by {decision.decided_by}: {decision.reason}"
    for person, kind, other in ((keep, "merged", gone), (gone, "merged_into", keep)):
        nodes.append(
            IdentityEvent(
                id=f"V:{short_digest(person, kind, other, *moved_keys, decision.decided_at)}",
                person_id=person,
                kind=kind,
                on=day,
                records=moved_keys,
                other_person=other,
                reason=words,
            )
        )
    links = _explanation_links(store, person_a) + _explanation_links(store, person_b)
    links.append(
        {
            "a": decision.record_a,
            "b": decision.record_b,
            "decided_by": f"person:{decision.decided_by}",
            "reason": decision.reason,
            "probability": 1.0,
            "match_weight": None,
            "grade": "certain",
            "fields": [],
        }
    )
    nodes.append(_explanation(keep, kept_records, links))
    nodes.append(_explanation(gone, [], []))
    return nodes, edges, (keep,)


def _explanation(
    person_id: str, records: Sequence[SourceRecord], links: list[dict[str, object]]
) -> LinkExplanation:
    keys = tuple(sorted(record_key(r.id) for r in records))
    return LinkExplanation(
        id=f"X:{person_id}",
        person_id=person_id,
        records=keys,
        links=json.dumps(sorted(links, key=lambda x: (str(x["a"]), str(x["b"])))),
    )


def _unlink(
    store: Store, decision: LinkDecision, person: str, day: date
) -> tuple[list[Node], list[HasRecord], tuple[str, ...]]:
    a, b = decision.record_a, decision.record_b
    owners = store.record_owners([record_node_id(a), record_node_id(b)])
    if owners[record_node_id(a)] != owners[record_node_id(b)]:
        return [], [], (owners[record_node_id(a)], owners[record_node_id(b)])
    records = _records(store, person)
    keys = [record_key(r.id) for r in records]
    links_json = _explanation_links(store, person)
    decisions = latest_decisions([*store.link_decisions(), decision])
    links = [
        Link(
            str(x["a"]),
            str(x["b"]),
            float("inf")
            if str(x["decided_by"]).startswith("person:")
            else float(x["match_weight"] or 0.0),  # type: ignore[arg-type]
            "human" if str(x["decided_by"]).startswith("person:") else "model",
        )
        for x in links_json
        if decisions.get((str(x["a"]), str(x["b"]))) is None
        or decisions[(str(x["a"]), str(x["b"]))].action == "link"
    ]
    apart = [k for k, d in decisions.items() if d.action == "unlink"]
    nhs = {record_key(r.id): r.fields.get("nhs_number") for r in records}
    parts = cluster(keys, nhs, links, apart).groups()
    by_key = {record_key(r.id): r for r in records}
    keeper = max(parts, key=lambda g: (len(g), a in g))
    earlier = store.people([person]).get(person)
    nodes: list[Node] = []
    edges: list[HasRecord] = []
    result = []
    used = set(store.people(mint_person_id(g) for g in parts))
    words = f"unlinked by {decision.decided_by}: {decision.reason}"
    for part in parts:
        if part == keeper:
            new_id = person
        else:
            new_id, salt = mint_person_id(part), 0
            while new_id in used or new_id == person:
                salt += 1
                new_id = mint_person_id(part, f"#{salt}")
            used.add(new_id)
            edges += [
                HasRecord(new_id, by_key[k].id, 1.0, f"person:{decision.decided_by}")
                for k in part
            ]
            nodes.append(
                IdentityEvent(
                    id=f"V:{short_digest(person, 'split', new_id, *part, decision.decided_at)}",
                    person_id=person,
                    kind="split",
                    on=day,
                    records=tuple(part),
                    other_person=new_id,
                    reason=words,
                )
            )
        members = [by_key[k] for k in part]
        nodes.append(_person(new_id, members, earlier))
        inside = [x for x in links_json if x["a"] in part and x["b"] in part]
        nodes.append(_explanation(new_id, members, inside))
        if a in part or b in part:
            result.append(new_id)
    return nodes, edges, tuple(result)
