"""What a load teaches followers: changes found by comparing its batch with the store."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

from graph.changes import Change, ChangeKind, is_domestic_abuse
from graph.embedded import EmbeddedStore
from graph.model import (
    Event,
    Involvement,
    MemberOf,
    Person,
    Sensitivity,
    ServiceLevel,
    Sex,
    SourceRef,
)
from graph.store import GraphBatch, Store
from loaders.changes import changes_learned
from loaders.formats.canonical_csv import PEOPLE
from loaders.identity import record_node_id
from loaders.pipeline import load_extract
from tests.families import (
    SC,
    TODAY,
    child_in_foster_care,
    home,
    lives,
    new_adult_in_household,
    person,
    two_parent_household,
)


def learn(store: Store, batch: GraphBatch, today: date = TODAY) -> list[Change]:
    """Write a batch as a load does: with the changes it teaches, in the same transaction."""
    batch.changes = changes_learned(batch, store, today)
    store.write(batch)
    return batch.changes


def without(batch: GraphBatch, drop: str) -> GraphBatch:
    """The family as it was before: leaving out nodes and edges that mention `drop`."""
    return GraphBatch(
        nodes=[n for n in batch.nodes if drop not in (n.id, getattr(n, "person_id", None))],
        edges=[e for e in batch.edges if drop not in (e.src, e.dst)])


def test_first_load_of_a_family_teaches_nothing(store: Store) -> None:
    assert learn(store, two_parent_household()) == []
    assert store.changes(0, 10) == []


def test_the_same_load_again_teaches_nothing(store: Store) -> None:
    learn(store, new_adult_in_household())
    assert learn(store, new_adult_in_household()) == []


def test_new_adult_joining_a_childs_household_is_announced_about_the_child(store: Store) -> None:
    family = new_adult_in_household()
    learn(store, without(family, "abe"))
    (change,) = learn(store, family)
    assert (change.kind, change.person_id, change.other_id) == (
        ChangeKind.NEW_ADULT_IN_HOUSEHOLD, "zak", "abe")
    assert change.effective == date(2026, 9, 1)
    assert change.address is not None and change.address.postcode == "EB4 5GH"
    assert change.sensitivity is Sensitivity.NORMAL
    (stored,) = store.changes(0, 10, ["abe"])
    assert stored.seq > 0 and stored.person_id == "zak"


def test_child_moving_is_announced_and_adults_moving_are_not(store: Store) -> None:
    family = child_in_foster_care()
    before = GraphBatch(nodes=family.nodes, edges=[
        e for e in family.edges if not (isinstance(e, MemberOf) and e.dst == "H:4")])
    learn(store, before)
    found = learn(store, family)
    assert [(c.kind, c.person_id, c.effective) for c in found] == [
        (ChangeKind.CHILD_MOVED, "rio", date(2024, 6, 1))]


def test_child_moving_in_with_the_adult_is_a_move_not_a_new_adult(store: Store) -> None:
    learn(store, two_parent_household())
    batch = GraphBatch()
    flat = home(batch, "flat", "EB7 7AA")
    lives(batch, "amy", flat, date(2026, 11, 1))
    lives(batch, "cara", flat, date(2026, 11, 1))
    assert [(c.kind, c.person_id) for c in learn(store, batch)] == [
        (ChangeKind.CHILD_MOVED, "cara")]


def test_a_corrected_move_in_date_is_not_a_move(store: Store) -> None:
    learn(store, new_adult_in_household())
    batch = GraphBatch(edges=[MemberOf("zak", "H:7", date(2014, 2, 1), None, (SC,))])
    assert learn(store, batch) == []


def test_past_membership_learned_late_is_history_not_news(store: Store) -> None:
    learn(store, new_adult_in_household())
    batch = GraphBatch()
    old = home(batch, "old", "EB1 1AA")
    lives(batch, "zak", old, date(2014, 1, 20), date(2015, 1, 1))
    assert learn(store, batch) == []


def test_service_starting_and_ending_are_announced(store: Store) -> None:
    family = child_in_foster_care()
    learn(store, without(family, "I:cla"))
    cla = next(n for n in family.nodes if isinstance(n, Involvement) and n.id == "I:cla")
    # A load writes an involvement with its organisation and lead, as assemble does.
    team_and_lead = [n for n in family.nodes if n.id in ("O:cla", "W:1")]
    (started,) = learn(store, GraphBatch(nodes=[*team_and_lead, cla]))
    assert (started.kind, started.person_id, started.effective) == (
        ChangeKind.SERVICE_STARTED, "rio", date(2024, 6, 1))
    assert started.lead is not None and started.lead.phone == "020 7946 0123"
    ended = replace(cla, end=date(2026, 11, 20), status="closed")
    (change,) = learn(store, GraphBatch(nodes=[ended]))
    assert (change.kind, change.effective) == (ChangeKind.SERVICE_ENDED, date(2026, 11, 20))
    assert change.lead is not None, "the lead is remembered from the store when not reloaded"


def test_service_first_seen_closed_is_history(store: Store) -> None:
    learn(store, child_in_foster_care())
    old = Involvement(id="I:older", person_id="rio", service="Early help",
                      level=ServiceLevel.TARGETED, start=date(2020, 1, 1),
                      end=date(2021, 1, 1), sources=(SC,))
    assert learn(store, GraphBatch(nodes=[old])) == []


def test_new_domestic_abuse_notification_is_announced(store: Store) -> None:
    learn(store, new_adult_in_household())
    police = SourceRef("police", "DA-1")
    notice = Event(id="E:da1", person_id="yva", date=date(2026, 11, 20), type="da_notification",
                   summary="Domestic abuse notification (victim, high risk)", sources=(police,),
                   sensitivity=Sensitivity.SENSITIVE)
    other = Event(id="E:ref", person_id="yva", date=date(2026, 11, 20), type="referral")
    (change,) = learn(store, GraphBatch(nodes=[notice, other]))
    assert (change.kind, change.person_id, change.sources) == (
        ChangeKind.DOMESTIC_ABUSE_NOTIFICATION, "yva", (police,))
    assert change.sensitivity is Sensitivity.SENSITIVE
    assert learn(store, GraphBatch(nodes=[notice])) == []


def test_domestic_abuse_event_types_however_spelt() -> None:
    assert is_domestic_abuse("DA notification") and is_domestic_abuse("Domestic-Abuse")
    assert not is_domestic_abuse("referral")


def test_move_into_a_refuge_is_restricted(store: Store) -> None:
    learn(store, child_in_foster_care())
    batch = GraphBatch()
    refuge = home(batch, "refuge", "EB9 9ZZ", restricted=True)
    lives(batch, "rio", refuge, date(2026, 11, 1))
    (change,) = learn(store, batch)
    assert change.kind is ChangeKind.CHILD_MOVED
    assert change.sensitivity is Sensitivity.RESTRICTED


def test_household_not_in_the_load_is_looked_up_and_unknown_is_restricted(store: Store) -> None:
    learn(store, new_adult_in_household())
    newcomer = person("ivo", "Ivo", "Penn", Sex.MALE, date(1979, 5, 5))
    batch = GraphBatch(nodes=[newcomer])
    lives(batch, "ivo", "H:7", date(2026, 11, 1))  # the household is the store's, not the load's
    (change,) = learn(store, batch)
    assert change.address is not None and change.sensitivity is Sensitivity.NORMAL


def test_protected_person_in_a_change_makes_it_restricted(store: Store) -> None:
    learn(store, new_adult_in_household())
    hidden = replace(person("ivo", "Ivo", "Penn", Sex.MALE, date(1979, 5, 5)),
                     sensitivity=Sensitivity.RESTRICTED)
    batch = GraphBatch(nodes=[hidden])
    lives(batch, "ivo", "H:7", date(2026, 11, 1))
    (change,) = learn(store, batch)
    assert change.sensitivity is Sensitivity.RESTRICTED
    people: dict[str, Person] = {"ivo": replace(hidden, sensitivity=Sensitivity.NORMAL)}
    assert change.judged_with(people).sensitivity is Sensitivity.RESTRICTED


def _people_csv(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True)
    with (folder / "people.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, PEOPLE)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_a_load_through_the_pipeline_keeps_the_move_it_learned(tmp_path: Path) -> None:
    def row(record_id: str, given: str, born: str, line1: str, since: str) -> dict[str, str]:
        return {**dict.fromkeys(PEOPLE, ""), "system": "lcs", "record_id": record_id,
                "given_names": given, "family_name": "Hart", "sex": "female",
                "birth_date": born, "address_line1": line1, "town": "Eastbridge",
                "postcode": "EB1 4QT", "address_from": since}

    store = EmbeddedStore(tmp_path / "store")
    load_extract(store, [_people_csv(tmp_path / "one", [
        row("1", "Amy", "1990-01-01", "1 Alder Road", "2015-01-01"),
        row("2", "Cara", "2016-01-01", "1 Alder Road", "2016-01-01")])],
        today=date(2026, 10, 1))
    assert store.changes(0, 10) == []
    load_extract(store, [_people_csv(tmp_path / "two", [
        row("1", "Amy", "1990-01-01", "1 Alder Road", "2015-01-01"),
        row("2", "Cara", "2016-01-01", "9 Birch Way", "2026-10-15")])],
        today=date(2026, 11, 1))
    cara = store.record_owners([record_node_id("lcs/2")])[record_node_id("lcs/2")]
    (change,) = store.changes(0, 10)
    assert (change.kind, change.person_id, change.effective) == (
        ChangeKind.CHILD_MOVED, cara, date(2026, 10, 15))
    assert change.address is not None and change.address.line1 == "9 Birch Way"
