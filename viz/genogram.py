"""Turns a released genogram (as the GraphQL API returns it) into vis-network data.

Squares for males, circles for females, diamonds when unknown; the subject has a
second outline; partners are joined by a line and children hang from a point on it.
"""

from __future__ import annotations

from typing import Any

from viz.layout import layout, unions_of

SHAPES = {"MALE": "square", "FEMALE": "dot", "UNKNOWN": "diamond"}
NODE_SIZE = 22
DASHED_PARENT_KINDS = {"step", "foster", "special_guardian"}
# Unicode bidirectional controls, as loaders.validate names them (a test keeps the two
# equal; viz does not import the loaders). Pages isolate names in <bdi>; a canvas label,
# a page title or an aria-label cannot hold markup, so there they are taken out.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_NO_BIDI_CONTROLS = {ord(c): None for c in BIDI_CONTROLS}


def without_bidi_controls(text: str) -> str:
    """Text to show where markup cannot isolate it, with no character that could reorder it
    or what is drawn beside it; the stored value keeps them.

    >>> without_bidi_controls("Cal " + chr(0x202E) + "ssoM")
    'Cal ssoM'
    """
    return text.translate(_NO_BIDI_CONTROLS)


def _sources_text(edge: dict[str, Any]) -> str:
    said = ", ".join(f"{s['system']} ({s['recordId']})" for s in edge.get("sources", []))
    since = f" from {edge['validFrom']}" if edge.get("validFrom") else ""
    until = f" until {edge['validTo']}" if edge.get("validTo") else ""
    return f"{edge['provenance']} by {said or 'no source'}{since}{until}"


def _label(person: dict[str, Any]) -> str:
    """Name over two lines (given, family) so neighbours' labels do not collide."""
    born = (person.get("birthDate") or "")[:4]
    died = (person.get("deathDate") or "")[:4]
    years = f"{born}–{died}" if died else (f"b. {born}" if born else "")
    given, _, family = without_bidi_controls(person["displayName"]).rpartition(" ")
    name = f"{given}\n{family}" if given else family
    return f"{name}\n{years}".strip()


def vis_data(genogram: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Nodes and edges for vis-network, with fixed positions from `viz.layout`."""
    people = {n["person"]["id"]: n for n in genogram["nodes"]}
    all_parents = [e for e in genogram["edges"] if e["kind"] == "PARENT"]
    # Children hang from their birth or adoptive parents' union; step-parents, foster
    # carers and guardians get their own dashed line, so they never reshape the family.
    parent_edges = [e for e in all_parents if e["subtype"] not in DASHED_PARENT_KINDS]
    care_edges = [e for e in all_parents if e["subtype"] in DASHED_PARENT_KINDS]
    partner_edges = [e for e in genogram["edges"] if e["kind"] == "PARTNER"]
    couples = [(e["sourceId"], e["targetId"]) for e in partner_edges]
    has_parents = {e["targetId"] for e in parent_edges}
    points = layout(
        {pid: n["generation"] for pid, n in people.items()},
        [(e["sourceId"], e["targetId"]) for e in parent_edges]
        + [(e["sourceId"], e["targetId"]) for e in care_edges if e["targetId"] not in has_parents],
        couples,
    )
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for pid, node in people.items():
        person, point = node["person"], points[pid]
        shape = SHAPES.get(person.get("sex") or "UNKNOWN", "diamond")
        if node["isSubject"]:
            nodes.append(
                {
                    "id": f"outline:{pid}",
                    "x": point.x,
                    "y": point.y,
                    "shape": shape,
                    "size": NODE_SIZE + 7,
                    "color": {"background": "rgba(0,0,0,0)", "border": "#1d3557"},
                    "borderWidth": 2,
                    "physics": False,
                    "chosen": False,
                    "group": "outline",
                }
            )
        nodes.append(
            {
                "id": pid,
                "label": _label(person),
                "x": point.x,
                "y": point.y,
                "shape": shape,
                "size": NODE_SIZE,
                "title": node["relationshipToSubject"],
                "physics": False,
                "borderWidth": 2,
                "font": {"vadjust": 0},
                "group": "subject"
                if node["isSubject"]
                else ("deceased" if person.get("deathDate") else "person"),
            }
        )
    # One line per couple: sources often record the same partnership more than once
    # (a start date each, or a partner who became a spouse); the current one is drawn.
    couples_seen: dict[frozenset[str], list[dict[str, Any]]] = {}
    for edge in partner_edges:
        couples_seen.setdefault(frozenset((edge["sourceId"], edge["targetId"])), []).append(edge)
    for recorded in couples_seen.values():
        recorded.sort(key=lambda e: (e["status"] != "current", e.get("validFrom") or ""))
        edge = recorded[0]
        current = edge["status"] == "current"
        edges.append({"id": f"partner:{edge['sourceId']}:{edge['targetId']}",
                      "from": edge["sourceId"], "to": edge["targetId"], "dashes": not current,
                      "label": "" if current else "sep.",
                      "title": "; ".join(map(_sources_text, recorded)), "kind": "partner"})
    by_child = {(e["sourceId"], e["targetId"]): e for e in parent_edges}
    for union in unions_of(by_child, couples):
        if not union.children:
            continue
        if len(union.parents) == 2:
            a, b = union.parents
            junction = f"union:{a}:{b}"
            nodes.append(
                {
                    "id": junction,
                    "x": (points[a].x + points[b].x) / 2,
                    "y": points[a].y,
                    "shape": "dot",
                    "size": 2,
                    "physics": False,
                    "color": "#444",
                    "group": "junction",
                }
            )
            if not any({e["sourceId"], e["targetId"]} == {a, b} for e in partner_edges):
                edges.append(
                    {
                        "id": f"coparents:{a}:{b}",
                        "from": a,
                        "to": b,
                        "dashes": [2, 6],
                        "title": "parents of the same child",
                        "kind": "coparents",
                    }
                )
            source_of = junction
        else:
            source_of = union.parents[0]
        for child in union.children:
            recorded = [by_child[(p, child)] for p in union.parents]
            dashed = any(e["subtype"] in DASHED_PARENT_KINDS for e in recorded)
            edges.append(
                {
                    "id": f"child:{source_of}:{child}",
                    "from": source_of,
                    "to": child,
                    "dashes": dashed,
                    "title": "; ".join(map(_sources_text, recorded)),
                    "kind": "parent",
                }
            )
    return {"nodes": nodes, "edges": edges}
