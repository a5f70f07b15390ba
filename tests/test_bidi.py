"""Names holding Unicode bidirectional controls: warned of at load, isolated on every page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import Person, Practitioner
from graph.store import GraphBatch
from loaders.formats import fhir
from loaders.formats.canonical_csv import INVOLVEMENTS, PEOPLE, read_canonical
from loaders.quarantine import Quarantine
from loaders.records import Extract
from loaders.validate import BIDI_CONTROLS, BIDI_CONTROLS_REASON, has_bidi_controls
from server.app import create_app
from server.auth import DEMO_USERS, SESSION_COOKIE
from server.policy import Purpose
from server.settings import Mode, Settings
from tests.families import family_known_to_many_agencies, stepfamily
from viz import genogram
from viz.genogram import Chart, ChartPerson, svg, without_bidi_controls

TODAY = date(2026, 11, 23)
RLO, PDF, RLI, PDI, RLM, ALM = "\u202e", "\u202c", "\u2067", "\u2069", "\u200f", "\u061c"


def test_loaders_and_pages_know_the_same_bidi_controls() -> None:
    assert BIDI_CONTROLS == genogram.BIDI_CONTROLS
    assert {f"{ord(c):04X}" for c in BIDI_CONTROLS} == {
        "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069",
        "200E", "200F", "061C"}


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_each_control_is_found_and_taken_out_for_display(control: str) -> None:
    assert has_bidi_controls(f"Ann{control} Lee")
    assert without_bidi_controls(f"Ann{control} Lee") == "Ann Lee"
    assert not has_bidi_controls("Ann Lee") and not has_bidi_controls("أحمد الخطيب")


def write_csv(path: Path, header: tuple[str, ...], row: dict[str, str]) -> Path:
    values = [row.get(column, "") for column in header]
    path.write_text(",".join(header) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    return path


def test_load_warns_of_bidi_controls_by_file_row_and_field_and_keeps_the_value(
    tmp_path: Path,
) -> None:
    people = write_csv(tmp_path / "people.csv", PEOPLE, {
        "system": "lcs", "record_id": "C1", "given_names": f"Ann{RLO}", "family_name": "Lee",
        "other_names": f"{RLI}Annie{PDI}", "sex": "F", "birth_date": "2015-03-02"})
    involvements = write_csv(tmp_path / "involvements.csv", INVOLVEMENTS, {
        "system": "lcs", "record_id": "C1", "service": "Child in need", "level": "statutory",
        "start": "2025-01-01", "lead_name": f"Nia{RLM} Obi"})
    quarantine = Quarantine()
    extract = read_canonical([people, involvements], quarantine, TODAY)
    assert quarantine.rejected == []
    warned = {(w.file, w.row, w.field, w.reason) for w in quarantine.warnings}
    assert warned == {
        (str(people), 2, "given_names", BIDI_CONTROLS_REASON),
        (str(people), 2, "other_names", BIDI_CONTROLS_REASON),
        (str(involvements), 2, "lead_name", BIDI_CONTROLS_REASON),
    }
    assert "Ann" not in BIDI_CONTROLS_REASON and "Nia" not in BIDI_CONTROLS_REASON
    assert extract.people[0].given_names == f"Ann{RLO}"
    assert extract.involvements[0].lead["name"] == f"Nia{RLM} Obi"


def test_a_name_without_controls_is_not_warned_of(tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", PEOPLE, {
        "system": "lcs", "record_id": "C1", "given_names": "أحمد", "family_name": "Lee",
        "sex": "M", "birth_date": "2015-03-02"})
    quarantine = Quarantine()
    read_canonical([people], quarantine, TODAY)
    assert quarantine.warnings == []



def test_fhir_patient_name_with_controls_is_warned_of_at_its_fhirpath(tmp_path: Path) -> None:
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({
        "resourceType": "Patient", "id": "p1", "birthDate": "2015-01-01",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
        "name": [{"family": f"Smith{RLO}", "given": ["Jane"]}]}))
    quarantine, extract = Quarantine(), Extract()
    fhir.read(patient, quarantine, TODAY, extract)
    assert [(w.file, w.row, w.field, w.reason) for w in quarantine.warnings] == [
        (str(patient), 1, "Patient.name[0].family", BIDI_CONTROLS_REASON)]
    assert extract.people[0].family_name == f"Smith{RLO}"

def spoofed(batch: GraphBatch) -> GraphBatch:
    """The family with a bidirectional control in every person's and practitioner's name:
    an override left open at the end of the given names reverses the family name after it."""
    nodes = [
        replace(node, given_names=f"{node.given_names}{RLO}") if isinstance(node, Person)
        else replace(node, name=node.name.replace(" ", f"{ALM} {RLI}", 1))
        if isinstance(node, Practitioner) else node
        for node in batch.nodes
    ]
    return GraphBatch(nodes=nodes, edges=batch.edges)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = EmbeddedStore(tmp_path)
    store.write(spoofed(family_known_to_many_agencies()))
    store.write(spoofed(stepfamily()))
    store.close()
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEMO))
    with TestClient(app) as test_client:
        test_client.cookies.set(
            SESSION_COOKIE, app.state.auth.issue(DEMO_USERS["sam"], Purpose.MASH_SCREENING))
        yield test_client


BDI = re.compile(r"<bdi>([^<]*)</bdi>")


def isolated_names(page: str) -> list[str]:
    """The names the page isolates; fails if a control appears anywhere outside <bdi>."""
    outside = BDI.sub("", page)
    assert not has_bidi_controls(outside), [
        outside[max(0, m.start() - 40):m.end() + 40]
        for m in re.finditer("[" + "".join(sorted(BIDI_CONTROLS)) + "]", outside)]
    return [name for name in BDI.findall(page) if has_bidi_controls(name)]


def test_person_page_isolates_every_name(client: TestClient) -> None:
    page = client.get("/people/cal")
    assert page.status_code == 200
    names = isolated_names(page.text)
    assert f"Cal{RLO} Moss" in names  # the heading
    assert f"Dee{RLO} Moss" in names  # a household member, a service's person, a risk's
    assert f"Nia{ALM} {RLI}Obi" in names  # the lead practitioner
    assert "<title>Cal Moss · famgraph</title>" in page.text
    assert '<title id="genogram-title">Genogram of Cal Moss as at' in page.text


def test_person_page_isolates_the_school_safeguarding_leads_name(client: TestClient) -> None:
    page = client.get("/people/leo")
    assert page.status_code == 200
    assert f"Rosa{ALM} {RLI}Mendes" in isolated_names(page.text)


def test_genogram_page_isolates_the_name_and_draws_labels_without_controls(
    client: TestClient,
) -> None:
    page = client.get("/people/cal/genogram")
    assert page.status_code == 200
    names = isolated_names(page.text)
    assert f"<h1>Genogram: <bdi>Cal{RLO} Moss</bdi></h1>" in page.text
    # The family table names everyone, each isolated, and so does its lead column.
    assert {f"{given}{RLO} Moss" for given in ("Cal", "Dee", "Eli", "Hal", "Gus")} <= set(names)
    assert f"Nia{ALM} {RLI}Obi" in names
    drawing = page.text[page.text.index("<svg"):page.text.index("</svg>")]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", drawing)
    assert labels[labels.index("Cal"):labels.index("Cal") + 3] == ["Cal", "Moss", "b. 2016"]
    assert not has_bidi_controls(drawing)


def test_search_results_isolate_each_name(client: TestClient) -> None:
    page = client.get("/", params={"name": "Moss"})
    assert page.status_code == 200
    assert f"Cal{RLO} Moss" in isolated_names(page.text)


def test_genogram_label_takes_controls_out_of_a_name() -> None:
    person = ChartPerson(id="p", name=f"{RLI}Ann{PDI} {RLO}Lee{PDF}", sex="FEMALE",
                         born=date(2015, 3, 2), died=None, relationship="self",
                         is_subject=True, generation=0)
    drawn = svg(Chart(subject_id="p", as_of=date(2026, 1, 1), people=(person,), ties=()))
    assert re.findall(r"<text[^>]*>([^<]*)</text>", drawn)[:4] == ["10", "Ann", "Lee", "b. 2015"]
    assert not has_bidi_controls(drawn)
