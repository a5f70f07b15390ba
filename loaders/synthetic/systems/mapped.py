"""The six council systems that export CSV in their own shapes, each with its mapping.toml.

Social care writes like a case-management system (LCS), early help like EHM (dates as
05-Mar-2015), education like Capita ONE (pupils, contacts with no birth date, enrolments,
attendance, persistent-absence flags), police like a records system (nominals, DA
notifications, MARAC cases), housing like a tenancy system (ISO dates) and youth justice like
ChildView (sex coded 1/2). Each folder's ``mapping.toml`` maps its files onto the canonical CSV
(docs/mapping.md); attendance sessions are left unmapped, persistent absence is an event.
Risk indicators come through the same mappings, by reading a file a second time as kind
``risk_indicators``: persistent absence (attendance), DA notifications (domestic abuse) and
youth justice orders (offending).
"""

import random
from dataclasses import dataclass, field
from datetime import date

from ..calendar import age_on
from ..population import Bond, Human, Population
from ..services import SOCIAL_CARE, ServiceRecords
from .common import SEX_CODES, RecordIds, Seen, dmy, iso, see

SYSTEMS = ("social_care", "early_help", "education", "police", "housing", "youth_justice")
_STRIDE = 100_000


@dataclass
class Extract:
    """One system's files for one neighbourhood: headers, rows, and who each record is."""

    system: str
    headers: dict[str, list[str]]
    rows: dict[str, list[list[str]]] = field(default_factory=dict)
    truth: list[tuple[str, str]] = field(default_factory=list)
    noise: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, row: list[str]) -> None:
        self.rows.setdefault(name, []).append(row)


def _person_view(
    system: str,
    human: Human,
    day: date,
    pop: Population,
    rng: random.Random,
    ids: RecordIds,
    extract: Extract,
    clean: bool = False,
) -> tuple[str, Seen]:
    record = ids.of(human.key)
    seen = see(system, human, day, pop, rng, clean)
    extract.truth.append((record, human.key))
    for kind in seen.noise:
        extract.noise.append((record, kind))
    return record, seen


def _first_and_middle(given: str) -> tuple[str, str]:
    first, _, middle = given.partition(" ")
    return first, middle


def _bonds_between(pop: Population, known: dict[str, date]) -> list[tuple[Bond, date]]:
    found = []
    for bond in pop.bonds:
        if bond.source in known and bond.target in known:
            view = max(known[bond.source], known[bond.target])
            if bond.start is None or bond.start <= view:
                found.append((bond, view))
    for child in known:
        for parent_key in (pop.humans[child].mother, pop.humans[child].father):
            if not parent_key:
                continue
            parent = pop.humans[parent_key]
            for grand in (parent.mother, parent.father):
                if grand and grand in known:
                    found.append(
                        (
                            Bond(grand, child, "grandparent", pop.humans[child].birth_date),
                            known[child],
                        )
                    )
    return found


def _kind_then(bond: Bond, view: date) -> tuple[str, date | None]:
    """The relationship as a system saw it at ``view``: an ended one it did not hear of is open."""
    if bond.end is not None and bond.end > view:
        return ("partner" if bond.kind == "ex_partner" else bond.kind), None
    return bond.kind, bond.end


# -- social care ---------------------------------------------------------------------------------

_SC_RELATIONSHIPS = {
    "mother": "Mother",
    "father": "Father",
    "step_parent": "Step-parent",
    "foster_carer": "Foster Carer",
    "special_guardian": "Special Guardian",
    "partner": "Partner",
    "spouse": "Spouse",
    "ex_partner": "Ex-partner",
    "grandparent": "Grandparent",
}


