"""GraphQL types for why records were joined into a person: links, field weights, changes."""

from __future__ import annotations

import enum
import json
from datetime import date
from typing import Any

import strawberry

from graph import model
from server.context import RequestContext
from server.errors import FieldNotPermitted
from server.policy import Category


@strawberry.enum(description="FHIR $match grades: how sure the link is.")
class MatchGrade(enum.Enum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


@strawberry.type(description="One field compared on a pair of records, and the weight it added.")
class FieldEvidence:
    field: str = strawberry.field(description="name, birth_date, sex, nhs_number, upn, ...")
    level: str = strawberry.field(description="How the two values compared, in words.")
    weight: float = strawberry.field(
        description="Match weight (log2 of the Bayes factor) this comparison added."
    )


def evidence_of(fields: list[dict[str, Any]]) -> list[FieldEvidence]:
    return [
        FieldEvidence(field=str(f["field"]), level=str(f["level"]), weight=float(f["weight"]))
        for f in fields
    ]


@strawberry.type(description="One link between two of a person's source records.")
class LinkEvidence:
    record_a: str = strawberry.field(description="A source record, as system/record_id.")
    record_b: str
    decided_by: str = strawberry.field(description="`splink`, or `person:<user>`.")
    reason: str = strawberry.field(description="A person's stated reason; empty for the model.")
    probability: float
    match_weight: float | None
    grade: MatchGrade
    fields: list[FieldEvidence]


@strawberry.type(description="A change in which records make up a person.")
class IdentityChange:
    kind: str = strawberry.field(description="merged, merged_into or split.")
    on: date
    records: list[str]
    other_person_id: strawberry.ID | None
    reason: str


@strawberry.type(description="Which records were joined into a person, and why.")
class LinkExplanation:
    records: list[str] = strawberry.field(description="The person's records, system/record_id.")
    links: list[LinkEvidence]
    changes: list[IdentityChange] = strawberry.field(description="Merges and splits, oldest first.")
    model_id: str = strawberry.field(description="The stored linkage model that scored the links.")


def explanation_of(ctx: RequestContext, person: model.Person) -> LinkExplanation | None:
    """The explanation for `person`, if the policy lets the viewer see who this person is."""
    stored = ctx.store.people([person.id]).get(person.id)
    if stored is None:
        return None
    decision = ctx.disclosure.decide(stored.id, stored)
    if decision.redacted:  # name only, or fields withheld: the records would tell them
        raise FieldNotPermitted(Category.SOURCES.value)
    found = ctx.store.link_explanation(stored.id)
    records = [r.id.removeprefix("R:") for r in ctx.store.records_of(stored.id)]
    links = []
    for item in json.loads(found.links) if found else []:
        weight = item.get("match_weight")
        links.append(
            LinkEvidence(
                record_a=item["a"],
                record_b=item["b"],
                decided_by=item["decided_by"],
                reason=item.get("reason", ""),
                probability=float(item["probability"]),
                match_weight=float(weight) if weight is not None else None,
                grade=MatchGrade(item["grade"]),
                fields=evidence_of(item["fields"]),
            )
        )
    changes = [
        IdentityChange(
            kind=e.kind,
            on=e.on,
            records=list(e.records),
            other_person_id=strawberry.ID(e.other_person) if e.other_person else None,
            reason=e.reason,
        )
        for e in ctx.store.identity_events(stored.id)
    ]
    return LinkExplanation(
        records=records,
        links=links,
        changes=changes,
        model_id=found.model_id if found else "",
    )


def parse_fields(evidence: str) -> list[FieldEvidence]:
    return evidence_of(json.loads(evidence))
