"""The store contract: every backend must pass these unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from graph.changes import Change, ChangeKind
from graph.errors import PersonNotFound, StoreError
from graph.model import Address, MemberOf, ParentOf, Person, Sex, SourceRef
from graph.questions.household import household_of
from graph.questions.services import Scope, services_engaged
from graph.store import GraphBatch, KinGraph, SearchCriteria, Store
from tests.families import TODAY, new_adult_in_household, person, two_parent_household


def members(store: Store, pid: str, as_of: date = TODAY) -> dict[str, str]:
    answer = household_of(store, pid, as_of)
    return {m.person.id: m.relationship for m in answer.members}


def test_household_names_each_member_of_a_two_parent_family(all_families: Store) -> None:
    assert members(all_families, "cara") == {"amy": "mother", "ben": "father", "dan": "brother"}


def test_household_names_mothers_partner_and_half_brother(all_families: Store) -> None:
    assert members(all_families, "kim") == {
        "lou": "mother", "max": "mother's partner", "ned": "half-brother (maternal)"}


def test_household_excludes_adult_who_moved_in_after_as_of(all_families: Store) -> None:
    assert "abe" not in members(all_families, "zak", date(2026, 8, 31))
    assert members(all_families, "zak")["abe"] == "unrelated adult"


def test_household_follows_child_into_foster_care(all_families: Store) -> None:
    assert members(all_families, "rio", date(2024, 1, 1)) == {"una": "mother"}
    assert members(all_families, "rio") == {"sue": "foster carer", "tom": "foster carer"}


def test_household_gives_since_dates(all_families: Store) -> None:
    answer = household_of(all_families, "zak")
    since = {m.person.id: m.since for m in answer.members}
    assert since == {"yva": date(2010, 1, 1), "abe": date(2026, 9, 1)}


def test_household_of_person_with_no_address_is_empty_not_an_error(store: Store) -> None:
    store.write(GraphBatch(nodes=[person("solo", "Sol", "Oak", Sex.MALE, date(2000, 1, 1))]))
    answer = household_of(store, "solo", TODAY)
    assert answer.address is None and answer.members == ()


def test_unknown_person_raises_person_not_found(all_families: Store) -> None:
    with pytest.raises(PersonNotFound):
        household_of(all_families, "nobody", TODAY)
    with pytest.raises(PersonNotFound):
        services_engaged(all_families, "nobody", Scope.CHILD, TODAY)


def test_twins_are_brother_and_sister(all_families: Store) -> None:
    assert members(all_families, "vic") == {"xena": "mother", "wes": "twin brother"}


def test_services_for_child_are_open_on_as_of_only(all_families: Store) -> None:
    now = services_engaged(all_families, "rio", Scope.CHILD, TODAY)
    assert [s.view.involvement.service for s in now] == ["Looked after child"]
    before = services_engaged(all_families, "rio", Scope.CHILD, date(2024, 1, 1))
    assert [s.view.involvement.service for s in before] == ["Child in need"]


def test_services_carry_lead_practitioner_contact(all_families: Store) -> None:
    (service,) = services_engaged(all_families, "rio", Scope.CHILD, TODAY)
    assert service.view.lead is not None
    assert service.view.lead.phone == "020 7946 0123"
    assert service.view.organisation is not None
    assert service.view.organisation.name == "Children in Care Team"


def test_family_scope_reaches_birth_mother_in_another_home(all_families: Store) -> None:
    household = services_engaged(all_families, "rio", Scope.HOUSEHOLD, TODAY)
    family = services_engaged(all_families, "rio", Scope.FAMILY, TODAY)
    assert "una" not in {s.person_id for s in household}
    assert {(s.person_id, s.relationship) for s in family} >= {("una", "mother")}


def test_search_finds_by_nhs_number_and_birth_date(store: Store) -> None:
    store.write(GraphBatch(nodes=[
        replace(person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1)), nhs_number="9434765919"),
        person("b", "Bob", "Lee", Sex.MALE, date(2011, 1, 1)),
    ]))
    assert [p.id for p in store.search_candidates(SearchCriteria(nhs_number="9434765919"), 10)] \
        == ["a"]
    found = store.search_candidates(SearchCriteria(birth_date=date(2011, 1, 1)), 10)
    assert [p.id for p in found] == ["b"]


def test_search_finds_by_postcode_of_residence(all_families: Store) -> None:
    found = {p.id for p in all_families.search_candidates(SearchCriteria(postcode="eb14qt"), 50)}
    assert found == {"amy", "ben", "cara", "dan"}


def test_rewriting_a_node_replaces_it_and_its_index_entries(store: Store) -> None:
    store.write(GraphBatch(nodes=[person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1))]))
    store.write(GraphBatch(nodes=[person("a", "Ann", "Moss", Sex.FEMALE, date(2010, 1, 1))]))
    assert store.people(["a"])["a"].family_name == "Moss"
    assert store.counts()["Person"] == 1
    assert store.search_candidates(SearchCriteria(name="Lee"), 10) == []


def test_edge_to_missing_node_fails_and_writes_nothing(store: Store) -> None:
    before = store.counts()
    bad = GraphBatch(nodes=[person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1))],
                     edges=[ParentOf("a", "ghost")])
    with pytest.raises(StoreError, match="ghost"):
        store.write(bad)
    assert store.counts() == before
    assert store.people(["a"]) == {}


def test_writing_the_same_batch_twice_changes_nothing(store: Store) -> None:
    store.write(two_parent_household())
    once = store.counts()
    store.write(two_parent_household())
    assert store.counts() == once


def test_kin_stops_at_depth(all_families: Store) -> None:
    assert set(all_families.kin("kim", 1, TODAY).people) == {"kim", "lou", "otto"}
    assert "pia" in all_families.kin("kim", 2, TODAY).people
    assert "gran" in all_families.kin("kim", 2, TODAY).people


def test_kin_leaves_out_people_born_after_as_of(all_families: Store) -> None:
    assert "dan" not in all_families.kin("cara", 2, date(2024, 1, 1)).people


def test_membership_edges_keep_their_periods(store: Store) -> None:
    store.write(two_parent_household())
    view = store.household("cara", TODAY)
    assert all(isinstance(m, MemberOf) and m.valid_to is None for m in view.members)
    assert view.address is not None and view.address.postcode == "EB1 4QT"


def test_addresses_returns_only_ids_held_with_their_sensitivity(all_families: Store) -> None:
    found = all_families.addresses(["A:1", "nobody", "amy"])
    assert list(found) == ["A:1"] and found["A:1"].postcode


def test_people_returns_only_ids_held(all_families: Store) -> None:
    found = all_families.people(["amy", "nobody"])
    assert list(found) == ["amy"] and isinstance(found["amy"], Person)


def test_involvements_with_closed_ones_on_request(all_families: Store) -> None:
    open_only = all_families.involvements(["rio"], TODAY)
    everything = all_families.involvements(["rio"], TODAY, include_closed=True)
    assert [v.involvement.id for v in open_only] == ["I:cla"]
    assert sorted(v.involvement.id for v in everything) == ["I:cla", "I:old"]


def test_events_between_dates_in_date_order(store: Store) -> None:
    from graph.model import Event

    store.write(GraphBatch(nodes=[
        person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1)),
        Event(id="e2", person_id="a", date=date(2024, 5, 1), type="assessment"),
        Event(id="e1", person_id="a", date=date(2023, 1, 1), type="referral"),
        Event(id="e3", person_id="a", date=date(2026, 1, 1), type="review"),
    ]))
    found = store.events(["a", "a"], date(2023, 1, 1), date(2025, 12, 31))
    assert [e.id for e in found] == ["e1", "e2"]


def test_identity_resolution_reads(store: Store) -> None:
    from graph.model import (
        HasRecord,
        IdentityEvent,
        LinkageModel,
        LinkDecision,
        LinkExplanation,
        ReviewPair,
        SourceRecord,
    )

    records = [SourceRecord(id=f"R:lcs/{n}", system="lcs", local_id=str(n)) for n in (2, 1)]
    store.write(GraphBatch(
        nodes=[person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1)), *records,
               LinkDecision("D2", "lcs/1", "lcs/2", "unlink", "twins", "sam",
                            "2026-02-01T00:00:00+00:00"),
               LinkDecision("D1", "lcs/1", "lcs/2", "link", "same child", "sam",
                            "2026-01-01T00:00:00+00:00"),
               LinkageModel("M1", "2026-01-01T00:00:00+00:00", 2, "{}"),
               ReviewPair("Q1", "lcs/1", "lcs/3", "a", "b", 0.5, 1.0, "possible", "[]"),
               ReviewPair("Q2", "lcs/1", "lcs/4", "a", "c", 0.6, 1.2, "possible", "[]",
                          status="decided"),
               ReviewPair("Q3", "lcs/2", "lcs/5", "a", "d", 0.7, 1.4, "probable", "[]"),
               LinkExplanation("X:a", "a", ("lcs/1", "lcs/2"), "[]"),
               IdentityEvent("V2", "a", "merged", date(2026, 2, 1)),
               IdentityEvent("V1", "a", "created", date(2026, 1, 1))],
        edges=[HasRecord("a", "R:lcs/2"), HasRecord("a", "R:lcs/1")]))
    assert [r.id for r in store.all_source_records()] == ["R:lcs/1", "R:lcs/2"]
    assert [r.id for r in store.records_of("a")] == ["R:lcs/1", "R:lcs/2"]
    assert [d.id for d in store.link_decisions()] == ["D1", "D2"]
    assert [m.id for m in store.linkage_models()] == ["M1"]
    assert [p.id for p in store.review_queue(None, 10)] == ["Q1", "Q3"]
    assert [p.id for p in store.review_queue("Q1", 1)] == ["Q3"]
    pairs = store.review_pairs_of(["b", "a", "z"])
    assert {pid: [p.id for p in found] for pid, found in pairs.items()} == {
        "b": ["Q1"], "a": ["Q1", "Q3"], "z": []}
    explanation = store.link_explanation("a")
    assert explanation is not None and explanation.records == ("lcs/1", "lcs/2")
    assert store.link_explanation("b") is None
    assert [e.kind for e in store.identity_events("a")] == ["created", "merged"]


def test_identity_reads_of_many_people_at_once_match_one_at_a_time(store: Store) -> None:
    from graph.model import HasRecord, IdentityEvent, LinkExplanation, SourceRecord

    records = [SourceRecord(id=f"R:lcs/{n}", system="lcs", local_id=str(n)) for n in (3, 1, 2)]
    store.write(GraphBatch(
        nodes=[person("a", "Ann", "Lee", Sex.FEMALE, date(2010, 1, 1)),
               person("b", "Bob", "Lee", Sex.MALE, date(2011, 1, 1)),
               person("c", "Cat", "Lee", Sex.FEMALE, date(2012, 1, 1)), *records,
               LinkExplanation("X:a", "a", ("lcs/1", "lcs/2"), "[]"),
               LinkExplanation("X:b", "b", ("lcs/3",), "[]", model_id="M1"),
               IdentityEvent("V2", "a", "merged", date(2026, 2, 1)),
               IdentityEvent("V1", "a", "created", date(2026, 1, 1)),
               IdentityEvent("V3", "b", "created", date(2026, 1, 1))],
        edges=[HasRecord("a", "R:lcs/2"), HasRecord("a", "R:lcs/1"), HasRecord("b", "R:lcs/3")]))
    ids = ["b", "a", "c", "nobody", "a"]
    assert store.records_by_person(ids) == {p: store.records_of(p) for p in ids}
    assert [r.id for r in store.records_by_person(ids)["a"]] == ["R:lcs/1", "R:lcs/2"]
    assert store.identity_events_by_person(ids) == {p: store.identity_events(p) for p in ids}
    assert [e.id for e in store.identity_events_by_person(ids)["a"]] == ["V1", "V2"]
    explanations = store.link_explanations(ids)
    assert explanations == {"a": store.link_explanation("a"), "b": store.link_explanation("b")}
    assert store.records_by_person([]) == {} and store.link_explanations([]) == {}


def _kin_shape(kin: KinGraph) -> tuple[Any, ...]:
    """A kin graph as a comparable value: the order of its edges is the backend's own."""
    return (kin.subject_id, dict(kin.people), sorted(e.key for e in kin.parents),
            sorted(e.key for e in kin.partners), sorted(e.key for e in kin.related))