def social_care(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "social_care",
        {
            "LCS_Persons.csv": [
                "Person ID",
                "Forename",
                "Middle Names",
                "Surname",
                "Former Surnames",
                "Gender",
                "Date of Birth",
                "Date of Death",
                "NHS Number",
                "UPN",
                "Address Line 1",
                "Address Line 2",
                "Town",
                "Postcode",
                "UPRN",
                "Address Start Date",
            ],
            "LCS_Address_History.csv": [
                "Person ID",
                "Address Line 1",
                "Address Line 2",
                "Town",
                "Postcode",
                "UPRN",
                "Start Date",
                "End Date",
                "Confidential",
            ],
            "LCS_Relationships.csv": [
                "Person ID",
                "Related Person ID",
                "Relationship",
                "Start Date",
                "End Date",
            ],
            "LCS_Episodes.csv": [
                "Person ID",
                "Episode Type",
                "Start Date",
                "End Date",
                "Primary Need / Category",
                "Team",
                "Allocated Worker",
                "Worker Role",
                "Worker Phone",
                "Worker Email",
                "Restricted",
            ],
            "LCS_Events.csv": [
                "Person ID",
                "Event Date",
                "Event Type",
                "Description",
                "Restricted",
            ],
        },
    )
    known = records.known.get("social_care", {})
    ids = RecordIds("{:07d}", pop.neighbourhood, rng, _STRIDE)
    demo_household = (
        set(pop.households[pop.demo_household].members) if pop.demo_household else set()
    )
    for key, view in known.items():
        human = pop.humans[key]
        clean = key in demo_household or key == pop.demo_child
        record, seen = _person_view("social_care", human, view, pop, rng, ids, extract, clean)
        first, middle = _first_and_middle(seen.given_names)
        nhs = seen.nhs_number
        extract.add(
            "LCS_Persons.csv",
            [
                record,
                first,
                middle,
                seen.family_name,
                seen.other_names,
                SEX_CODES.get(human.sex, "U"),
                dmy(seen.birth_date),
                dmy(human.death_date if human.death_date and human.death_date <= view else None),
                f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if nhs else "",
                seen.upn,
                seen.line1,
                seen.line2,
                seen.town,
                seen.postcode,
                seen.uprn,
                dmy(seen.address_from),
            ],
        )
        for stay in human.residences:
            if stay.start > view:
                continue
            end = stay.end if stay.end is not None and stay.end <= view else None
            extract.add(
                "LCS_Address_History.csv",
                [
                    record,
                    stay.address.line1,
                    stay.address.line2,
                    stay.address.town,
                    stay.address.postcode,
                    stay.address.uprn,
                    dmy(stay.start),
                    dmy(end),
                    "Y" if stay.restricted else "N",
                ],
            )
    for bond, view in _bonds_between(pop, known):
        if bond.kind not in _SC_RELATIONSHIPS:
            continue
        kind, end = _kind_then(bond, view)
        extract.add(
            "LCS_Relationships.csv",
            [
                ids.of(bond.target),
                ids.of(bond.source),
                _SC_RELATIONSHIPS[kind],
                dmy(bond.start),
                dmy(end),
            ],
        )
    for episode in records.episodes:
        if episode.system != "social_care" or episode.lead is None:
            continue
        lead = episode.lead
        extract.add(
            "LCS_Episodes.csv",
            [
                ids.of(episode.person),
                episode.code,
                dmy(episode.start),
                dmy(episode.end),
                episode.reason,
                lead.team,
                lead.name,
                lead.role,
                lead.phone,
                lead.email,
                "Y" if episode.sensitivity != "normal" else "N",
            ],
        )
    for happening in records.happenings:
        if happening.system == "social_care":
            extract.add(
                "LCS_Events.csv",
                [
                    ids.of(happening.person),
                    dmy(happening.day),
                    happening.type.upper(),
                    happening.summary,
                    "Y" if happening.sensitivity != "normal" else "N",
                ],
            )
    return extract


SOCIAL_CARE_MAPPING = f'''# Eastbridge children's social care (LCS-style export).
system = "social_care"
date_format = "%d/%m/%Y"

[[files]]
name = "LCS_Persons.csv"
kind = "people"
[files.columns]
record_id = "Person ID"
given_names = ["Forename", "Middle Names"]
family_name = "Surname"
other_names = "Former Surnames"
sex = "Gender"
birth_date = "Date of Birth"
death_date = "Date of Death"
nhs_number = "NHS Number"
upn = "UPN"
address_line1 = "Address Line 1"
address_line2 = "Address Line 2"
town = "Town"
postcode = "Postcode"
uprn = "UPRN"
address_from = "Address Start Date"
[files.values.sex]
M = "male"
F = "female"
U = "unknown"

[[files]]
name = "LCS_Address_History.csv"
kind = "addresses"
[files.columns]
record_id = "Person ID"
address_line1 = "Address Line 1"
address_line2 = "Address Line 2"
town = "Town"
postcode = "Postcode"
uprn = "UPRN"
from = "Start Date"
to = "End Date"
restricted = "Confidential"
[files.values.restricted]
Y = "true"
N = "false"

[[files]]
name = "LCS_Relationships.csv"
kind = "relationships"
[files.columns]
from_record_id = "Related Person ID"
to_record_id = "Person ID"
kind = "Relationship"
valid_from = "Start Date"
valid_to = "End Date"
[files.values.kind]
Mother = "mother"
Father = "father"
Step-parent = "step_parent"
"Foster Carer" = "foster_carer"
"Special Guardian" = "special_guardian"
Partner = "partner"
Spouse = "spouse"
Ex-partner = "ex_partner"
Grandparent = "grandparent"

[[files]]
name = "LCS_Episodes.csv"
kind = "involvements"
[files.columns]
record_id = "Person ID"
service = "Episode Type"
start = "Start Date"
end = "End Date"
reason = "Primary Need / Category"
lead_team = "Team"
lead_name = "Allocated Worker"
lead_role = "Worker Role"
lead_phone = "Worker Phone"
lead_email = "Worker Email"
sensitivity = "Restricted"
[files.values.service]
CIN = "Child in need"
CP = "Child protection plan"
LAC = "Looked after child"
[files.values.sensitivity]
Y = "sensitive"
N = "normal"
[files.constants]
level = "statutory"
organisation = "{SOCIAL_CARE}"

[[files]]
name = "LCS_Events.csv"
kind = "events"
[files.columns]
record_id = "Person ID"
date = "Event Date"
type = "Event Type"
summary = "Description"
sensitivity = "Restricted"
[files.values.sensitivity]
Y = "sensitive"
N = "normal"
'''


