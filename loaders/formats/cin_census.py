"""The children in need census (DfE CIN XML, schemas 2021 to 2026) onto canonical records.

One `Message/Children/Child` holds the child's identifiers and one `CINdetails` per episode
of need, with its assessments, section 47 enquiries and child protection plans. Each element
that becomes a canonical record is one row: its 1-based position among all the elements of
the file is the row number, and problems name the element by its path, as in
`Message/Children/Child[3]/CINdetails[1]/CINreferralDate`.

The census holds no names: a child with no UPN cannot be told apart from anyone, so (as for
every nameless DfE record) that child's row is quarantined, and the rows about it are kept
only if an earlier load holds the same `LAchildID`.

This module also holds the pieces the SSDA903 loader shares: the guarded XML reading (no
DOCTYPE, so no entity tricks) and `funnel`, which passes one canonical row through
`canonical_csv.parse_row` and reports its problems under the source's own names.
"""

from __future__ import annotations

import pyexpat
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from graph.model import CIN_PRIMARY_NEEDS
from loaders.errors import LoadError, RowProblem
from loaders.formats.canonical_csv import FILE_KINDS, MAX_FIELD, parse_row
from loaders.quarantine import Quarantine
from loaders.records import Extract, Where

NAME = "cin_census"
SYSTEM = "cin_census"

# --- shared by the DfE formats: one canonical row through the canonical rules ------------------


@dataclass(frozen=True, slots=True)
class Emit:
    """One canonical row built from a source, with where each canonical column came from."""

    kind: str
    fields: dict[str, str]
    where: Where
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


def canonical(kind: str, system: str, **values: str) -> dict[str, str]:
    """Every column of a canonical kind, empty unless given (`from_` stands for `from`,
    `kind_` for a `kind` column)."""
    fields = dict.fromkeys(FILE_KINDS[kind], "")
    fields["system"] = system
    for name, value in values.items():
        fields[name.rstrip("_")] = value
    return fields


def funnel(emit: Emit, quarantine: Quarantine, today: date, extract: Extract) -> bool:
    """Count one row read and validate it through `parse_row`; True if it was kept.

    Warnings and the rejection (if any) are reported with the source's name for the
    column, so a reader of the quarantine sees `DOB` or an XML path, not `birth_date`.
    """
    extract.read += 1
    local = Quarantine()
    kept = True
    try:
        too_long = next((k for k, v in emit.fields.items() if len(v) > MAX_FIELD), None)
        if too_long:
            raise RowProblem(too_long, f"longer than {MAX_FIELD} characters")
        parse_row(emit.kind, emit.fields, emit.where, extract, local, today)
    except RowProblem as problem:
        quarantine.reject(emit.where.file, emit.where.row, emit.label(problem.field),
                          problem.reason)
        kept = False
    for warning in local.warnings:
        quarantine.warn(warning.file, warning.row, emit.label(warning.field), warning.reason)
    return kept


# --- guarded XML --------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised from an expat handler to stop at a declaration famgraph will not process."""


class _Stop(Exception):
    """Raised from an expat handler when a sniff has seen enough."""


def _refuse(*_: object) -> None:
    raise _Refused


def _refuse_external(*_: object) -> int:
    raise _Refused


