"""Find people by any mix of name, birth date, postcode, NHS number, UPN or a system's own id,
ranked, each with the fields that matched and how."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import jellyfish

from graph.model import Address, Person, SourceRef
from graph.nicknames import variants_of
from graph.normalise import name_keys, name_tokens, query_keys, sounds_like
from graph.store import SLIP_MIN_LENGTH, SearchCriteria, Store, held_name_words, held_upns

MAX_RESULTS = 100
# At most this many people found by name alone are ranked (the rest, by id, are not).
CANDIDATE_LIMIT = 10_000

# Rough log-odds of each agreement; identity resolution owns the real model.
WEIGHTS = {
    "record_id": 12.0, "nhs_number": 10.0, "upn": 9.0, "birth_date": 4.0,
    "birth_date_swapped": 3.0, "birth_year": 1.5, "postcode": 2.0, "name": 3.0,
}
# How much of the name weight a looser match keeps, and what it is called.
NAME_MATCHES = (("name", 1.0), ("name_nickname", 0.9), ("name_sounds_like", 0.75),
                ("name_spelling", 0.7))


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Person
    score: float
    matched: tuple[str, ...]


class Lens(Protocol):
    """What the asker may see. A search matches, scores and ranks on nothing else, so that
    which people it finds, and how well, cannot tell the asker a value withheld from them."""

    def person(self, person: Person) -> Person | None:
        """The person as the asker may see them (withheld fields emptied); None if not at all."""
        ...

    def address(self, person: Person, address: Address) -> bool:
        """Whether the asker may see that this person lived at this address."""
        ...

    def record(self, person: Person, ref: SourceRef) -> bool:
        """Whether the asker may see that this source record is this person's."""
        ...


class SeesEverything:
    """The lens of a caller inside the graph (benchmarks, tests): nothing is withheld."""

    def person(self, person: Person) -> Person | None:
        return person

    def address(self, person: Person, address: Address) -> bool:
        return True

    def record(self, person: Person, ref: SourceRef) -> bool:
        return True


