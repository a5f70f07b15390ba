"""Identity resolution with Splink: rules that always hold, people's decisions, stable ids,
explanations, the review queue, evaluation, and the CLI and GraphQL surfaces."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from loaders.identity import record_node_id
from loaders.identity.clusters import Link, cluster
from loaders.identity.decisions import DecisionRefused, decide
from loaders.identity.evaluate import evaluate, resolved_index
from loaders.identity.family import FamilyModel, with_family
from loaders.identity.features import rows_for
from loaders.identity.scoring import FieldWeight, ScoredPair, Training, score
from loaders.identity.splink_resolver import SplinkResolver, Thresholds
from loaders.pipeline import load_extract
from loaders.records import Extract
from loaders.synthetic import generate_borough
from server.app import create_app
from server.auth import DEMO_USERS
from server.cli.main import app as cli
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.test_http import sign_in

pytestmark = pytest.mark.splink

TODAY = date(2026, 11, 23)
FAST = Training(u_max_pairs=1e5, em_iterations=3, em_max_pairs=1e5, seed=7, min_records=200)
PEOPLE = (
    "system,record_id,given_names,family_name,other_names,sex,birth_date,death_date,"
    "nhs_number,upn,address_line1,address_line2,town,postcode,uprn,address_from"
)


def resolver(**thresholds: float) -> SplinkResolver:
    return SplinkResolver(FAST, Thresholds(**thresholds) if thresholds else None)


def people_csv(folder: Path, *rows: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.csv").write_text(PEOPLE + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def owner(store: EmbeddedStore, key: str) -> str:
    return store.record_owners([record_node_id(key)])[record_node_id(key)]


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small synthetic borough loaded once with a trained Splink model."""
    root = tmp_path_factory.mktemp("identity")
    summary = generate_borough(people=300, seed=5, out=root / "extracts", today=TODAY)
    paths = [root / "extracts" / s for s in summary.records_by_system]
    store = EmbeddedStore(root / "store")
    log = load_extract(store, paths, today=TODAY, resolver=resolver())
    assert log.balanced
    store.close()
    return root / "extracts", root / "store"


@pytest.fixture
def loaded(borough: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[EmbeddedStore, Path]]:
    extracts, store_dir = borough
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    store = EmbeddedStore(copy)
    yield store, extracts
    store.close()


def reload(store: EmbeddedStore, extracts: Path) -> None:
    paths = sorted(p for p in extracts.iterdir() if p.is_dir() and p.name != "truth")
    load_extract(store, paths, today=TODAY, resolver=resolver())


# Systems the children's social care agreement shares (server/sharing.toml), DfE returns aside.
SHARED_WITH_SAM = ("social_care", "early_help", "education", "health", "police", "housing",
                   "youth_justice")


def linked_pair(store: EmbeddedStore, systems: frozenset[str] | None = None) -> tuple[str, str]:
    """Two records the model joined into one person (both of `systems`, if given)."""
    index = resolved_index(store)
    by_person: dict[str, list[str]] = {}
    for key, person in sorted(index.items()):
        if systems is None or key.partition("/")[0] in systems:
            by_person.setdefault(person, []).append(key)
    group = next(keys for keys in by_person.values() if len(keys) >= 2)
    return group[0], group[1]


# --- rules that always hold -------------------------------------------------


def test_records_with_different_nhs_numbers_never_join_even_through_a_bridge() -> None:
    nhs = {"a": "9990000018", "b": None, "c": "9990000026"}
    links = [Link("a", "b", 30.0, "model"), Link("b", "c", 29.0, "model")]
    result = cluster(["a", "b", "c"], nhs, links)
    assert ["a", "b"] in result.groups() and ["c"] in result.groups()
    assert result.refused[0].reason == "different NHS numbers"


def test_a_person_link_is_tried_before_stronger_model_links() -> None:
    nhs = {"a": "9990000018", "b": None, "c": "9990000026"}
    links = [Link("a", "b", 30.0, "model"), Link("b", "c", float("inf"), "human")]
    assert ["a"] in cluster(["a", "b", "c"], nhs, links).groups()


def test_unlinked_records_stay_apart_and_the_weakest_link_between_them_goes() -> None:
    links = [Link("a", "b", 20.0, "model"), Link("b", "c", 5.0, "model")]
    result = cluster(["a", "b", "c"], {}, links, apart=[("a", "c")])
    assert result.groups() == [["a", "b"], ["c"]]


