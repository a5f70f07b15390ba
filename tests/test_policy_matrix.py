"""Role by agency by sensitivity by output path: what each viewer sees of one family.

One family (tests.families.family_known_to_many_agencies) holds a fact at every
sensitivity level; each level's marker is a string that appears in an answer only if
that fact was released. Every viewer asks through every output path — GraphQL, the
person page, the genogram page and the JSON export — and each marker must be present
exactly where the sharing file says.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Mode, Settings
from tests.viewers import access_store, bearer

QUERY = """query($id: ID!) { person(id: $id) {
  displayName birthDate nhsNumber upn
  household { members { person { displayName birthDate } } membersWithheld }
  servicesEngaged(scope: FAMILY) { service reason person { displayName } }
  servicesWithheld(scope: FAMILY)
  riskIndicators(scope: FAMILY) { kind summary person { displayName } }
  riskIndicatorsWithheld(scope: FAMILY)
  genogram(depth: 2) { nodes { person { displayName birthDate } } }
  family(depth: 2) { person { displayName birthDate } } familyWithheld(depth: 2)
  householdHistory { members { person { displayName birthDate } } membersWithheld }
  chronology(scope: FAMILY, first: 100) { edges { node { summary person { displayName } } }
    withheld }
  discrepancies { field }
} }"""

PATHS = ("graphql", "page", "genogram", "export")
# Management information: an aggregate path, behind a role permission, not an agreement.
MI_QUERY = "{ reReferrals { referrals { value suppressed } } }"
VIEWERS = ("sam", "mgr", "jo", "eh", "hv", "pc")

# (fact, marker, paths that can carry that kind of fact, viewers who may see it)
FACTS = [
    ("person, normal", "1983", PATHS, {"sam", "mgr", "jo", "eh", "hv", "pc"}),
    ("person, sensitive", "1957", PATHS, {"sam", "mgr", "eh", "hv", "pc"}),
    ("person, restricted", "1961", PATHS, {"sam", "mgr"}),
    ("person, sealed", "2009", PATHS, {"mgr"}),
    ("service, normal", "Attendance support", ("graphql", "page", "export"),
     {"sam", "mgr", "jo", "eh"}),
    ("service, sensitive", "Perinatal mental health", ("graphql", "page", "export"),
     {"sam", "mgr", "hv"}),
    ("service, restricted", "Exploitation team", ("graphql", "page", "export"), {"sam", "mgr"}),
    ("police intelligence", "Domestic abuse notification", ("graphql", "page", "export"),
     {"sam", "mgr", "pc"}),
    ("service detail", "Persistent absence", ("graphql", "export"), {"sam", "mgr", "eh"}),
    ("NHS number", "9434765919", ("graphql", "page", "export"), {"sam", "mgr", "hv"}),
    ("UPN", "A123456789012", ("graphql", "page", "export"), {"sam", "mgr", "jo", "eh"}),
    # Risk indicators: the agency must hold the category, the kind and the source system.
    ("risk, attendance (education)", "Absent 14 percent", ("graphql", "page", "export"),
     {"sam", "mgr", "jo", "eh"}),
    ("risk, domestic abuse (CIN factor)", "subject of domestic violence",
     ("graphql", "page", "export"), {"sam", "mgr", "eh", "hv", "pc"}),
    ("risk, parent's mental health (health)", "Low mood after the birth",
     ("graphql", "page", "export"), {"sam", "mgr", "hv"}),
    ("risk, police intelligence", "Named as suspect", ("graphql", "page", "export"),
     {"sam", "mgr", "pc"}),
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], str]]:
    """Every viewer's answer on every path, asked once."""
    directory: Path = tmp_path_factory.mktemp("matrix")
    access_store(directory)
    app = create_app(Settings(store_dir=directory, mode=Mode.DEVELOPMENT))
    bodies = {}
    with TestClient(app) as client:
        for viewer in VIEWERS:
            headers = bearer(app.state.auth, viewer)
            response = client.post("/graphql", json={"query": QUERY, "variables": {"id": "cal"}},
                                   headers=headers)
            assert response.status_code == 200, response.text
            bodies[viewer, "graphql"] = response.text
            response = client.post("/graphql", json={"query": MI_QUERY}, headers=headers)
            bodies[viewer, "mi"] = response.text
            for path, url in (("page", "/people/cal"), ("genogram", "/people/cal/genogram"),
                              ("export", "/people/cal/export.json")):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (viewer, path, response.text[:300])
                bodies[viewer, path] = response.text
    yield bodies


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(("fact", "marker", "carried_on", "allowed"), FACTS,
                         ids=[f[0] for f in FACTS])
def test_viewer_sees_fact_only_where_the_agreement_allows(
    answers: dict[tuple[str, str], str], fact: str, marker: str,
    carried_on: tuple[str, ...], allowed: set[str], viewer: str, path: str,
) -> None:
    expected = viewer in allowed and path in carried_on
    shown = marker in answers[viewer, path]
    assert shown == expected, (
        f"{fact} {'missing for' if expected else 'leaked to'} {viewer} on {path}"
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_viewer_sees_the_childs_name_on_every_path(
    answers: dict[tuple[str, str], str], viewer: str
) -> None:
    for path in PATHS:
        assert "Cal Moss" in answers[viewer, path] or "Cal" in answers[viewer, path], path


@pytest.mark.parametrize("viewer", VIEWERS)
def test_only_roles_with_the_permission_read_management_information(
    answers: dict[tuple[str, str], str], viewer: str
) -> None:
    # The shipped sharing file grants read_management_information to team managers only.
    allowed = viewer == "mgr"
    assert ('"suppressed"' in answers[viewer, "mi"]) == allowed
    assert ("FORBIDDEN" in answers[viewer, "mi"]) == (not allowed)