def test_households_of_many_subjects_match_one_at_a_time(all_families: Store) -> None:
    subjects = [("kim", TODAY), ("rio", date(2024, 1, 1)), ("rio", TODAY), ("nobody", TODAY),
                ("zak", date(2026, 8, 31)), ("kim", TODAY)]
    found = all_families.households(subjects)
    held = [s for s in subjects if s[0] != "nobody"]
    assert list(found) == list(dict.fromkeys(held))
    for (person_id, day), view in found.items():
        one = all_families.household(person_id, day)
        assert (view.subject_id, view.as_of, view.household, view.address) == (
            one.subject_id, one.as_of, one.household, one.address)
        assert sorted(m.key for m in view.members) == sorted(m.key for m in one.members)
        assert _kin_shape(view.kin) == _kin_shape(one.kin)
    assert all_families.households([]) == {}


def test_kin_graphs_of_many_subjects_match_one_at_a_time(all_families: Store) -> None:
    subjects = [("kim", TODAY), ("cara", date(2024, 1, 1)), ("nobody", TODAY), ("cara", TODAY)]
    for depth in (1, 2):
        found = all_families.kin_graphs(subjects, depth)
        assert list(found) == [("kim", TODAY), ("cara", date(2024, 1, 1)), ("cara", TODAY)]
        for (person_id, day), kin in found.items():
            assert _kin_shape(kin) == _kin_shape(all_families.kin(person_id, depth, day))
    assert "dan" not in all_families.kin_graphs([("cara", date(2024, 1, 1))], 2)[
        ("cara", date(2024, 1, 1))].people


