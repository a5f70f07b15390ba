"""Community health's extract: FHIR R4 resources as NHS systems write them (UK Core shapes).

Each registered patient is a ``Patient`` with an NHS number identifier and its verification
status extension (as UK Core and the Personal Demographics Service write it), names (with
earlier family names as ``old``), addresses with periods and their UPRN (UK Core AddressKey),
birth date, gender and deceased. A child's parents, step-parents and grandparent carers are
``RelatedPerson`` resources pointing at the child's ``Patient``, coded from the UK Core
PersonRelationshipType value set (v3 RoleCode). Health visiting is an ``EpisodeOfCare`` whose
care manager is a ``Practitioner``. Resources of one household travel together, so every
reference resolves inside its bundle.
"""

import json
import random
from dataclasses import dataclass, field
from typing import Any

from ..population import Human, Population
from ..services import HEALTH, ServiceRecords
from ..workforce import Practitioner
from .common import NOISE_RATES, RecordIds, iso

BASE = "https://fhir.eastbridge-health.example/R4"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
VERIFICATION_URL = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
VERIFICATION_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
ADDRESS_KEY_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey"
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
#: v3 RoleCode for each relationship kind, by the related person's sex.
RELATIONSHIP_CODES: dict[tuple[str, str], tuple[str, str]] = {
    ("mother", "female"): ("MTH", "mother"),
    ("father", "male"): ("FTH", "father"),
    ("step_parent", "female"): ("STPMTH", "stepmother"),
    ("step_parent", "male"): ("STPFTH", "stepfather"),
    ("special_guardian", "female"): ("GRMTH", "grandmother"),
    ("special_guardian", "male"): ("GRFTH", "grandfather"),
}
_VERIFICATION = {"01": "Number present and verified", "02": "Number present but not traced"}


@dataclass
class Group:
    """The resources of one household: they go into the same bundle.

    Resources are held as finished bundle entries (JSON text), so the neighbourhood's worker
    process, not the writer, pays for serialising them.
    """

    patients: int
    resources: list[dict[str, Any]]
    practitioners: dict[str, dict[str, Any]] = field(default_factory=dict)

    def entries(self) -> list[str]:
        return [entry(resource) for resource in self.resources]


def entry(resource: dict[str, Any]) -> str:
    """One bundle entry as JSON text, its fullUrl resolving ``Type/id`` references."""
    url = f"{BASE}/{resource['resourceType']}/{resource['id']}"
    return json.dumps({"fullUrl": url, "resource": resource}, ensure_ascii=False,
                      separators=(",", ":"))


@dataclass
class Serialised:
    """A group ready to write: entry texts, and its practitioners' entries by id."""

    patients: int
    entries: list[str]
    practitioners: dict[str, str]


def health(
    pop: Population, records: ServiceRecords, rng: random.Random
) -> tuple[list[Serialised], list[tuple[str, str]], list[tuple[str, str]]]:
    """The FHIR resources of one neighbourhood's registered patients, grouped by household."""
    known = records.known.get("health", {})
    ids = RecordIds("{:010d}", pop.neighbourhood, rng, 1_000_000)
    truth: list[tuple[str, str]] = []
    noise: list[tuple[str, str]] = []
    by_household: dict[str, list[Human]] = {}
    for key in known:
        human = pop.humans[key]
        by_household.setdefault(human.household or key, []).append(human)
    episodes: dict[str, list[Any]] = {}
    for episode in records.episodes:
        if episode.system == "health":
            episodes.setdefault(episode.person, []).append(episode)
    groups: list[Serialised] = []
    practice = f"Y{pop.neighbourhood % 90000 + 10000:05d}"
    for members in by_household.values():
        group = Group(len(members), [])
        for human in members:
            record = f"H{ids.of(human.key)}"
            truth.append((record, human.key))
            group.resources.append(_patient(human, record, practice, pop, rng, noise))
        for human in members:
            child_id = f"H{ids.of(human.key)}"
            for kind, related in _related(pop, human):
                code = RELATIONSHIP_CODES.get((kind, related.sex))
                if code is None or related.key not in known:
                    continue
                # A RelatedPerson is a record of the relative, so linkage is scored on it too.
                truth.append((f"RelatedPerson/{child_id}-{code[0]}", related.key))
                group.resources.append(
                    {
                        "resourceType": "RelatedPerson",
                        "id": f"{child_id}-{code[0]}",
                        "active": True,
                        "patient": {"reference": f"Patient/{child_id}"},
                        "relationship": [
                            {
                                "coding": [
                                    {
                                        "system": ROLE_CODES,
                                        "code": code[0],
                                        "display": code[1],
                                    }
                                ]
                            }
                        ],
                        "name": [
                            {
                                "use": "official",
                                "family": related.family_name,
                                "given": related.given_names.split(" "),
                            }
                        ],
                        "gender": related.sex,
                        "birthDate": iso(related.birth_date),
                        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": related.nhs_number}],
                    }
                )
            group.resources.append(_gp_registration(human, child_id, practice))
            for number, episode in enumerate(episodes.get(human.key, []), 1):
                lead: Practitioner | None = episode.lead
                resource: dict[str, Any] = {
                    "resourceType": "EpisodeOfCare",
                    "id": f"{child_id}-hv{number}",
                    "status": "active" if episode.end is None else "finished",
                    "type": [{"text": episode.service}],
                    "patient": {"reference": f"Patient/{child_id}"},
                    "managingOrganization": {"display": HEALTH},
                    "period": {"start": iso(episode.start)}
                    | ({"end": iso(episode.end)} if episode.end else {}),
                }
                if lead is not None:
                    resource["careManager"] = {"reference": f"Practitioner/{lead.key}"}
                    resource["team"] = [{"display": lead.team}]
                    group.practitioners[lead.key] = _practitioner(lead)
                group.resources.append(resource)
        groups.append(Serialised(group.patients, group.entries(), {
            key: entry(resource) for key, resource in group.practitioners.items()
        }))
    return groups, truth, noise


