"""Genogram exports (SVG, PNG, PDF): each an audited read through GraphQL, with a footer
saying who exported it, for what, as at when, and how to keep it."""

from __future__ import annotations

import io
import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from starlette.testclient import TestClient

from server.exports import DEMO_NOTE, EXPORT_GENOGRAM, MARKING, Drawn, page_for, pdf_of
from server.policy import Purpose
from server.settings import Mode
from server.users import UserDirectory
from tests.conftest import Client
from tests.test_http import sign_in
from tests.viewers import PASSWORD, bearer
from viz.answer import chart_from_answer
from viz.genogram import Chart, ChartPerson, svg

SVG_NS = "{http://www.w3.org/2000/svg}"
TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def audit_rows(store_dir: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(store_dir / "audit.sqlite")
    try:
        return [json.loads(row) for (row,) in db.execute("SELECT row FROM audit ORDER BY seq")]
    finally:
        db.close()


def parse(drawing: str) -> ET.Element:
    return ET.fromstring(drawing)  # noqa: S314 - the server's own output, under test


def footer_of(drawing: str) -> str:
    """The footer's lines, with the lines each was cut into joined up again."""
    lines = [text.text or "" for text in parse(drawing).iter(f"{SVG_NS}text")
             if text.get("class") == "footer"]
    return "\n".join(lines).replace("\n  ", " ")


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.mark.parametrize("ext", ["svg", "png", "pdf"])
def test_each_format_is_a_file_to_keep(make_client: Client, ext: str) -> None:
    response = make_client().get(f"/people/kim/genogram.{ext}?asOf=2026-11-23")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(TYPES[ext])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="genogram-kim-2026-11-23.{ext}"')


def test_the_svg_parses_and_carries_the_footer(make_client: Client) -> None:
    drawing = make_client().get("/people/kim/genogram.svg?asOf=2026-11-23&depth=2").text
    root = parse(drawing)
    assert root.tag == f"{SVG_NS}svg"
    exported, family, marking = footer_of(drawing).split("\n")
    assert exported.startswith("Exported by SAM (sam; childrens social care, social worker)"
                               " for mash screening on ")
    assert exported.endswith((" GMT", " BST"))
    assert family.startswith("Family as at 23 Nov 2026; extracts: ")
    assert "social care" in family and "health" in family
    assert marking == MARKING
    people = {a.get("data-person") for a in root.iter(f"{SVG_NS}a")}
    assert {"kim", "lou", "otto", "max", "ned"} <= people


def test_the_export_draws_what_the_api_draws(make_client: Client) -> None:
    """The chart rebuilt from the JSON answer is the chart the API drew from the same read."""
    client = make_client()
    query = EXPORT_GENOGRAM.replace("subjectId asOf", "svg subjectId asOf")
    assert query != EXPORT_GENOGRAM
    answer = client.post("/graphql", json={"query": query, "variables": {
        "id": "cal", "depth": 3, "asOf": "2026-11-23"}}).json()["data"]["person"]["genogram"]
    assert svg(chart_from_answer(answer)) == answer["svg"]


def test_the_png_decodes_at_a_sensible_size(make_client: Client) -> None:
    response = make_client().get("/people/kim/genogram.png")
    picture = Image.open(io.BytesIO(response.content))
    picture.load()
    assert picture.format == "PNG"
    assert 1200 <= picture.width <= 6000 and 600 <= picture.height <= 6000


def test_the_pdf_holds_the_footer_as_text(make_client: Client) -> None:
    response = make_client().get("/people/kim/genogram.pdf?asOf=2026-11-23")
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    text = pdf_text(response.content).replace("\n  ", " ")
    assert "Exported by SAM (sam; childrens social care, social worker)" in text
    assert "Family as at 23 Nov 2026" in text
    assert MARKING in text
    assert len(page.images) == 1


def test_a_wide_family_goes_on_a3() -> None:
    assert page_for(900, 500, 3).name == "A4"
    assert page_for(2600, 700, 3).name == "A3"


def test_an_export_is_an_audited_read(make_client: Client, tmp_path: Path) -> None:
    client = make_client()
    before = len(audit_rows(tmp_path))
    assert client.get("/people/kim/genogram.pdf").status_code == 200
    rows = audit_rows(tmp_path)[before:]
    assert {row["person_id"] for row in rows} >= {"kim", "lou", "otto"}
    assert {(row["user"], row["operation"], row["purpose"]) for row in rows} == {
        ("sam", "export genogram.pdf", "mash_screening")}
    assert all("family" in row["returned"] for row in rows if row["person_id"] == "kim")
    assert not any("Shaw" in json.dumps(row) for row in rows), "personal data in the audit"


def test_a_viewer_refused_the_family_gets_a_page_not_a_drawing(
    make_client: Client, tmp_path: Path
) -> None:
    """Housing's agreement shares no family: the read is audited, no file leaves."""
    users = UserDirectory(tmp_path)
    users.add("hou", "Hana Ude", "housing", "housing_officer", "", PASSWORD)
    users.close()
    client = make_client()
    client.headers.update(bearer(client.app.state.auth,  # type: ignore[attr-defined]
                                 "hou", Purpose.MASH_SCREENING))
    before = len(audit_rows(tmp_path))
    for ext in ("svg", "png", "pdf"):
        response = client.get(f"/people/cal/genogram.{ext}")
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "content-disposition" not in response.headers
        assert "does not share this person" in response.text
        assert "Moss" not in response.text
    rows = audit_rows(tmp_path)[before:]
    assert rows and {row["user"] for row in rows} == {"hou"}
    assert all("family" in row["withheld"] for row in rows)


def test_a_bad_as_of_or_depth_is_a_400_page(make_client: Client) -> None:
    client = make_client()
    for query in ("asOf=yesterday", "asOf=2026-02-30", "depth=two", "depth=99"):
        response = client.get(f"/people/kim/genogram.svg?{query}")
        assert response.status_code == 400, query
        assert response.headers["content-type"].startswith("text/html")


def test_an_unknown_person_is_a_404_page(make_client: Client) -> None:
    response = make_client().get("/people/nobody/genogram.pdf")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_signed_out_is_sent_to_sign_in(make_client: Client) -> None:
    client = make_client()
    del client.headers["Authorization"]
    response = client.get("/people/kim/genogram.png", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")


def test_the_footer_names_the_signed_in_user(make_client: Client) -> None:
    client: TestClient = make_client(mode=Mode.DEMO)
    del client.headers["Authorization"]
    sign_in(client, "jo")
    response = client.get("/people/kim/genogram.svg")
    assert response.status_code == 200
    jo = client.app.state.auth.user("jo")  # type: ignore[attr-defined]
    footer = footer_of(response.text).split("\n")
    assert footer[0].startswith(
        f"Exported by {jo.display_name} (jo; school, designated safeguarding lead)"
        " for mash screening on ")
    assert footer[-1] == DEMO_NOTE


def test_a_pdf_with_characters_its_font_lacks_logs_none_of_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Text the PDF's font cannot show becomes "?" in the footer's text (the picture keeps
    the names); nothing quoting it goes to the log."""
    chart = Chart("a", date(2026, 3, 1), (
        ChartPerson("a", "李小龙 Wang", "MALE", date(2015, 1, 2), None, "self", True, 0),
        ChartPerson("b", "Мария Иванова", "FEMALE", date(1990, 1, 2), None, "mother", False, -1),
    ), ())
    footer = ("Exported by 王芳 (wf; school, designated safeguarding lead)", MARKING)
    with caplog.at_level("DEBUG"):
        body = pdf_of(Drawn(chart, footer, svg(chart, footer=footer)))
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert not any("王" in r.getMessage() or "李" in r.getMessage() for r in caplog.records)
    text = pdf_text(body)
    assert "Exported by ?? (wf; school" in text and MARKING in text


def test_no_purpose_no_file_and_the_refusal_names_the_export(
    make_client: Client, tmp_path: Path
) -> None:
    client = make_client()
    client.headers.update(bearer(client.app.state.auth, "sam", None))  # type: ignore[attr-defined]
    before = len(audit_rows(tmp_path))
    response = client.get("/people/kim/genogram.pdf")
    assert response.status_code == 403 and "content-disposition" not in response.headers
    assert [(row["user"], row["operation"], row["person_id"], row["outcome"])
            for row in audit_rows(tmp_path)[before:]] == [
        ("sam", "export genogram.pdf", "", "refused: no purpose")]
