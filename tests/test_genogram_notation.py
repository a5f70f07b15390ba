"""The genogram speaks standard notation: each symbol of docs/genogram.md, on its example."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

from viz.example import example_chart, main
from viz.genogram import ages, svg

ROOT = Path(__file__).resolve().parent.parent
NS = {"s": "http://www.w3.org/2000/svg"}


def parse(document: str) -> ET.Element:
    """Our own drawing, parsed to check it: not untrusted input."""
    return ET.fromstring(document)  # noqa: S314


def drawn() -> ET.Element:
    return parse(svg(example_chart()))


def person(root: ET.Element, pid: str) -> ET.Element:
    found = root.find(f".//s:a[@data-person='{pid}']", NS)
    assert found is not None, pid
    return found


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter("{http://www.w3.org/2000/svg}text")]


def test_docs_picture_is_what_the_code_draws(tmp_path: Path) -> None:
    main([str(tmp_path / "example.svg")])
    assert (tmp_path / "example.svg").read_text() == (ROOT / "docs/genogram-example.svg"
                                                       ).read_text(), (
        "docs/genogram-example.svg is stale: run `python -m viz.example "
        "docs/genogram-example.svg`")


def test_shapes_by_sex_and_the_index_person_double_outlined() -> None:
    root = drawn()
    tags = {pid: [s.tag.split("}")[1] for s in person(root, pid).findall("*[@class='shape']")]
            for pid in ("dad", "mum", "mum-partner", "ruby")}
    assert tags == {"dad": ["rect"], "mum": ["circle"], "mum-partner": ["path"],
                    "ruby": ["circle", "circle"]}


def test_deceased_crossed_with_years_and_age_at_death() -> None:
    root = drawn()
    grandad = person(root, "grandad")
    assert grandad.find("s:path[@class='deceased-cross']", NS) is not None
    assert "1948–2021" in texts(grandad) and "72" in texts(grandad)
    assert person(root, "nan").find("s:path[@class='deceased-cross']", NS) is None


def test_partnerships_solid_dashed_and_slashed() -> None:
    root = drawn()
    groups = {g.get("data-people"): g for g in root.iterfind(".//s:g[@data-people]", NS)}

    def look(a: str, b: str) -> tuple[str | None, int]:
        group = groups.get(f"{a} {b}") or groups[f"{b} {a}"]
        paths = group.findall("s:path", NS)
        return paths[0].get("stroke-dasharray"), len(paths) - 1

    assert look("grandad", "nan") == (None, 2), "divorced: solid, two slashes"
    assert look("grandad", "step-nan") == (None, 0), "married: solid"
    assert look("dad", "mum") == ("8 5", 1), "cohabiting, separated: dashed, one slash"
    assert look("mum", "mum-partner") == ("8 5", 0)


def test_carers_adoption_and_twins_drawn_in_their_own_styles() -> None:
    root = drawn()
    lines = [(p.get("class") or "", p.get("data-people") or "", p.get("stroke-dasharray"))
             for p in root.iterfind(".//s:g[@class='lines']/s:path", NS)]
    drops = {(people.split()[-1], cls.split()[1]): dash for cls, people, dash in lines
             if cls.split()[0] in ("drop", "twin")}
    assert drops[("ruby", "birth")] is None
    assert drops[("ruby", "foster")] == "2 4" and drops[("former-fc", "foster")] == "2 4"
    assert drops[("ruby", "step")] == "12 5"
    assert drops[("cousin", "adoptive")] == "7 4"
    assert person(root, "cousin").find("s:path[@class='adopted']", NS) is not None
    twins = [people for cls, people, _ in lines if cls.startswith("twin")]
    assert sorted(t.split()[-1] for t in twins) == ["twin-a", "twin-b"]


def test_household_boundary_only_when_the_household_is_released() -> None:
    assert 'class="household"' in svg(example_chart())
    withheld = replace(example_chart(), household=None)
    assert 'class="household"' not in svg(withheld)
    assert "lives with the child" not in svg(withheld)


def test_each_person_is_a_named_link_with_relatives_for_the_keyboard() -> None:
    root = drawn()
    ruby = person(root, "ruby")
    assert ruby.get("href") == "/people/ruby"
    label = ruby.get("aria-label") or ""
    assert label.startswith("Ruby Hale, self; born 12 Jun 2014; age 12")
    parents = (ruby.get("data-parents") or "").split()
    assert parents[:2] == ["dad", "mum"], "birth parents first, then carers"
    assert set(parents[2:]) == {"foster-dad", "foster-mum", "mum-partner"}
    assert set((person(root, "mum").get("data-partners") or "").split()) == {"dad",
                                                                             "mum-partner"}


def test_ages_in_months_under_two() -> None:
    assert ages(date(2026, 1, 9), date(2026, 12, 7)) == "10m"
    assert ages(date(2024, 12, 8), date(2026, 12, 7)) == "23m"
    assert ages(date(2024, 12, 7), date(2026, 12, 7)) == "2"
    assert ages(date(2030, 1, 1), date(2026, 12, 7)) == ""


def test_names_are_cut_to_fit_and_never_break_the_markup() -> None:
    chart = example_chart()
    long = replace(chart.people[0], name="<script>Bartholomew-Fitzwilliam</script> "
                                          "Featherstonehaugh-Cholmondeley")
    drawn_svg = svg(replace(chart, people=(long, *chart.people[1:])))
    parse(drawn_svg)  # still well-formed
    assert "<script>" not in drawn_svg
    label = next(t for t in re.findall(r">([^<]*)</text>", drawn_svg) if "Feather" in t)
    assert label.endswith("…") and len(label) < 20