# -- early help ----------------------------------------------------------------------------------


def early_help(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "early_help",
        {
            "EHM_FamilyMembers.csv": [
                "Member ID",
                "First Name",
                "Last Name",
                "Gender",
                "DOB",
                "NHS No",
                "UPN",
                "Address 1",
                "Address 2",
                "Town/City",
                "Post Code",
                "Moved In",
            ],
            "EHM_Relationships.csv": ["Member ID", "Related Member ID", "Relationship"],
            "EHM_Episodes.csv": [
                "Member ID",
                "Episode Start",
                "Episode End",
                "Reason for Support",
                "Lead Professional",
                "Lead Role",
                "Lead Team",
                "Lead Phone",
                "Lead Email",
                "Sensitive",
            ],
            "EHM_Events.csv": ["Member ID", "Date", "Event", "Notes"],
        },
    )
    known = records.known.get("early_help", {})
    ids = RecordIds("EH-{}", pop.neighbourhood, rng, _STRIDE)
    for key, view in known.items():
        human = pop.humans[key]
        record, seen = _person_view("early_help", human, view, pop, rng, ids, extract)
        child = age_on(human.birth_date, view) < 18
        extract.add(
            "EHM_FamilyMembers.csv",
            [
                record,
                seen.given_names,
                seen.family_name,
                {"male": "Male", "female": "Female"}.get(human.sex, "Unknown"),
                _dmon(seen.birth_date),
                seen.nhs_number if child else "",
                seen.upn,
                seen.line1,
                seen.line2,
                seen.town,
                seen.postcode,
                _dmon(seen.address_from),
            ],
        )
    for bond, view in _bonds_between(pop, known):
        if bond.kind in ("foster_carer", "special_guardian"):
            continue
        kind, _end = _kind_then(bond, view)
        extract.add(
            "EHM_Relationships.csv",
            [ids.of(bond.target), ids.of(bond.source), kind.replace("_", " ").title()],
        )
    for episode in records.episodes:
        if episode.system == "early_help" and episode.lead is not None:
            lead = episode.lead
            extract.add(
                "EHM_Episodes.csv",
                [
                    ids.of(episode.person),
                    _dmon(episode.start),
                    _dmon(episode.end),
                    episode.reason,
                    lead.name,
                    lead.role,
                    lead.team,
                    lead.phone,
                    lead.email,
                    "Yes" if episode.sensitivity != "normal" else "No",
                ],
            )
    for happening in records.happenings:
        if happening.system == "early_help":
            extract.add(
                "EHM_Events.csv",
                [ids.of(happening.person), _dmon(happening.day), happening.type, happening.summary],
            )
    return extract


def _dmon(day: date | None) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return "" if day is None else f"{day.day:02d}-{months[day.month - 1]}-{day.year}"


