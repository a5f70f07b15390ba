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
from server.sharing import Agreement

# The category of fact each compared field speaks about: evidence on a field the viewer's
# agreement withholds (a school on NHS numbers) is withheld with it.
FIELD_CATEGORY = {
    "given_name": Category.IDENTITY,
    "family_name": Category.IDENTITY,
    "name": Category.IDENTITY,  # models stored before given and family were compared apart
    "birth_date": Category.DEMOGRAPHICS,
    "sex": Category.DEMOGRAPHICS,
    "nhs_number": Category.NHS_NUMBER,
    "upn": Category.UPN,
    "address": Category.ADDRESS,
    "family": Category.FAMILY,
}


@strawberry.enum(description="FHIR $match grades: how sure the link is.")
class MatchGrade(enum.Enum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


@strawberry.type(description="One field compared on a pair of records, and the weight it added.")
class FieldEvidence:
    field: str = strawberry.field(
        description="given_name, family_name, birth_date, sex, nhs_number, upn, address, family."
    )
    level: str = strawberry.field(description="How the two values compared, in words.")
    weight: float = strawberry.field(
        description="Match weight (log2 of the Bayes factor) this comparison added."
    )


def evidence_of(
    fields: list[dict[str, Any]], agreement: Agreement, hidden: frozenset[str] = frozenset()
) -> tuple[list[FieldEvidence], int]:
    """The field evidence the agreement's categories cover, and how many fields it withheld.

    A field of no known category is withheld: deny by default; so is a field in `hidden`,
    one whose value on either record is withheld from the viewer (a refuge's postcode):
    how well it agreed would tell something of the value.
    """
    shown = [
        FieldEvidence(field=str(f["field"]), level=str(f["level"]), weight=float(f["weight"]))
        for f in fields
        if FIELD_CATEGORY.get(str(f["field"])) in agreement.categories
        and str(f["field"]) not in hidden
    ]
    return shown, len(fields) - len(shown)


def shared_record(agreement: Agreement, key: str) -> bool:
    """Whether a source record (`system/record_id`) comes from a system the agreement shares."""
    system, _, _ = key.partition("/")
    return system in agreement.systems


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
    fields_withheld: int = strawberry.field(
        description="How many compared fields are withheld: your agreement does not cover them."
    )


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
    records_withheld: int = strawberry.field(
        description="How many of the person's records are from systems your agreement does not"
        " share; they, and every link and change naming them, are left out."
    )
    links_withheld: int = strawberry.field(
        description="How many links are left out because they name a withheld record."
    )
    changes_withheld: int = strawberry.field(
        description="How many merges and splits are left out because they name a withheld record."
    )


async def explanation_of(ctx: RequestContext, person: model.Person) -> LinkExplanation | None:
    """The explanation for `person`, filtered to what the viewer's agreement shares.

    Withheld whole when the viewer sees the person by name only or may not see source
    records at all. Otherwise only records of systems the agreement shares are listed, and
    only the links and changes that name no other record; each field of a link is shown
    when its category is shared. The counts say how much was left out, so an explanation
    with rows withheld is never read as the whole story.
    """
    stored = await ctx.loaders.people.load(person.id)
    if stored is None:
        return None
    decision = ctx.disclosure.decide(stored.id, stored)
    # Name only (a restricted person), or an agreement without source records: the records
    # would tell who the person is or where they are known, so nothing is shown.
    if decision.value is None or Category.SOURCES not in decision.returned:
        raise FieldNotPermitted(Category.SOURCES.value)
    agreement = ctx.disclosure.rules.agreement(ctx.disclosure.viewer.agency)
    # Through the request's loader: every person of a list asking is one store question.
    evidence = await ctx.loaders.identities.load(stored.id)
    found = evidence.explanation
    every = [r.id.removeprefix("R:") for r in evidence.records]
    records = [key for key in every if shared_record(agreement, key)]
    # Records whose claimed postcode the policy withheld on its own (restricted): their
    # address evidence is withheld with it.
    released = set(decision.value.claims)
    hidden_address = {f"{c.source.system}/{c.source.record_id}"
                      for c in stored.claims if c.field == "postcode" and c not in released}
    links = []
    stored_links = json.loads(found.links) if found else []
    for item in stored_links:
        if not (shared_record(agreement, item["a"]) and shared_record(agreement, item["b"])):
            continue
        weight = item.get("match_weight")
        dropped = (frozenset({"address"}) if {item["a"], item["b"]} & hidden_address
                  else frozenset())
        fields, fields_withheld = evidence_of(item["fields"], agreement, dropped)
        links.append(
            LinkEvidence(
                record_a=item["a"],
                record_b=item["b"],
                decided_by=item["decided_by"],
                reason=item.get("reason", ""),
                probability=float(item["probability"]),
                match_weight=float(weight) if weight is not None else None,
                grade=MatchGrade(item["grade"]),
                fields=fields,
                fields_withheld=fields_withheld,
            )
        )
    hidden = set(every) - set(records)
    events = evidence.events
    # A change's reason may name the records of the link behind it, so a change naming a
    # withheld record anywhere is left out whole.
    changes = [
        IdentityChange(
            kind=e.kind,
            on=e.on,
            records=list(e.records),
            other_person_id=strawberry.ID(e.other_person) if e.other_person else None,
            reason=e.reason,
        )
        for e in events
        if all(shared_record(agreement, key) for key in e.records)
        and not any(key in e.reason for key in hidden)
        and not _names_unshared(e.reason, agreement)
    ]
    return LinkExplanation(
        records=records,
        links=links,
        changes=changes,
        model_id=found.model_id if found else "",
        records_withheld=len(every) - len(records),
        links_withheld=len(stored_links) - len(links),
        changes_withheld=len(events) - len(changes),
    )


def _names_unshared(reason: str, agreement: Agreement) -> bool:
    """Whether a change's reason names a record (`system/id`) of a system not shared.

    Any word with a slash counts, so a person's reason such as "and/or" hides the change
    too: leaving out too much is the safe side of this guess.
    """
    return any(
        "/" in word and not shared_record(agreement, word.strip("(),:"))
        for word in reason.split()
    )


def parse_fields(evidence: str, agreement: Agreement) -> tuple[list[FieldEvidence], int]:
    """Stored field evidence (JSON) as the agreement lets it out, and how many were withheld."""
    return evidence_of(json.loads(evidence), agreement)
