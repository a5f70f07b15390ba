"""Deterministic rules standing in for probabilistic linkage: same NHS number; same
normalised name, birth date and postcode; or same UPN and birth date. Records with
different NHS numbers never join."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from graph.model import Person
from graph.normalise import normalise_name, normalise_postcode
from graph.store import SearchCriteria, Store
from loaders.identity import Progress, Resolution, mint_person_id, record_node_id
from loaders.records import Extract, PersonRecord


class _Clusters:
    """Union-find over record keys that refuses to join two different NHS numbers."""

    def __init__(self, records: Sequence[PersonRecord]) -> None:
        self.parent = {r.key: r.key for r in records}
        self.nhs: dict[str, set[str]] = {
            r.key: {r.nhs_number} if r.nhs_number else set() for r in records
        }

    def root(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb or len(self.nhs[ra] | self.nhs[rb]) > 1:
            return
        self.parent[rb] = ra
        self.nhs[ra] |= self.nhs.pop(rb)

    def groups(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for key in self.parent:
            found[self.root(key)].append(key)
        return found


def _match_key(record: PersonRecord) -> tuple[str, str, str] | None:
    if not (record.birth_date and record.address and record.address.postcode):
        return None
    name = normalise_name(record.given_names, record.family_name)
    if not name:
        return None
    return (name, record.birth_date.isoformat(), normalise_postcode(record.address.postcode))


def _person_match_keys(person: Person) -> set[tuple[str, str, str]]:
    postcodes = {c.value for c in person.claims if c.field == "postcode"}
    if person.birth_date is None:
        return set()
    names = {normalise_name(person.given_names, person.family_name)}
    by_source: dict[str, dict[str, str]] = defaultdict(dict)
    for claim in person.claims:
        by_source[claim.source.key][claim.field] = claim.value
    for fields in by_source.values():
        names.add(normalise_name(fields.get("given_names", ""), fields.get("family_name", "")))
    return {(n, person.birth_date.isoformat(), p) for n in names for p in postcodes}


class RuleResolver:
    """Joins records that share a valid NHS number or name, birth date and postcode."""

    def resolve(
        self, extract: Extract, store: Store, today: date, progress: Progress | None = None
    ) -> Resolution:
        # One quick pass: nothing worth reporting stage by stage.
        records = extract.people
        clusters = _Clusters(records)
        by_nhs: dict[str, str] = {}
        by_key: dict[tuple[str, str, str], str] = {}
        for record in records:
            if record.nhs_number:
                clusters.join(by_nhs.setdefault(record.nhs_number, record.key), record.key)
        for record in records:
            match = _match_key(record)
            if match:
                clusters.join(by_key.setdefault(match, record.key), record.key)
        # A UPN with the same birth date: how nameless DfE return records find their child.
        by_upn: dict[tuple[str, str], str] = {}
        for record in records:
            if record.upn and record.birth_date:
                upn_key = (record.upn, record.birth_date.isoformat())
                clusters.join(by_upn.setdefault(upn_key, record.key), record.key)

        owners = store.record_owners(record_node_id(r.key) for r in records)
        by_record = {r.key: r for r in records}
        person_of: dict[str, str] = {}
        decided_by: dict[str, str] = {}
        # NHS numbers each person id carries so far, so two clusters with different numbers
        # can never both take the same stored person.
        carried: dict[str, set[str]] = {}
        for keys in sorted(clusters.groups().values(), key=min):
            cluster = [by_record[k] for k in keys]
            numbers = {r.nhs_number for r in cluster if r.nhs_number}
            existing = {owners[record_node_id(k)] for k in keys if record_node_id(k) in owners}
            # A record already loaded keeps its person: matching it again against people whose
            # claims grew since (other names, other postcodes) would move it on every reload.
            if not existing:
                existing = self._existing_matches(cluster, store)
            for person in store.people(existing).values():
                carried.setdefault(person.id, {person.nhs_number} if person.nhs_number else set())
            fitting = sorted(p for p in existing if len(carried.get(p, set()) | numbers) <= 1)
            person_id = fitting[0] if fitting else mint_person_id(keys)
            carried.setdefault(person_id, set()).update(numbers)
            for key in keys:
                person_of[key] = person_id
                decided_by[key] = (
                    "rule:nhs-or-name-dob-postcode" if len(keys) > 1 else "rule:single"
                )
        return Resolution(person_of, decided_by, dict.fromkeys(person_of, 1.0))

    def _existing_matches(self, records: list[PersonRecord], store: Store) -> set[str]:
        """People already in the store that this cluster's records match by the same rules."""
        cluster_nhs = {r.nhs_number for r in records if r.nhs_number}
        found: set[str] = set()
        for number in cluster_nhs:
            for person in store.search_candidates(SearchCriteria(nhs_number=number), 10):
                if person.nhs_number == number:
                    found.add(person.id)
        upns = {(r.upn, r.birth_date) for r in records if r.upn and r.birth_date}
        for upn, born in upns:
            for person in store.search_candidates(SearchCriteria(birth_date=born), 1_000):
                held = {c.value for c in person.claims if c.field == "upn"}
                if upn in held and not (person.nhs_number and cluster_nhs - {person.nhs_number}):
                    found.add(person.id)
        keys = {k for k in map(_match_key, records) if k}
        for birth in {birth for _, birth, _ in keys}:
            # A birth date is the most selective key the protocol searches on.
            criteria = SearchCriteria(birth_date=date.fromisoformat(birth))
            for person in store.search_candidates(criteria, 1_000):
                conflicting_nhs = person.nhs_number and cluster_nhs - {person.nhs_number}
                if _person_match_keys(person) & keys and not conflicting_nhs:
                    found.add(person.id)
        return found
