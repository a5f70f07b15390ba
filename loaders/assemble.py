"""Turns validated records and an identity resolution into one batch of nodes and edges."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from graph.model import (
    Address,
    Claim,
    Edge,
    Event,
    HasRecord,
    Household,
    Involvement,
    MemberOf,
    Node,
    Organisation,
    ParentKind,
    ParentOf,
    PartnerKind,
    PartnerOf,
    PartnerStatus,
    Person,
    Practitioner,
    RelatedTo,
    RiskIndicator,
    RiskKind,
    Sensitivity,
    ServiceLevel,
    Sex,
    SourceRecord,
    SourceRef,
    couple,
    most_asserted,
)
from graph.normalise import normalise_name
from graph.store import GraphBatch, Store
from loaders.identity import Resolution, record_node_id
from loaders.identity.features import claim_fields, linkage_fields
from loaders.quarantine import Quarantine
from loaders.records import AddressPeriod, Extract, InvolvementRecord, PersonRecord, Where

PARENT_KINDS = {
    "mother": ParentKind.BIRTH,
    "father": ParentKind.BIRTH,
    "parent": ParentKind.UNKNOWN,
    "step_parent": ParentKind.STEP,
    "adoptive_parent": ParentKind.ADOPTIVE,
    "foster_carer": ParentKind.FOSTER,
    "special_guardian": ParentKind.SPECIAL_GUARDIAN,
}
PARTNER_KINDS = {
    "partner": PartnerKind.PARTNER,
    "spouse": PartnerKind.SPOUSE,
    "ex_partner": PartnerKind.PARTNER,
}
CLAIM_FIELDS = (
    "given_names",
    "family_name",
    "other_names",
    "sex",
    "birth_date",
    "death_date",
    "nhs_number",
    "upn",
    "postcode",
)


def _digest(*parts: str, length: int = 16) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def address_id(period: AddressPeriod) -> str:
    if period.uprn:
        return f"A:uprn:{period.uprn}"
    return f"A:{_digest(normalise_name(period.line1), period.postcode)}"


@dataclass(slots=True)
class _Batch:
    """Nodes and edges keyed by id, so repeats within one load merge instead of doubling."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    loaded: int = 0

    def node(self, node: Node) -> None:
        self.nodes[node.id] = node

    def edge(self, edge: Edge) -> None:
        earlier = self.edges.get(edge.key)
        if (
            earlier is not None
            and not isinstance(edge, HasRecord | None)
            and not isinstance(earlier, HasRecord)
        ):
            merged = sorted(set(earlier.sources) | set(edge.sources), key=lambda s: s.key)
            edge = replace(edge, sources=tuple(merged))
        self.edges[edge.key] = edge