EARLY_HELP_MAPPING = """# Eastbridge early help (EHM-style export) onto famgraph's canonical CSV.
system = "early_help"
date_format = "%d-%b-%Y"

[[files]]
name = "EHM_FamilyMembers.csv"
kind = "people"
[files.columns]
record_id = "Member ID"
given_names = "First Name"
family_name = "Last Name"
sex = "Gender"
birth_date = "DOB"
nhs_number = "NHS No"
upn = "UPN"
address_line1 = "Address 1"
address_line2 = "Address 2"
town = "Town/City"
postcode = "Post Code"
address_from = "Moved In"
[files.values.sex]
Male = "male"
Female = "female"
Unknown = "unknown"

[[files]]
name = "EHM_Relationships.csv"
kind = "relationships"
[files.columns]
from_record_id = "Related Member ID"
to_record_id = "Member ID"
kind = "Relationship"
[files.values.kind]
Mother = "mother"
Father = "father"
"Step Parent" = "step_parent"
Partner = "partner"
Spouse = "spouse"
"Ex Partner" = "ex_partner"
Grandparent = "grandparent"

[[files]]
name = "EHM_Episodes.csv"
kind = "involvements"
[files.columns]
record_id = "Member ID"
start = "Episode Start"
end = "Episode End"
reason = "Reason for Support"
lead_name = "Lead Professional"
lead_role = "Lead Role"
lead_team = "Lead Team"
lead_phone = "Lead Phone"
lead_email = "Lead Email"
sensitivity = "Sensitive"
[files.values.sensitivity]
Yes = "sensitive"
No = "normal"
[files.constants]
service = "Early help family support"
level = "targeted"
organisation = "Eastbridge Council Early Help"

[[files]]
name = "EHM_Events.csv"
kind = "events"
[files.columns]
record_id = "Member ID"
date = "Date"
type = "Event"
summary = "Notes"
"""


# -- education -----------------------------------------------------------------------------------


def education(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "education",
        {
            "ONE_Pupils.csv": [
                "Person ID",
                "UPN",
                "Legal Forename",
                "Legal Surname",
                "Gender",
                "DOB",
                "Address Line 1",
                "Address Line 2",
                "Town",
                "Postcode",
                "UPRN",
            ],
            "ONE_Contacts.csv": [
                "Contact ID",
                "Title",
                "Forename",
                "Surname",
                "Address Line 1",
                "Address Line 2",
                "Town",
                "Postcode",
            ],
            "ONE_PupilContacts.csv": ["Person ID", "Contact ID", "Relationship", "Priority"],
            "ONE_Enrolments.csv": [
                "Person ID",
                "School URN",
                "School Name",
                "NC Year",
                "Entry Date",
                "Leaving Date",
                "DSL Name",
                "DSL Phone",
                "DSL Email",
            ],
            "ONE_Attendance.csv": [
                "Person ID",
                "UPN",
                "School URN",
                "Academic Year",
                "Sessions Possible",
                "Authorised Absence",
                "Unauthorised Absence",
                "Attendance %",
            ],
            "ONE_PA_Flags.csv": ["Person ID", "Flag Date", "Flag", "Description"],
        },
    )
    known = records.known.get("education", {})
    pupils = [key for key in known if pop.humans[key].upn]
    ids = RecordIds("{:08d}", pop.neighbourhood, rng, _STRIDE)
    contacts = RecordIds("C{:07d}", pop.neighbourhood, rng, _STRIDE)
    written: set[str] = set()
    for key in pupils:
        human, view = pop.humans[key], known[key]
        record, seen = _person_view("education", human, view, pop, rng, ids, extract)
        if " " in seen.given_names:
            extract.noise.append((record, "first_name_only"))
        extract.add(
            "ONE_Pupils.csv",
            [
                record,
                human.upn,
                seen.given_names.split(" ")[0],
                seen.family_name,
                SEX_CODES.get(human.sex, "U"),
                dmy(seen.birth_date),
                seen.line1,
                seen.line2,
                seen.town,
                seen.postcode,
                seen.uprn,
            ],
        )
        stay = human.residence_on(view)
        priority = 0
        for parent_key in (human.mother, human.father):
            if not parent_key or stay is None:
                continue
            parent = pop.humans[parent_key]
            parent_stay = parent.residence_on(view)
            if parent_stay is None or parent_stay.address.uprn != stay.address.uprn:
                continue
            priority += 1
            contact = contacts.of(parent_key)
            if parent_key not in written:
                written.add(parent_key)
                seen_parent = see("education", parent, view, pop, rng)
                extract.truth.append((contact, parent_key))
                extract.noise.append((contact, "no_birth_date"))
                for kind in seen_parent.noise:
                    extract.noise.append((contact, kind))
                extract.add(
                    "ONE_Contacts.csv",
                    [
                        contact,
                        "Mrs" if parent.sex == "female" else "Mr",
                        seen_parent.given_names.split(" ")[0],
                        seen_parent.family_name,
                        seen_parent.line1,
                        seen_parent.line2,
                        seen_parent.town,
                        seen_parent.postcode,
                    ],
                )
            word = "Mother" if parent.sex == "female" else "Father"
            extract.add("ONE_PupilContacts.csv", [record, contact, word, str(priority)])
    for episode in records.episodes:
        if episode.system == "education" and episode.lead is not None:
            lead = episode.lead
            extract.add(
                "ONE_Enrolments.csv",
                [
                    ids.of(episode.person),
                    episode.ref,
                    episode.organisation,
                    episode.reason,
                    dmy(episode.start),
                    dmy(episode.end),
                    lead.name,
                    lead.phone,
                    lead.email,
                ],
            )
    for row in records.attendance:
        rate = 100 * (row.possible - row.missed) / row.possible if row.possible else 100.0
        extract.add(
            "ONE_Attendance.csv",
            [
                ids.of(row.person),
                pop.humans[row.person].upn,
                row.school.urn,
                f"{row.academic_year}/{(row.academic_year + 1) % 100:02d}",
                str(row.possible),
                str(row.authorised),
                str(row.unauthorised),
                f"{rate:.1f}",
            ],
        )
    for happening in records.happenings:
        if happening.system == "education" and happening.type == "persistent_absence":
            extract.add(
                "ONE_PA_Flags.csv",
                [ids.of(happening.person), dmy(happening.day), "PA", happening.summary],
            )
    return extract


