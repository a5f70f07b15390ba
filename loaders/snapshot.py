"""A full extract is a snapshot of its system: what it no longer holds is ended, never deleted.

- A record missing from the newer extract is marked `ended`; its open memberships close.
- A record's open membership that the new extract no longer asserts (the person moved, or
  the system corrected the move-in date) closes the day before the new address began.
- An involvement the system no longer lists, still open, closes the day before the extract.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from graph.model import MemberOf, SourceRef
from graph.store import GraphBatch, Store
from loaders.identity import record_node_id
from loaders.records import Extract


def end_what_is_gone(extract: Extract, store: Store, batch: GraphBatch, today: date) -> int:
    """Append to `batch` the endings this snapshot implies; return how many facts it ends."""
    ended = 0

    def extracted(system: str) -> date:
        """The day the system's data was taken: what the data says, else the load day."""
        return extract.extract_dates.get(system, today)

    def gone_by(system: str) -> date:
        # The extract no longer holds it, so it was over by the day before the extract.
        return extracted(system) - timedelta(days=1)

    present = {r.key for r in extract.people}
    written = {n.id for n in batch.nodes}
    asserted = {e.key for e in batch.edges}
    # For each record, the day its memberships not re-asserted by this extract end.
    closes_on: dict[SourceRef, date] = {}
    for record in extract.people:
        since = record.address.valid_from if record.address else None
        closes_on[SourceRef(record.system, record.record_id)] = (
            since - timedelta(days=1) if since else gone_by(record.system)
        )
    for system in sorted({r.system for r in extract.people}):
        for held in store.source_records(system):
            if f"{held.system}/{held.local_id}" in present or held.ended is not None:
                continue
            batch.nodes.append(replace(held, ended=extracted(system)))
            closes_on[SourceRef(held.system, held.local_id)] = gone_by(system)
            ended += 1
        for involvement in store.involvements_from(system):
            if involvement.id not in written and involvement.end is None:
                batch.nodes.append(
                    replace(involvement, end=max(gone_by(system), involvement.start),
                            status="closed")
                )
                ended += 1
    owners = store.record_owners(record_node_id(ref.key) for ref in closes_on)
    for membership in store.memberships(sorted(set(owners.values()))):
        if membership.valid_to is not None or membership.key in asserted:
            continue
        days = [closes_on[s] for s in membership.sources if s in closes_on]
        if days:
            batch.edges.append(_closed(membership, min(days)))
            ended += 1
    return ended


def _closed(membership: MemberOf, day: date) -> MemberOf:
    start = membership.valid_from
    return replace(membership, valid_to=max(day, start) if start else day)
