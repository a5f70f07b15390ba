"""Family context as evidence: a second pass that weighs whether two records' relatives
resolved to the same people.

After the first clustering, each record's relatives (parents, children, partners, siblings
its own system recorded) are replaced by the clusters they fell in. A pair whose relatives
share a cluster gains the weight log2(m/u) of a Fellegi-Sunter comparison, as any other
field would, with m estimated among pairs the first pass was sure of and u among pairs it
was sure were apart but that blocking still brought together (siblings, twins), so the
weight is what family adds beyond the fields that already put the pair side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from loaders.identity.scoring import FieldWeight, ScoredPair

SURE_MATCH = 0.99
SURE_APART = 0.20
MIN_SAMPLE = 20  # fewer pairs than this on either side: family adds nothing


@dataclass(frozen=True, slots=True)
class FamilyModel:
    m_shared: float
    u_shared: float
    matches_seen: int
    non_matches_seen: int

    @property
    def usable(self) -> bool:
        return self.matches_seen >= MIN_SAMPLE and self.non_matches_seen >= MIN_SAMPLE

    @property
    def weight_shared(self) -> float:
        return math.log2(self.m_shared / self.u_shared) if self.usable else 0.0

    @property
    def weight_none(self) -> float:
        # No relative in common is not evidence against: systems record different parts of
        # a family (a school a parent's children, health the same adult's own parents), so
        # one person's two records often name disjoint relatives. Measured on the synthetic
        # borough, counting it as evidence against (log2((1-m)/(1-u)) = -0.55) split 185
        # true pairs of adults and merged none fewer (docs/identity.md).
        return 0.0


class _Kin:
    """Each record's relatives as the clusters they fell in, worked out once per record
    rather than once per pair (a record is in many pairs)."""

    def __init__(self, relatives: Mapping[str, Sequence[str]], cluster_of: Mapping[str, str]):
        self.relatives, self.cluster_of = relatives, cluster_of
        self.found: dict[str, frozenset[str]] = {}

    def of(self, key: str) -> frozenset[str]:
        found = self.found.get(key)
        if found is None:
            found = self.found[key] = frozenset(
                self.cluster_of[r] for r in self.relatives.get(key, ()) if r in self.cluster_of)
        return found


def relatives_in_common(
    pairs: Sequence[ScoredPair],
    relatives: Mapping[str, Sequence[str]],
    cluster_of: Mapping[str, str],
) -> list[bool | None]:
    """For each pair, whether its records' relatives resolved to a common person (None
    where either names none): worked out once, for both estimating and rescoring."""
    kin = _Kin(relatives, cluster_of)
    found: list[bool | None] = []
    append, of, placed = found.append, kin.of, cluster_of.get
    # Whether the two records' relatives resolved to a common person, other than the
    # pair's own clusters; None if either has none. A loop of its own, not a call per pair:
    # millions of pairs at a million records, most with a record naming no relatives.
    for pair in pairs:
        left = of(pair.a)
        right = of(pair.b) if left else left
        if not right:
            append(None)
            continue
        own = {placed(pair.a), placed(pair.b)}
        left, right = left - own, right - own
        append(None if not left or not right else bool(left & right))
    return found


def estimate(
    pairs: Sequence[ScoredPair],
    relatives: Mapping[str, Sequence[str]],
    cluster_of: Mapping[str, str],
    in_common: Sequence[bool | None] | None = None,
) -> FamilyModel:
    """m and u of 'a relative in common', with one added to each count so neither is 0 or 1.
    `in_common` is `relatives_in_common` of the pairs, if already worked out."""
    if in_common is None:
        in_common = relatives_in_common(pairs, relatives, cluster_of)
    shared_m = seen_m = shared_u = seen_u = 0
    for pair, shared in zip(pairs, in_common, strict=True):
        if shared is None:
            continue
        if pair.probability >= SURE_MATCH:
            seen_m += 1
            shared_m += shared
        elif pair.probability < SURE_APART:
            seen_u += 1
            shared_u += shared
    return FamilyModel(
        m_shared=(shared_m + 1) / (seen_m + 2),
        u_shared=(shared_u + 1) / (seen_u + 2),
        matches_seen=seen_m,
        non_matches_seen=seen_u,
    )


def with_family(
    pairs: Sequence[ScoredPair],
    relatives: Mapping[str, Sequence[str]],
    cluster_of: Mapping[str, str],
    model: FamilyModel,
    in_common: Sequence[bool | None] | None = None,
) -> list[ScoredPair]:
    """The pairs rescored with family evidence as one more comparison (`in_common` as for
    `estimate`)."""
    if not model.usable:
        return list(pairs)
    if in_common is None:
        in_common = relatives_in_common(pairs, relatives, cluster_of)
    # Two evidence objects shared by every pair, not one per pair (millions at scale).
    evidence = {
        True: FieldWeight("family", "a relative in common", model.weight_shared),
        False: FieldWeight("family", "no relative in common", model.weight_none),
    }
    # Pairs at the same levels share their evidence tuple, with family added too. Keyed
    # by the tuple's identity (the pairs hold every tuple for as long as this runs), as
    # hashing seven fields of evidence per pair cost more than the rest of the loop.
    extended: dict[tuple[int, bool], tuple[FieldWeight, ...]] = {}
    # The same for the weights: pairs at the same levels share their rescored floats.
    totals: dict[tuple[float, bool], tuple[float, float]] = {}
    found = []
    for pair, shared in zip(pairs, in_common, strict=True):
        if shared is None:
            found.append(pair)
            continue
        field = evidence[shared]
        fields = extended.get((id(pair.fields), shared))
        if fields is None:
            fields = extended[(id(pair.fields), shared)] = (*pair.fields, field)
        weighed = totals.get((pair.match_weight, shared))
        if weighed is None:
            total = pair.match_weight + field.weight
            weighed = totals[(pair.match_weight, shared)] = (total, _probability(total))
        found.append(ScoredPair(pair.a, pair.b, weighed[0], weighed[1], fields))
    return found


def _probability(match_weight: float) -> float:
    if match_weight > 60:
        return 1.0
    odds = float(2.0**match_weight)
    return odds / (1 + odds)