EDUCATION_MAPPING = """# Eastbridge education (Capita ONE-style export) onto the canonical CSV.
# ONE_Attendance.csv (sessions possible and missed) is deliberately not mapped: the canonical
# CSV has no attendance columns. Persistent absence (10% of sessions or more) arrives as events
# from ONE_PA_Flags.csv, and the same file is read again as attendance risk indicators.
system = "education"
date_format = "%d/%m/%Y"

[[files]]
name = "ONE_Pupils.csv"
kind = "people"
[files.columns]
record_id = "Person ID"
upn = "UPN"
given_names = "Legal Forename"
family_name = "Legal Surname"
sex = "Gender"
birth_date = "DOB"
address_line1 = "Address Line 1"
address_line2 = "Address Line 2"
town = "Town"
postcode = "Postcode"
uprn = "UPRN"

[[files]]
name = "ONE_Contacts.csv"
kind = "people"
[files.columns]
record_id = "Contact ID"
given_names = "Forename"
family_name = "Surname"
address_line1 = "Address Line 1"
address_line2 = "Address Line 2"
town = "Town"
postcode = "Postcode"

[[files]]
name = "ONE_PupilContacts.csv"
kind = "relationships"
[files.columns]
from_record_id = "Contact ID"
to_record_id = "Person ID"
kind = "Relationship"
[files.values.kind]
Mother = "mother"
Father = "father"
Step-parent = "step_parent"
Carer = "other"
Grandparent = "grandparent"

[[files]]
name = "ONE_Enrolments.csv"
kind = "involvements"
[files.columns]
record_id = "Person ID"
organisation = "School Name"
reason = "NC Year"
start = "Entry Date"
end = "Leaving Date"
lead_name = "DSL Name"
lead_team = "School Name"
lead_phone = "DSL Phone"
lead_email = "DSL Email"
[files.constants]
service = "School"
level = "universal"
lead_role = "Designated Safeguarding Lead"

[[files]]
name = "ONE_PA_Flags.csv"
kind = "events"
[files.columns]
record_id = "Person ID"
date = "Flag Date"
type = "Flag"
summary = "Description"
[files.values.type]
PA = "persistent_absence"
# The same flags again as an attendance risk indicator, from the flag's date. Normal, not
# sensitive: the school knows it already, and the school's agreement lets it see attendance.
[[files]]
name = "ONE_PA_Flags.csv"
kind = "risk_indicators"
[files.columns]
record_id = "Person ID"
from = "Flag Date"
summary = "Description"
[files.constants]
kind = "attendance"
sensitivity = "normal"
"""


# -- police --------------------------------------------------------------------------------------