def test_splink_keeps_identical_records_with_different_nhs_numbers_apart(tmp_path: Path) -> None:
    folder = people_csv(
        tmp_path / "x",
        "health,H1,Ann,Lee,,female,2015-03-02,,9434765919,,1 High St,,Leeds,LS8 3DR,,",
        "health,H2,Ann,Lee,,female,2015-03-02,,9434765870,,1 High St,,Leeds,LS8 3DR,,",
        "school,S1,Ann,Lee,,female,2015-03-02,,,,1 High St,,Leeds,LS8 3DR,,",
    )
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [folder], today=TODAY, resolver=resolver())
    assert owner(store, "health/H1") != owner(store, "health/H2")
    assert owner(store, "school/S1") in {owner(store, "health/H1"), owner(store, "health/H2")}
    store.close()


def test_splink_joins_a_nickname_with_swapped_day_and_month(tmp_path: Path) -> None:
    folder = people_csv(
        tmp_path / "x",
        "health,H1,William James,Okoro,,male,2012-04-07,,,,3 Mill Lane,,Leeds,LS8 3DR,,",
        "school,S1,Bill,Okoro,,male,2012-07-04,,,,3 Mill Lane,,Leeds,LS8 3DR,,",
        "school,S2,Grace,Okoro,,female,2015-01-09,,,,3 Mill Lane,,Leeds,LS8 3DR,,",
    )
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [folder], today=TODAY, resolver=resolver())
    assert owner(store, "health/H1") == owner(store, "school/S1")
    assert owner(store, "school/S2") != owner(store, "school/S1")
    store.close()


def test_family_evidence_adds_weight_only_when_relatives_resolve_to_one_person() -> None:
    # Relatives in different clusters take nothing away: systems record different relatives.
    plain = (FieldWeight("name", "exact", 5.0),)
    pairs = [ScoredPair("a", "b", 1.0, 0.6, plain), ScoredPair("c", "d", 1.0, 0.6, plain)]
    relatives = {"a": ["ma"], "b": ["mb"], "c": ["mc"], "d": ["md"]}
    clusters = {"a": "A", "b": "B", "c": "C", "d": "D", "ma": "M", "mb": "M", "mc": "X", "md": "Y"}
    family = FamilyModel(m_shared=0.6, u_shared=0.01, matches_seen=50, non_matches_seen=50)
    shared, apart = with_family(pairs, relatives, clusters, family)
    assert shared.match_weight > 1.0 == apart.match_weight
    assert shared.fields[-1].field == "family" and shared.probability > 0.99
    assert apart.fields[-1] == FieldWeight("family", "no relative in common", 0.0)


def test_family_model_with_too_few_pairs_adds_nothing() -> None:
    pair = ScoredPair("a", "b", 1.0, 0.6, ())
    family = FamilyModel(m_shared=0.6, u_shared=0.01, matches_seen=3, non_matches_seen=50)
    assert with_family([pair], {"a": ["m"], "b": ["m"]}, {"m": "M"}, family) == [pair]


def test_low_pairs_are_kept_only_where_family_evidence_could_lift_them(
    loaded: tuple[EmbeddedStore, Path],
) -> None:
    store, _ = loaded
    rows, relatives = rows_for(Extract(), store.all_source_records())
    parameters = json.loads(store.linkage_models()[-1].parameters)
    stored_model = Training(min_records=10**9)  # score with the stored model, never retrain
    every = score(rows, parameters, stored_model).pairs
    related = {key for key, others in relatives.items() if others}
    kept = score(rows, parameters, stored_model, related=related, unrelated_threshold=0.30).pairs
    expected = [p for p in every if p.probability >= 0.30 or {p.a, p.b} <= related]
    assert [(p.a, p.b, p.probability) for p in kept] == [
        (p.a, p.b, p.probability) for p in expected]
    dropped = [p for p in every if p.probability < 0.30 and not {p.a, p.b} <= related]
    assert dropped and len(kept) == len(every) - len(dropped)
    # Pairs at the same levels share one evidence tuple, whatever their records.
    assert len({id(p.fields) for p in kept}) == len({p.fields for p in kept})


# --- stable ids, decisions, events ----------------------------------------------