def test_a_stay_recorded_twice_is_one_member_since_the_earliest_date(store: Store) -> None:
    from tests.families import lives

    batch = two_parent_household()
    lives(batch, "amy", "H:1", date(2014, 1, 1))  # a second system's record of the same stay
    store.write(batch)
    answer = household_of(store, "cara", TODAY)
    assert [m.person.id for m in answer.members].count("amy") == 1
    assert {m.person.id: m.since for m in answer.members}["amy"] == date(2014, 1, 1)


def test_one_episode_reported_by_two_systems_is_one_service(all_families: Store) -> None:
    from graph.model import Involvement, ServiceLevel, SourceRef

    all_families.write(GraphBatch(nodes=[Involvement(
        id="I:census", person_id="rio", service="Looked After Child",
        level=ServiceLevel.STATUTORY, start=date(2024, 6, 1),
        sources=(SourceRef("ssda903", "C1"),))]))
    (service,) = services_engaged(all_families, "rio", Scope.CHILD, TODAY)
    assert service.view.lead is not None and service.view.lead.name == "Priya Nair"
    assert {s.system for s in service.view.involvement.sources} == {"social_care", "ssda903"}


def _change(kind: ChangeKind, pid: str, at: str, other: str | None = None) -> Change:
    return Change(kind, pid, at, date(2026, 9, 1), other_id=other,
                  address=Address(id="A:7", line1="7 Alder Road", postcode="EB4 5GH"),
                  sources=(SourceRef("social_care", "SC1"),))


