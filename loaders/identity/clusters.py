"""Records into clusters, strongest link first, refusing any join a rule forbids.

A join is refused when the two sides would carry two different NHS numbers, or would put
together two records a person has unlinked; the model's links are also refused between
records a source system records as relatives. Links a person made are tried before any the
model made, so they win; the model's links are tried strongest first, so when a chain of
links would break a rule, the weakest link is the one left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
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
    reason: str  # "different NHS numbers", "unlinked by a person" or "recorded as relatives"


class Clusters:
    """Union-find over record keys that keeps each cluster's NHS numbers and forbidden partners."""

    def __init__(
        self, keys: Iterable[str], nhs: Mapping[str, str | None], apart: Iterable[tuple[str, str]],
        relatives: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.numbers: dict[str, set[str]] = {}
        self.forbidden: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            self.parent[key] = key
            self.members[key] = {key}
            number = nhs.get(key)
            self.numbers[key] = {number} if number else set()
        for a, b in apart:
            if a in self.parent and b in self.parent:
                self.forbidden[a].add(b)
                self.forbidden[b].add(a)
        # Relatives are apart for the model only: a person's link still wins (DESIGN.md).
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

    def _why_not(self, ra: str, rb: str, by: str) -> str | None:
        if len(self.numbers[ra] | self.numbers[rb]) > 1:
            return "different NHS numbers"
        small, large = sorted((ra, rb), key=lambda r: len(self.members[r]))
        for key in self.members[small]:
            if self.forbidden.get(key, set()) & self.members[large]:
                return "unlinked by a person"
            if by == "model" and self.kin.get(key, set()) & self.members[large]:
                return "recorded as relatives"
        return None

    def join(self, link: Link) -> bool:
        ra, rb = self.root(link.a), self.root(link.b)
        if ra == rb:
            return False
        reason = self._why_not(ra, rb, link.by)
        if reason is not None:
            self.refused.append(Refusal(link, reason))
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.numbers[ra] |= self.numbers.pop(rb)
        self.used.append(link)
        return True

    def groups(self) -> list[list[str]]:
        """Every cluster as its sorted record keys, clusters ordered by their first key."""
        return sorted(sorted(members) for members in self.members.values())


def cluster(
    keys: Iterable[str],
    nhs: Mapping[str, str | None],
    links: Iterable[Link],
    apart: Iterable[tuple[str, str]] = (),
    relatives: Iterable[tuple[str, str]] = (),
) -> Clusters:
    """Join records over `links`, human links first, then strongest first."""
    clusters = Clusters(keys, nhs, apart, relatives)
    ordered = sorted(links, key=lambda k: (k.by != "human", -k.strength, k.a, k.b))
    for link in ordered:
        clusters.join(link)
    return clusters