def _swapped(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def _token_quality(wanted: str, held: list[str]) -> int | None:
    """Index into NAME_MATCHES of the best way `wanted` matches one of `held`, if any."""
    if wanted in held:
        return 0
    if variants_of(wanted) & set(held):
        return 1
    if any(sounds_like(wanted) == sounds_like(h) for h in held):
        return 2
    if len(wanted) >= SLIP_MIN_LENGTH and any(jellyfish.damerau_levenshtein_distance(wanted, h) <= 1
                                for h in held):
        return 3
    return None


def _name_match(wanted: list[str], person: Person) -> tuple[str, float] | None:
    """Every word searched for must match one of the person's names, in any order."""
    held = held_name_words(person)
    qualities = [_token_quality(token, held) for token in wanted]
    if not qualities or None in qualities:
        return None
    worst = max(q for q in qualities if q is not None)
    mean = sum(NAME_MATCHES[q][1] for q in qualities if q is not None) / len(qualities)
    return NAME_MATCHES[worst][0], WEIGHTS["name"] * mean


def search_people(
    store: Store,
    criteria: SearchCriteria,
    limit: int = 20,
    *,
    birth_year: int | None = None,
    record: tuple[str, str] | None = None,
    lens: Lens | None = None,
) -> list[Candidate]:
    """Candidates for the criteria, best first; an empty search finds nobody.

    Names match word by word in any order (surname first is fine), through short
    forms (Bill for William), sound (Kathryn for Catherine) and one-letter slips.
    A birth date also finds day and month swapped; `birth_year` narrows by year;
    a postcode finds anyone who lived there, now or before; `record` is a
    (system, record id) pair.

    Every field is matched on the person as `lens` shows them: a restricted address, an
    NHS number, a birth date or a record id the asker may not see neither finds a person
    nor adds to a score (a lens that withholds a person whole drops them).

    >>> from graph.embedded import EmbeddedStore
    >>> import tempfile, pathlib
    >>> from graph.store import GraphBatch
    >>> store = EmbeddedStore(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = store.write(GraphBatch(nodes=[Person(id="P1", given_names="William",
    ...                                          family_name="Smyth")]))
    >>> [(c.person.id, c.matched) for c in search_people(store, SearchCriteria(name="Smith Bill"))]
    [('P1', ('name_sounds_like',))]
    """
    lens = lens or SeesEverything()
    owner = None
    if record is not None:
        key = f"R:{record[0]}/{record[1]}"
        owner = store.record_owners([key]).get(key)
    if criteria.nhs_number:
        # Written in groups (943 476 5919) as often as not; stored without the spaces.
        criteria = replace(criteria, nhs_number=criteria.nhs_number.replace(" ", ""))
    if criteria.empty and birth_year is None and owner is None:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    swapped = _swapped(criteria.birth_date) if criteria.birth_date else None
    found: dict[str, Person] = {}
    lived: Mapping[str, tuple[Address, ...]] = {}
    if not criteria.empty:
        births = [day for day in (criteria.birth_date, swapped) if day]
        matches = store.search_matches(criteria, births, CANDIDATE_LIMIT)
        found |= matches.people
        lived = matches.at_postcode
    if owner:
        found |= store.people([owner])
    seen = {pid: shown for pid, person in found.items()
            if (shown := lens.person(person)) is not None}
    at_postcode = {pid for pid, places in lived.items() if pid in seen
                   and any(lens.address(seen[pid], place) for place in places)}
    # A record id is matched only when the asker may see that the record is this person's.
    if owner is not None and record is not None and (
            owner not in seen or not lens.record(found[owner], SourceRef(*record))):
        owner = None
    wanted = name_tokens(criteria.name or "")
    # A name alone finds only people whose current name shares one of these with it: a
    # slip or an old name then confirms a match but does not make one on its own.
    findable = query_keys(criteria.name or "")
    ranked = []
    for person in seen.values():
        matched = fields_matched(person, criteria, owner=owner, swapped=swapped,
                                 birth_year=birth_year, at_postcode=at_postcode)
        score = sum(WEIGHTS[m] for m in matched)
        if wanted:
            name = _name_match(wanted, person)
            # A birth year narrows and adds weight; it finds nobody by itself.
            found_by = [m for m in matched if m != "birth_year"]
            if not found_by and (name is None or not findable
                                 & name_keys(person.given_names, person.family_name)):
                continue
            if name is not None:
                matched.insert(0, name[0])
                score += name[1]
        if birth_year and person.birth_date and person.birth_date.year != birth_year:
            continue
        if matched:
            ranked.append(Candidate(person, round(score, 3), tuple(matched)))
    return best_first(ranked, limit)


def fields_matched(
    person: Person,
    criteria: SearchCriteria,
    *,
    owner: str | None,
    swapped: date | None,
    birth_year: int | None,
    at_postcode: Collection[str],
) -> list[str]:
    """Which of the searched fields other than the name this person matches."""
    matched = []
    if owner == person.id:
        matched.append("record_id")
    if criteria.nhs_number and person.nhs_number == criteria.nhs_number.replace(" ", ""):
        matched.append("nhs_number")
    if criteria.upn and criteria.upn.strip().upper() in held_upns(person):
        matched.append("upn")
    if person.birth_date and criteria.birth_date == person.birth_date:
        matched.append("birth_date")
    elif person.birth_date and swapped == person.birth_date:
        matched.append("birth_date_swapped")
    if birth_year and person.birth_date and person.birth_date.year == birth_year:
        matched.append("birth_year")
    if person.id in at_postcode:
        matched.append("postcode")
    return matched


def best_first(ranked: list[Candidate], limit: int) -> list[Candidate]:
    """The best `limit` candidates: highest score, then by name and id, so ties are stable."""
    ranked.sort(key=lambda c: (-c.score, c.person.family_name, c.person.given_names, c.person.id))
    return ranked[:limit]