def police(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "police",
        {
            "NICHE_Nominals.csv": [
                "Nominal ID",
                "Surname",
                "Forename(s)",
                "DOB",
                "Sex",
                "Last Known Address",
                "Postcode",
            ],
            "NICHE_DA_Notifications.csv": [
                "Occurrence Ref",
                "Nominal ID",
                "Occurrence Date",
                "Role",
                "DASH Risk",
            ],
            "NICHE_MARAC.csv": [
                "Nominal ID",
                "MARAC Ref",
                "Referral Date",
                "Closed Date",
                "Officer",
                "Officer Role",
                "Unit",
                "Phone",
                "Email",
            ],
        },
    )
    known = records.known.get("police", {})
    ids = RecordIds("N{:08d}", pop.neighbourhood, rng, _STRIDE)
    for key, view in known.items():
        human = pop.humans[key]
        record, seen = _person_view("police", human, view, pop, rng, ids, extract)
        line = ", ".join(part for part in (seen.line1, seen.line2, seen.town) if part)
        extract.add(
            "NICHE_Nominals.csv",
            [
                record,
                seen.family_name.upper(),
                seen.given_names,
                dmy(seen.birth_date),
                SEX_CODES.get(human.sex, "U"),
                line,
                seen.postcode,
            ],
        )
    for notification in records.notifications:
        for key, role in notification.roles:
            extract.add(
                "NICHE_DA_Notifications.csv",
                [
                    notification.ref,
                    ids.of(key),
                    dmy(notification.day),
                    role,
                    notification.risk.upper(),
                ],
            )
    for episode in records.episodes:
        if episode.system == "police" and episode.lead is not None:
            lead = episode.lead
            extract.add(
                "NICHE_MARAC.csv",
                [
                    ids.of(episode.person),
                    episode.ref,
                    dmy(episode.start),
                    dmy(episode.end),
                    lead.name,
                    lead.role,
                    lead.team,
                    lead.phone,
                    lead.email,
                ],
            )
    return extract


POLICE_MAPPING = """# Eastshire Police (records-system export) onto famgraph's canonical CSV.
# NICHE_DA_Notifications.csv is read twice: as chronology events and as risk indicators.
system = "police"
date_format = "%d/%m/%Y"

[[files]]
name = "NICHE_Nominals.csv"
kind = "people"
[files.columns]
record_id = "Nominal ID"
family_name = "Surname"
given_names = "Forename(s)"
birth_date = "DOB"
sex = "Sex"
address_line1 = "Last Known Address"
postcode = "Postcode"
[files.values.sex]
M = "male"
F = "female"
U = "unknown"

[[files]]
name = "NICHE_DA_Notifications.csv"
kind = "events"
[files.columns]
record_id = "Nominal ID"
date = "Occurrence Date"
summary = ["Role", "DASH Risk"]
[files.constants]
type = "da_notification"
sensitivity = "sensitive"

# Each notification is also a domestic-abuse risk indicator on everyone it names (victim,
# suspect and children present), from the occurrence; the summary keeps the role and the
# DASH risk level. Police say when it happened, not when the risk ended: no `to`.
[[files]]
name = "NICHE_DA_Notifications.csv"
kind = "risk_indicators"
[files.columns]
record_id = "Nominal ID"
from = "Occurrence Date"
summary = ["Role", "DASH Risk"]
[files.constants]
kind = "domestic_abuse"
sensitivity = "sensitive"

[[files]]
name = "NICHE_MARAC.csv"
kind = "involvements"
[files.columns]
record_id = "Nominal ID"
start = "Referral Date"
end = "Closed Date"
lead_name = "Officer"
lead_role = "Officer Role"
lead_team = "Unit"
lead_phone = "Phone"
lead_email = "Email"
[files.constants]
service = "MARAC domestic abuse case"
level = "specialist"
reason = "High risk domestic abuse"
organisation = "Eastshire Police"
sensitivity = "sensitive"
"""


# -- housing -------------------------------------------------------------------------------------


