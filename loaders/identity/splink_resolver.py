"""The default resolver: Splink scores every pair of records held or loaded, family context
adds its weight, people's decisions win, and clusters become persons with stable ids.

One run, in order:
1. every stored record and every record of the load become comparison rows;
2. Splink trains on them (unsupervised) and scores the candidate pairs;
3. a first clustering; family evidence from it rescores the pairs; the final clustering,
   with people's links first and their unlinks and different NHS numbers as walls;
4. each cluster takes the stored person id most of its records had, or a new one;
5. merges and splits become events, each person's links an explanation, undecided pairs
   the review queue, and the trained model is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.model import (
    IdentityEvent,
    LinkageModel,
    LinkDecision,
    LinkExplanation,
    Node,
    ReviewPair,
    SourceRecord,
)
from graph.store import Store
from loaders.identity import (
    Progress,
    Resolution,
    blocks,
    collector_paused,
    delta,
    mint_person_id,
    record_key,
    record_node_id,
)
from loaders.identity import settings as linkage
from loaders.identity.clusters import TWINS, Clusters, Link, cluster
from loaders.identity.family import (
    FamilyModel,
    estimate,
    relatives_in_common,
    with_family,
)
from loaders.identity.features import rows_for
from loaders.identity.rules import RuleResolver
from loaders.identity.scoring import NoModel, ScoredPair, Scoring, Training, score
from loaders.identity.twins import TwinRule

HUMAN = float("inf")


def short_digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def latest_decisions(decisions: Iterable[LinkDecision]) -> dict[tuple[str, str], LinkDecision]:
    """The decision that stands for each pair of records: the latest one made."""
    found: dict[tuple[str, str], LinkDecision] = {}
    for decision in sorted(decisions, key=lambda d: (d.decided_at, d.id)):
        a, b = sorted((decision.record_a, decision.record_b))
        found[(a, b)] = decision
    return found


def fields_json(pair: ScoredPair) -> list[dict[str, Any]]:
    return [{"field": f.field, "level": f.level, "weight": round(f.weight, 3)} for f in pair.fields]


@dataclass(frozen=True, slots=True)
class Thresholds:
    link: float = linkage.LINK_THRESHOLD
    review: float = linkage.REVIEW_THRESHOLD


class SplinkResolver:
    """Probabilistic linkage of all records, with family evidence and people's decisions."""

    def __init__(
        self,
        training: Training | None = None,
        thresholds: Thresholds | None = None,
        *,
        family: bool = True,
        delta_min_store: int = delta.MIN_STORE,
    ) -> None:
        self.training = training or Training()
        self.thresholds = thresholds or Thresholds()
        self.family = family
        # Stores smaller than this are always relinked whole (`loaders.identity.delta`).
        self.delta_min_store = delta_min_store

    # --- scoring and clustering ------------------------------------------------

    def score(
        self,
        rows: pa.Table,
        relatives: dict[str, list[str]],
        parameters: dict[str, Any] | None = None,
        trained_on: str | None = None,
        progress: Progress | None = None,
        fixed: dict[str, Any] | None = None,
    ) -> Scoring:
        """Train and score; low pairs are kept only where family evidence could lift them
        (`scoring.score` says what `fixed` is)."""
        related = {key for key, others in relatives.items() if others} if self.family else set()
        return score(rows, parameters, self.training, trained_on=trained_on,
                     related=related, unrelated_threshold=self.thresholds.review,
                     progress=progress, fixed=fixed)

    def _links(
        self, pairs: Sequence[ScoredPair], decisions: dict[tuple[str, str], LinkDecision]
    ) -> list[Link]:
        threshold = self.thresholds.link
        links = [Link(p.a, p.b, p.match_weight, "model") for p in pairs
                 if p.probability >= threshold]
        if decisions:  # most runs have none: no key tuple per pair to test
            links = [link for link in links if (link.a, link.b) not in decisions]
        links += [
            Link(a, b, HUMAN, "human")
            for (a, b), d in decisions.items()
            if d.action == "link"
        ]
        return links

    @collector_paused()
    def link_all(
        self,
        keys: Sequence[str],
        nhs: dict[str, str | None],
        pairs: Sequence[ScoredPair],
        relatives: dict[str, list[str]],
        decisions: dict[tuple[str, str], LinkDecision],
        twins: Callable[[str, str], bool] | None = None,
        progress: Progress | None = None,
        family: FamilyModel | None = None,
        settled: Mapping[str, str] | None = None,
    ) -> tuple[Clusters, list[ScoredPair], FamilyModel | None]:
        """Cluster once, add family evidence, cluster again: (clusters, final pairs, family).

        `family` is a family model to use rather than estimate one (a delta's, the store's);
        `settled` the people of records outside `keys` (a delta's relatives outside the part
        relinked count as the people they are stored in)."""
        tell = progress or (lambda _: None)
        tell("clustering")
        known = set(keys)
        decisions = {k: d for k, d in decisions.items() if k[0] in known and k[1] in known}
        apart = [k for k, d in decisions.items() if d.action == "unlink"]
        # A system that records two of its records as related says they are two people:
        # the model must never make a mother and her daughter of the same name one person.
        kin = [(key, other) for key, others in relatives.items() for other in others
               if other in known]
        first = cluster(keys, nhs, self._links(pairs, decisions), apart, kin, twins)
        if not self.family:
            return first, list(pairs), None
        tell("family evidence")
        roots = {key: first.root(key) for key in keys}
        del first  # a million records' union-find, not needed beside the final one
        cluster_of = roots if settled is None else {**settled, **roots}
        in_common = relatives_in_common(pairs, relatives, cluster_of)
        model = family or estimate(pairs, relatives, cluster_of, in_common)
        rescored = with_family(pairs, relatives, cluster_of, model, in_common)
        final = cluster(keys, nhs, self._links(rescored, decisions), apart, kin, twins)
        return final, rescored, model

    # --- the run -------------------------------------------------------------

    def link_delta(
        self,
        rows: pa.Table,
        relatives: dict[str, list[str]],
        fresh: Collection[str],
        owners: Mapping[str, str],
        stored_model: LinkageModel,
        decisions: dict[tuple[str, str], LinkDecision],
        progress: Progress | None = None,
        also: Collection[str] = (),
        whole: Callable[[set[str]], tuple[pa.Table, dict[str, list[str]], Mapping[str, str]]]
        | None = None,
    ) -> tuple[pa.Table, Scoring, Clusters, list[ScoredPair], FamilyModel | None]:
        """Relink only the part of the records a delta can change (`loaders.identity.delta`):
        the `fresh` records (new or changed), the stored records they make a pair with,
        `also`, and every record of the people those belong to (`owners`: stored record to
        person), scored with `stored_model` and its family weights. `rows` are every
        record's, the load's copy winning; or, with `whole`, every record in a fresh
        record's blocks, and `whole(touched)` gives the rows, relatives and owners with
        every record of the touched records' people added (a store read by block).
        Returns the part's rows, scoring, clusters, pairs and family model."""

        def only(keys: Collection[str]) -> pa.Table:
            wanted = pa.array(sorted(keys), pa.string())
            return delta.marked(rows.filter(pc.is_in(rows.column("unique_id"), wanted)),
                                fresh, owners)

        summary = json.loads(stored_model.summary)
        stored = json.loads(stored_model.parameters)
        reason = (f"a delta of {len(fresh)} new or changed records, compared within their"
                  " blocks with the store's last model")

        def fixed(within: str) -> dict[str, Any]:
            return {"model": delta.within_blocks(stored, within), "model_used": "stored",
                    "model_reason": reason}

        # First the fresh records against the stored records in their blocks: only those
        # they make a pair with (most in a block are other people) join the part relinked.
        near = self.score(only(delta.candidates(rows, fresh, self.training.threads)),
                          relatives, fixed=fixed(delta.FRESH))
        touched = set(fresh) | set(also) | {key for p in near.pairs for key in (p.a, p.b)}
        if whole is not None:
            rows, relatives, owners = whole(touched)
        part = only(delta.part(touched, owners))
        scoring = self.score(part, relatives, progress=progress, fixed=fixed(delta.WITHIN))
        # Reported as the model the store's people came from, blocking rules and all.
        scoring.parameters = stored
        if summary.get("trained_on"):
            scoring.summary["trained_on"] = summary["trained_on"]
        family = summary.get("family")
        keys = part.column("unique_id").to_pylist()
        nhs = dict(zip(keys, part.column("nhs").to_pylist(), strict=True))
        clusters, pairs, model = self.link_all(
            keys, nhs, scoring.pairs, relatives, decisions, TwinRule(part), progress,
            family=None if family is None else FamilyModel(
                family["m_shared"], family["u_shared"], family["matches_seen"],
                family["non_matches_seen"]),
            settled=owners,
        )
        return part, scoring, clusters, pairs, model

    # --- the run -------------------------------------------------------------

    def _delta_reading(
        self, extract: Any, store: Store, models: Sequence[LinkageModel]
    ) -> tuple[delta.Reading, set[str]] | None:
        """For a load to be resolved as a delta (the store large, with a model, and the
        load's new and changed records few beside it): what was read of the store (the
        load's own records with every record of their people, to tell fresh from
        unchanged, and the records in the fresh records' blocks) and the fresh records'
        keys; None for a full run."""
        if not models:
            return None
        held = store.counts().get(SourceRecord.label, 0)
        if held < self.delta_min_store:
            return None
        reading = delta.Reading(store)
        load_rows, _ = rows_for(extract, [])
        reading.people_of(r.key for r in extract.people)
        fresh = delta.fresh_keys(load_rows, reading.records)
        if len(fresh) > delta.SHARE * held:
            return None
        reading.in_blocks(blocks.sought_by(
            r for r in load_rows.to_pylist() if r["unique_id"] in fresh))
        return reading, fresh

    def resolve(
        self, extract: Any, store: Store, today: date, progress: Progress | None = None
    ) -> Resolution:
        tell = progress or (lambda _: None)
        tell("comparison rows")
        decisions = latest_decisions(store.link_decisions())
        all_models = store.linkage_models()
        # The store's last model trained on a borough's records (not a fallback's copy).
        trained = [m for m in all_models if json.loads(m.summary).get("trained")]
        # A delta scores with the model a full run would start from: the last trained one,
        # and only when none was ever trained the fallback the store last used.
        basis = (trained or all_models)[-1:]
        loaded = {r.key for r in extract.people}
        found = self._delta_reading(extract, store, basis)
        fresh: set[str] | None = None
        scope: set[str] | None = None
        if found is not None:
            reading, fresh = found

            def whole(touched: set[str]) -> tuple[
                    pa.Table, dict[str, list[str]], Mapping[str, str]]:
                reading.people_of(touched)
                every, kin = rows_for(extract, reading.records.values())
                reading.relatives_placed(kin)
                return every, kin, reading.owners

            rows, relatives = rows_for(extract, reading.records.values())
            rows, scoring, clusters, pairs, family = self.link_delta(
                rows, relatives, fresh, reading.owners, basis[-1], decisions, progress, loaded,
                whole)
            owners = reading.owners
            scope = set(rows.column("unique_id").to_pylist())
            stored = {k: v for k, v in reading.records.items() if k in scope}
        else:
            stored = {f"{r.system}/{r.local_id}": r for r in store.all_source_records()}
            owners = {
                record_key(node): person
                for node, person in store.record_owners(record_node_id(k) for k in stored).items()
            }
            rows, relatives = rows_for(extract, stored.values())
            keys = rows.column("unique_id").to_pylist()
            nhs = dict(zip(keys, rows.column("nhs").to_pylist(), strict=True))
            parameters = json.loads(trained[-1].parameters) if trained else None
            trained_on = json.loads(trained[-1].summary).get("trained_on") if trained else None
            try:
                scoring = self.score(rows, relatives, parameters, trained_on, progress)
            except NoModel as missing:
                return self._by_rules(extract, store, today, missing.reason)
            clusters, pairs, family = self.link_all(
                keys, nhs, scoring.pairs, relatives, decisions, TwinRule(rows), progress
            )
        tell("persons and review")
        groups = clusters.groups()

        person_ids = self._stable_ids(groups, owners, store)
        person_of = {key: person_ids[i] for i, group in enumerate(groups) for key in group}

        by_pair = {(p.a, p.b): p for p in pairs}
        decided_by, probability = self._how(groups, clusters, by_pair, decisions)
        moved = {k: stored[k] for k in stored if k not in loaded and owners.get(k) != person_of[k]}
        touched = {person_of[k] for k in loaded} | {person_of[k] for k in moved}
        touched |= {owners[k] for k in moved if k in owners}
        assigned = set(person_ids)
        retired = {owners[k] for k in stored if k in owners} - assigned

        # A delta's links come from the stored model unchanged: keep its node as it is, so
        # its summary still says it was trained and on how many records.
        model_node = basis[-1] if fresh is not None else self._model_node(
            scoring.parameters, scoring.summary, family, rows.num_rows)
        nodes: list[Node] = [model_node]
        nodes += self._events(groups, person_ids, owners, clusters, decisions, by_pair, today)
        nodes += self._explanations(
            groups, person_ids, clusters, by_pair, decisions, touched, model_node.id
        )
        for person in sorted(retired):
            nodes.append(
                LinkExplanation(f"X:{person}", person, (), "[]", model_node.id)
            )
        # Model links refused between possible twins or siblings go to review, however sure.
        held_back = {tuple(sorted((r.link.a, r.link.b))) for r in clusters.refused
                     if r.reason == TWINS}
        nodes += self._review(
            pairs, person_of, decisions, store, today, model_node.id, held_back, scope
        )

        result_keys = loaded | set(moved)
        return Resolution(
            person_of={k: person_of[k] for k in result_keys},
            decided_by={k: decided_by[k] for k in result_keys},
            probability={k: probability[k] for k in result_keys},
            moved=moved,
            retired=retired,
            nodes=nodes,
            detail={
                "pairs_scored": len(pairs),
                "linked_by_model": sum(1 for link in clusters.used if link.by == "model"),
                "linked_by_people": sum(1 for link in clusters.used if link.by == "human"),
                "refused": len(clusters.refused),
                "held_back_as_possible_twins": len(held_back),
                "model": model_node.id,
                "model_used": scoring.summary.get("model_used", "trained"),
                "model_reason": scoring.summary.get("model_reason", ""),
            },
        )

    def _by_rules(self, extract: Any, store: Store, today: date, why: str) -> Resolution:
        """The last fallback: no model at hand, so the deterministic rules resolve."""
        resolution = RuleResolver().resolve(extract, store, today)
        resolution.detail |= {
            "pairs_scored": 0,
            "linked_by_model": 0,
            "linked_by_people": 0,
            "refused": 0,
            "model_used": "rules",
            "model_reason": f"{why}, so the deterministic rules (same NHS number; same name,"
                            " birth date and postcode; same UPN and birth date) linked",
        }
        return resolution

    def _stable_ids(
        self, groups: list[list[str]], owners: dict[str, str], store: Store
    ) -> list[str]:
        """Each cluster keeps the stored id most of its records had; the rest get new ids."""
        overlap: Counter[tuple[int, str]] = Counter()
        for index, group in enumerate(groups):
            for key in group:
                if key in owners:
                    overlap[(index, owners[key])] += 1
        chosen: dict[int, str] = {}
        taken: set[str] = set()
        for (index, person), _ in sorted(
            overlap.items(), key=lambda item: (-item[1], item[0][1], item[0][0])
        ):
            if index not in chosen and person not in taken:
                chosen[index] = person
                taken.add(person)
        held = set(owners.values())
        fresh = {i: mint_person_id(g) for i, g in enumerate(groups) if i not in chosen}
        existing = set(store.people(fresh.values()))
        for index in sorted(fresh):
            candidate, salt = fresh[index], 0
            while candidate in taken or candidate in held or candidate in existing:
                salt += 1
                candidate = mint_person_id(groups[index], f"#{salt}")
            chosen[index] = candidate
            taken.add(candidate)
        return [chosen[i] for i in range(len(groups))]

    def _how(
        self,
        groups: list[list[str]],
        clusters: Clusters,
        by_pair: dict[tuple[str, str], ScoredPair],
        decisions: dict[tuple[str, str], LinkDecision],
    ) -> tuple[dict[str, str], dict[str, float]]:
        decided_by: dict[str, str] = {}
        probability: dict[str, float] = {}
        for group in groups:
            for key in group:
                decided_by[key] = "single"
                probability[key] = 1.0
        for link in clusters.used:
            pair = tuple(sorted((link.a, link.b)))
            for key in (link.a, link.b):
                if link.by == "human":
                    decision = decisions[(pair[0], pair[1])]
                    decided_by[key] = f"person:{decision.decided_by}"
                    probability[key] = 1.0
                elif not decided_by[key].startswith("person:"):
                    scored = by_pair[(pair[0], pair[1])]
                    best = probability[key] if decided_by[key] == "splink" else 0.0
                    decided_by[key] = "splink"
                    probability[key] = max(best, scored.probability)
        return decided_by, probability

    def _model_node(
        self,
        parameters: dict[str, Any],
        summary: dict[str, Any],
        family: FamilyModel | None,
        records: int,
    ) -> LinkageModel:
        text = json.dumps(parameters, sort_keys=True)
        info = dict(summary)
        info["thresholds"] = {"link": self.thresholds.link, "review": self.thresholds.review}
        if family is not None:
            info["family"] = {
                "m_shared": family.m_shared,
                "u_shared": family.u_shared,
                "weight_shared": family.weight_shared,
                "weight_none": family.weight_none,
                "matches_seen": family.matches_seen,
                "non_matches_seen": family.non_matches_seen,
            }
        return LinkageModel(
            # The same parameters, thresholds and family weights are the same model.
            id="M:" + short_digest(
                text, json.dumps([info["thresholds"], info.get("family")], sort_keys=True)
            ),
            trained_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            records=records,
            parameters=text,
            summary=json.dumps(info, sort_keys=True, default=str),
        )

    def _reason(
        self,
        part: set[str],
        rest: set[str],
        clusters: Clusters,
        decisions: dict[tuple[str, str], LinkDecision],
        by_pair: dict[tuple[str, str], ScoredPair],
        joined: bool,
    ) -> str:
        """Why the records in `part` joined (or left) the records in `rest`."""
        crossing = [
            link
            for link in (clusters.used if joined else [r.link for r in clusters.refused])
            if (link.a in part and link.b in rest) or (link.b in part and link.a in rest)
        ]
        for (a, b), decision in decisions.items():
            crosses = (a in part and b in rest) or (b in part and a in rest)
            if crosses and (decision.action == "link") == joined:
                verb = "linked" if joined else "unlinked"
                return f"{verb} by {decision.decided_by}: {decision.reason}"
        if crossing:
            link = crossing[0]
            pair = by_pair.get(tuple(sorted((link.a, link.b))))  # type: ignore[arg-type]
            if joined and pair is not None:
                return f"model linked {link.a} and {link.b} (probability {pair.probability:.4f})"
            if not joined:
                refusal = next(r for r in clusters.refused if r.link == link)
                return f"kept apart: {refusal.reason}"
        if joined:
            return "model linked them"
        return "the model no longer links these records"

    def _events(
        self,
        groups: list[list[str]],
        person_ids: list[str],
        owners: dict[str, str],
        clusters: Clusters,
        decisions: dict[tuple[str, str], LinkDecision],
        by_pair: dict[tuple[str, str], ScoredPair],
        today: date,
    ) -> list[IdentityEvent]:
        events: list[IdentityEvent] = []

        def event(person: str, kind: str, other: str, records: set[str], reason: str) -> None:
            ordered = tuple(sorted(records))
            events.append(
                IdentityEvent(
                    id=f"V:{short_digest(person, kind, other, *ordered, today.isoformat())}",
                    person_id=person,
                    kind=kind,
                    on=today,
                    records=ordered,
                    other_person=other,
                    reason=reason,
                )
            )

        # Where each old person's records went.
        went: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for index, group in enumerate(groups):
            for key in group:
                if key in owners:
                    went[owners[key]][person_ids[index]].add(key)
        for index, group in enumerate(groups):
            person = person_ids[index]
            before = {owners[k] for k in group if k in owners} - {person}
            members = set(group)
            for old in sorted(before):
                part = went[old][person]
                reason = self._reason(part, members - part, clusters, decisions, by_pair, True)
                event(person, "merged", old, part, reason)
                if person not in went[old] or len(went[old]) == 1:
                    event(old, "merged_into", person, part, reason)
        for old, places in sorted(went.items()):
            if old not in places or len(places) < 2:
                continue
            kept = places[old]
            for new, part in sorted(places.items()):
                if new == old:
                    continue
                reason = self._reason(part, kept, clusters, decisions, by_pair, False)
                event(old, "split", new, part, reason)
        return events

    def _explanations(
        self,
        groups: list[list[str]],
        person_ids: list[str],
        clusters: Clusters,
        by_pair: dict[tuple[str, str], ScoredPair],
        decisions: dict[tuple[str, str], LinkDecision],
        touched: set[str],
        model_id: str,
    ) -> list[LinkExplanation]:
        used_by_root: dict[str, list[Link]] = defaultdict(list)
        for link in clusters.used:
            used_by_root[clusters.root(link.a)].append(link)
        found = []
        for index, group in enumerate(groups):
            person = person_ids[index]
            if person not in touched:
                continue
            links = []
            for link in used_by_root.get(clusters.root(group[0]), []):
                a, b = sorted((link.a, link.b))
                pair = by_pair.get((a, b))
                if link.by == "human":
                    decision = decisions[(a, b)]
                    links.append(
                        {
                            "a": a,
                            "b": b,
                            "decided_by": f"person:{decision.decided_by}",
                            "reason": decision.reason,
                            "probability": 1.0,
                            "match_weight": pair.match_weight if pair else None,
                            "grade": "certain",
                            "fields": fields_json(pair) if pair else [],
                        }
                    )
                elif pair is not None:
                    links.append(
                        {
                            "a": a,
                            "b": b,
                            "decided_by": "splink",
                            "reason": "",
                            "probability": pair.probability,
                            "match_weight": round(pair.match_weight, 3),
                            "grade": linkage.grade(pair.probability),
                            "fields": fields_json(pair),
                        }
                    )
            found.append(
                LinkExplanation(
                    id=f"X:{person}",
                    person_id=person,
                    records=tuple(group),
                    links=json.dumps(sorted(links, key=lambda x: (x["a"], x["b"]))),
                    model_id=model_id,
                )
            )
        return found

    def _review(
        self,
        pairs: Sequence[ScoredPair],
        person_of: dict[str, str],
        decisions: dict[tuple[str, str], LinkDecision],
        store: Store,
        today: date,
        model_id: str,
        held_back: Collection[tuple[str, ...]] = (),
        scope: Collection[str] | None = None,
    ) -> list[ReviewPair]:
        """The review queue: pairs in the review band or held back, open; earlier open
        pairs no longer raised are decided or superseded, except, in a delta, pairs with a
        record outside the part relinked (`scope`), which stand as they were."""
        raised: dict[str, ReviewPair] = {}
        for pair in pairs:
            in_band = self.thresholds.review <= pair.probability < self.thresholds.link
            if not in_band and (pair.a, pair.b) not in held_back:
                continue
            if (pair.a, pair.b) in decisions or person_of[pair.a] == person_of[pair.b]:
                continue
            pair_id = f"Q:{pair.a}|{pair.b}"
            raised[pair_id] = ReviewPair(
                id=pair_id,
                record_a=pair.a,
                record_b=pair.b,
                person_a=person_of[pair.a],
                person_b=person_of[pair.b],
                probability=pair.probability,
                match_weight=pair.match_weight,
                grade=linkage.grade(pair.probability),
                evidence=json.dumps(fields_json(pair)),
                status="open",
                raised_on=today,
                model_id=model_id,
            )
        found = list(raised.values())
        for old in store.review_queue(None, 10**9):
            outside = scope is not None and not (old.record_a in scope and old.record_b in scope)
            if old.id not in raised and not outside:
                status = "decided" if (old.record_a, old.record_b) in decisions else "superseded"
                found.append(replace(old, status=status))
        return found