def local_name(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def safe_xml_root(path: Path) -> ET.Element:
    """The parsed document, refusing any DOCTYPE (and so any ENTITY) before it is parsed.

    Entity expansion (billion laughs) and external entities live in a document type
    declaration, so a first expat pass that stops at the first declaration means the
    tree is only ever built from a document that has none.

    Raises
    ------
    LoadError : unreadable, not well-formed, or declaring a DOCTYPE or ENTITY
    """
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(name, f"cannot be read: {exc.strerror}") from None
    guard = pyexpat.ParserCreate()
    guard.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    guard.StartDoctypeDeclHandler = _refuse
    guard.EntityDeclHandler = _refuse
    guard.ExternalEntityRefHandler = _refuse_external
    try:
        guard.Parse(data, True)
        return ET.fromstring(data)  # noqa: S314  (checked above: no DOCTYPE, no ENTITY)
    except _Refused:
        raise LoadError(name, "declares a DOCTYPE or ENTITY, which famgraph refuses so that "
                              "entity expansion cannot be used against it") from None
    except (pyexpat.ExpatError, ET.ParseError, ValueError, LookupError) as exc:
        raise LoadError(name, f"is not well-formed XML ({exc})") from None


def sniff_xml(path: Path, limit: int = 1 << 16) -> tuple[str, dict[str, str]]:
    """The root element's name and the texts of the elements met in the first bytes.

    A cheap look for `claims`: stops at a DOCTYPE (its name is the root's), at the first
    `Children`, at an error or after `limit` bytes. Texts are keyed by slash paths.
    """
    root = ""
    texts: dict[str, str] = {}
    stack: list[str] = []
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(doctype_name: str, *_: object) -> None:
        nonlocal root
        root = local_name(doctype_name)
        raise _Stop

    def start(tag: str, _attributes: object) -> None:
        nonlocal root
        stack.append(local_name(tag))
        root = root or stack[0]
        if stack[-1] == "Children":
            raise _Stop

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            key = "/".join(stack)
            texts[key] = texts.get(key, "") + data

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        with path.open("rb") as f:
            parser.Parse(f.read(limit), False)
    except (_Stop, _Refused, pyexpat.ExpatError, OSError, ValueError, LookupError):
        pass
    return root, {k: v.strip() for k, v in texts.items()}


@dataclass(slots=True)
class Located:
    """Every element's 1-based position in document order and its path with indices."""

    position: dict[ET.Element, int] = field(default_factory=dict)
    path: dict[ET.Element, str] = field(default_factory=dict)


def locate(root: ET.Element, repeatable: frozenset[str]) -> Located:
    """Positions and paths of all elements; a step gets `[n]` when its element may repeat.

    Iterative, so a deeply nested hostile document cannot exhaust the stack.
    """
    found = Located()
    stack: list[tuple[ET.Element, str]] = [(root, local_name(root.tag))]
    number = 0
    while stack:
        element, path = stack.pop()
        number += 1
        found.position[element] = number
        found.path[element] = path
        tags = Counter(local_name(child.tag) for child in element)
        seen: Counter[str] = Counter()
        steps = []
        for child in element:
            tag = local_name(child.tag)
            seen[tag] += 1
            indexed = tag in repeatable or tags[tag] > 1
            steps.append((child, f"{path}/{tag}[{seen[tag]}]" if indexed else f"{path}/{tag}"))
        stack.extend(reversed(steps))
    return found


def children(element: ET.Element | None, tag: str) -> Iterator[ET.Element]:
    if element is not None:
        yield from (child for child in element if local_name(child.tag) == tag)


def first(element: ET.Element | None, tag: str) -> ET.Element | None:
    return next(children(element, tag), None)


def text_of(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


# --- the CIN census -----------------------------------------------------------------------------

REPEATABLE = frozenset(
    {"Source", "Child", "CINdetails", "Assessments", "CINPlanDates", "Section47",
     "ChildProtectionPlans", "CPPreviewDate", "AssessmentFactors", "Disability"}
)
# GenderCurrent (to 2024) and Sex (from 2025); either code set is accepted in either element.
SEXES = {"1": "male", "2": "female", "0": "unknown", "9": "unknown",
         "M": "male", "F": "female", "U": "unknown"}
YES = frozenset({"1", "true"})
NEEDS = CIN_PRIMARY_NEEDS
CLOSURES = {
    "RC1": "adopted",
    "RC2": "died",
    "RC3": "child arrangements order",
    "RC4": "special guardianship order",
    "RC5": "transferred to another local authority",
    "RC6": "transferred to adult social care",
    "RC7": "services ceased for any other reason",
    "RC8": "closed after assessment, no further action",
    "RC9": "closed after assessment, referred to early help",
}
REFERRAL_SOURCES = {
    "1A": "family member, relative or carer",
    "1B": "acquaintance",
    "1C": "self",
    "1D": "other individual",
    "2A": "school",
    "2B": "education services",
    "3A": "GP",
    "3B": "health visitor",
    "3C": "school nurse",
    "3D": "other primary health services",
    "3E": "A&E",
    "3F": "other health services",
    "4": "housing",
    "5A": "LA social care",
    "5B": "other LA internal service",
    "5C": "another local authority",
    "5D": "LA early help",
    "6": "police",
    "7": "other legal agency",
    "8": "other",
    "9": "anonymous",
    "10": "unknown",
}
ABUSE = {
    "NEG": "neglect",
    "PHY": "physical abuse",
    "SAB": "sexual abuse",
    "EMO": "emotional abuse",
    "MUL": "multiple",
}
FACTORS = frozenset(
    {"1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C",
     "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A",
     "14A", "15A", "16A", "17A", "18A", "18B", "18C", "19A", "19B", "19C", "20", "21", "22A",
     "23A", "24A"}
)
# Assessment factors that are risk indicators (the kinds in docs/architecture.md), with
# whose concern each is.
# The census holds only the child, so every indicator is attached to the child and its
# summary says whose the concern is: "B" codes are the parents' or carers', "C" codes
# another member of the household's. Factors that are harms to the child (neglect, abuse,
# exploitation) are the reason for the involvement, not a family member's risk, and stay
# on the assessment event only.
FACTOR_RISKS: dict[str, tuple[str, str]] = {
    "1A": ("substance_misuse", "alcohol misuse by the child"),
    "1B": ("substance_misuse", "alcohol misuse by the parent(s)/carer(s)"),
    "1C": ("substance_misuse", "alcohol misuse by another person in the household"),
    "2A": ("substance_misuse", "drug misuse by the child"),
    "2B": ("substance_misuse", "drug misuse by the parent(s)/carer(s)"),
    "2C": ("substance_misuse", "drug misuse by another person in the household"),
    "3A": ("domestic_abuse", "the child being the subject of domestic violence"),
    "3B": ("domestic_abuse", "the parent(s)/carer(s) being the subject of domestic violence"),
    "3C": ("domestic_abuse", "another person in the household being the subject of domestic"
                             " violence"),
    "4A": ("mental_health", "the mental health of the child"),
    "4B": ("mental_health", "the mental health of the parent(s)/carer(s)"),
    "4C": ("mental_health", "the mental health of another person in the family/household"),
    "5A": ("development", "the child's learning disability"),
    "13A": ("offending", "the child's involvement in or with gangs"),
    "14A": ("offending", "the child's socially unacceptable behaviour"),
    "15A": ("mental_health", "suspected or actual self-harm by the child"),
    "24A": ("offending", "child criminal exploitation"),
}
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?$")


def claims(path: Path) -> bool:
    """An XML file whose root is `Message` and whose collection (if it says) is CIN."""
    if path.suffix.lower() != ".xml" or not path.is_file():
        return False
    root, texts = sniff_xml(path)
    collection = texts.get("Message/Header/CollectionDetails/Collection")
    return root == "Message" and (collection is None or collection.upper() == "CIN")


def read(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    """Read one CIN census file into `extract`.

    Raises
    ------
    LoadError : not well-formed XML, a DOCTYPE, or not a CIN census message
    """
    name = str(path)
    root = safe_xml_root(path)
    if local_name(root.tag) != "Message":
        raise LoadError(name, f"root element is {local_name(root.tag)!r}, not Message")
    collection = text_of(first(first(first(root, "Header"), "CollectionDetails"), "Collection"))
    if collection and collection.upper() != "CIN":
        raise LoadError(name, f"is a {collection[:40]!r} collection, not the CIN census")
    listing = first(root, "Children")
    if listing is None:
        raise LoadError(name, "has no Message/Children element: not a CIN census return")
    census = _Census(name, locate(root, REPEATABLE), quarantine, today, extract)
    extract.files.append(name)
    for child in children(listing, "Child"):
        census.child(child)


@dataclass(slots=True)
class _Census:
    """One file being read: where its elements are, and where its rows go."""

    file: str
    located: Located
    quarantine: Quarantine
    today: date
    extract: Extract

    def where(self, element: ET.Element) -> Where:
        return Where(self.file, self.located.position[element])

    def path(self, element: ET.Element | None, below: ET.Element, tag: str) -> str:
        """The path of `element`, or of where a missing `tag` would sit under `below`."""
        if element is not None:
            return self.located.path[element]
        return f"{self.located.path[below]}/{tag}"

    def warn(self, element: ET.Element, owner: ET.Element, reason: str) -> None:
        """A warning about `element`, reported at the row (`owner`) whose value it is."""
        self.quarantine.warn(self.file, self.located.position[owner],
                             self.located.path[element], reason)

    def emit(self, emit: Emit) -> None:
        funnel(emit, self.quarantine, self.today, self.extract)

    def code(self, element: ET.Element | None, known: Mapping[str, str] | frozenset[str],
             owner: ET.Element) -> str:
        """The element's code if the schemas know it; an unknown one is warned and left out."""
        value = text_of(element)
        if not value or element is None:
            return ""
        if value.upper() in known:
            return value.upper()
        self.warn(element, owner, f"{value[:12]!r} is not a code of the CIN census; left out")
        return ""

    # --- one Child ------------------------------------------------------------------------------

    def child(self, child: ET.Element) -> None:
        identifiers = first(child, "ChildIdentifiers")
        id_element = first(identifiers, "LAchildID")
        record_id = text_of(id_element)
        id_label = self.path(id_element, identifiers if identifiers is not None else child,
                             "LAchildID")
        self._person(child, identifiers, record_id, id_label)
        for details in children(child, "CINdetails"):
            self._details(details, record_id, id_label)

    def _person(self, child: ET.Element, ids: ET.Element | None, record_id: str,
                id_label: str) -> None:
        below = ids if ids is not None else child
        upn_el, born_el = first(ids, "UPN"), first(ids, "PersonBirthDate")
        expected_el, died_el = first(ids, "ExpectedPersonBirthDate"), first(ids, "PersonDeathDate")
        sex_el = first(ids, "Sex")
        if sex_el is None:
            sex_el = first(ids, "GenderCurrent")
        former = first(ids, "FormerUPN")
        if former is not None and text_of(former):
            # A person holds one UPN per source record; the former one is noted, not stored.
            self.warn(former, child, "a former UPN is given; it is not stored")
        if expected_el is not None and text_of(expected_el) and not text_of(born_el):
            # Unborn at the census: there is no birth date yet, and an expected date is not one.
            self.warn(expected_el, child, "unborn at the census: the expected birth date is not "
                                   "stored as a birth date")
        labels = {
            "record_id": id_label,
            "upn": self.path(upn_el, below, "UPN"),
            "family_name": self.path(upn_el, below, "UPN"),
            "birth_date": self.path(born_el, below, "PersonBirthDate"),
            "death_date": self.path(died_el, below, "PersonDeathDate"),
            "sex": self.path(sex_el, below, "Sex"),
        }
        upn = text_of(upn_el)
        if record_id and not upn:
            unknown = text_of(first(ids, "UPNunknown"))
            self.extract.read += 1
            because = f" (UPNunknown {unknown[:4]})" if unknown else ""
            unborn = " for an unborn child" if text_of(expected_el) and not text_of(born_el) else ""
            self.quarantine.reject(
                self.file, self.located.position[child], labels["upn"],
                f"no UPN{because}{unborn}, and the census holds no name or NHS number: "
                "nothing identifies the child",
            )
            return
        sex = text_of(sex_el)
        fields = canonical(
            "people", SYSTEM, record_id=record_id, upn=upn,
            sex=SEXES.get(sex.upper(), sex),
            birth_date=_iso(text_of(born_el)), death_date=_iso(text_of(died_el)),
        )
        self.emit(Emit("people", fields, self.where(child), labels))

    # --- one CINdetails -------------------------------------------------------------------------

    def _details(self, details: ET.Element, record_id: str, id_label: str) -> None:
        referral_el = first(details, "CINreferralDate")
        closure_el = first(details, "CINclosureDate")
        need = self.code(first(details, "PrimaryNeedCode"), NEEDS, details)
        source = self.code(first(details, "ReferralSource"), REFERRAL_SOURCES, details)
        closure = self.code(first(details, "ReasonForClosure"), CLOSURES, details)
        no_further_action = text_of(first(details, "ReferralNFA")).lower() in YES
        reasons = [
            f"need {need} ({NEEDS[need]})" if need else "",
            f"referred by {source} ({REFERRAL_SOURCES[source]})" if source else "",
            "no further action after referral" if no_further_action else "",
            f"closed {closure} ({CLOSURES[closure]})" if closure else "",
        ]
        fields = canonical(
            "involvements", SYSTEM, record_id=record_id, service="Child in need",
            level="statutory", start=_iso(text_of(referral_el)), end=_iso(text_of(closure_el)),
            reason="; ".join(r for r in reasons if r),
            # An adoption is a restricted fact, and RC1 says the child was adopted.
            sensitivity="restricted" if closure == "RC1" else "normal",
        )
        labels = {
            "record_id": id_label,
            "start": self.path(referral_el, details, "CINreferralDate"),
            "end": self.path(closure_el, details, "CINclosureDate"),
            "reason": self.located.path[details],
        }
        self.emit(Emit("involvements", fields, self.where(details), labels))

        referral = f"source {source} ({REFERRAL_SOURCES[source]})" if source else ""
        if no_further_action:
            referral += "; no further action" if referral else "no further action"
        self._event(referral_el, record_id, id_label, "referral", referral)
        self._event(first(details, "DateOfInitialCPC"), record_id, id_label, "ICPC",
                    "initial child protection conference", "sensitive")
        for assessment in children(details, "Assessments"):
            authorised = first(assessment, "AssessmentAuthorisationDate")
            # The factors are the summary of the authorisation, so that is their row.
            owner = authorised if text_of(authorised) and authorised is not None else assessment
            listed = children(first(assessment, "FactorsIdentifiedAtAssessment"),
                              "AssessmentFactors")
            coded = [(f, self.code(f, FACTORS, owner)) for f in listed]
            factors = [code for _, code in coded if code]
            started = first(assessment, "AssessmentActualStartDate")
            self._event(started, record_id, id_label,
                        "assessment", "child and family assessment started")
            # A factor is known from the assessment's authorisation; an assessment not yet
            # authorised is dated by its start, and one with neither by the referral.
            since = next((e for e in (authorised, started, referral_el)
                          if e is not None and text_of(e)), None)
            for element, code in coded:
                if code in FACTOR_RISKS:
                    self._risk(element, code, since, closure_el, details, record_id, id_label)
            self._event(authorised, record_id, id_label, "assessment authorised",
                        f"factors {' '.join(factors)}" if factors else "no factors recorded")
        for plan in children(details, "CINPlanDates"):
            self._event(first(plan, "CINPlanStartDate"), record_id, id_label, "plan start",
                        "child in need plan")
            self._event(first(plan, "CINPlanEndDate"), record_id, id_label, "plan end",
                        "child in need plan")
        for enquiry in children(details, "Section47"):
            not_needed = text_of(first(enquiry, "ICPCnotRequired")).lower() in YES
            self._event(first(enquiry, "S47ActualStartDate"), record_id, id_label, "S47",
                        "section 47 enquiry" + ("; ICPC not required" if not_needed else ""),
                        "sensitive")
            self._event(first(enquiry, "DateOfInitialCPC"), record_id, id_label, "ICPC",
                        "initial child protection conference", "sensitive")
        for plan in children(details, "ChildProtectionPlans"):
            self._protection_plan(plan, record_id, id_label)
        for proceedings in children(details, "PreProceedingsandFGDM"):
            # From the 2026 return: not in the published XSDs here, read where present.
            self._event(first(proceedings, "PPStartDate"), record_id, id_label,
                        "pre-proceedings", "pre-proceedings started", "sensitive")
            self._event(first(proceedings, "CourtAppDate"), record_id, id_label,
                        "court application", "application to court", "sensitive")

    def _risk(self, factor: ET.Element, code: str, since: ET.Element | None,
              until: ET.Element | None, details: ET.Element, record_id: str,
              id_label: str) -> None:
        """One assessment factor as a risk indicator on the child, current until the
        episode closes."""
        kind, what = FACTOR_RISKS[code]
        fields = canonical(
            "risk_indicators", SYSTEM, record_id=record_id, kind_=kind,
            from_=_iso(text_of(since)), to=_iso(text_of(until)),
            summary=f"CIN assessment factor {code}: concerns about {what}",
            sensitivity="sensitive",
        )
        labels = {
            "record_id": id_label,
            "kind": self.located.path[factor],
            "from": self.path(since, details, "Assessments/AssessmentAuthorisationDate"),
            "to": self.path(until, details, "CINclosureDate"),
        }
        self.emit(Emit("risk_indicators", fields, self.where(factor), labels))

    def _protection_plan(self, plan: ET.Element, record_id: str, id_label: str) -> None:
        start_el, end_el = first(plan, "CPPstartDate"), first(plan, "CPPendDate")
        initial = self.code(first(plan, "InitialCategoryOfAbuse"), ABUSE, plan)
        latest = self.code(first(plan, "LatestCategoryOfAbuse"), ABUSE, plan)
        previous = text_of(first(plan, "NumberOfPreviousCPP"))
        category = f"category {initial} ({ABUSE[initial]})" if initial else ""
        if latest and latest != initial:
            category += f"{', ' if category else ''}latest {latest} ({ABUSE[latest]})"
        reasons = [category]
        if previous.isdigit() and int(previous) > 0:
            reasons.append(f"{int(previous)} previous plans")
        fields = canonical(
            "involvements", SYSTEM, record_id=record_id, service="Child protection plan",
            level="statutory", start=_iso(text_of(start_el)), end=_iso(text_of(end_el)),
            reason="; ".join(r for r in reasons if r), sensitivity="sensitive",
        )
        labels = {
            "record_id": id_label,
            "start": self.path(start_el, plan, "CPPstartDate"),
            "end": self.path(end_el, plan, "CPPendDate"),
            "reason": self.located.path[plan],
        }
        self.emit(Emit("involvements", fields, self.where(plan), labels))
        summary = f"child protection plan{': ' + category if category else ''}"
        self._event(start_el, record_id, id_label, "plan start", summary, "sensitive")
        self._event(end_el, record_id, id_label, "plan end", summary, "sensitive")
        for review in children(first(plan, "Reviews"), "CPPreviewDate"):
            self._event(review, record_id, id_label, "CP review",
                        "child protection plan review", "sensitive")

    def _event(self, element: ET.Element | None, record_id: str, id_label: str, kind: str,
               summary: str, sensitivity: str = "normal") -> None:
        """A dated element as an event; an absent or empty date element is no row."""
        day = text_of(element)
        if element is None or not day:
            return
        fields = canonical("events", SYSTEM, record_id=record_id, date=_iso(day), type=kind,
                           summary=summary, sensitivity=sensitivity)
        labels = {"record_id": id_label, "date": self.located.path[element]}
        self.emit(Emit("events", fields, self.where(element), labels))


def _iso(text: str) -> str:
    """An xs:date (a time zone or time of day may trail it) as a plain ISO date."""
    match = _ISO_DATE.match(text)
    return match.group(1) if match else text