def housing(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "housing",
        {
            "HSG_Persons.csv": [
                "Person Ref",
                "Title",
                "First Name",
                "Surname",
                "Date of Birth",
                "Address",
                "Postcode",
                "Property UPRN",
                "Occupancy Start",
            ],
            "HSG_Occupancy.csv": [
                "Person Ref",
                "Tenancy Ref",
                "Property UPRN",
                "Address",
                "Postcode",
                "From",
                "To",
            ],
            "HSG_Arrears.csv": [
                "Person Ref",
                "Tenancy Ref",
                "Stage",
                "From",
                "To",
                "Description",
            ],
            "HSG_Tenancies.csv": [
                "Person Ref",
                "Tenancy Ref",
                "Tenure",
                "Start",
                "End",
                "Role",
                "Housing Officer",
                "Patch",
                "Officer Phone",
                "Officer Email",
            ],
        },
    )
    known = records.known.get("housing", {})
    ids = RecordIds("HR{:07d}", pop.neighbourhood, rng, _STRIDE)
    for key, view in known.items():
        human = pop.humans[key]
        record, seen = _person_view("housing", human, view, pop, rng, ids, extract)
        adult = age_on(human.birth_date, view) >= 18
        title = ("Ms" if human.sex == "female" else "Mr") if adult else ""
        extract.add(
            "HSG_Persons.csv",
            [
                record,
                title,
                seen.given_names,
                seen.family_name,
                iso(seen.birth_date),
                seen.line1 if not seen.line2 else f"{seen.line1}, {seen.line2}",
                seen.postcode,
                seen.uprn,
                iso(seen.address_from),
            ],
        )
    for tenancy in records.tenancies:
        address = tenancy.address
        line = address.line1 if not address.line2 else f"{address.line1}, {address.line2}"
        for key, start, end in tenancy.members:
            extract.add(
                "HSG_Occupancy.csv",
                [
                    ids.of(key),
                    tenancy.ref,
                    address.uprn,
                    line,
                    address.postcode,
                    iso(start),
                    iso(end),
                ],
            )
    for tenancy in records.tenancies:
        for spell in tenancy.arrears:
            words = (f"Rent arrears, {spell.weeks} weeks" if spell.stage == "ARR"
                     else "Notice seeking possession served")
            extract.add(
                "HSG_Arrears.csv",
                [ids.of(tenancy.lead), tenancy.ref, spell.stage, iso(spell.start),
                 iso(spell.end), words],
            )
    for episode in records.episodes:
        if episode.system == "housing" and episode.lead is not None:
            lead = episode.lead
            extract.add(
                "HSG_Tenancies.csv",
                [
                    ids.of(episode.person),
                    episode.ref,
                    "SEC",
                    iso(episode.start),
                    iso(episode.end),
                    episode.reason,
                    lead.name,
                    lead.team,
                    lead.phone,
                    lead.email,
                ],
            )
    return extract


HOUSING_MAPPING = """# Eastbridge Council housing (tenancy-system export) onto the canonical CSV.
# HSG_Arrears.csv becomes risk indicators on the lead tenant: arrears (ARR) a finances risk,
# a notice seeking possession (NSP) a housing one, told apart by a value map on Stage.
system = "housing"
date_format = "%Y-%m-%d"

[[files]]
name = "HSG_Arrears.csv"
kind = "risk_indicators"
[files.columns]
record_id = "Person Ref"
kind = "Stage"
from = "From"
to = "To"
summary = "Description"
[files.values.kind]
ARR = "finances"
NSP = "housing"
[files.constants]
sensitivity = "normal"

[[files]]
name = "HSG_Persons.csv"
kind = "people"
[files.columns]
record_id = "Person Ref"
given_names = "First Name"
family_name = "Surname"
birth_date = "Date of Birth"
address_line1 = "Address"
postcode = "Postcode"
uprn = "Property UPRN"
address_from = "Occupancy Start"
[files.constants]
town = "Eastbridge"

[[files]]
name = "HSG_Occupancy.csv"
kind = "addresses"
[files.columns]
record_id = "Person Ref"
address_line1 = "Address"
postcode = "Postcode"
uprn = "Property UPRN"
from = "From"
to = "To"
[files.constants]
town = "Eastbridge"
restricted = "false"

[[files]]
name = "HSG_Tenancies.csv"
kind = "involvements"
[files.columns]
record_id = "Person Ref"
service = "Tenure"
start = "Start"
end = "End"
reason = "Role"
lead_name = "Housing Officer"
lead_team = "Patch"
lead_phone = "Officer Phone"
lead_email = "Officer Email"
[files.values.service]
SEC = "Council tenancy"
[files.constants]
level = "universal"
organisation = "Eastbridge Council Housing"
lead_role = "Housing Officer"
"""


# -- youth justice -------------------------------------------------------------------------------