def assemble(
    extract: Extract, resolution: Resolution, store: Store, quarantine: Quarantine, today: date
) -> tuple[GraphBatch, int]:
    """The batch for one load, and how many rows it holds; unusable rows are quarantined."""
    out = _Batch()
    owners = _owners(extract, resolution, store)
    _people(extract, resolution, store, out, today)
    for node in resolution.nodes:
        out.node(node)
    for period in extract.addresses:
        person_id = owners.get(f"{period.system}/{period.record_id}")
        if person_id is None:
            _orphan(quarantine, period.where, "record_id")
            continue
        _residence(out, person_id, period)
        out.loaded += 1
    for rel in extract.relationships:
        source = owners.get(f"{rel.system}/{rel.from_record_id}")
        target = owners.get(f"{rel.system}/{rel.to_record_id}")
        if source is None or target is None:
            _orphan(quarantine, rel.where, "from_record_id" if source is None else "to_record_id")
            continue
        if source == target:
            quarantine.reject(
                rel.where.file,
                rel.where.row,
                "to_record_id",
                "both records belong to the same person",
            )
            continue
        out.edge(
            _relationship(
                rel.kind,
                source,
                target,
                rel.valid_from,
                rel.valid_to,
                SourceRef(rel.system, rel.from_record_id),
            )
        )
        out.loaded += 1
    for inv in extract.involvements:
        person_id = owners.get(f"{inv.system}/{inv.record_id}")
        if person_id is None:
            _orphan(quarantine, inv.where, "record_id")
            continue
        _involvement(out, person_id, inv)
        out.loaded += 1
    for ev in extract.events:
        person_id = owners.get(f"{ev.system}/{ev.record_id}")
        if person_id is None:
            _orphan(quarantine, ev.where, "record_id")
            continue
        event_id = _digest(ev.system, ev.record_id, ev.date.isoformat(), ev.type, ev.summary)
        out.node(
            Event(
                id=f"E:{event_id}",
                person_id=person_id,
                date=ev.date,
                type=ev.type,
                summary=ev.summary,
                sources=(SourceRef(ev.system, ev.record_id),),
                sensitivity=Sensitivity(ev.sensitivity),
            )
        )
        out.loaded += 1
    for risk in extract.risks:
        person_id = owners.get(f"{risk.system}/{risk.record_id}")
        if person_id is None:
            _orphan(quarantine, risk.where, "record_id")
            continue
        # The id is the indicator's content, so reloading the same extract replaces it.
        risk_id = _digest(risk.system, risk.record_id, risk.kind,
                          risk.valid_from.isoformat() if risk.valid_from else "", risk.summary)
        out.node(
            RiskIndicator(
                id=f"K:{risk_id}",
                person_id=person_id,
                kind=RiskKind(risk.kind),
                valid_from=risk.valid_from,
                valid_to=risk.valid_to,
                summary=risk.summary,
                sources=(SourceRef(risk.system, risk.record_id),),
                sensitivity=Sensitivity(risk.sensitivity),
            )
        )
        out.loaded += 1
    _keep_restricted(out, store)
    _restrict_claimed_postcodes(out)
    batch = GraphBatch(nodes=list(out.nodes.values()), edges=list(out.edges.values()))
    return batch, out.loaded


# Where a record's postcode claim came from a restricted address, SourceRecord.fields says
# so under this name, so that claims rebuilt from a stored record stay restricted.
POSTCODE_SENSITIVITY = "postcode_sensitivity"


def _keep_restricted(out: _Batch, store: Store) -> None:
    """An address the store holds as restricted stays so, with its household and the
    memberships of it, when a later load gives it as an ordinary address (a people file
    naming a refuge as someone's current address, without the address history)."""
    plain = [n.id for n in out.nodes.values()
             if isinstance(n, Address) and n.sensitivity is Sensitivity.NORMAL]
    held = {a.id: a.sensitivity for a in store.addresses(plain).values()
            if a.sensitivity is not Sensitivity.NORMAL}
    if not held:
        return
    households: dict[str, Sensitivity] = {}
    for node_id, node in list(out.nodes.items()):
        if isinstance(node, Address) and node.id in held:
            out.nodes[node_id] = replace(node, sensitivity=held[node.id])
        elif isinstance(node, Household) and node.address_id in held:
            out.nodes[node_id] = replace(node, sensitivity=held[node.address_id])
            households[node.id] = held[node.address_id]
    for key, edge in list(out.edges.items()):
        if isinstance(edge, MemberOf) and edge.dst in households:
            out.edges[key] = replace(edge, sensitivity=households[edge.dst])


def _restrict_claimed_postcodes(out: _Batch) -> None:
    """A postcode claimed by a record is restricted when any source in this load marks an
    address at that postcode restricted: a people file gives a refuge's postcode as the
    current address, while only the address history says it is a refuge."""
    hidden = {node.postcode for node in out.nodes.values()
              if isinstance(node, Address) and node.sensitivity is not Sensitivity.NORMAL}
    if not hidden:
        return
    for node_id, node in list(out.nodes.items()):
        if isinstance(node, Person) and any(
            c.field == "postcode" and c.value in hidden for c in node.claims
        ):
            out.nodes[node_id] = replace(node, claims=tuple(
                replace(c, sensitivity=Sensitivity.RESTRICTED)
                if c.field == "postcode" and c.value in hidden else c for c in node.claims))
        elif isinstance(node, SourceRecord) and node.fields.get("postcode") in hidden:
            out.nodes[node_id] = replace(
                node, fields={**node.fields, POSTCODE_SENSITIVITY: Sensitivity.RESTRICTED.value})


def _orphan(quarantine: Quarantine, where: Where, field_name: str) -> None:
    quarantine.reject(
        where.file, where.row, field_name, "names no person record in this load or in the store"
    )


