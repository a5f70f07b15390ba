"""Which risk indicators are recorded about a child, their household or their wider family."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from graph.model import RiskIndicator, RiskKind, Sensitivity
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


# Each kind in plain words, as a page heads it.
KIND_WORDS = {
    RiskKind.MENTAL_HEALTH: "Mental health",
    RiskKind.SUBSTANCE_MISUSE: "Substance misuse",
    RiskKind.DOMESTIC_ABUSE: "Domestic abuse",
    RiskKind.OFFENDING: "Offending",
    RiskKind.FINANCES: "Money worries",
    RiskKind.HOUSING: "Housing",
    RiskKind.ATTENDANCE: "School attendance",
    RiskKind.DEVELOPMENT: "Development",
}

# Raw codes a source writes in a summary, in words (docs/risk-indicators.md). A summary
# made only of these codes (a police DA notification's role and DASH risk: "SUSPECT HIGH")
# is said in words; any other summary is passed through as the source wrote it.
CODE_WORDS = {
    "VICTIM": "victim",
    "SUSPECT": "suspected perpetrator",
    "PERPETRATOR": "perpetrator",
    "CHILD": "child present",
    "WITNESS": "witness",
    "STANDARD": "standard risk",
    "MEDIUM": "medium risk",
    "HIGH": "high risk",
    "ARR": "rent arrears",
    "NSP": "notice seeking possession",
    "PA": "persistent absence",
}

# A CIN census assessment factor as the loader words it ("CIN assessment factor 1B:
# concerns about ..."): the letter says whose the concern is.
_CIN_FACTOR = re.compile(r"^CIN assessment factor (\d+)([ABC]): concerns about (.+)$")
CIN_WHOSE = {"B": "parent(s)/carer(s)", "C": "another member of the household"}

# Words in a summary that say the source closed the concern without giving an end date.
CLOSED_WORDS = frozenset({"historic", "historical", "closed", "ended", "resolved"})


def kind_words(kind: RiskKind) -> str:
    """The kind in plain words.

    >>> kind_words(RiskKind.SUBSTANCE_MISUSE)
    'Substance misuse'
    """
    return KIND_WORDS[kind]


def summary_words(summary: str) -> str:
    """The source's summary with its raw codes in words; unknown codes pass through.

    >>> summary_words("SUSPECT HIGH")
    'Suspected perpetrator, high risk'
    >>> summary_words("CIN assessment factor 2B: concerns about drug misuse by the"
    ...               " parent(s)/carer(s)")
    'Concerns about drug misuse by the parent(s)/carer(s) (CIN assessment factor 2B)'
    >>> summary_words("SUSPECT XYZ")
    'SUSPECT XYZ'
    """
    factor = _CIN_FACTOR.match(summary)
    if factor:
        return f"Concerns about {factor[3]} (CIN assessment factor {factor[1]}{factor[2]})"
    codes = summary.split()
    if codes and all(code.upper() in CODE_WORDS for code in codes):
        text = ", ".join(CODE_WORDS[code.upper()] for code in codes)
        return text[:1].upper() + text[1:]
    return summary


def whose_concern(indicator: RiskIndicator) -> str | None:
    """Whom the concern is about when the record it is on says it is someone else's: a CIN
    factor "B" is the parent(s)'/carer(s)', "C" another household member's (the census
    names no adult, so famgraph does not guess which). None: the record holder's own."""
    factor = _CIN_FACTOR.match(indicator.summary)
    return CIN_WHOSE.get(factor[2]) if factor else None


def is_current(indicator: RiskIndicator, day: date, months: int = 12) -> bool:
    """The stated rule (docs/risk-indicators.md): begun by `day` and not ended by it; and
    with no end date, only while its start is within `months` months before `day` and its
    summary does not call it historic or closed. An indicator with neither date is current
    (nothing says it is old).

    >>> from graph.model import RiskKind
    >>> old = RiskIndicator(id="K", person_id="P", kind=RiskKind.DOMESTIC_ABUSE,
    ...                     valid_from=date(2019, 3, 1))
    >>> is_current(old, date(2026, 11, 1)), is_current(old, date(2019, 12, 1))
    (False, True)
    """
    if indicator.valid_from is not None and indicator.valid_from > day:
        return False
    if indicator.valid_to is not None:
        return day <= indicator.valid_to
    if CLOSED_WORDS & set(re.findall(r"[a-z]+", indicator.summary.casefold())):
        return False
    if indicator.valid_from is None:
        return True
    return indicator.valid_from >= _months_before(day, months)


def _months_before(day: date, months: int) -> date:
    """The same day of the month `months` months earlier (the month's last day if shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


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
        [RiskFound(r.person_id, words[r.person_id], r)
         for r in _in_order(_one_per_indicator(found))]
        for words, found in zip(scopes, split_by_scope(scopes, risks, lambda r: r.person_id),
                                strict=True)
    ]


def _in_order(risks: list[RiskIndicator]) -> list[RiskIndicator]:
    """The documented order: grouped by person (in the order the scope gives them, the
    subject first), then by kind (in `RiskKind`'s order), newest start first (no start
    last), then by id."""
    people = {pid: n for n, pid in enumerate(dict.fromkeys(r.person_id for r in risks))}
    kinds = {kind: n for n, kind in enumerate(RiskKind)}
    by_id = sorted(risks, key=lambda r: r.id)
    newest = sorted(by_id, key=lambda r: r.valid_from or date.min, reverse=True)
    return sorted(newest, key=lambda r: (people[r.person_id], kinds[r.kind]))


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