def _gp_registration(human: Human, patient_id: str, practice: str) -> dict[str, Any]:
    """The registration with the practice, as an EpisodeOfCare from the day the person came
    to live in the borough (or was born) until death: the GP a front door would ring."""
    arrived = next((stay.start for stay in human.residences if stay.address.district),
                   human.residences[0].start if human.residences else human.birth_date)
    ended = human.death_date
    return {
        "resourceType": "EpisodeOfCare",
        "id": f"{patient_id}-gp",
        "status": "finished" if ended else "active",
        "type": [{"text": "GP registration"}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {
            "identifier": {"system": ODS_SYSTEM, "value": practice},
            "display": f"Eastbridge Medical Practice ({practice})",
        },
        "period": {"start": iso(arrived)} | ({"end": iso(ended)} if ended else {}),
    }


def _related(pop: Population, child: Human) -> list[tuple[str, Human]]:
    found = []
    for parent_key, kind in ((child.mother, "mother"), (child.father, "father")):
        if parent_key:
            found.append((kind, pop.humans[parent_key]))
    return found


def _patient(
    human: Human,
    record: str,
    practice: str,
    pop: Population,
    rng: random.Random,
    noise: list[tuple[str, str]],
) -> dict[str, Any]:
    status = "01"
    if rng.random() < NOISE_RATES["health"]["unverified_nhs"]:
        status = "02"
        noise.append((record, "unverified_nhs"))
    names: list[dict[str, Any]] = [
        {"use": "official", "family": human.family_name, "given": human.given_names.split(" ")}
    ]
    previous = None
    for spell in human.earlier_names:
        names.append(
            {
                "use": "old",
                "family": spell.family_name,
                "given": human.given_names.split(" "),
                "period": {"end": iso(spell.until)}
                | ({"start": iso(previous)} if previous else {}),
            }
        )
        previous = spell.until
    addresses = []
    stays = [stay for stay in human.residences if stay.address.district or stay.end]
    stale = rng.random() < NOISE_RATES["health"]["stale_address"] and len(stays) > 1
    if stale:
        stays = stays[:-1]
        stays[-1] = type(stays[-1])(
            stays[-1].address, stays[-1].start, None, stays[-1].household, stays[-1].restricted
        )
        noise.append((record, "stale_address"))
    for stay in stays[-4:]:
        address = stay.address
        entry: dict[str, Any] = {
            "use": "home" if stay.end is None else "old",
            "line": [line for line in (address.line1, address.line2) if line],
            "city": address.town,
            "postalCode": address.postcode,
            "period": {"start": iso(stay.start)} | ({"end": iso(stay.end)} if stay.end else {}),
            "extension": [
                {
                    "url": ADDRESS_KEY_URL,
                    "extension": [
                        {
                            "url": "type",
                            "valueCoding": {
                                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType",
                                "code": "UPRN",
                            },
                        },
                        {"url": "value", "valueString": address.uprn},
                    ],
                }
            ],
        }
        if stay.restricted:
            entry["extension"].append(
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                    "valueCode": "masked",
                }
            )
        addresses.append(entry)
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": record,
        "meta": {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                    "code": "R" if any(s.restricted for s in human.residences) else "U",
                }
            ]
        },
        "identifier": [
            {
                "extension": [
                    {
                        "url": VERIFICATION_URL,
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": VERIFICATION_SYSTEM,
                                    "code": status,
                                    "display": _VERIFICATION[status],
                                }
                            ]
                        },
                    }
                ],
                "system": NHS_NUMBER_SYSTEM,
                "value": human.nhs_number,
            }
        ],
        "name": names,
        "gender": human.sex,
        "birthDate": iso(human.birth_date),
        "address": addresses,
        "generalPractitioner": [
            {"type": "Organization", "identifier": {"system": ODS_SYSTEM, "value": practice}}
        ],
    }
    if human.death_date is not None:
        patient["deceasedDateTime"] = iso(human.death_date)
    else:
        patient["deceasedBoolean"] = False
    return patient


def _practitioner(lead: Practitioner) -> dict[str, Any]:
    given, _, family = lead.name.rpartition(" ")
    return {
        "resourceType": "Practitioner",
        "id": lead.key,
        "name": [{"use": "official", "family": family, "given": given.split(" ")}],
        "telecom": [
            {"system": "phone", "value": lead.phone, "use": "work"},
            {"system": "email", "value": lead.email, "use": "work"},
        ],
        "qualification": [{"code": {"text": lead.role}}],
    }