def youth_justice(pop: Population, records: ServiceRecords, rng: random.Random) -> Extract:
    extract = Extract(
        "youth_justice",
        {
            "CV_YoungPeople.csv": [
                "YP ID",
                "Forename",
                "Surname",
                "DOB",
                "Gender",
                "UPN",
                "Address",
                "Postcode",
            ],
            "CV_Carers.csv": [
                "Carer ID",
                "YP ID",
                "Forename",
                "Surname",
                "Relationship",
                "Address",
                "Postcode",
            ],
            "CV_Interventions.csv": [
                "YP ID",
                "Intervention",
                "Start Date",
                "End Date",
                "Case Manager",
                "Role",
                "Team",
                "Phone",
                "Email",
            ],
        },
    )
    known = records.known.get("youth_justice", {})
    young = [
        key
        for key in known
        if any(e.person == key for e in records.episodes if e.system == "youth_justice")
    ]
    ids = RecordIds("YP{:07d}", pop.neighbourhood, rng, _STRIDE)
    carer_ids = RecordIds("CR{:07d}", pop.neighbourhood, rng, _STRIDE)
    for key in young:
        human, view = pop.humans[key], known[key]
        record, seen = _person_view("youth_justice", human, view, pop, rng, ids, extract)
        line = ", ".join(part for part in (seen.line1, seen.line2) if part)
        extract.add(
            "CV_YoungPeople.csv",
            [
                record,
                seen.given_names,
                seen.family_name,
                dmy(seen.birth_date),
                {"male": "1", "female": "2"}.get(human.sex, "0"),
                seen.upn,
                line,
                seen.postcode,
            ],
        )
        for parent_key in (human.mother, human.father):
            if not parent_key or parent_key not in known:
                continue
            parent = pop.humans[parent_key]
            carer = carer_ids.of(f"{parent_key}:{key}")
            seen_parent = see("youth_justice", parent, known[parent_key], pop, rng)
            extract.truth.append((carer, parent_key))
            extract.noise.append((carer, "no_birth_date"))
            for kind in seen_parent.noise:
                extract.noise.append((carer, kind))
            parent_line = ", ".join(p for p in (seen_parent.line1, seen_parent.line2) if p)
            extract.add(
                "CV_Carers.csv",
                [
                    carer,
                    record,
                    seen_parent.given_names,
                    seen_parent.family_name,
                    "Mother" if parent.sex == "female" else "Father",
                    parent_line,
                    seen_parent.postcode,
                ],
            )
    for episode in records.episodes:
        if episode.system == "youth_justice" and episode.lead is not None:
            lead = episode.lead
            extract.add(
                "CV_Interventions.csv",
                [
                    ids.of(episode.person),
                    episode.service,
                    dmy(episode.start),
                    dmy(episode.end),
                    lead.name,
                    lead.role,
                    lead.team,
                    lead.phone,
                    lead.email,
                ],
            )
    return extract


YOUTH_JUSTICE_MAPPING = """# Eastbridge Youth Justice Service (ChildView-style export).
# CV_Carers.csv holds both the carer and their tie to the young person, so it is read twice;
# CV_Interventions.csv is read twice too: as involvements and as offending risk indicators.
system = "youth_justice"
date_format = "%d/%m/%Y"

[[files]]
name = "CV_YoungPeople.csv"
kind = "people"
[files.columns]
record_id = "YP ID"
given_names = "Forename"
family_name = "Surname"
birth_date = "DOB"
sex = "Gender"
upn = "UPN"
address_line1 = "Address"
postcode = "Postcode"
[files.values.sex]
1 = "male"
2 = "female"
0 = "unknown"
[files.constants]
town = "Eastbridge"

[[files]]
name = "CV_Carers.csv"
kind = "people"
[files.columns]
record_id = "Carer ID"
given_names = "Forename"
family_name = "Surname"
address_line1 = "Address"
postcode = "Postcode"

[[files]]
name = "CV_Carers.csv"
kind = "relationships"
[files.columns]
from_record_id = "Carer ID"
to_record_id = "YP ID"
kind = "Relationship"
[files.values.kind]
Mother = "mother"
Father = "father"

[[files]]
name = "CV_Interventions.csv"
kind = "involvements"
[files.columns]
record_id = "YP ID"
service = "Intervention"
start = "Start Date"
end = "End Date"
lead_name = "Case Manager"
lead_role = "Role"
lead_team = "Team"
lead_phone = "Phone"
lead_email = "Email"
[files.constants]
level = "specialist"
reason = "Offending behaviour"
organisation = "Eastbridge Youth Justice Service"
sensitivity = "sensitive"
# An order or intervention is also an offending risk indicator for its length.
[[files]]
name = "CV_Interventions.csv"
kind = "risk_indicators"
[files.columns]
record_id = "YP ID"
from = "Start Date"
to = "End Date"
summary = "Intervention"
[files.constants]
kind = "offending"
sensitivity = "sensitive"
"""

WRITERS = {
    "social_care": (social_care, SOCIAL_CARE_MAPPING),
    "early_help": (early_help, EARLY_HELP_MAPPING),
    "education": (education, EDUCATION_MAPPING),
    "police": (police, POLICE_MAPPING),
    "housing": (housing, HOUSING_MAPPING),
    "youth_justice": (youth_justice, YOUTH_JUSTICE_MAPPING),
}