def test_the_trained_model_is_kept_with_the_store(loaded: tuple[EmbeddedStore, Path]) -> None:
    store, _ = loaded
    model = store.linkage_models()[-1]
    parameters = json.loads(model.parameters)
    assert json.loads(model.summary)["trained"] is True
    assert {c["output_column_name"] for c in parameters["comparisons"]} >= {
        "given_name", "family_name", "birth_date", "sex", "nhs_number", "upn", "address"
    }


def test_person_ids_are_stable_across_a_reload(loaded: tuple[EmbeddedStore, Path]) -> None:
    store, extracts = loaded
    before = resolved_index(store)
    reload(store, extracts)
    assert resolved_index(store) == before


def test_an_unlink_wins_over_the_model_at_the_next_load(
    loaded: tuple[EmbeddedStore, Path],
) -> None:
    store, extracts = loaded
    a, b = linked_pair(store)
    person = owner(store, a)
    outcome = decide(store, a, b, "unlink", "two different children, checked", "sam", TODAY)
    assert owner(store, a) != owner(store, b) and person in outcome.person_ids
    reload(store, extracts)
    assert owner(store, a) != owner(store, b)
    kinds = {e.kind for e in store.identity_events(person)}
    assert "split" in kinds


def test_a_link_wins_over_the_model_at_the_next_load(loaded: tuple[EmbeddedStore, Path]) -> None:
    store, extracts = loaded
    index = resolved_index(store)
    without_nhs = [
        k for k, p in sorted(index.items())
        if not any(c.field == "nhs_number" for c in store.people([p])[p].claims)
    ]
    a = without_nhs[0]
    b = next(k for k in without_nhs if index[k] != index[a])
    decide(store, a, b, "link", "the same child, confirmed by the school", "sam", TODAY)
    assert owner(store, a) == owner(store, b)
    reload(store, extracts)
    assert owner(store, a) == owner(store, b)
    survivor = owner(store, a)
    assert any(e.kind == "merged" for e in store.identity_events(survivor))


def test_a_link_between_different_nhs_numbers_is_refused(tmp_path: Path) -> None:
    folder = people_csv(
        tmp_path / "x",
        "health,H1,Ann,Lee,,female,2015-03-02,,9434765919,,1 High St,,Leeds,LS8 3DR,,",
        "health,H2,Bo,Kay,,male,2001-05-02,,9434765870,,2 Low St,,Leeds,LS9 3DR,,",
    )
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [folder], today=TODAY, resolver=resolver())
    with pytest.raises(DecisionRefused, match="NHS"):
        decide(store, "health/H1", "health/H2", "link", "looks alike", "sam", TODAY)
    with pytest.raises(DecisionRefused, match="no source record"):
        decide(store, "health/H1", "health/NOPE", "unlink", "not them", "sam", TODAY)
    with pytest.raises(DecisionRefused, match="reason"):
        decide(store, "health/H1", "health/H2", "unlink", "  ", "sam", TODAY)
    store.close()


def test_explanation_names_each_field_with_its_weight(loaded: tuple[EmbeddedStore, Path]) -> None:
    store, _ = loaded
    a, _ = linked_pair(store)
    found = store.link_explanation(owner(store, a))
    assert found is not None and a in found.records
    links = json.loads(found.links)
    fields = {f["field"] for f in links[0]["fields"]}
    expected = {"given_name", "family_name", "birth_date", "sex", "nhs_number", "upn", "address"}
    assert expected <= fields
    assert links[0]["decided_by"] == "splink" and links[0]["grade"] == "certain"


def test_pairs_between_the_thresholds_go_to_review_with_a_grade(tmp_path: Path) -> None:
    folder = people_csv(
        tmp_path / "x",
        "health,H1,Ann,Lee,,female,2015-03-02,,,,1 High St,,Leeds,LS8 3DR,,",
        "school,S1,Anne,Lee,,female,2015-03-12,,,,9 Far Rd,,York,YO1 7HH,,",
    )
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [folder], today=TODAY, resolver=resolver(link=0.999999, review=1e-9))
    queue = store.review_queue(None, 10)
    assert [(p.record_a, p.record_b) for p in queue] == [("health/H1", "school/S1")]
    assert queue[0].grade in {"probable", "possible"} and queue[0].status == "open"
    decide(store, "health/H1", "school/S1", "unlink", "different girls", "sam", TODAY)
    assert store.review_queue(None, 10) == []
    store.close()


# --- evaluation --------------------------------------------------------------


