"""The lookup keys the embedded store files each node under, kept in SQLite beside it.

Each key is a (kind, key) pair: a person is found by NHS number under ("nhs", number), a
household by its address under ("household_at", address id). The store writes a node's
keys in the transaction that writes the node, so a question is a lookup in one indexed
table, never a walk over every node held.
"""

from __future__ import annotations

from graph.model import (
    Address,
    Event,
    Household,
    IdentityEvent,
    Involvement,
    Node,
    Person,
    ReviewPair,
    RiskIndicator,
    SourceRecord,
)
from graph.normalise import name_keys, normalise_postcode
from graph.store import (
    NAME_CLAIM_FIELDS,
    RECORD_BLOCKS,
    held_birth_dates,
    held_name_words,
    held_upns,
    slip_forms,
)

NHS = "nhs"
NAME = "name"
# Keys of names only a source's claim gives (a former surname, an alias): searched with
# the current name's keys by `search_matches`, not by `search_candidates`.
CLAIMED_NAME = "claimed_name"
UPN = "upn"
BORN = "born"
INVOLVEMENT_OF = "involvement_of"
EVENT_OF = "event_of"
RISK_OF = "risk_of"
IDENTITY_EVENT_OF = "identity_event_of"
REVIEW_OF = "review_of"
POSTCODE = "postcode"
HOUSEHOLD_AT = "household_at"
RECORD_SYSTEM = "record_system"
# A source record under each key of its linkage blocks, or, without that field (kept
# before it was written), under NO_BLOCKS, which every question for blocks also asks.
BLOCK = "block"
NO_BLOCKS = ""

# Labels whose nodes have keys: a migration reads only these.
KEYED_LABELS = (Person.label, Involvement.label, Event.label, RiskIndicator.label,
                IdentityEvent.label, ReviewPair.label, Address.label, Household.label,
                SourceRecord.label)


def keys_of(node: Node) -> set[tuple[str, str]]:
    """Every (kind, key) the node is found by."""
    if isinstance(node, Person):
        return _person_keys(node)
    if isinstance(node, Involvement):
        return {(INVOLVEMENT_OF, node.person_id)}
    if isinstance(node, Event):
        return {(EVENT_OF, node.person_id)}
    if isinstance(node, RiskIndicator):
        return {(RISK_OF, node.person_id)}
    if isinstance(node, IdentityEvent):
        return {(IDENTITY_EVENT_OF, node.person_id)}
    if isinstance(node, ReviewPair):
        return {(REVIEW_OF, node.person_a), (REVIEW_OF, node.person_b)}
    if isinstance(node, Address):
        return {(POSTCODE, normalise_postcode(node.postcode))}
    if isinstance(node, Household):
        return {(HOUSEHOLD_AT, node.address_id)}
    if isinstance(node, SourceRecord):
        blocks = node.fields.get(RECORD_BLOCKS)
        held = [NO_BLOCKS] if blocks is None else blocks.split()
        return {(RECORD_SYSTEM, node.system)} | {(BLOCK, key) for key in held}
    return set()


def _person_keys(person: Person) -> set[tuple[str, str]]:
    current = name_keys(person.given_names, person.family_name)
    claimed = name_keys(*(c.value for c in person.claims if c.field in NAME_CLAIM_FIELDS))
    found = {(NAME, key) for key in current}
    found |= {(CLAIMED_NAME, key) for key in claimed - current}
    if person.nhs_number:
        found.add((NHS, person.nhs_number))
    found |= {(UPN, upn) for upn in held_upns(person)}
    found |= {(BORN, born.isoformat()) for born in held_birth_dates(person)}
    return found


def name_forms_of(node: Node) -> set[tuple[str, str]]:
    """(form, word) for every name word a person holds under each of its `slip_forms`, to
    find one-letter slips by lookup. Never pruned: a word nobody holds finds nobody."""
    if not isinstance(node, Person):
        return set()
    return {(form, word) for word in held_name_words(node) for form in slip_forms(word)}