def _owners(extract: Extract, resolution: Resolution, store: Store) -> dict[str, str]:
    """Person id of every record key this load refers to, from this load or earlier ones."""
    owners = dict(resolution.person_of)
    referenced = {f"{a.system}/{a.record_id}" for a in extract.addresses}
    referenced |= {f"{r.system}/{r.from_record_id}" for r in extract.relationships}
    referenced |= {f"{r.system}/{r.to_record_id}" for r in extract.relationships}
    referenced |= {f"{i.system}/{i.record_id}" for i in extract.involvements}
    referenced |= {f"{e.system}/{e.record_id}" for e in extract.events}
    referenced |= {f"{r.system}/{r.record_id}" for r in extract.risks}
    missing = referenced - owners.keys()
    found = store.record_owners(record_node_id(key) for key in missing)
    owners.update({node_id.removeprefix("R:"): person for node_id, person in found.items()})
    return owners


def _claims(record: PersonRecord) -> list[Claim]:
    source = SourceRef(record.system, record.record_id)
    return [Claim(name, value, source) for name, value in claim_fields(record).items()]


def stored_claims(held: SourceRecord) -> list[Claim]:
    source = SourceRef(held.system, held.local_id)
    postcode = Sensitivity(held.fields.get(POSTCODE_SENSITIVITY, Sensitivity.NORMAL.value))
    return [
        Claim(name, held.fields[name], source,
              postcode if name == "postcode" else Sensitivity.NORMAL)
        for name in CLAIM_FIELDS if held.fields.get(name)
    ]


def person_from(
    person_id: str,
    claims: Iterable[Claim],
    refs: Iterable[SourceRef] = (),
    sensitivity: Sensitivity = Sensitivity.NORMAL,
) -> Person:
    """A person as its records' claims make it: each value the one most sources assert."""
    ordered = sorted(claims, key=lambda c: (c.field, c.source.key))
    sources = sorted({c.source for c in ordered} | set(refs), key=lambda s: s.key)
    birth, death = most_asserted(ordered, "birth_date"), most_asserted(ordered, "death_date")
    if birth and death and death < birth:
        death = None
    return Person(
        id=person_id,
        given_names=most_asserted(ordered, "given_names") or "",
        family_name=most_asserted(ordered, "family_name") or "",
        sex=Sex(most_asserted(ordered, "sex") or "unknown"),
        birth_date=date.fromisoformat(birth) if birth else None,
        death_date=date.fromisoformat(death) if death else None,
        nhs_number=most_asserted(ordered, "nhs_number"),
        upn=most_asserted(ordered, "upn"),
        sources=tuple(sources),
        claims=tuple(ordered),
        sensitivity=sensitivity,
    )


def _people(
    extract: Extract, resolution: Resolution, store: Store, out: _Batch, today: date
) -> None:
    records = extract.people
    extra = linkage_fields(extract)
    reloaded = {SourceRef(r.system, r.record_id) for r in records}
    moving = {SourceRef(s.system, s.local_id) for s in resolution.moved.values()}
    mine: dict[str, list[Claim]] = defaultdict(list)
    refs: dict[str, set[SourceRef]] = defaultdict(set)
    # By position, not key: two rows of one extract may share a key, and each row's own
    # claims are the person's.
    claimed = [_claims(record) for record in records]
    for record, claims in zip(records, claimed, strict=True):
        person_id = resolution.person_of[record.key]
        mine[person_id] += claims
        refs[person_id].add(SourceRef(record.system, record.record_id))
    for key, held in resolution.moved.items():
        person_id = resolution.person_of[key]
        mine[person_id] += stored_claims(held)
        refs[person_id].add(SourceRef(held.system, held.local_id))
    losing = set(store.record_owners(record_node_id(k) for k in resolution.moved).values())
    affected = set(mine) | losing | resolution.retired
    existing = store.people(affected)
    replaced = reloaded | moving
    for person_id in sorted(affected):
        kept = (
            [c for c in existing[person_id].claims if c.source not in replaced]
            if person_id in existing
            else []
        )
        if person_id in resolution.retired:
            kept = []
        sensitivity = (
            existing[person_id].sensitivity if person_id in existing else Sensitivity.NORMAL
        )
        out.node(person_from(person_id, kept + mine[person_id], refs[person_id], sensitivity))
    for record, claims in zip(records, claimed, strict=True):
        person_id = resolution.person_of[record.key]
        node_id = record_node_id(record.key)
        fields = {c.field: c.value for c in claims}
        fields |= {name: value for name, value in extra[record.key].items() if value}
        out.node(
            SourceRecord(
                id=node_id,
                system=record.system,
                local_id=record.record_id,
                extract_date=extract.extract_dates.get(record.system, today),
                fields=fields,
            )
        )
        out.edge(
            HasRecord(
                person_id,
                node_id,
                resolution.probability[record.key],
                resolution.decided_by[record.key],
            )
        )
        if record.address is not None:
            _residence(out, person_id, record.address)
        out.loaded += 1
    for key, held in resolution.moved.items():
        out.edge(
            HasRecord(
                resolution.person_of[key],
                held.id,
                resolution.probability[key],
                resolution.decided_by[key],
            )
        )


