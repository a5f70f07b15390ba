"""Records into clusters, strongest link first, refusing any join a rule forbids.

A join is refused when the two sides would carry two different NHS numbers, or would put
together two records a person has unlinked; the model's links are also refused between
records a source system records as relatives. Links a person made are tried before any the
model made, so they win; the model's links are tried strongest first, so when a chain of
links would break a rule, the weakest link is the one left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    """A reason to join two records, as the clustering saw it."""

    a: str
    b: str
    strength: float  # match weight; human links sort above every model link
    by: str  # "human" or "model"


@dataclass(frozen=True, slots=True)
class Refusal:
    link: Link
    # "different NHS numbers", "unlinked by a person", "recorded as relatives" or
    # twins.REASON (possibly twins or siblings)
    reason: str


# The reason a model link is refused between possible twins or siblings (loaders.identity.twins).
TWINS = (
    "possibly twins or siblings: different given names or UPNs, the same family name and birth"
    " date or the same address, and no NHS number or UPN in common"
)


class Clusters:
    """Union-find over record keys that keeps each cluster's NHS numbers and forbidden partners.

    Most records of a million stay alone or join one or two others, so a cluster's member
    set and NHS numbers are kept only once it has more than one member or any number: a
    lone record is its own member list and has none.
    """

    def __init__(
        self, keys: Iterable[str], nhs: Mapping[str, str | None], apart: Iterable[tuple[str, str]],
        relatives: Iterable[tuple[str, str]] = (),
        twins: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.twins = twins  # records the model alone may not join (loaders.identity.twins)
        # A twin rule that says what a pair must share to be apart (TwinRule.contexts) lets a
        # join of two large clusters test only the pairs that share it, not every pair.
        self.contexts: Callable[[str], Iterable[Hashable]] | None = getattr(
            twins, "contexts", None)
        self.parent: dict[str, str] = {key: key for key in keys}
        self.members: dict[str, set[str]] = {}  # roots of more than one record only
        # Roots with an NHS number only.
        self.numbers: dict[str, set[str]] = {
            key: {number} for key in self.parent if (number := nhs.get(key))}
        self.forbidden: dict[str, set[str]] = defaultdict(set)
        for a, b in apart:
            if a in self.parent and b in self.parent:
                self.forbidden[a].add(b)
                self.forbidden[b].add(a)
        # Relatives are apart for the model only: a person's link still wins (docs/architecture.md).
        self.kin: dict[str, set[str]] = defaultdict(set)
        for a, b in relatives:
            if a in self.parent and b in self.parent:
                self.kin[a].add(b)
                self.kin[b].add(a)
        self.used: list[Link] = []
        self.refused: list[Refusal] = []

    def root(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def _of(self, root: str) -> set[str]:
        return self.members.get(root) or {root}

    def _why_not(self, ra: str, rb: str, by: str) -> str | None:
        if len(self.numbers.get(ra, set()) | self.numbers.get(rb, set())) > 1:
            return "different NHS numbers"
        small, large = sorted((self._of(ra), self._of(rb)), key=len)
        for key in small:
            if self.forbidden.get(key, set()) & large:
                return "unlinked by a person"
            if by == "model" and self.kin.get(key, set()) & large:
                return "recorded as relatives"
        if by == "model" and self.twins is not None:
            # A shared NHS number vouches for the whole join; otherwise no record of one side
            # may be a possible twin or sibling of a record of the other, so a chain through
            # a third record cannot join them either.
            shared = self.numbers.get(ra, set()) & self.numbers.get(rb, set())
            if not shared and self._twins_between(small, large):
                return TWINS
        return None

    def _twins_between(self, small: set[str], large: set[str]) -> bool:
        assert self.twins is not None
        if self.contexts is None or len(small) * len(large) <= 4:
            return any(self.twins(a, b) for a in small for b in large)
        sharing: dict[Hashable, list[str]] = defaultdict(list)
        for a in small:
            for context in self.contexts(a):
                sharing[context].append(a)
        return any(self.twins(a, b) for b in large for context in self.contexts(b)
                   for a in sharing.get(context, ()))

    def join(self, link: Link) -> bool:
        ra, rb = self.root(link.a), self.root(link.b)
        if ra == rb:
            return False
        reason = self._why_not(ra, rb, link.by)
        if reason is not None:
            self.refused.append(Refusal(link, reason))
            return False
        if len(self._of(ra)) < len(self._of(rb)):
            ra, rb = rb, ra
        self.parent[rb] = ra
        merged = self.members.get(ra)
        if merged is None:
            merged = self.members[ra] = {ra}
        merged |= self.members.pop(rb, {rb})
        numbers = self.numbers.pop(rb, None)
        if numbers:
            self.numbers[ra] = self.numbers.get(ra, set()) | numbers
        self.used.append(link)
        return True

    def groups(self) -> list[list[str]]:
        """Every cluster as its sorted record keys, clusters ordered by their first key."""
        found: dict[str, list[str]] = defaultdict(list)
        for key in self.parent:
            found[self.root(key)].append(key)
        return sorted(sorted(members) for members in found.values())


def cluster(
    keys: Iterable[str],
    nhs: Mapping[str, str | None],
    links: Iterable[Link],
    apart: Iterable[tuple[str, str]] = (),
    relatives: Iterable[tuple[str, str]] = (),
    twins: Callable[[str, str], bool] | None = None,
) -> Clusters:
    """Join records over `links`, human links first, then strongest first.

    `twins(a, b)` true: the model's links may not put `a` and `b` in one cluster.
    """
    clusters = Clusters(keys, nhs, apart, relatives, twins)
    ordered = sorted(links, key=lambda k: (k.by != "human", -k.strength, k.a, k.b))
    for link in ordered:
        clusters.join(link)
    return clusters