def test_evaluation_counts_pairs_and_clusters_on_a_known_answer() -> None:
    predicted = {"a": "1", "b": "1", "c": "1", "d": "2"}
    truth = {"a": "x", "b": "x", "c": "y", "d": "y"}
    figures = evaluate(predicted, truth)
    assert figures["pairwise"]["true_positives"] == 1
    assert figures["pairwise"]["false_positives"] == 2
    assert figures["pairwise"]["false_negatives"] == 1
    assert figures["pairwise"]["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["pairwise"]["recall"] == 0.5
    assert figures["clusters"]["exact"] == 0 and figures["clusters"]["true_entities_split"] == 1


# --- CLI -----------------------------------------------------------------------


def test_cli_eval_linkage_prints_json_for_a_tiny_truth_file(tmp_path: Path) -> None:
    folder = people_csv(
        tmp_path / "x",
        "health,H1,Ann,Lee,,female,2015-03-02,,9434765919,,1 High St,,Leeds,LS8 3DR,,",
        "school,S1,Ann,Lee,,female,2015-03-02,,,,1 High St,,Leeds,LS8 3DR,,",
        "school,S2,Tom,Reed,,male,1990-01-01,,,,5 Oak Rd,,York,YO1 7HH,,",
    )
    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [folder], today=TODAY, resolver=resolver())
    store.close()
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "system,record_id,person_key\nhealth,H1,p1\nschool,S1,p1\nschool,S2,p1\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["eval-linkage", "--store", str(tmp_path / "store"), "--truth", str(truth)]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["pairwise"] == {
        "true_positives": 1, "false_positives": 0, "false_negatives": 2,
        "precision": 1.0, "recall": 0.3333, "f1": 0.5,
    }


def test_cli_link_unlink_and_export_index(loaded: tuple[EmbeddedStore, Path]) -> None:
    store, _ = loaded
    a, b = linked_pair(store)
    directory = store.directory
    store.close()
    runner = CliRunner()
    done = runner.invoke(
        cli, ["unlink", "--store", str(directory), a, b, "--reason", "twins", "--by", "kim"]
    )
    assert done.exit_code == 0, done.output
    out = directory / "index.csv"
    assert runner.invoke(cli, ["export-index", "--store", str(directory), "--out", str(out)])\
        .exit_code == 0
    with out.open(encoding="utf-8") as handle:
        index = {f"{r['system']}/{r['record_id']}": r["person_id"] for r in csv.DictReader(handle)}
    assert index[a] != index[b]
    done = runner.invoke(cli, ["link", "--store", str(directory), a, b, "--reason", "same",
                               "--by", "kim"])
    assert done.exit_code == 0, done.output
    reopened = EmbeddedStore(directory)
    assert owner(reopened, a) == owner(reopened, b)
    decisions = reopened.link_decisions()
    assert [(d.action, d.decided_by) for d in decisions] == [("unlink", "kim"), ("link", "kim")]
    reopened.close()
    db = sqlite3.connect(directory / "audit.sqlite")
    rows = db.execute("SELECT row FROM audit").fetchall()
    db.close()
    assert {json.loads(r[0])["operation"] for r in rows} >= {"cli unlink", "cli link"}


def test_cli_link_of_an_unknown_record_is_one_line_and_exit_1(
    loaded: tuple[EmbeddedStore, Path],
) -> None:
    store, _ = loaded
    directory = store.directory
    store.close()
    result = CliRunner().invoke(
        cli, ["link", "--store", str(directory), "x/1", "y/2", "--reason", "why"]
    )
    assert result.exit_code == 1 and "no source record" in result.output


# --- GraphQL -----------------------------------------------------------------

EXPLAIN = """
query Explain($id: ID!) {
  person(id: $id) {
    linkExplanation { records modelId
                      links { recordA recordB decidedBy reason grade probability matchWeight
                              fields { field level weight } }
                      changes { kind on records otherPersonId reason } }
  }
}
"""
REVIEW = """
query Review($first: Int!, $after: String) {
  reviewQueue(first: $first, after: $after) {
    edges { cursor node { id recordA recordB grade probability matchWeight raisedOn
                          personA { id } personB { id } evidence { field level weight } } }
    pageInfo { hasNextPage endCursor } withheld
  }
}
"""
UNLINK = """
mutation Unlink($a: String!, $b: String!) {
  unlinkRecords(recordA: $a, recordB: $b, reason: "two different children") {
    decisionId action changed persons { id } personsWithheld
  }
}
"""