def _residence(out: _Batch, person_id: str, period: AddressPeriod) -> None:
    sensitivity = Sensitivity.RESTRICTED if period.restricted else Sensitivity.NORMAL
    source = SourceRef(period.system, period.record_id)
    place = address_id(period)
    earlier = out.nodes.get(place)
    if isinstance(earlier, Address) and earlier.sensitivity is Sensitivity.RESTRICTED:
        sensitivity = Sensitivity.RESTRICTED  # once any source says restricted, it stays so
    out.node(
        Address(
            id=place,
            line1=period.line1,
            line2=period.line2,
            town=period.town,
            postcode=period.postcode,
            uprn=period.uprn,
            sources=(source,),
            sensitivity=sensitivity,
        )
    )
    household = f"H:{place.removeprefix('A:')}"
    out.node(Household(id=household, address_id=place, sensitivity=sensitivity))
    out.edge(
        MemberOf(person_id, household, period.valid_from, period.valid_to, (source,), sensitivity)
    )


def _relationship(
    kind: str, source: str, target: str, start: date | None, end: date | None, ref: SourceRef
) -> Edge:
    if kind in PARENT_KINDS:
        return ParentOf(source, target, PARENT_KINDS[kind], None, start, end, (ref,))
    if kind in PARTNER_KINDS:
        ended = kind == "ex_partner" or end is not None
        a, b = couple(source, target)
        return PartnerOf(
            a,
            b,
            PARTNER_KINDS[kind],
            PartnerStatus.ENDED if ended else PartnerStatus.CURRENT,
            start,
            end,
            (ref,),
        )
    return RelatedTo(source, target, kind, start, end, (ref,))


def _involvement(out: _Batch, person_id: str, inv: InvolvementRecord) -> None:
    organisation_id = None
    if inv.organisation:
        # A code (a school's URN, a practice's ODS code) tells same-named places apart.
        organisation_id = (f"O:{_slug(inv.organisation_kind)}:{_slug(inv.organisation_code)}"
                           if inv.organisation_code else f"O:{_slug(inv.organisation)}")
        out.node(Organisation(id=organisation_id, name=inv.organisation,
                              kind=inv.organisation_kind, code=inv.organisation_code or None))
    lead_id = None
    if inv.lead["name"]:
        lead_id = f"W:{_digest(inv.system, inv.lead['name'], inv.lead['email'])}"
        out.node(Practitioner(id=lead_id, **inv.lead))
    elif inv.lead["phone"] or inv.lead["email"]:
        # A contact with no name (a school office's number, a duty team's inbox) is kept as
        # this episode's own contact: shared by name with nobody, so never another child's.
        lead_id = f"W:{_digest(inv.system, inv.record_id, inv.service, inv.start.isoformat())}"
        out.node(Practitioner(id=lead_id, **inv.lead))
    out.node(
        Involvement(
            id=f"I:{_digest(inv.system, inv.record_id, inv.service, inv.start.isoformat())}",
            person_id=person_id,
            service=inv.service,
            level=ServiceLevel(inv.level),
            start=inv.start,
            end=inv.end,
            status=inv.status,
            reason=inv.reason,
            organisation_id=organisation_id,
            lead_id=lead_id,
            sources=(SourceRef(inv.system, inv.record_id),),
            sensitivity=Sensitivity(inv.sensitivity),
        )
    )
