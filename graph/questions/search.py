"""Find people by name, birth date, postcode or NHS number, ranked with what matched."""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import Person
from graph.normalise import name_tokens
from graph.store import SearchCriteria, Store

MAX_RESULTS = 100

# Weights are rough log-odds of each agreement; real scoring is identity resolution's job.
_WEIGHTS = {"nhs_number": 10.0, "birth_date": 4.0, "name": 3.0, "postcode": 2.0}


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Person
    score: float
    matched: tuple[str, ...]


def search_people(store: Store, criteria: SearchCriteria, limit: int = 20) -> list[Candidate]:
    """Candidates for the criteria, best first; an empty search finds nobody.

    A name matches when every word given appears among the person's names, in any order.
    """
    if criteria.empty:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    wanted = set(name_tokens(criteria.name or ""))
    at_postcode = (
        {p.id for p in store.search_candidates(SearchCriteria(postcode=criteria.postcode), 10_000)}
        if criteria.postcode
        else set()
    )
    ranked = []
    for person in store.search_candidates(criteria, limit=10_000):
        matched = []
        if criteria.nhs_number and person.nhs_number == criteria.nhs_number:
            matched.append("nhs_number")
        if wanted and wanted <= set(name_tokens(person.given_names, person.family_name)):
            matched.append("name")
        if criteria.birth_date and person.birth_date == criteria.birth_date:
            matched.append("birth_date")
        if person.id in at_postcode:
            matched.append("postcode")
        if matched:
            ranked.append(Candidate(person, sum(_WEIGHTS[m] for m in matched), tuple(matched)))
    ranked.sort(key=lambda c: (-c.score, c.person.family_name, c.person.given_names, c.person.id))
    return ranked[:limit]
