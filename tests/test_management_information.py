"""Management information on hand-built boroughs whose right answers are worked out by hand.

Counts are published suppressed under 5 and rounded to the nearest 5, so each scenario is
sized so that a wrong rule would publish a different number than the right one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import (
    Involvement,
    Person,
    RiskIndicator,
    RiskKind,
    ServiceLevel,
    Sex,
    SourceRef,
)
from graph.questions.management_information import (
    Count,
    co_occurrence,
    families_on,
    primary_need,
    publish,
    re_referrals,
    transitions,
)
from graph.store import GraphBatch, Store
from server.app import create_app
from server.settings import Mode, Settings
from tests.families import home, lives
from tests.viewers import access_store, bearer

START, END = date(2025, 1, 1), date(2025, 12, 31)


class Borough:
    """Builds families (a household of a parent and a child) and their records."""

    def __init__(self) -> None:
        self.batch = GraphBatch()
        self.n = 0

    def family(self, *, child_services: tuple[str, ...] = (), parent_risks: tuple[RiskKind, ...]
               = (), housed: bool = True) -> tuple[str, str]:
        self.n += 1
        parent, child = f"p{self.n}", f"c{self.n}"
        for pid, born in ((parent, date(1990, 1, 1)), (child, date(2015, 1, 1))):
            self.batch.nodes.append(Person(id=pid, given_names="X", family_name=f"F{self.n}",
                                           sex=Sex.UNKNOWN, birth_date=born))
        if housed:
            house = home(self.batch, f"m{self.n}", "EB1 1AA")
            lives(self.batch, parent, house, date(2014, 1, 1))
            lives(self.batch, child, house, date(2015, 1, 1))
        for service in child_services:
            self.episode(child, service, ServiceLevel.TARGETED, date(2025, 3, 1))
        for kind in parent_risks:
            self.batch.nodes.append(RiskIndicator(
                id=f"K:{parent}:{kind.value}", person_id=parent, kind=kind,
                valid_from=date(2025, 2, 1), sources=(SourceRef("police", parent),)))
        return parent, child

    def episode(self, pid: str, service: str, level: ServiceLevel, start: date,
                end: date | None = None, system: str = "social_care", reason: str = "") -> None:
        self.batch.nodes.append(Involvement(
            id=f"I:{system}:{pid}:{service}:{start}", person_id=pid, service=service,
            level=level, start=start, end=end, reason=reason,
            sources=(SourceRef(system, pid),)))

    def write(self, store: Store) -> Store:
        store.write(self.batch)
        return store


def test_publish_suppresses_under_five_and_rounds_to_five() -> None:
    assert publish(0) == Count(None) and publish(4) == Count(None)
    assert publish(5) == Count(5) and publish(7) == Count(5)
    assert publish(8) == Count(10) and publish(40) == Count(40)


def test_co_occurrence_counts_families_and_lift_worked_by_hand(store: Store) -> None:
    """40 families: 10 with early help and domestic abuse, 5 early help only, 5 domestic
    abuse only, 20 school only. Early help 15, DA 15, both 10: lift 10*40/(15*15) = 1.78.
    The service is the child's, the risk the parent's: a family counts both."""
    borough = Borough()
    for _ in range(10):
        borough.family(child_services=("Early help",), parent_risks=(RiskKind.DOMESTIC_ABUSE,))
    for _ in range(5):
        borough.family(child_services=("Early help",))
    for _ in range(5):
        borough.family(parent_risks=(RiskKind.DOMESTIC_ABUSE,))
    for _ in range(20):
        borough.family(child_services=("School",))
    answer = co_occurrence(borough.write(store), START, END)
    assert answer.families == Count(40)
    assert {(i.item.kind, i.item.name): i.families for i in answer.items} == {
        ("need", "domestic_abuse"): Count(15), ("service", "Early help"): Count(15),
        ("service", "School"): Count(20)}
    top = answer.pairs[0]
    assert (top.first.item.name, top.second.item.name) == ("domestic_abuse", "Early help")
    assert top.families == Count(10)
    assert top.lift == pytest.approx(1.78)
    never = [p for p in answer.pairs if "School" in (p.first.item.name, p.second.item.name)]
    assert len(never) == 2
    assert all(p.families.suppressed and p.lift is None for p in never)


@pytest.mark.parametrize(("families", "expected"), [(4, None), (5, 5)])
def test_an_item_of_four_families_is_suppressed_and_of_five_shown(
    store: Store, families: int, expected: int | None
) -> None:
    borough = Borough()
    for _ in range(families):
        borough.family(child_services=("Youth justice",))
    for _ in range(10):
        borough.family(child_services=("School",))
    answer = co_occurrence(borough.write(store), START, END)
    youth = next(i for i in answer.items if i.item.name == "Youth justice")
    assert youth.families == Count(expected)
    # A suppressed item is paired with nothing: a pair count would bound it.
    assert all("Youth justice" not in (p.first.item.name, p.second.item.name)
               for p in answer.pairs) == (expected is None)


def test_lift_is_suppressed_when_the_pair_is_under_five(store: Store) -> None:
    borough = Borough()
    for _ in range(4):
        borough.family(child_services=("Early help",), parent_risks=(RiskKind.HOUSING,))
    for _ in range(6):
        borough.family(child_services=("Early help",))
    for _ in range(6):
        borough.family(parent_risks=(RiskKind.HOUSING,))
    (pair,) = co_occurrence(borough.write(store), START, END).pairs
    assert pair.families.suppressed and pair.lift is None
    assert pair.first.families == Count(10) and pair.second.families == Count(10)


def test_family_is_the_household_on_the_last_day_or_the_person_alone() -> None:
    import tempfile

    store = EmbeddedStore(Path(tempfile.mkdtemp()))
    borough = Borough()
    borough.family()  # p1, c1 housed together
    borough.family(housed=False)  # p2, c2 with no household
    store.write(borough.batch)
    found = families_on(store, ["p1", "c1", "p2", "c2"], END)
    assert found["p1"] == found["c1"] == "H:m1"
    assert (found["p2"], found["c2"]) == ("person:p2", "person:c2")
    store.close()


def test_primary_need_is_read_from_the_census_code_or_its_words() -> None:
    def cin(reason: str, service: str = "Child in need") -> Involvement:
        return Involvement(id="i", person_id="c", service=service,
                           level=ServiceLevel.STATUTORY, start=START, reason=reason)

    assert primary_need(cin("need N4 (family in acute stress); referred by 2A (school)")) == "N4"
    assert primary_need(cin("Abuse, neglect and exploitation")) == "N1"
    assert primary_need(cin("Neglect concerns")) is None
    assert primary_need(cin("need N4 (x)", service="Early help")) is None


def test_primary_needs_count_as_needs_beside_risk_kinds(store: Store) -> None:
    borough = Borough()
    for _ in range(5):
        _, child = borough.family(parent_risks=(RiskKind.MENTAL_HEALTH,))
        borough.episode(child, "Child in need", ServiceLevel.STATUTORY, date(2025, 5, 1),
                        reason="need N3 (parental disability or illness)")
    answer = co_occurrence(borough.write(store), START, END)
    assert {(i.item.kind, i.item.name) for i in answer.items} == {
        ("need", "N3 parental disability or illness"), ("need", "mental_health"),
        ("service", "Child in need")}


def test_step_up_and_step_down_by_hand(store: Store) -> None:
    """Step-ups: 10 children go to social care during early help and 3 within 30 days of
    its end (13, published 15); 5 going 60 days after, and 5 starting both the same day,
    are not step-ups (counting either would publish 20). Step-downs: 5."""
    borough = Borough()
    eh, sc = ServiceLevel.TARGETED, ServiceLevel.STATUTORY

    def child() -> str:
        return borough.family()[1]

    for _ in range(10):
        c = child()
        borough.episode(c, "Early help", eh, date(2025, 2, 1), date(2025, 6, 1), "early_help")
        borough.episode(c, "Child in need", sc, date(2025, 4, 1))
    for _ in range(3):
        c = child()
        borough.episode(c, "Early help", eh, date(2025, 2, 1), date(2025, 3, 1), "early_help")
        borough.episode(c, "Child in need", sc, date(2025, 3, 20))
    for _ in range(5):
        c = child()
        borough.episode(c, "Early help", eh, date(2025, 2, 1), date(2025, 3, 1), "early_help")
        borough.episode(c, "Child in need", sc, date(2025, 4, 30))
    for _ in range(5):
        c = child()
        borough.episode(c, "Early help", eh, date(2025, 5, 1), None, "early_help")
        borough.episode(c, "Child in need", sc, date(2025, 5, 1))
    for _ in range(5):
        c = child()
        borough.episode(c, "Child in need", sc, date(2025, 1, 10), date(2025, 6, 1))
        borough.episode(c, "Early help", eh, date(2025, 6, 15), None, "early_help")
    answer = transitions(borough.write(store), START, END)
    assert answer.step_ups == Count(15)
    assert answer.step_downs == Count(5)
    assert answer.early_help_started == Count(30)  # 28 episodes
    assert answer.social_care_started == Count(30)  # 28 episodes


def test_re_referrals_within_twelve_months_counting_each_episode_once(store: Store) -> None:
    """6 children re-referred within a year (their episodes also reported by the CIN
    census, same start: one episode each); 5 re-referred after more than a year; 3 referred
    once. Referrals in 2025: 14 (published 15), re-referrals 6 (published 5). Counting the
    duplicates would give 20 and 12 (10); ignoring the year, 11 (10)."""
    borough = Borough()
    sc = ServiceLevel.STATUTORY
    for _ in range(6):
        c = borough.family()[1]
        borough.episode(c, "Child in need", sc, date(2024, 6, 1), date(2024, 9, 1))
        borough.episode(c, "Child in need", sc, date(2025, 3, 1))
        borough.episode(c, "Child in need", sc, date(2025, 3, 1), system="cin_census")
    for _ in range(5):
        c = borough.family()[1]
        borough.episode(c, "Child in need", sc, date(2023, 1, 1), date(2023, 6, 1))
        borough.episode(c, "Child in need", sc, date(2025, 3, 1))
    for _ in range(3):
        c = borough.family()[1]
        borough.episode(c, "Child in need", sc, date(2025, 7, 1))
    answer = re_referrals(borough.write(store), START, END)
    assert (answer.referrals, answer.re_referrals) == (Count(15), Count(5))


def test_period_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        transitions(store, END, START)


# --- over HTTP ----------------------------------------------------------------------------------

MI = """query { coOccurrence(from: "2025-01-01", to: "2025-12-31", top: 10) {
    start end families { value suppressed }
    items { kind name families { value suppressed } }
    pairs { first { name } second { name } families { value suppressed } lift } }
  stepTransitions(from: "2025-01-01", to: "2025-12-31") {
    start end earlyHelpStarted { value } socialCareStarted { value } stepUps { value }
    stepDowns { value suppressed } }
  reReferrals(from: "2025-01-01", to: "2025-12-31") {
    start end referrals { value suppressed } reReferrals { value suppressed } } }"""


@pytest.fixture
def mi_client(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    access_store(tmp_path)
    store = EmbeddedStore(tmp_path)
    borough = Borough()
    for _ in range(10):
        borough.family(child_services=("Early help",), parent_risks=(RiskKind.DOMESTIC_ABUSE,))
    borough.write(store)
    store.close()
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEVELOPMENT))
    with TestClient(app) as client:
        yield client, tmp_path


def _ask(client: TestClient, user: str, query: str = MI) -> Any:
    response = client.post("/graphql", json={"query": query},
                           headers=bearer(client.app.state.auth, user))  # type: ignore[attr-defined]
    return response


def test_manager_reads_management_information_with_suppressed_cells(
    mi_client: tuple[TestClient, Path],
) -> None:
    client, _ = mi_client
    response = _ask(client, "mgr")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    items = {i["name"]: i["families"] for i in data["coOccurrence"]["items"]}
    assert items["Early help"] == {"value": 10, "suppressed": False}
    assert items["domestic_abuse"] == {"value": 10, "suppressed": False}
    # The access fixture's single family's services are each one family: suppressed.
    assert items["Attendance support"] == {"value": None, "suppressed": True}
    (pair,) = [p for p in data["coOccurrence"]["pairs"] if p["families"]["value"]]
    assert pair["lift"] is not None
    assert data["stepTransitions"]["stepDowns"] == {"value": None, "suppressed": True}
    assert data["reReferrals"]["reReferrals"] == {"value": None, "suppressed": True}
    assert "Moss" not in response.text and "F1" not in response.text


def test_management_information_needs_its_permission(
    mi_client: tuple[TestClient, Path],
) -> None:
    client, _ = mi_client
    for user in ("sam", "jo", "ida"):
        body = _ask(client, user).json()
        assert body.get("data") is None
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, user


def test_management_information_needs_a_purpose_even_with_the_permission(
    mi_client: tuple[TestClient, Path],
) -> None:
    client, _ = mi_client
    response = client.post("/graphql", json={"query": MI},
                           headers=bearer(client.app.state.auth, "mgr", None))  # type: ignore[attr-defined]
    body = response.json()
    assert body.get("data") is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


def test_management_information_is_audited_as_an_aggregate_naming_nobody(
    mi_client: tuple[TestClient, Path],
) -> None:
    client, directory = mi_client
    _ask(client, "mgr")
    rows = sqlite3.connect(directory / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.person_id'), json_extract(row, '$.returned'),"
        " json_extract(row, '$.user') FROM audit").fetchall()
    assert rows == [("", '["mi_co_occurrence","mi_re_referrals","mi_step_transitions"]',
                     "mgr")]


@pytest.mark.parametrize(
    "arguments", ["top: 0", "top: 101", 'from: "2025-02-01", to: "2025-01-01"'])
def test_bad_management_information_arguments_are_refused(
    mi_client: tuple[TestClient, Path], arguments: str,
) -> None:
    client, _ = mi_client
    body = _ask(client, "mgr", f"{{ coOccurrence({arguments}) {{ end }} }}").json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_lift_comes_from_the_published_counts_so_it_cannot_undo_the_rounding(
    store: Store,
) -> None:
    """True counts: both 7, early help 14, DA 16, families 41. Published: 5, 15, 15, 40.
    Lift from the published counts is 5*40/(15*15) = 0.89; from the true ones it would be
    7*41/(14*16) = 1.28, and with it a reader could solve for the hidden 7."""
    borough = Borough()
    for _ in range(7):
        borough.family(child_services=("Early help",), parent_risks=(RiskKind.DOMESTIC_ABUSE,))
    for _ in range(7):
        borough.family(child_services=("Early help",))
    for _ in range(9):
        borough.family(parent_risks=(RiskKind.DOMESTIC_ABUSE,))
    for _ in range(18):
        borough.family(child_services=("School",))
    answer = co_occurrence(borough.write(store), START, END)
    assert answer.families == Count(40)
    pair = next(p for p in answer.pairs
                if {p.first.item.name, p.second.item.name} == {"domestic_abuse", "Early help"})
    assert (pair.first.families, pair.second.families, pair.families) == (
        Count(15), Count(15), Count(5))
    assert pair.lift == pytest.approx(0.89)


def test_counts_rest_only_on_facts_the_reader_may_see(tmp_path: Path) -> None:
    """A restricted service is counted for a team manager, who may see it, and not for a
    performance analyst of the same agency, who may not (docs/security.md rule 29)."""
    from graph.model import Involvement, Person, Sensitivity, ServiceLevel, SourceRef
    from graph.questions.management_information import co_occurrence
    from server.policy import Purpose, Viewer, ViewerLens
    from server.sharing import default_rules

    rules = default_rules()
    store = EmbeddedStore(tmp_path / "store")
    batch = GraphBatch()
    for n in range(10):
        batch.nodes += [
            Person(id=f"c{n}", given_names="C", family_name=f"F{n}"),
            Involvement(id=f"I:x{n}", person_id=f"c{n}", service="Exploitation team",
                        level=ServiceLevel.SPECIALIST, start=date(2025, 3, 1),
                        sources=(SourceRef("social_care", f"X{n}"),),
                        sensitivity=Sensitivity.RESTRICTED),
        ]
    store.write(batch)

    def services(role: str) -> set[str]:
        viewer = Viewer(role, "childrens_social_care", role, Purpose.MASH_SCREENING,
                        rules.permissions(role))
        answer = co_occurrence(store, date(2025, 1, 1), date(2025, 12, 31),
                               counted=ViewerLens(viewer, rules))
        return {i.item.name for i in answer.items}

    assert services("team_manager") == {"Exploitation team"}
    assert services("performance_analyst") == set()
    store.close()
