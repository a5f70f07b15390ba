"""Records into clusters, strongest link first, refusing any join a rule forbids.

A join is refused when the two sides would carry two different NHS numbers, or would put
together two records a person has unlinked; the model's links are also refused between
records a source system records as relatives. Links a person made are tried before any the
model made, so they win; the model's links are tried strongest first, so when a chain of
links would break a rule, the weakest link is the one left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple


class Link(NamedTuple):
    """A reason to join two records, as the clustering saw it (a tuple: a million records'
    clusterings make millions)."""

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
    set and NHS numbers are kept only once it has more than one member: a lone record is
    its own member list, and its number is the one it carries. A join of two lone records,
    most joins, then builds no set to test (a third of clustering's time was look-ups and
    sets made only to be tested).
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
        self.nhs = nhs  # a lone record's number
        # Roots of more than one record with any NHS number only.
        self.numbers: dict[str, set[str]] = {}
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
        parent = self.parent
        up = parent[key]
        while up != key:
            parent[key] = parent[up]
            key, up = parent[up], parent[parent[up]]
        return key

    def _side(self, root: str) -> tuple[Collection[str], Collection[str]]:
        """A cluster's members and NHS numbers, by its root."""
        members = self.members.get(root)
        if members is not None:
            return members, self.numbers.get(root, ())
        number = self.nhs.get(root)
        return (root,), ((number,) if number else ())

    def _why_not(self, side_a: tuple[Collection[str], Collection[str]],
                 side_b: tuple[Collection[str], Collection[str]], by: str) -> str | None:
        (of_a, na), (of_b, nb) = side_a, side_b
        if len(na) > 1 or len(nb) > 1 or (na and nb and set(na) != set(nb)):
            return "different NHS numbers"
        small, large = (of_a, of_b) if len(of_a) <= len(of_b) else (of_b, of_a)
        forbidden, kin = self.forbidden, self.kin if by == "model" else {}
        if forbidden or kin:
            for key in small:
                if (apart := forbidden.get(key)) and not apart.isdisjoint(large):
                    return "unlinked by a person"
                if (related := kin.get(key)) and not related.isdisjoint(large):
                    return "recorded as relatives"
        # A shared NHS number vouches for the whole join; otherwise no record of one side
        # may be a possible twin or sibling of a record of the other, so a chain through a
        # third record cannot join them either.
        if (by == "model" and self.twins is not None and not (na and nb)
                and self._twins_between(small, large)):
            return TWINS
        return None

    def _twins_between(self, small: Collection[str], large: Collection[str]) -> bool:
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
        side_a, side_b = self._side(ra), self._side(rb)
        reason = self._why_not(side_a, side_b, link.by)
        if reason is not None:
            self.refused.append(Refusal(link, reason))
            return False
        if len(side_a[0]) < len(side_b[0]):
            ra, rb = rb, ra
        numbers = {*side_a[1], *side_b[1]}
        members = self.members
        self.parent[rb] = ra
        merged = members.get(ra)
        if merged is None:
            merged = members[ra] = {ra}
        merged |= members.pop(rb, {rb})
        self.numbers.pop(rb, None)
        if numbers:
            self.numbers[ra] = numbers
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
    # Human links first, then strongest first, ties by record keys: two stable sorts (keys,
    # then strength) in place of a tuple built per link for one sort.
    human: list[Link] = []
    model: list[Link] = []
    for link in links:
        (human if link.by == "human" else model).append(link)
    join = clusters.join
    for part in (human, model):
        part.sort(key=attrgetter("a", "b"))
        part.sort(key=attrgetter("strength"), reverse=True)
        for link in part:
            join(link)
    return clusters
