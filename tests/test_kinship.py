"""Plain-word relationships derived from parent and partner edges."""

from __future__ import annotations

from datetime import date

import pytest

from graph.model import ParentKind, PartnerKind, Sex
from graph.questions.kinship import relationship_of
from graph.store import GraphBatch, KinGraph
from tests.families import TODAY, blended_family_with_half_siblings, parent, partners, person


def kin_of(batch: GraphBatch, subject: str) -> KinGraph:
    people = {n.id: n for n in batch.nodes if n.label == "Person"}
    return KinGraph(subject, people,  # type: ignore[arg-type]
                    tuple(e for e in batch.edges if e.type == "PARENT_OF"),  # type: ignore[misc]
                    tuple(e for e in batch.edges if e.type == "PARTNER_OF"))  # type: ignore[misc]


@pytest.mark.parametrize(("subject", "other", "words"), [
    ("kim", "lou", "mother"),
    ("kim", "otto", "father"),
    ("kim", "max", "mother's partner"),
    ("kim", "ned", "half-brother (maternal)"),
    ("kim", "pia", "half-sister (paternal)"),
    ("kim", "gran", "maternal grandmother"),
    ("ned", "kim", "half-sister (maternal)"),
    ("lou", "otto", "ex-partner"),
    ("lou", "max", "partner"),
    ("lou", "kim", "daughter"),
    ("gran", "kim", "granddaughter"),
    ("pia", "ned", "unrelated child"),
    ("max", "otto", "unrelated adult"),
])
def test_blended_family_words(subject: str, other: str, words: str) -> None:
    kin = kin_of(blended_family_with_half_siblings(), subject)
    assert relationship_of(kin, subject, other, TODAY) == words


def test_married_partner_of_parent_is_step_parent() -> None:
    batch = GraphBatch(nodes=[person("c", "C", "X", Sex.MALE, date(2015, 1, 1)),
                              person("m", "M", "X", Sex.FEMALE, date(1990, 1, 1)),
                              person("s", "S", "Y", Sex.MALE, date(1985, 1, 1))])
    parent(batch, "m", "c")
    partners(batch, "m", "s", date(2020, 1, 1), kind=PartnerKind.SPOUSE)
    assert relationship_of(kin_of(batch, "c"), "c", "s", TODAY) == "step-father"


def test_recorded_step_parent_edge_that_ended_no_longer_counts() -> None:
    batch = GraphBatch(nodes=[person("c", "C", "X", Sex.FEMALE, date(2015, 1, 1)),
                              person("s", "S", "Y", Sex.FEMALE, date(1985, 1, 1))])
    parent(batch, "s", "c", ParentKind.STEP, date(2018, 1, 1), date(2022, 1, 1))
    kin = kin_of(batch, "c")
    assert relationship_of(kin, "c", "s", date(2020, 1, 1)) == "step-mother"
    assert relationship_of(kin, "c", "s", TODAY) == "unrelated adult"


def test_cousins_and_aunts() -> None:
    batch = GraphBatch(nodes=[person(p, p.upper(), "Z", sex, born) for p, sex, born in [
        ("g", Sex.FEMALE, date(1950, 1, 1)), ("m", Sex.FEMALE, date(1980, 1, 1)),
        ("a", Sex.FEMALE, date(1982, 1, 1)), ("c", Sex.MALE, date(2010, 1, 1)),
        ("k", Sex.FEMALE, date(2012, 1, 1))]])
    for child in ("m", "a"):
        parent(batch, "g", child)
    parent(batch, "m", "c")
    parent(batch, "a", "k")
    kin = kin_of(batch, "c")
    assert relationship_of(kin, "c", "a", TODAY) == "maternal aunt"
    assert relationship_of(kin, "c", "k", TODAY) == "cousin"
    assert relationship_of(kin, "a", "c", TODAY) == "nephew"
