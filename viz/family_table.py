"""The genogram as a table: the same family, in words, for people who do not read charts.

Built from a page's GraphQL answer (a `genogram` with its `svg`, and the family's
`servicesEngaged`), so the table can show nothing the chart was not released. Rows come in
the chart's reading order: row by row from the top, left to right as drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from viz.genogram import ages, uk_date

# Services whose lead a family table names: open statutory and targeted involvements.
# Universal services (school, GP) are everyone's; specialist ones are not this table's.
LEAD_LEVELS = frozenset({"STATUTORY", "TARGETED"})

_PERSON = re.compile(r'<a class="person[^"]*"[^>]*>')
_ATTRIBUTE = re.compile(r'data-(person|row|x)="([^"]*)"')


@dataclass(frozen=True, slots=True)
class Lead:
    service: str
    name: str | None
    role: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class FamilyRow:
    id: str
    name: str
    relationship: str
    is_subject: bool
    born: str
    died: str
    age: str
    lives_with: str  # "yes", "no", "not shared with you", or "" for the subject
    leads: tuple[Lead, ...] | None  # None: services are not shared with the viewer


def reading_order(svg: str) -> dict[str, tuple[int, float]]:
    """Each person's (row, x) as the chart drew them.

    >>> reading_order('<a class="person" href="/p/b" data-person="b" data-row="1" '
    ...               'data-x="40.0"><a class="person subject" data-person="a" data-row="1" '
    ...               'data-x="10.5">')
    {'b': (1, 40.0), 'a': (1, 10.5)}
    """
    found: dict[str, tuple[int, float]] = {}
    for tag in _PERSON.findall(svg):
        values = dict(_ATTRIBUTE.findall(tag))
        if "person" in values:
            try:
                found[values["person"]] = (int(values.get("row", "0")),
                                           float(values.get("x", "0")))
            except ValueError:
                continue
    return found


def family_rows(genogram: dict[str, Any], services: list[dict[str, Any]] | None
                ) -> list[FamilyRow]:
    """One row per person on the chart, in the chart's reading order."""
    as_of = date.fromisoformat(genogram["asOf"])
    household = genogram.get("household")
    order = reading_order(genogram.get("svg") or "")
    leads: dict[str, list[Lead]] = {}
    for service in services or []:
        if service.get("level") not in LEAD_LEVELS or not service.get("person"):
            continue
        lead = service.get("lead") or {}
        leads.setdefault(service["person"]["id"], []).append(
            Lead(service["service"], lead.get("name"), lead.get("role"), lead.get("phone")))
    nodes = list(genogram.get("nodes") or [])
    nodes.sort(key=lambda n: order.get(n["person"]["id"], (n["generation"], float("inf"))))
    rows = []
    for node in nodes:
        person = node["person"]
        born = date.fromisoformat(person["birthDate"]) if person.get("birthDate") else None
        died = date.fromisoformat(person["deathDate"]) if person.get("deathDate") else None
        if node["isSubject"]:
            lives = ""
        elif household is None:
            lives = "not shared with you"
        else:
            lives = "yes" if person["id"] in household else "no"
        rows.append(FamilyRow(
            id=person["id"], name=person["displayName"],
            relationship=node["relationshipToSubject"], is_subject=node["isSubject"],
            born=uk_date(born) or "not recorded", died=uk_date(died),
            age=ages(born, died or as_of), lives_with=lives,
            leads=None if services is None else tuple(leads.get(person["id"], ()))))
    return rows


def chart_data(genogram: dict[str, Any], collapsed: list[str], branch_base: str
               ) -> dict[str, Any]:
    """What a page hands famgraph-genogram.js beside the SVG: who is who, who is joined to
    whom, and what is folded; nothing the script does not use."""
    return {
        "subjectId": genogram["subjectId"],
        "collapsed": collapsed,
        "branchBase": branch_base,
        "nodes": [{"relationshipToSubject": n["relationshipToSubject"],
                   "person": {"id": n["person"]["id"],
                              "displayName": n["person"]["displayName"]}}
                  for n in genogram.get("nodes") or []],
        "edges": [{"kind": e["kind"], "sourceId": e["sourceId"], "targetId": e["targetId"]}
                  for e in genogram.get("edges") or []],
    }