def test_changes_are_kept_with_their_batch_and_read_after_a_number(store: Store) -> None:
    batch = new_adult_in_household()
    batch.changes = [
        _change(ChangeKind.NEW_ADULT_IN_HOUSEHOLD, "zak", "2026-11-01T09:00:00.000000+00:00",
                "abe"),
        _change(ChangeKind.CHILD_MOVED, "zak", "2026-11-02T09:00:00.000000+00:00")]
    store.write(batch)
    later = GraphBatch(nodes=[person("solo", "Sol", "Oak", Sex.MALE, date(2000, 1, 1))],
                       changes=[_change(ChangeKind.SERVICE_STARTED, "solo",
                                        "2026-11-03T09:00:00.000000+00:00")])
    store.write(later)
    every = store.changes(0, 10)
    assert [c.kind for c in every] == [ChangeKind.NEW_ADULT_IN_HOUSEHOLD, ChangeKind.CHILD_MOVED,
                                       ChangeKind.SERVICE_STARTED]
    assert [c.seq for c in every] == sorted({c.seq for c in every})
    assert store.last_change() == every[-1].seq
    first = every[0]
    assert (first.other_id, first.effective) == ("abe", date(2026, 9, 1))
    assert first.address is not None and first.address.postcode == "EB4 5GH"
    assert first.sources == (SourceRef("social_care", "SC1"),)
    assert store.changes(every[0].seq, 10) == every[1:]
    assert store.changes(0, 1) == every[:1]
    assert [c.kind for c in store.changes(0, 10, ["abe"])] == [ChangeKind.NEW_ADULT_IN_HOUSEHOLD]
    assert [c.person_id for c in store.changes(0, 10, ["solo", "nobody"])] == ["solo"]
    assert store.changes(0, 10, []) == []
    since = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert [c.seq for c in store.changes(0, 10, since=since)] == [c.seq for c in every[1:]]


