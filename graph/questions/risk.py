"""Which risk indicators are recorded about a child, their household or their wider family."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from graph.model import RiskIndicator, Sensitivity
from graph.questions import resolve_as_of
from graph.questions.services import Scope, everyone_in, people_in_scope, split_by_scope
from graph.store import Store

# Lowest first, as the sharing rules order them (graph/ cannot import server.sharing).
_LEVELS = (Sensitivity.NORMAL, Sensitivity.SENSITIVE, Sensitivity.RESTRICTED, Sensitivity.SEALED)


@dataclass(frozen=True, slots=True)
class RiskFound:
    """One current risk indicator, with who it is about and how they relate to the subject."""

    person_id: str
    relationship: str
    indicator: RiskIndicator


def risk_indicators(
    store: Store, person_id: str, scope: Scope = Scope.CHILD, as_of: date | None = None
) -> list[RiskFound]:
    """Risk indicators current on `as_of` about the subject and, by scope, the people around
    them (the same people `services_engaged` looks at), subject first.

    Parameters
    ----------
    store : the store to ask
    person_id : the subject
    scope : CHILD (the subject), HOUSEHOLD (and those living with them), FAMILY (and kin)
    as_of : the day to answer for; today if not given

    Returns
    -------
    One entry per indicator; an indicator several sources recorded alike (same person,
    kind and start) is one entry listing every source.

    Raises
    ------
    PersonNotFound : the store holds no person with that id

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from graph.embedded.store import EmbeddedStore
    >>> from graph.model import Person, RiskKind, SourceRef
    >>> from graph.store import GraphBatch
    >>> store = EmbeddedStore(Path(tempfile.mkdtemp()))
    >>> _ = store.write(GraphBatch(nodes=[
    ...     Person(id="C1", given_names="Ann", family_name="Lee"),
    ...     RiskIndicator(id="K1", person_id="C1", kind=RiskKind.ATTENDANCE,
    ...                   valid_from=date(2024, 7, 20), sources=(SourceRef("edu", "9"),))]))
    >>> [(r.relationship, r.indicator.kind.value)
    ...  for r in risk_indicators(store, "C1", as_of=date(2025, 1, 1))]
    [('self', 'attendance')]
    >>> risk_indicators(store, "C1", as_of=date(2024, 1, 1))
    []
    """
    day = resolve_as_of(as_of)
    return risks_of_scopes(store, [people_in_scope(store, person_id, scope, day)], day)[0]


def risks_of_scopes(
    store: Store, scopes: Sequence[dict[str, str]], day: date
) -> list[list[RiskFound]]:
    """For each scope (people and their relationship to its subject, as `people_in_scope`
    gives), the indicators current on `day`: one store round trip for all of them."""
    risks = store.risk_indicators(everyone_in(scopes), day)
    return [
        [RiskFound(r.person_id, words[r.person_id], r) for r in _one_per_indicator(found)]
        for words, found in zip(scopes, split_by_scope(scopes, risks, lambda r: r.person_id),
                                strict=True)
    ]


def _one_per_indicator(risks: list[RiskIndicator]) -> list[RiskIndicator]:
    """Two systems recording the same concern from the same day (a DA notification in police
    and in social care) are one indicator with both sources; order is kept. The merged one
    keeps the higher sensitivity of the two, so merging never lets a copy out at a level
    lower than a source gave it."""
    kept: dict[tuple[str, str, date | None, str], RiskIndicator] = {}
    for risk in risks:
        key = (risk.person_id, risk.kind.value, risk.valid_from, risk.summary.casefold())
        earlier = kept.get(key)
        if earlier is None:
            kept[key] = risk
            continue
        sources = tuple(dict.fromkeys(earlier.sources + risk.sources))
        level = max(earlier.sensitivity, risk.sensitivity, key=_LEVELS.index)
        kept[key] = replace(earlier, sources=sources, sensitivity=level)
    return list(kept.values())