@pytest.fixture
def client(loaded: tuple[EmbeddedStore, Path]) -> Iterator[TestClient]:
    store, _ = loaded
    directory = store.directory
    store.close()
    with TestClient(create_app(Settings(store_dir=directory, mode=Mode.DEMO))) as test_client:
        yield test_client


def ask(
    client: TestClient, query: str, user: str = "sam", status: int = 200, **variables: Any
) -> dict[str, Any]:
    auth = client.app.state.auth  # type: ignore[attr-defined]
    token = auth.issue(DEMO_USERS[user], Purpose.MASH_SCREENING)
    name = query.split("(")[0].split()[-1]
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables, "operationName": name},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.text
    return dict(response.json())


def test_graphql_link_explanation_has_fields(
    client: TestClient, loaded: tuple[EmbeddedStore, Path]
) -> None:
    store = EmbeddedStore(loaded[0].directory)
    # Records of systems Sam's agreement shares, so the explanation lists them.
    a, _ = linked_pair(store, frozenset(SHARED_WITH_SAM))
    person = owner(store, a)
    store.close()
    data = ask(client, EXPLAIN, id=person)["data"]["person"]["linkExplanation"]
    assert a in data["records"]
    fields = {f["field"] for f in data["links"][0]["fields"]}
    assert {"given_name", "family_name", "birth_date", "nhs_number", "address"} <= fields
    assert data["links"][0]["grade"] == "CERTAIN" and data["links"][0]["matchWeight"] > 5
    assert data["modelId"].startswith("M:")


def test_graphql_unlink_is_audited_with_its_operation_name(
    client: TestClient, loaded: tuple[EmbeddedStore, Path]
) -> None:
    store = EmbeddedStore(loaded[0].directory)
    a, b = linked_pair(store)
    store.close()
    result = ask(client, UNLINK, a=a, b=b)
    assert result["data"]["unlinkRecords"]["changed"] is True
    assert result["data"]["unlinkRecords"]["decisionId"].startswith("D:")
    ids = {p["id"] for p in result["data"]["unlinkRecords"]["persons"]}
    assert len(ids) == 2
    audit = client.app.state.audit  # type: ignore[attr-defined]
    rows = [r for i in ids for r in audit.rows_about(i)]
    assert rows and {r.operation for r in rows} == {"Unlink"} and {r.user for r in rows} == {"sam"}


def test_graphql_mutation_refused_without_sign_in(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": UNLINK, "variables": {"a": "x", "b": "y"}})
    assert response.status_code == 401


def test_graphql_mutation_and_review_refused_without_the_permission(client: TestClient) -> None:
    # GraphQL-over-HTTP: a refused operation with no data is 403; the nullable review
    # queue comes back null beside its error with 200.
    for query, status, variables in (
        (UNLINK, 403, {"a": "x", "b": "y"}),
        (REVIEW, 200, {"first": 5}),
    ):
        errors = ask(client, query, user="jo", status=status, **variables)["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_graphql_review_queue_pages_with_cursors(client: TestClient) -> None:
    first = ask(client, REVIEW, first=1)["data"]["reviewQueue"]
    # A pair naming a system the agreement does not share is counted, not shown.
    assert len(first["edges"]) + first["withheld"] <= 1
    if first["pageInfo"]["hasNextPage"]:
        after = first["pageInfo"]["endCursor"]
        second = ask(client, REVIEW, first=1, after=after)["data"]["reviewQueue"]
        assert second["pageInfo"]["endCursor"] != after
    bad = ask(client, REVIEW, first=101)["errors"]
    assert bad[0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad = ask(client, REVIEW, first=5, after="not-a-cursor")["errors"]
    assert bad[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_person_page_shows_why_records_were_joined(
    client: TestClient, loaded: tuple[EmbeddedStore, Path]
) -> None:
    store = EmbeddedStore(loaded[0].directory)
    a, b = linked_pair(store, frozenset(SHARED_WITH_SAM))
    person = owner(store, a)
    store.close()
    sign_in(client)
    page = client.get(f"/people/{person}")
    assert page.status_code == 200
    assert 'id="link-explanation"' in page.text and a in page.text and b in page.text
    assert "birth date: exact" in page.text