def test_a_failed_batch_keeps_none_of_its_changes(store: Store) -> None:
    bad = GraphBatch(edges=[MemberOf("ghost", "H:none")],
                     changes=[_change(ChangeKind.CHILD_MOVED, "ghost",
                                      "2026-11-01T09:00:00.000000+00:00")])
    with pytest.raises(StoreError):
        store.write(bad)
    assert store.changes(0, 10) == [] and store.last_change() == 0


def test_residents_are_every_membership_of_a_household(all_families: Store) -> None:
    found = {(m.src, m.valid_to) for m in all_families.residents(["H:5"])}
    assert found == {("rio", date(2024, 5, 31)), ("una", None)}
    assert all_families.residents(["H:none"]) == []


# --- risk indicators ----------------------------------------------------------------------------


def _with_risks(store: Store) -> Store:
    """Rio in foster care: an attendance flag that ended, one still current, and his birth
    mother Una's mental-health concern, recorded by two systems alike."""
    from graph.model import RiskIndicator, RiskKind, SourceRef

    store.write(GraphBatch(nodes=[
        RiskIndicator(id="K:old", person_id="rio", kind=RiskKind.ATTENDANCE,
                      valid_from=date(2023, 7, 20), valid_to=date(2024, 7, 19),
                      summary="Persistently absent in 2022/23",
                      sources=(SourceRef("education", "E1"),)),
        RiskIndicator(id="K:now", person_id="rio", kind=RiskKind.ATTENDANCE,
                      valid_from=date(2026, 7, 20), summary="Persistently absent in 2025/26",
                      sources=(SourceRef("education", "E1"),)),
        RiskIndicator(id="K:mh1", person_id="una", kind=RiskKind.MENTAL_HEALTH,
                      valid_from=date(2025, 1, 1), summary="Depression",
                      sources=(SourceRef("health", "H-una"),)),
        RiskIndicator(id="K:mh2", person_id="una", kind=RiskKind.MENTAL_HEALTH,
                      valid_from=date(2025, 1, 1), summary="depression",
                      sources=(SourceRef("social_care", "SC9"),)),
    ]))
    return store


def test_risk_indicators_are_those_current_on_as_of(all_families: Store) -> None:
    store = _with_risks(all_families)
    assert [r.id for r in store.risk_indicators(["rio"], TODAY)] == ["K:now"]
    assert [r.id for r in store.risk_indicators(["rio"], date(2024, 1, 1))] == ["K:old"]
    assert store.risk_indicators(["rio"], date(2023, 7, 19)) == []


def test_risk_indicators_come_in_the_order_of_the_people_asked(all_families: Store) -> None:
    store = _with_risks(all_families)
    found = store.risk_indicators(["una", "rio", "una"], TODAY)
    assert [r.id for r in found] == ["K:mh1", "K:mh2", "K:now"]


