"""FHIR R4 / UK Core loader: the public reference examples, small family bundles in JSON and
XML, refused XML entity tricks, whole-file errors, and Hypothesis fuzzing of the parser.

Every load goes through `load_extract` into a real embedded store, so the counts asserted
here are the balanced counts a council would see in the load log.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from graph.model import ParentKind, PartnerKind, Sensitivity
from graph.store import LoadLog
from loaders.errors import LoadError
from loaders.formats import fhir
from loaders.identity import record_node_id
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract

TODAY = date(2026, 11, 23)
REFERENCE = Path(__file__).resolve().parent / "reference" / "fhir"
HL7 = REFERENCE / "hl7-fhir-r4-examples"
PDS = REFERENCE / "nhs-pds-sandbox"
UK_CORE = REFERENCE / "uk-core"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PROPERTY = settings(max_examples=30, deadline=None, database=None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


def load(store: EmbeddedStore, *paths: Path) -> LoadLog:
    return load_extract(store, list(paths), today=TODAY)


def person_of(store: EmbeddedStore, system: str, record_id: str) -> str:
    node = record_node_id(f"{system}/{record_id}")
    return store.record_owners([node])[node]


def write(folder: Path, name: str, content: str | bytes | dict[str, Any]) -> Path:
    path = folder / name
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


# --- the reference examples ------------------------------------------------------------------

# file: (read, loaded, quarantined, people). A RelatedPerson alone is a person plus a link to a
# patient the store does not hold, so its relationship row is quarantined.
REFERENCE_FILES = {
    "hl7-fhir-r4-examples/group-example.json": (0, 0, 0, 0),
    "hl7-fhir-r4-examples/patient-example-f001-pieter.json": (1, 1, 0, 1),
    "hl7-fhir-r4-examples/patient-example.json": (1, 1, 0, 1),
    "hl7-fhir-r4-examples/relatedperson-example-f001-sarah.json": (2, 1, 1, 1),
    "hl7-fhir-r4-examples/relatedperson-example.json": (2, 1, 1, 1),
    "nhs-pds-sandbox/Minimal_Patient.json": (1, 1, 0, 1),
    "nhs-pds-sandbox/Patient.json": (3, 3, 0, 1),
    "nhs-pds-sandbox/RelatedPersonBundle.json": (3, 2, 1, 1),
    "nhs-pds-sandbox/Sensitive_Patient.json": (1, 1, 0, 1),
    "uk-core/CodeSystem-UKCore-EthnicCategoryEngland.xml": (0, 0, 0, 0),
    "uk-core/UKCore-Patient-RichardSmith-Example.xml": (1, 1, 0, 1),
    "uk-core/UKCore-RelatedPerson-JoySmith-Example.xml": (2, 1, 1, 1),
    "uk-core/ValueSet-UKCore-PersonRelationshipType.xml": (0, 0, 0, 0),
}
# folder: (read, loaded, quarantined, people, partner edges, related-to edges)
REFERENCE_FOLDERS = {
    "hl7-fhir-r4-examples": (6, 6, 0, 4, 2, 0),
    "nhs-pds-sandbox": (8, 8, 0, 4, 0, 1),
    "uk-core": (3, 3, 0, 2, 1, 0),
    ".": (17, 17, 0, 10, 3, 1),
}


def test_reference_counts_cover_every_reference_file() -> None:
    on_disk = {str(p.relative_to(REFERENCE)) for p in REFERENCE.rglob("*") if p.is_file()}
    assert on_disk == set(REFERENCE_FILES)


@pytest.mark.parametrize("name", sorted(REFERENCE_FILES))
def test_reference_file_loads_with_balanced_counts(store: EmbeddedStore, name: str) -> None:
    assert fhir.claims(REFERENCE / name)
    log = load(store, REFERENCE / name)
    read, loaded, quarantined, people = REFERENCE_FILES[name]
    assert (log.read, log.loaded, log.quarantined) == (read, loaded, quarantined)
    assert store.counts().get("Person", 0) == people


@pytest.mark.parametrize("folder", sorted(REFERENCE_FOLDERS))
def test_reference_folder_loads_people_and_relationships(
    store: EmbeddedStore, folder: str
) -> None:
    log = load(store, REFERENCE / folder)
    read, loaded, quarantined, people, partners, related = REFERENCE_FOLDERS[folder]
    assert (log.read, log.loaded, log.quarantined) == (read, loaded, quarantined)
    counts = store.counts()
    assert counts.get("Person", 0) == people
    assert counts.get("PARTNER_OF", 0) == partners
    assert counts.get("RELATED_TO", 0) == related
    assert counts.get("PARENT_OF", 0) == 0


def test_pds_patient_keeps_nhs_number_birth_death_and_name(store: EmbeddedStore) -> None:
    load(store, PDS / "Patient.json")
    person = store.people([person_of(store, "health", "9000000009")]).popitem()[1]
    assert person.nhs_number == "9000000009"
    assert (person.given_names, person.family_name) == ("Jane", "Smith")
    assert person.birth_date == person.death_date == date(2010, 10, 22)


def test_pds_ended_home_address_becomes_history_with_its_uprn(store: EmbeddedStore) -> None:
    load(store, PDS / "Patient.json")
    memberships = store.memberships([person_of(store, "health", "9000000009")])
    assert {(m.dst, m.valid_from, m.valid_to) for m in memberships} == {
        ("H:uprn:123456789012", date(2024, 1, 1), date(2025, 12, 31))
    }


def test_pds_related_person_links_to_patient_by_nhs_number(store: EmbeddedStore) -> None:
    log = load(store, PDS / "Patient.json", PDS / "RelatedPersonBundle.json")
    assert (log.read, log.loaded, log.quarantined) == (6, 6, 0)
    patient = person_of(store, "health", "9000000009")
    related = person_of(store, "health", "RelatedPerson/507B7621")
    kin = store.kin(patient, 1, date(2025, 6, 1))
    # The sandbox's related person is a Guardian (UK Core role), not a mother: no parent edge.
    assert [(r.src, r.dst, r.kind) for r in kin.related] == [(related, patient, "other")]
    assert (kin.related[0].valid_from, kin.related[0].valid_to) == (
        date(2024, 1, 1),
        date(2025, 12, 31),
    )
    assert kin.parents == ()


def test_related_person_without_its_patient_quarantines_only_the_link(
    store: EmbeddedStore,
) -> None:
    log = load(store, PDS / "RelatedPersonBundle.json")
    assert [(r.row, r.field) for r in log.rejections] == [(1, "to_record_id")]
    assert person_of(store, "health", "RelatedPerson/507B7621")


def test_hl7_related_person_id_does_not_collide_with_patient_id(store: EmbeddedStore) -> None:
    load(store, HL7 / "patient-example-f001-pieter.json",
         HL7 / "relatedperson-example-f001-sarah.json")
    pieter = person_of(store, "health", "f001")
    sarah = person_of(store, "health", "RelatedPerson/f001")
    assert pieter != sarah
    kin = store.kin(pieter, 1, TODAY)
    assert [(p.kind, {p.src, p.dst}) for p in kin.partners] == [
        (PartnerKind.PARTNER, {pieter, sarah})
    ]


def test_hl7_patient_official_name_wins_and_others_are_kept(store: EmbeddedStore) -> None:
    load(store, HL7 / "patient-example.json")
    record = store.source_records("health")[0]
    assert record.fields["given_names"] == "Peter James"
    assert record.fields["family_name"] == "Chalmers"
    assert record.fields["other_names"] == "Jim; Peter James Windsor"


def test_uk_core_xml_patient_and_wife(store: EmbeddedStore) -> None:
    log = load(store, UK_CORE)
    assert (log.read, log.loaded, log.quarantined) == (3, 3, 0)
    richard = person_of(store, "health", "UKCore-Patient-RichardSmith-Example")
    joy = person_of(store, "health", "RelatedPerson/UKCore-RelatedPerson-JoySmith-Example")
    person = store.people([richard])[richard]
    assert (person.given_names, person.family_name) == ("Richard", "SMITH")
    assert person.nhs_number == "9912003888"
    address = store.household(richard, TODAY).address
    assert address is not None
    assert address.postcode == "LS17 7DF"
    kin = store.kin(richard, 1, TODAY)
    assert [(p.kind, {p.src, p.dst}) for p in kin.partners] == [
        (PartnerKind.SPOUSE, {richard, joy})
    ]


def test_unread_resource_types_are_counted_in_one_warning(store: EmbeddedStore) -> None:
    log = load(store, UK_CORE / "ValueSet-UKCore-PersonRelationshipType.xml")
    assert [(w.row, w.field, w.reason) for w in log.warnings] == [
        (0, "ValueSet", "skipped 1 resource(s) this loader does not read: ValueSet (1)")
    ]


def test_sensitive_patient_is_warned_about(store: EmbeddedStore) -> None:
    log = load(store, PDS / "Sensitive_Patient.json")
    assert [w.field for w in log.warnings] == ["Patient.meta.security"]


# --- a family bundle written here --------------------------------------------------------------

CHILD_URL = "urn:uuid:6a3f0b0e-2f7c-4a49-9d43-3c1e0f6b8a01"


def family_bundle() -> dict[str, Any]:
    """A child, her mother as a RelatedPerson, a health-visiting episode with its lead, and
    entries the loader must skip or quarantine."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "meta": {"source": "community-health"},
        "entry": [
            {
                "fullUrl": CHILD_URL,
                "resource": {
                    "resourceType": "Patient",
                    "id": "c1",
                    "identifier": [{"system": NHS, "value": "943 476 5919"}],
                    "name": [{"use": "official", "family": "Hart", "given": ["Cara", "Jo"]}],
                    "gender": "female",
                    "birthDate": "2019-04-02",
                    "address": [
                        {"use": "home", "line": ["1 Alder Road"], "city": "Eastbridge",
                         "postalCode": "LS8 3DR", "period": {"start": "2022-01-10"}},
                        {"use": "home", "line": ["9 Birch Close"], "postalCode": "M1 1AE",
                         "period": {"start": "2019-04-02", "end": "2022-01-09"}},
                    ],
                },
            },
            {
                "resource": {
                    "resourceType": "RelatedPerson",
                    "id": "m1",
                    "patient": {"reference": CHILD_URL},
                    "relationship": [{"coding": [{"system": ROLE_CODE, "code": "MTH"}]}],
                    "name": [{"family": "Hart", "given": ["Amy"]}],
                    "gender": "female",
                    "birthDate": "1990-04-02",
                },
            },
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "id": "e1",
                    "status": "active",
                    "patient": {"reference": "Patient/c1"},
                    "type": [{"coding": [{"system": "http://snomed.info/sct",
                                          "code": "310000008", "display": "Health visiting"}]}],
                    "period": {"start": "2026-03-01T09:00:00Z"},
                    "managingOrganization": {"display": "Eastbridge Community Health"},
                    "careManager": {"reference": "Practitioner/p1"},
                },
            },
            {
                "fullUrl": "urn:uuid:0d9e3b4c-5a6f-4e1d-8c2b-7f6a5e4d3c2b",
                "resource": {
                    "resourceType": "Practitioner",
                    "id": "p1",
                    "name": [{"family": "Nair", "given": ["Priya"]}],
                    "telecom": [{"system": "phone", "value": "020 7946 0123", "use": "work"},
                                {"system": "email", "value": "priya.nair@example.org"}],
                },
            },
            {"resource": {"resourceType": "Observation", "id": "o1", "status": "final"}},
            {"resource": {"resourceType": "Patient", "name": [{"family": "Nobody"}]}},
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "status": "cancelled",
                    "patient": {"reference": "Patient/c1"},
                    "type": [{"text": "School nursing"}],
                    "period": {"start": "2026-01-05"},
                },
            },
        ],
    }


