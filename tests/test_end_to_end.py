"""The walking skeleton end to end: a synthetic borough in, the front-door answer out."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from loaders.identity import record_node_id
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough
from server.app import create_app
from server.auth import DEMO_USERS
from server.cli.main import app as cli
from server.policy import Purpose
from server.settings import Mode, Settings

pytestmark = pytest.mark.splink

TODAY = date(2026, 11, 23)
MAPPED = ("social_care", "early_help", "education", "police", "housing", "youth_justice")
FRONT_DOOR = """
query FrontDoor($id: ID!) {
  person(id: $id) {
    displayName
    household { members { relationshipToSubject person { id displayName } } }
    servicesEngaged(scope: HOUSEHOLD) { service lead { name phone } }
    school { organisation { name } lead { role } }
    gp { organisation { name } start }
    sourceCoverage { system state asOf }
  }
}
"""


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("borough")
    summary = generate_borough(people=1500, seed=11, out=root / "extracts", today=TODAY)
    store = EmbeddedStore(root / "store")
    # Every system folder: mapped CSV, FHIR health bundles and the DfE returns.
    log = load_extract(store, summary.folders(), today=TODAY)
    assert log.balanced and log.read > 0
    child = summary.demo_child
    owners = store.record_owners([record_node_id(f"{child.system}/{child.record_id}")])
    store.close()
    return root / "extracts", root / "store", next(iter(owners.values()))


def test_demo_child_household_and_services_over_graphql(borough: tuple[Path, Path, str]) -> None:
    _, store_dir, child_id = borough
    app = create_app(Settings(store_dir=store_dir, mode=Mode.DEMO))
    with TestClient(app) as client:
        bearer = app.state.auth.issue(DEMO_USERS["sam"], Purpose.MASH_SCREENING)
        response = client.post(
            "/graphql",
            json={"query": FRONT_DOOR, "variables": {"id": child_id}},
            headers={"Authorization": f"Bearer {bearer}"},
        )
    person = response.json()["data"]["person"]
    words = {m["relationshipToSubject"] for m in person["household"]["members"]}
    assert "mother" in words
    assert words & {"step-father", "step-mother", "mother's partner"}
    assert any(w.startswith("half-") for w in words)
    leads = [s["lead"] for s in person["servicesEngaged"] if s["lead"]]
    assert leads and all(lead["phone"].startswith("020 ") for lead in leads)
    assert person["gp"]["organisation"]["name"].startswith("Eastbridge Medical Practice")
    assert person["school"]["lead"]["role"] == "Designated Safeguarding Lead"
    coverage = {c["system"]: c for c in person["sourceCoverage"]}
    assert coverage["health"]["state"] == "RECORDS"
    assert coverage["social_care"]["asOf"] == TODAY.isoformat()
    assert {c["state"] for c in coverage.values()} <= {"RECORDS", "NO_RECORD",
                                                       "OUTSIDE_COVERAGE"}


def test_records_of_one_human_without_slips_become_one_person(
    borough: tuple[Path, Path, str],
) -> None:
    extracts, store_dir, _ = borough
    with (extracts / "truth" / "persons.csv").open() as f:
        truth = [row for row in csv.DictReader(f) if row["system"] in MAPPED]
    with (extracts / "truth" / "noise.csv").open() as f:
        noisy = {(row["system"], row["record_id"]) for row in csv.DictReader(f)}
    store = EmbeddedStore(store_dir)
    owners = store.record_owners(record_node_id(f"{t['system']}/{t['record_id']}") for t in truth)
    store.close()
    by_human: dict[str, set[str]] = {}
    has_slips: set[str] = set()
    for t in truth:
        by_human.setdefault(t["person_key"], set()).add(
            owners[record_node_id(f"{t['system']}/{t['record_id']}")]
        )
        if (t["system"], t["record_id"]) in noisy:
            has_slips.add(t["person_key"])
    clean = [ids for key, ids in by_human.items() if key not in has_slips]
    split = sum(1 for ids in clean if len(ids) > 1)
    # The rules resolver joins records that agree; slips (truth/noise.csv) are for Splink.
    assert clean and split / len(clean) < 0.03


def test_cli_reload_is_idempotent_and_keeps_ids(
    borough: tuple[Path, Path, str], tmp_path: Path
) -> None:
    extracts, _, _ = borough
    systems = [str(extracts / system) for system in MAPPED]
    runner = CliRunner()
    first = runner.invoke(cli, ["load", "--store", str(tmp_path), *systems])
    assert first.exit_code == 0, first.output
    assert "quarantined 0" in first.output
    store = EmbeddedStore(tmp_path)
    before = (store.counts(), store.record_owners(f"R:{k}" for k in _record_keys(extracts)))
    store.close()
    again = runner.invoke(cli, ["load", "--store", str(tmp_path), *systems])
    assert again.exit_code == 0, again.output
    store = EmbeddedStore(tmp_path)
    after = (store.counts(), store.record_owners(f"R:{k}" for k in _record_keys(extracts)))
    assert len(store.load_logs()) == 2
    store.close()
    assert after == before


def test_cli_load_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "people.csv"
    bad.write_bytes(b"system,record_id\n\xff\xfe")
    result = CliRunner().invoke(cli, ["load", "--store", str(tmp_path / "s"), str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert str(bad) in result.output


def test_demo_person_command_prints_the_child_id(borough: tuple[Path, Path, str]) -> None:
    extracts, store_dir, child_id = borough
    result = CliRunner().invoke(
        cli, ["demo-person", "--store", str(store_dir), "--borough", str(extracts)]
    )
    assert result.exit_code == 0 and result.output.strip() == child_id
    assert json.loads((extracts / "demo.json").read_text())["system"]


def _record_keys(extracts: Path) -> list[str]:
    with (extracts / "truth" / "persons.csv").open() as f:
        return [f"{row['system']}/{row['record_id']}" for row in csv.DictReader(f)
                if row["system"] in MAPPED]