def test_risk_indicator_round_trips_every_field(all_families: Store) -> None:
    from graph.model import RiskKind, Sensitivity

    (found,) = _with_risks(all_families).risk_indicators(["rio"], date(2024, 1, 1))
    assert (found.kind, found.valid_from, found.valid_to, found.summary, found.sensitivity) == (
        RiskKind.ATTENDANCE, date(2023, 7, 20), date(2024, 7, 19),
        "Persistently absent in 2022/23", Sensitivity.SENSITIVE)
    assert [s.key for s in found.sources] == ["education/E1"]


def test_all_involvements_and_risks_include_closed_and_ended(all_families: Store) -> None:
    store = _with_risks(all_families)
    assert [r.id for r in store.all_risk_indicators()] == ["K:mh1", "K:mh2", "K:now", "K:old"]
    assert [i.id for i in store.all_involvements()] == ["I:cla", "I:mum", "I:old"]


def test_risk_question_names_each_member_by_relationship_and_merges_sources(
    all_families: Store,
) -> None:
    from graph.questions.risk import risk_indicators

    store = _with_risks(all_families)
    child = risk_indicators(store, "rio", Scope.CHILD, TODAY)
    household = risk_indicators(store, "rio", Scope.HOUSEHOLD, TODAY)
    family = risk_indicators(store, "rio", Scope.FAMILY, TODAY)
    assert [(r.relationship, r.indicator.kind.value) for r in child] == [("self", "attendance")]
    assert household == child  # foster carers Sue and Tom have no indicator
    assert [(r.person_id, r.relationship, r.indicator.kind.value) for r in family] == [
        ("rio", "self", "attendance"), ("una", "mother", "mental_health")]
    assert {s.system for s in family[1].indicator.sources} == {"health", "social_care"}


def test_risk_question_for_unknown_person_raises(all_families: Store) -> None:
    from graph.questions.risk import risk_indicators

    with pytest.raises(PersonNotFound):
        risk_indicators(all_families, "nobody", Scope.CHILD, TODAY)


def test_merged_risk_keeps_the_higher_sensitivity(all_families: Store) -> None:
    from graph.model import RiskIndicator, RiskKind, Sensitivity, SourceRef
    from graph.questions.risk import risk_indicators

    all_families.write(GraphBatch(nodes=[
        RiskIndicator(id=f"K:{n}", person_id="rio", kind=RiskKind.DEVELOPMENT,
                      valid_from=date(2025, 1, 1), summary="Speech delay",
                      sources=(SourceRef(system, "R1"),), sensitivity=level)
        for n, (system, level) in enumerate([("education", Sensitivity.NORMAL),
                                             ("health", Sensitivity.SENSITIVE)])]))
    (found,) = risk_indicators(all_families, "rio", Scope.CHILD, TODAY)
    assert found.indicator.sensitivity is Sensitivity.SENSITIVE
    assert {s.system for s in found.indicator.sources} == {"education", "health"}


def test_a_neo4j_write_may_take_longer_the_more_it_holds() -> None:
    from graph.neo4j.store import WRITE_TIMEOUT, write_timeout

    small = GraphBatch(nodes=[person("solo", "Sol", "Oak", Sex.MALE, date(2000, 1, 1))])
    borough = GraphBatch(nodes=small.nodes * 200_000)
    assert write_timeout(GraphBatch()) == WRITE_TIMEOUT
    assert WRITE_TIMEOUT < write_timeout(small) < write_timeout(borough)
    assert write_timeout(borough) >= 10 * WRITE_TIMEOUT  # a whole borough is one batch


def test_search_finds_a_person_by_a_birth_date_any_source_gave(store: Store) -> None:
    """A search must not hang on which source's date a load chose to show: one viewer may
    see only the other source's date (docs/security.md rule 29)."""
    from graph.model import Claim, SourceRef
    from graph.store import SearchCriteria

    told = [Claim("birth_date", "1980-01-01", SourceRef("social_care", "S1")),
            Claim("birth_date", "1979-12-01", SourceRef("police", "P1"))]
    store.write(GraphBatch(nodes=[Person(id="ada", given_names="Ada", family_name="Rowe",
                                         birth_date=date(1979, 12, 1), claims=tuple(told))]))
    for day in (date(1980, 1, 1), date(1979, 12, 1)):
        assert list(store.search_matches(SearchCriteria(birth_date=day), [day], 10).people) == [
            "ada"]