def test_family_bundle_counts_balance(store: EmbeddedStore, tmp_path: Path) -> None:
    log = load(store, write(tmp_path, "family.json", family_bundle()))
    # child 2 (person, past address) + mother 2 (person, link) + episode 1 + 2 quarantined
    assert (log.read, log.loaded, log.quarantined) == (7, 5, 2)
    assert [(r.row, r.field) for r in log.rejections] == [
        (6, "Bundle.entry[5].resource.id"),
        (7, "Bundle.entry[6].resource.status"),
    ]
    assert [w.reason for w in log.warnings] == [
        "skipped 1 resource(s) this loader does not read: Observation (1)"
    ]


def test_family_bundle_mother_is_the_birth_parent_of_the_child(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    load(store, write(tmp_path, "family.json", family_bundle()))
    child = person_of(store, "community-health", "c1")
    mother = person_of(store, "community-health", "RelatedPerson/m1")
    kin = store.kin(child, 1, TODAY)
    assert [(p.src, p.dst, p.kind) for p in kin.parents] == [(mother, child, ParentKind.BIRTH)]
    assert store.people([child])[child].nhs_number == "9434765919"


def test_family_bundle_episode_is_an_open_involvement_with_its_lead(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    load(store, write(tmp_path, "family.json", family_bundle()))
    child = person_of(store, "community-health", "c1")
    [view] = store.involvements([child], TODAY)
    assert view.involvement.service == "Health visiting"
    assert view.involvement.status == "open"
    assert view.involvement.start == date(2026, 3, 1)
    assert view.organisation is not None
    assert view.organisation.name == "Eastbridge Community Health"
    assert view.lead is not None
    assert (view.lead.name, view.lead.phone, view.lead.email) == (
        "Priya Nair", "020 7946 0123", "priya.nair@example.org"
    )


def test_family_bundle_child_address_history(store: EmbeddedStore, tmp_path: Path) -> None:
    load(store, write(tmp_path, "family.json", family_bundle()))
    child = person_of(store, "community-health", "c1")
    periods = sorted((m.valid_from, m.valid_to) for m in store.memberships([child]))
    assert periods == [(date(2019, 4, 2), date(2022, 1, 9)), (date(2022, 1, 10), None)]


FAMILY_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<Bundle xmlns="http://hl7.org/fhir">
  <meta><source value="community-health"/></meta>
  <type value="collection"/>
  <entry>
    <fullUrl value="{CHILD_URL}"/>
    <resource>
      <Patient>
        <id value="c1"/>
        <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Cara</p></div></text>
        <name>
          <use value="official"/><family value="Hart"/><given value="Cara"/><given value="Jo"/>
        </name>
        <gender value="female"/>
        <birthDate value="2019-04-02"/>
      </Patient>
    </resource>
  </entry>
  <entry>
    <resource>
      <RelatedPerson>
        <id value="m1"/>
        <patient><reference value="{CHILD_URL}"/></patient>
        <relationship>
          <coding><system value="{ROLE_CODE}"/><code value="NMTH"/></coding>
        </relationship>
        <name><family value="Hart"/><given value="Amy"/></name>
      </RelatedPerson>
    </resource>
  </entry>
  <entry>
    <resource>
      <EpisodeOfCare>
        <id value="e1"/>
        <status value="finished"/>
        <type><text value="Health visiting"/></type>
        <patient><reference value="Patient/c1"/></patient>
        <period><start value="2025-03-01"/><end value="2026-03-01"/></period>
        <careManager><reference value="Practitioner/p1"/></careManager>
      </EpisodeOfCare>
    </resource>
  </entry>
  <entry>
    <resource>
      <Practitioner>
        <id value="p1"/><name><family value="Nair"/><given value="Priya"/></name>
      </Practitioner>
    </resource>
  </entry>
</Bundle>
"""


def test_xml_bundle_reads_like_json(store: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path, "family.xml", FAMILY_XML)
    assert fhir.claims(path)
    log = load(store, path)
    assert (log.read, log.loaded, log.quarantined, log.warnings) == (4, 4, 0, ())
    child = person_of(store, "community-health", "c1")
    assert store.people([child])[child].given_names == "Cara Jo"
    [parent] = store.kin(child, 1, TODAY).parents
    assert (parent.kind, parent.dst) == (ParentKind.BIRTH, child)
    [view] = store.involvements([child], date(2025, 6, 1))
    assert (view.involvement.status, view.involvement.end) == ("closed", date(2026, 3, 1))
    assert view.lead is not None
    assert view.lead.name == "Priya Nair"


def small_bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


CHILD = {"resourceType": "Patient", "id": "c1", "name": [{"family": "Hart", "given": ["Cara"]}],
         "birthDate": "2019-04-02"}


def test_child_role_turns_the_relationship_round(store: EmbeddedStore, tmp_path: Path) -> None:
    adult = {"resourceType": "Patient", "id": "a1", "name": [{"family": "Hart", "given": ["Amy"]}]}
    daughter = {"resourceType": "RelatedPerson", "id": "d1", "patient": {"reference": "Patient/a1"},
                "relationship": [{"coding": [{"system": ROLE_CODE, "code": "DAUC"}]}],
                "name": [{"family": "Hart", "given": ["Cara"]}]}
    load(store, write(tmp_path, "b.json", small_bundle(adult, daughter)))
    amy = person_of(store, "health", "a1")
    cara = person_of(store, "health", "RelatedPerson/d1")
    assert [(p.src, p.dst) for p in store.kin(amy, 1, TODAY).parents] == [(amy, cara)]


def test_unverified_nhs_number_is_kept_with_a_warning(store: EmbeddedStore, tmp_path: Path) -> None:
    status = {"url": fhir.VERIFICATION_STATUS, "valueCodeableConcept": {"coding": [
        {"code": "02", "display": "Number present but not traced"}]}}
    patient = dict(CHILD, identifier=[{"system": NHS, "value": "9434765919",
                                       "extension": [status]}])
    log = load(store, write(tmp_path, "p.json", patient))
    assert store.people([person_of(store, "health", "c1")]).popitem()[1].nhs_number
    assert [w.field for w in log.warnings] == ["Patient.identifier[0].extension[0]"]
    assert "status 02" in log.warnings[0].reason


def test_restricted_patient_addresses_load_as_restricted(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    patient = dict(CHILD, meta={"security": [{"system": fhir.CONFIDENTIALITY, "code": "R"}]},
                   address=[{"line": ["Refuge"], "postalCode": "LS8 3DR"}])
    log = load(store, write(tmp_path, "p.json", patient))
    assert (log.read, log.loaded) == (2, 2)  # the person, and the address as a restricted row
    [membership] = store.memberships([person_of(store, "health", "c1")])
    assert membership.sensitivity is Sensitivity.RESTRICTED


def test_bad_birth_date_is_dropped_with_its_element_path(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    log = load(store, write(tmp_path, "b.json", small_bundle(dict(CHILD, birthDate="2019-02-31"))))
    assert (log.read, log.loaded) == (1, 1)
    assert [(w.row, w.field) for w in log.warnings] == [(1, "Bundle.entry[0].resource.birthDate")]


def test_future_address_cannot_be_placed_and_is_dropped(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    patient = dict(CHILD, address=[{"use": "home", "line": ["2 New Road"], "postalCode": "M1 1AE",
                                    "period": {"start": "2027-01-01"}}])
    log = load(store, write(tmp_path, "p.json", patient))
    assert (log.read, log.loaded) == (1, 1)
    assert [w.field for w in log.warnings] == ["Patient.address[0]"]
    assert store.memberships([person_of(store, "health", "c1")]) == []


def test_badly_shaped_resource_is_quarantined_and_others_load(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    broken = {"resourceType": "Patient", "id": "x", "name": [{"family": {"text": "Hart"}}]}
    log = load(store, write(tmp_path, "b.json", small_bundle(broken, CHILD)))
    assert (log.read, log.loaded, log.quarantined) == (2, 1, 1)
    assert [(r.row, r.field) for r in log.rejections] == [
        (1, "Bundle.entry[0].resource.name[0].family")
    ]


def test_name_longer_than_a_field_may_be_is_quarantined(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    log = load(store, write(tmp_path, "p.json", dict(CHILD, name=[{"family": "x" * 1001}])))
    assert [(r.field, r.reason) for r in log.rejections] == [
        ("Patient.name[0].family", "longer than 1000 characters")
    ]


# --- files refused whole -----------------------------------------------------------------------

LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Patient [<!ENTITY lol0 "lol">{LAUGHS}]>
<Patient xmlns="http://hl7.org/fhir"><id value="x"/><name><family value="&lol9;"/></name></Patient>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Patient [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Patient xmlns="http://hl7.org/fhir"><id value="x"/><name><family value="&xxe;"/></name></Patient>
"""
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Patient [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<Patient xmlns="http://hl7.org/fhir"><id value="x"/><name><family value="Hart"/></name></Patient>
"""
ENTITY_TRICKS = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": EXTERNAL_ENTITY,
    "parameter-entity": PARAMETER_ENTITY,
}


@pytest.fixture
def loaded_store(store: EmbeddedStore) -> EmbeddedStore:
    """A store already holding a load, so "unchanged" is about a store with data."""
    load(store, PDS / "Minimal_Patient.json")
    return store


@pytest.mark.parametrize("trick", sorted(ENTITY_TRICKS))
def test_xml_entity_trick_is_refused_and_nothing_written(
    loaded_store: EmbeddedStore, tmp_path: Path, trick: str
) -> None:
    path = write(tmp_path, "evil.xml", ENTITY_TRICKS[trick])
    before = (loaded_store.counts(), len(loaded_store.load_logs()))
    with pytest.raises(LoadError, match="DOCTYPE") as refused:
        load(loaded_store, path)
    assert refused.value.file == str(path)
    assert (loaded_store.counts(), len(loaded_store.load_logs())) == before


@pytest.mark.parametrize("trick", sorted(ENTITY_TRICKS))
def test_xml_entity_trick_is_refused_by_the_parser_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trick: str
) -> None:
    monkeypatch.setattr(fhir, "_DECLARATIONS", re.compile(r"(?!)"))  # the scan misses it
    path = write(tmp_path, "evil.xml", ENTITY_TRICKS[trick])
    with pytest.raises(LoadError, match="DOCTYPE"):
        fhir.read(path, Quarantine(), TODAY, Extract())


BROKEN_FILES: dict[str, tuple[str, bytes, str]] = {
    "truncated-json": ("p.json", b'{"resourceType": "Patient", "id": "x"', "not valid JSON"),
    "duplicate-key": ("p.json", b'{"resourceType": "Patient", "id": "a", "id": "b"}',
                      "appears twice"),
    "nan": ("p.json", b'{"resourceType": "Patient", "x": NaN}', "not a JSON number"),
    "too-deep-json": ("p.json", b'{"resourceType": "Patient", "x": ' + b"[" * 100 + b"]" * 100
                      + b"}", "deeper than"),
    "very-deep-json": ("p.json", b'{"resourceType": "Patient", "x": ' + b"[" * 100_000
                       + b"]" * 100_000 + b"}", "deeper than"),
    "utf-16": ("p.json", json.dumps(CHILD).encode("utf-16"), "UTF-16"),
    "latin-1": ("p.json", b'{"resourceType": "Patient", "name": [{"family": "Zo\xeb"}]}',
                "not UTF-8"),
    "nul-escape": ("p.json", b'{"resourceType": "Patient", "id": "a\\u0000"}', "NUL"),
    "lone-surrogate": ("p.json", b'{"resourceType": "Patient", "id": "\\ud800"}', "surrogate"),
    "no-resource-type": ("p.json", b'{"resourceType": 5}', "no resourceType"),
    "truncated-xml": ("p.xml", b'<Patient xmlns="http://hl7.org/fhir"><id value="x"/>',
                      "not well-formed"),
    "too-deep-xml": ("p.xml", b'<Patient xmlns="http://hl7.org/fhir">' + b"<extension>" * 100
                     + b"</extension>" * 100 + b"</Patient>", "deeper than"),
    "not-a-resource": ("p.xml", b'<patient xmlns="http://hl7.org/fhir"/>', "not a resource"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_broken_file_is_a_load_error_naming_it(
    loaded_store: EmbeddedStore, tmp_path: Path, case: str
) -> None:
    name, content, reason = BROKEN_FILES[case]
    path = write(tmp_path, name, content)
    before = loaded_store.counts()
    with pytest.raises(LoadError, match=reason) as refused:
        load_extract(loaded_store, [path], format_name="fhir", today=TODAY)
    assert refused.value.file == str(path)
    assert loaded_store.counts() == before


@pytest.mark.parametrize(("arrays", "inner", "refused"), [
    (fhir.MAX_DEPTH - 1, b"1", False),  # the value inside the deepest array is at the limit
    (fhir.MAX_DEPTH, b"", False),  # arrays at the limit holding nothing
    (fhir.MAX_DEPTH, b"1", True),  # a value one past it
    (fhir.MAX_DEPTH - 1, b'"[[[[[["', False),  # brackets in a string do not nest
])
def test_json_nesting_is_refused_exactly_past_the_limit(
    arrays: int, inner: bytes, refused: bool, tmp_path: Path
) -> None:
    # The top-level object is one level, so its "x" holds arrays - 1 more.
    body = b"[" * (arrays - 1) + inner + b"]" * (arrays - 1)
    path = write(tmp_path, "p.json", b'{"resourceType": "Patient", "x": ' + body + b"}")
    if refused:
        with pytest.raises(LoadError, match="deeper than"):
            fhir.read(path, Quarantine(), TODAY, Extract())
    else:
        fhir.read(path, Quarantine(), TODAY, Extract())


def test_file_over_the_size_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, store: EmbeddedStore
) -> None:
    monkeypatch.setattr(fhir, "MAX_FILE_BYTES", 1000)
    with pytest.raises(LoadError, match="a FHIR file may hold 1,000"):
        load(store, PDS / "Patient.json")


def test_json_and_xml_that_are_not_fhir_are_not_claimed(tmp_path: Path) -> None:
    assert not fhir.claims(write(tmp_path, "a.json", b'[{"resourceType": "Patient"}]'))
    assert not fhir.claims(write(tmp_path, "b.json", b'{"name": "x"}'))
    assert not fhir.claims(write(tmp_path, "c.xml", b'<Patient xmlns="urn:other"/>'))
    assert not fhir.claims(write(tmp_path, "d.csv", b'{"resourceType": "Patient"}'))


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?><!-- <x> -->\n<Patient xmlns="http://hl7.org/fhir">',
        '<!DOCTYPE Patient [<!ENTITY a "b">]><Patient xmlns="http://hl7.org/fhir">',
        "<f:Patient xmlns:f='http://hl7.org/fhir'>",
    ],
)
def test_xml_root_is_found_after_the_prolog(tmp_path: Path, prolog: str) -> None:
    assert fhir.claims(write(tmp_path, "p.xml", prolog))


def test_hostile_prolog_is_sniffed_in_linear_time(tmp_path: Path) -> None:
    # A backtracking prolog regex took seconds on 20 KB of "<!--"; the scan takes microseconds.
    for prolog in ("<!--" * 16_000, "<!DOCTYPE [" * 6_000, "<?" * 30_000):
        assert not fhir.claims(write(tmp_path, "p.xml", prolog))


# --- fuzzing -----------------------------------------------------------------------------------

REFERENCE_BYTES = {
    name: (REFERENCE / name).read_bytes()
    for name in sorted(REFERENCE_FILES)
    if not name.startswith("uk-core/ValueSet")  # 30 KB: slow to re-encode on every example
}


@contextmanager
def fuzz_store() -> Iterator[EmbeddedStore]:
    """One store for all the examples of a property, already holding a load, so "unchanged"
    is about a store with data (a store per example spends the time on fsync)."""
    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "store")
        try:
            load(store, PDS / "Minimal_Patient.json")
            yield store
        finally:
            store.close()


def check_load(store: EmbeddedStore, content: bytes, suffix: str) -> LoadLog | None:
    """Loads one file: either the load fails whole with a LoadError that is not the pipeline's
    balance check and the store is unchanged, or it balances."""
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), f"fuzz{suffix}", content)
        try:
            fhir.read(path, Quarantine(), TODAY, Extract())
        except LoadError as error:
            assert error.file == str(path)
        before = (store.counts(), len(store.load_logs()))
        try:
            log = load_extract(store, [path], format_name="fhir", today=TODAY)
        except LoadError as error:
            assert "do not balance" not in error.reason
            assert (store.counts(), len(store.load_logs())) == before
            return None
        assert log.read == log.loaded + log.quarantined
        return log


def test_arbitrary_bytes_fail_whole_or_balance() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(content=st.binary(max_size=400), suffix=st.sampled_from([".json", ".xml"]),
               prefix=st.sampled_from([b"", b'{"resourceType": "Patient", ',
                                       b'<Patient xmlns="http://hl7.org/fhir">']))
        def run(content: bytes, suffix: str, prefix: bytes) -> None:
            check_load(store, prefix + content, suffix)

        run()


def test_truncated_reference_file_fails_whole_or_balances() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(name=st.sampled_from(sorted(REFERENCE_BYTES)),
               cut=st.floats(0, 1, exclude_max=True))
        def run(name: str, cut: float) -> None:
            content = REFERENCE_BYTES[name]
            check_load(store, content[: int(len(content) * cut)], Path(name).suffix)

        run()


def test_reencoded_reference_file_fails_whole_or_loads_as_utf8() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(name=st.sampled_from(sorted(REFERENCE_BYTES)),
               encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32",
                                         "latin-1", "cp1252"]))
        def run(name: str, encoding: str) -> None:
            text = REFERENCE_BYTES[name].decode("utf-8")
            log = check_load(store, text.encode(encoding, errors="replace"), Path(name).suffix)
            if encoding.startswith("utf-8"):
                # the BOM changes nothing (a link may find its patient from an earlier example)
                read, loaded, quarantined, _ = REFERENCE_FILES[name]
                assert log is not None
                assert (log.read, log.loaded + log.quarantined) == (read, loaded + quarantined)

        run()


def test_huge_field_is_quarantined_only_when_too_long() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(size=st.integers(990, 5000), element=st.sampled_from(["family", "given", "line"]))
        def run(size: int, element: str) -> None:
            value = "x" * size
            patient = dict(CHILD)
            if element == "line":
                patient["address"] = [{"line": [value], "postalCode": "LS8 3DR"}]
            else:
                patient["name"] = [{element: [value] if element == "given" else value}]
            log = check_load(store, json.dumps(patient).encode(), ".json")
            assert log is not None
            assert log.quarantined == (1 if size > 1000 else 0)

        run()


FHIR_KEYS = [
    "resourceType", "id", "identifier", "system", "value", "name", "given", "family", "use",
    "text", "gender", "birthDate", "deceasedDateTime", "deceasedBoolean", "address", "line",
    "city", "postalCode", "period", "start", "end", "extension", "url", "valueString",
    "valueCoding", "valueCodeableConcept", "coding", "code", "display", "patient", "reference",
    "relationship", "type", "status", "managingOrganization", "careManager", "meta", "source",
    "security", "entry", "resource", "fullUrl", "telecom",
]
FHIR_WORDS = [
    "Patient", "RelatedPerson", "EpisodeOfCare", "Bundle", "Practitioner", "Patient/c1",
    CHILD_URL, "c1", "home", "old", "temp", "official", "MTH", "CHILD", "R", "UPRN", "01",
    "active", "finished", "cancelled", "2019-04-02", "2030-01-01", "1850-01-01", "2019-02-31",
    "2026-03-01T09:00:00Z", "LS8 3DR", "9434765919", "1 Alder Road", NHS, ROLE_CODE,
    fhir.ADDRESS_KEY, fhir.VERIFICATION_STATUS, fhir.CONFIDENTIALITY,
]
XML_TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
                   max_size=12)
LEAVES = st.one_of(st.sampled_from(FHIR_WORDS), XML_TEXT)
JSON_LEAVES = st.one_of(LEAVES, st.none(), st.booleans(), st.integers(-(10**6), 10**6),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))


def trees(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                st.dictionaries(keys, inner, max_size=4)),
        max_leaves=20,
    )


TEMPLATES = [entry["resource"] for entry in family_bundle()["entry"][:4]]


def resources(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Random resources, and good ones with a few elements (or their parts) replaced, so that
    some examples load rows and not only quarantine them."""
    kinds = st.sampled_from(["Patient", "RelatedPerson", "EpisodeOfCare", "Practitioner"])
    made_up = st.fixed_dictionaries({"resourceType": kinds},
                                    optional={key: values for key in FHIR_KEYS[1:]})
    changes = st.dictionaries(st.sampled_from(FHIR_KEYS[1:]), values, max_size=2)
    inner_changes = st.dictionaries(st.sampled_from(FHIR_KEYS[1:]), values, max_size=2)

    def mutate(template: dict[str, Any], top: dict[str, Any], inner: dict[str, Any]
               ) -> dict[str, Any]:
        resource: dict[str, Any] = json.loads(json.dumps(template))
        for value in resource.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                value[0].update(inner)
                break
        resource.update(top)
        return resource

    return st.one_of(made_up, st.builds(mutate, st.sampled_from(TEMPLATES), changes,
                                        inner_changes))


def documents(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    entry = st.fixed_dictionaries({"resource": resources(values)},
                                  optional={"fullUrl": st.sampled_from([CHILD_URL, "x"])})
    child = family_bundle()["entry"][0]  # so that references to the child can resolve
    entries = st.tuples(st.booleans(), st.lists(entry, max_size=4)).map(
        lambda drawn: [child] * drawn[0] + drawn[1]
    )
    bundle = st.fixed_dictionaries({"resourceType": st.just("Bundle"), "entry": entries},
                                   optional={"meta": values})
    return st.one_of(resources(values), bundle)


def test_random_json_structures_fail_whole_or_balance() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(document=st.one_of(documents(trees(JSON_LEAVES, st.sampled_from(FHIR_KEYS))),
                                  trees(JSON_LEAVES, st.text(max_size=6))))
        def run(document: Any) -> None:
            check_load(store, json.dumps(document).encode(), ".json")

        run()


def to_xml(name: str, value: Any) -> str:
    """FHIR's XML form of a JSON-shaped value: primitives as value attributes, arrays as
    repeated elements, a resource wrapped in an element named for its type."""
    if isinstance(value, list):
        return "".join(to_xml(name, item) for item in value)
    if not isinstance(value, dict):
        return "" if value is None else f"<{name} value={quoteattr(str(value))}/>"
    inner = "".join(to_xml(k, v) for k, v in value.items() if k != "resourceType")
    kind = value.get("resourceType")
    if isinstance(kind, str) and re.fullmatch(r"[A-Z][A-Za-z]*", kind):
        inner = f"<{kind}>{inner}</{kind}>"
    return f"<{name}>{inner}</{name}>"


def test_random_xml_structures_fail_whole_or_balance() -> None:
    with fuzz_store() as store:

        @PROPERTY
        @given(document=documents(trees(LEAVES, st.sampled_from(FHIR_KEYS[1:]))))
        def run(document: dict[str, Any]) -> None:
            kind = document["resourceType"]
            body = "".join(to_xml(k, v) for k, v in document.items() if k != "resourceType")
            xml = f'<{kind} xmlns="http://hl7.org/fhir">{body}</{kind}>'
            check_load(store, xml.encode(), ".xml")

        run()


def test_xml_fuzz_serialiser_matches_the_reader(tmp_path: Path) -> None:
    """The fuzz above only means something if to_xml writes what the reader reads as JSON."""
    body = "".join(to_xml(k, v) for k, v in CHILD.items() if k != "resourceType")
    path = write(tmp_path, "p.xml", f'<Patient xmlns="http://hl7.org/fhir">{body}</Patient>')
    extract = Extract()
    fhir.read(path, Quarantine(), TODAY, extract)
    [person] = extract.people
    assert (person.record_id, person.given_names, person.birth_date) == (
        "c1", "Cara", date(2019, 4, 2)
    )

