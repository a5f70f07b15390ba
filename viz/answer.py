"""A genogram's GraphQL answer (JSON) turned back into the `Chart` that `viz.genogram` draws.

The server draws `Genogram.svg` from the released answer itself (`server.schema.people.
chart_of`); an export asks for the same answer as JSON and rebuilds the same chart from it,
so the drawing holds exactly what the answer released: a field withheld from the viewer
comes back null and is drawn as not recorded (sex unknown, no dates, no systems).

The answer is what `SELECTION` returns (extra fields are ignored; `sources` and their
`asOf` may be left out or null).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from viz.genogram import Chart, ChartPerson, ChartTie

__all__ = ["SELECTION", "chart_from_answer", "extracts_on_chart"]

SELECTION = """
genogram(depth: $depth, asOf: $asOf) {
  subjectId asOf household nodesWithheld
  nodes { generation relationshipToSubject isSubject
          person { id displayName sex birthDate deathDate sources { system asOf } } }
  edges { kind sourceId targetId subtype status validFrom validTo
          sources { system asOf } }
}
"""


def _day(value: Any) -> date | None:
    """An ISO date from the answer (GraphQL `Date`), or None when null or left out.

    >>> _day("2019-03-04"), _day(None)
    (datetime.date(2019, 3, 4), None)
    """
    return date.fromisoformat(value) if value else None


def _sources(item: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """The `sources` of a person or edge: none when withheld (null) or not asked for."""
    found = item.get("sources")
    return found if isinstance(found, list) else []


def _systems(item: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(source["system"]) for source in _sources(item))


def chart_from_answer(answer: Mapping[str, Any]) -> Chart:
    """The chart `viz.genogram.svg` draws, from one `genogram { ... }` answer.

    Raises KeyError or ValueError when the answer lacks a field the chart needs (the
    selection above) or holds a date that is not ISO.

    >>> chart = chart_from_answer({
    ...     "subjectId": "kim", "asOf": "2026-03-01", "household": ["kim"], "nodesWithheld": 1,
    ...     "nodes": [{"generation": 0, "relationshipToSubject": "self", "isSubject": True,
    ...                "person": {"id": "kim", "displayName": "Kim Lee", "sex": None,
    ...                           "birthDate": "2019-03-04", "deathDate": None,
    ...                           "sources": [{"system": "education", "asOf": None}]}}],
    ...     "edges": []})
    >>> chart.people[0].sex, chart.people[0].born, chart.people[0].systems, chart.withheld
    ('UNKNOWN', datetime.date(2019, 3, 4), ('education',), 1)
    """
    people = tuple(
        ChartPerson(
            id=str(node["person"]["id"]),
            name=str(node["person"]["displayName"]),
            sex=str(node["person"].get("sex") or "UNKNOWN"),
            born=_day(node["person"].get("birthDate")),
            died=_day(node["person"].get("deathDate")),
            relationship=str(node["relationshipToSubject"]),
            is_subject=bool(node["isSubject"]),
            generation=int(node["generation"]),
            systems=_systems(node["person"]),
        )
        for node in answer["nodes"]
    )
    ties = tuple(
        ChartTie(
            kind=str(edge["kind"]),
            src=str(edge["sourceId"]),
            dst=str(edge["targetId"]),
            subtype=str(edge["subtype"]),
            status=str(edge["status"]),
            valid_from=_day(edge.get("validFrom")),
            valid_to=_day(edge.get("validTo")),
            systems=_systems(edge),
        )
        for edge in answer["edges"]
    )
    household = answer.get("household")
    return Chart(
        subject_id=str(answer["subjectId"]),
        as_of=date.fromisoformat(answer["asOf"]),
        people=people,
        ties=ties,
        household=None if household is None else frozenset(str(p) for p in household),
        withheld=int(answer.get("nodesWithheld") or 0),
    )


def extracts_on_chart(answer: Mapping[str, Any]) -> dict[str, date | None]:
    """Each source system the chart shows (on a person or a line), with the date of its
    latest extract (`Source.asOf`; None when not asked for or not known), by system name.

    >>> extracts_on_chart({"nodes": [{"person": {"sources": [
    ...     {"system": "health", "asOf": "2026-02-28"}]}}],
    ...     "edges": [{"sources": [{"system": "education", "asOf": None}]}]})
    {'education': None, 'health': datetime.date(2026, 2, 28)}
    """
    items: Iterable[Mapping[str, Any]] = [
        *(node["person"] for node in answer.get("nodes") or []),
        *(answer.get("edges") or []),
    ]
    found: dict[str, date | None] = {}
    for item in items:
        for source in _sources(item):
            system = str(source["system"])
            day = _day(source.get("asOf"))
            if found.get(system) is None:
                found[system] = day
    return dict(sorted(found.items()))