def test_answers_keep_the_order_asked_and_name_each_id_once(all_families: Store) -> None:
    """Ordering and repeated ids are the protocol's, written once above the backends."""
    assert list(all_families.people(["kim", "amy", "kim", "nobody"])) == ["kim", "amy"]
    views = all_families.involvements(["una", "rio", "una"], TODAY, include_closed=True)
    ids = [v.involvement.id for v in views]
    assert ids and len(ids) == len(set(ids)), "a person asked twice is answered once"
    assert [v.involvement.person_id for v in views] == sorted(
        (v.involvement.person_id for v in views), key=["una", "rio"].index)
    homes = all_families.households([("rio", TODAY), ("kim", TODAY), ("rio", TODAY)])
    assert list(homes) == [("rio", TODAY), ("kim", TODAY)]
    assert all_families.search_candidates(SearchCriteria(postcode="eb2 7ld"), 0) == []
    assert all_families.review_queue(None, 0) == [] and all_families.changes(0, 0) == []


def test_backends_give_primitives_and_never_a_question_of_their_own() -> None:
    """Each backend implements only the store's primitives (and writing, opening and its
    own records): a public question re-written in a backend could sort, limit or drop
    repeated ids differently from the other."""
    from graph.embedded import EmbeddedStore
    from graph.neo4j.store import Neo4jStore

    questions = {name for name in vars(Store) if not name.startswith("_")}
    own = {"name", "write", "migrate", "close", "last_change", "load_logs"}
    for backend in (EmbeddedStore, Neo4jStore):
        assert questions & set(vars(backend)) <= own, backend.__name__


def test_a_household_read_with_involvements_holds_what_the_store_call_gives(
    all_families: Store,
) -> None:
    from graph.store import involvements_among

    subjects = [(pid, day) for pid in ("rio", "una", "kim", "cara", "nobody")
                for day in (TODAY, date(2024, 1, 1))]
    views = all_families.households(subjects, with_involvements=True)
    assert ("nobody", TODAY) not in views
    compared = 0
    for (_, day), view in views.items():
        people = list(view.kin.people)
        for closed in (False, True):
            asked = all_families.involvements(people, day, closed)
            assert view.involvements is not None
            assert involvements_among(view.involvements, people, day, closed) == asked
            compared += len(asked)
    assert compared, "the families have involvements to compare"
    assert all(view.involvements is None
               for view in all_families.households(subjects).values()), "not asked: None"
    assert all(view.involvements is not None for view in views.values())


def test_a_shallower_kin_graph_taken_from_a_households_is_the_stores_own(
    all_families: Store,
) -> None:
    """Family-scope services take the family from the household's deeper kin walk
    (`kin_within`): it must be what the store's own walk to that depth gives."""
    from graph.store import HOUSEHOLD_KIN_DEPTH, kin_within

    def shape(kin: KinGraph) -> tuple[set[str], set[str]]:
        return set(kin.people), {e.key for e in (*kin.parents, *kin.partners, *kin.related)}

    people = sorted(all_families.people(
        ["amy", "ben", "cara", "dan", "kim", "lou", "max", "ned", "rio", "una", "sue", "tom",
         "zak", "yva", "abe"]))
    compared = 0
    for day in (TODAY, date(2024, 1, 1), date(2011, 6, 1)):
        views = all_families.households([(pid, day) for pid in people])
        for (pid, _), view in views.items():
            for depth in range(1, HOUSEHOLD_KIN_DEPTH + 1):
                walked = all_families.kin(pid, depth, day)
                assert shape(kin_within(view.kin, depth)) == shape(walked), (pid, day, depth)
                compared += len(walked.people) > 1
    assert compared, "some of these people have family to walk to"
