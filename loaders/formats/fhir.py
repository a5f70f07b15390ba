"""FHIR R4 / UK Core resources, JSON or XML, a Bundle or one resource, onto the canonical rows.

What maps to what
-----------------
Every row is built as canonical fields and goes through `canonical_csv.parse_row`, so the
checks, warnings and quarantine are those of every other format.

- system: the top-level resource's `meta.source` when it is a safe system name (letters,
  digits, '.', '_', '-'; up to 64 characters), else "health" (with a warning when a
  `meta.source` was there but is a URI). One system per file, so references inside a
  Bundle stay inside it.
- Patient -> one people row. record_id: `Patient.id`, else the first identifier value
  (an identifier value holding '/' is refused, see RelatedPerson). Names: the official
  name, else usual, else one with no use, else the rest (old and maiden last; within a
  use, a name whose period has ended comes last); given names joined by spaces; every
  other name ("given family", or its text) into other_names, joined by "; ". gender ->
  sex ("other" has no canonical sex: unknown, with a warning). birthDate -> birth_date;
  deceasedDateTime -> death_date (its date part; deceasedBoolean true with no date is a
  warning). NHS number: the identifier whose system is https://fhir.nhs.uk/Id/nhs-number.
- Addresses (Patient and RelatedPerson alike). work, billing and postal-only addresses are
  not where anyone lives and are skipped. The current address (period covering today; use
  home, then none, then temp; never old) goes on the people row, address_from =
  period.start. Every other address becomes an addresses row with from/to when it ended on
  or before today; one that has not started yet, or is old without an end date, cannot be
  placed in time (an open row would read as "lives here now") and is dropped with a
  warning. Lines: the first is address_line1, the rest joined by ", " are address_line2
  (PDS puts town and county in lines); city -> town; postalCode -> postcode; the UPRN from
  the UK Core AddressKey extension whose type is UPRN. A resource labelled restricted or
  very restricted (`meta.security`, v3 Confidentiality R or V, on it or on its Bundle)
  keeps every address, the current one too, in addresses rows marked restricted, because
  the people row cannot carry a sensitivity; the person row itself gets a warning saying
  so.
- RelatedPerson -> a people row with record_id "RelatedPerson/<id>" (FHIR ids are unique
  per resource type only: the HL7 examples hold Patient/f001 and RelatedPerson/f001, two
  people; '/' cannot occur in a FHIR id, so the prefix never collides with a Patient), and
  a relationships row: from = the related person, to = the patient ("from is the <kind>
  of to"), valid_from/valid_to from RelatedPerson.period. The patient is found from
  `patient.reference` ("Patient/<id>", an absolute URL ending so, or the fullUrl of a
  Patient in the same Bundle) or `patient.identifier` (a Patient in the same file with
  that identifier; else, for an NHS number, the number itself, since PDS gives each
  Patient its NHS number as id). kind from v3 RoleCode (the first mapped coding wins):
  MTH NMTH BIOMTH GESTM NMTHF mother; FTH NFTH BIOFTH NFTHF father; PRN NPRN parent;
  STPPRN STPMTH STPFTH step_parent; ADOPTP ADOPTM ADOPTF adoptive_parent; PRNFOST MTHFOST
  FTHFOST foster_carer; SPS HUSB WIFE spouse; DOMPART SIGOTHR partner; FMRSPS ex_partner;
  GRPRN GRMTH GRFTH and maternal/paternal forms grandparent; SIB BRO SIS, natural, half,
  step and twin forms sibling. A related person who is the patient's child, adopted,
  foster, step or grandchild (CHILD NCHILD SON SONC DAU DAUC ...) turns the row round:
  the patient is the parent, adoptive parent, foster carer, step parent or grandparent.
  Everything else (v2-0131 contact roles, UK Core Guardian, Carer, great-grandparents,
  aunts, in-laws) is "other": Guardian is not a special guardianship order.
- EpisodeOfCare -> an involvements row: record_id = the patient it is about (found as
  above), service = the first type's text, else its first coding's display, else code;
  level universal; status active, onhold, planned and waitlist -> open, finished ->
  closed, cancelled and entered-in-error are quarantined (not an involvement); period ->
  start/end; managingOrganization.display -> organisation; careManager.display ->
  lead_name. Without a display, an Organization or Practitioner in the same Bundle that
  the reference names gives the name (and the practitioner's phone and email, a work one
  first); those two resource types are read only for that. Restricted as above ->
  sensitivity restricted.
- NHS number verification (UK Core NHSNumberVerificationStatus extension): a status other
  than 01 (present and verified) keeps the number, which has passed the modulus 11 check,
  and adds a warning naming the status. Dropping it would lose the strongest identifier
  for linking a child's records; the warning lets the data owner review the load.
- Other resource types (Group, Observation, CodeSystem, nested Bundles...) and entries
  without a resource are skipped: one warning per file counts them; they are not read.

Rows, paths and counts
----------------------
`row` is the entry's 1-based index in the Bundle (1 for a file holding one resource).
`field` in rejections and warnings is the element's FHIRPath, indexed from 0 as FHIRPath
is, so row 4 is `Bundle.entry[3]`. File-level warnings use row 0.

`extract.read` counts canonical rows. A resource that becomes rows adds one per row (a
Patient with two past addresses is 3); one that is quarantined adds exactly 1 and its
rows are all withdrawn, so each entry has at most one quarantine key (file, row) and the
load balances: read = loaded + quarantined. A past-address row that fails its checks is
dropped with a warning rather than taking its person with it, and is not counted. A
RelatedPerson whose link cannot be built is quarantined whole; when the linked patient is
in neither this load nor the store, the person loads and the relationship row is
quarantined by the pipeline, against the same entry.

Whole-file problems raise LoadError naming the file: larger than MAX_FILE_BYTES, not
UTF-8, not JSON or well-formed XML, nested deeper than MAX_DEPTH, JSON with duplicate keys
or NaN, text with NUL or unpaired surrogates, XML declaring a DOCTYPE or ENTITY (entity
expansion and external entities are refused before and during parsing), or no FHIR
resource at the top.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.parsers import expat

from loaders.errors import LoadError, RowProblem
from loaders.formats.canonical_csv import FILE_KINDS, MAX_FIELD, parse_row
from loaders.quarantine import Quarantine
from loaders.records import Extract, Where
from loaders.validate import postcode_valid

NAME = "fhir"

FHIR_NAMESPACE = "http://hl7.org/fhir"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a PDS search Bundle is kilobytes; more is an export job
MAX_DEPTH = 64  # R4 resources nest about 15 levels; deeper is a broken or hostile file
SNIFF_BYTES = 64 * 1024
DEFAULT_SYSTEM = "health"

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
VERIFICATION_STATUS = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
ADDRESS_KEY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ROLE_CODE_SYSTEMS = frozenset(
    {
        "",
        "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
        "http://hl7.org/fhir/v3/RoleCode",
        "urn:oid:2.16.840.1.113883.5.111",
    }
)


def _roles(kind: str, codes: str, reverse: bool = False) -> dict[str, tuple[str, bool]]:
    return {code: (kind, reverse) for code in codes.split()}


# v3 RoleCode -> (canonical kind, whether the patient rather than the related person is it).
ROLE_KINDS: dict[str, tuple[str, bool]] = {
    **_roles("mother", "MTH NMTH BIOMTH GESTM NMTHF"),
    **_roles("father", "FTH NFTH BIOFTH NFTHF"),
    **_roles("parent", "PRN NPRN"),
    **_roles("step_parent", "STPPRN STPMTH STPFTH"),
    **_roles("adoptive_parent", "ADOPTP ADOPTM ADOPTF"),
    **_roles("foster_carer", "PRNFOST MTHFOST FTHFOST"),
    **_roles("spouse", "SPS HUSB WIFE"),
    **_roles("partner", "DOMPART SIGOTHR"),
    **_roles("ex_partner", "FMRSPS"),
    **_roles("grandparent", "GRPRN GRMTH GRFTH MGRPRN MGRMTH MGRFTH PGRPRN PGRMTH PGRFTH"),
    **_roles(
        "sibling",
        "SIB BRO SIS NSIB NBRO NSIS HSIB HBRO HSIS STPSIB STPBRO STPSIS"
        " TWIN TWINBRO TWINSIS FTWIN FTWINBRO FTWINSIS ITWIN ITWINBRO ITWINSIS",
    ),
    **_roles("parent", "CHILD NCHILD SON SONC DAU DAUC", reverse=True),
    **_roles("adoptive_parent", "CHLDADOPT SONADOPT DAUADOPT", reverse=True),
    **_roles("foster_carer", "CHLDFOST SONFOST DAUFOST", reverse=True),
    **_roles("step_parent", "STPCHLD STPSON STPDAU", reverse=True),
    **_roles("grandparent", "GRNDCHILD GRNDSON GRNDDAU", reverse=True),
}
EPISODE_STATUSES = {
    "planned": "open",
    "waitlist": "open",
    "active": "open",
    "onhold": "open",
    "finished": "closed",
}
NOT_INVOLVEMENTS = frozenset({"cancelled", "entered-in-error"})
NAME_USE_RANK = {"official": 0, "usual": 1, "": 2, "old": 4, "maiden": 4, "anonymous": 5}
HOME_RANK = {"home": 0, "": 1, "temp": 2}
NOT_RESIDENCES = frozenset({"work", "billing"})
LOOKUP_TYPES = frozenset({"Practitioner", "Organization"})  # read only to name others

_SYSTEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FHIR_ID = re.compile(r"^[A-Za-z0-9.-]{1,64}$")
_RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z]{0,63}$")
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]+)?$")
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})T")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# The JSON escapes that could spell one (a false match, such as an escaped backslash before
# "u0000", only costs the full search).
_BAD_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# For `_nesting`: a JSON string (the unrolled form, quick on long strings), and what is
# not a bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_DECLARATIONS = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_START_TAG = re.compile(r"<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)([^>]*)>")
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

Node = dict[str, Any]


# --- which files -----------------------------------------------------------------------------


def claims(path: Path) -> bool:
    """A .json file that opens as an object naming a resourceType, or a .xml file whose root
    element is in the FHIR namespace. A sniff of the first 64 KiB: a broken file that looks
    like FHIR is claimed, so that `read` can say what is wrong with it."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xml") or not path.is_file():
        return False
    try:
        with path.open("rb") as f:
            head = _sniff_text(f.read(SNIFF_BYTES))
    except OSError:
        return False
    if suffix == ".json":
        return head.lstrip().startswith("{") and '"resourceType"' in head
    root = _START_TAG.match(_root_tag(head))
    if root is None:
        return False
    prefix = root.group(1).partition(":")[0] if ":" in root.group(1) else ""
    declaration = f"xmlns:{prefix}" if prefix else "xmlns"
    pattern = rf"(?:^|\s){re.escape(declaration)}\s*=\s*[\"']{re.escape(FHIR_NAMESPACE)}[\"']"
    return re.search(pattern, root.group(2)) is not None


def _root_tag(text: str) -> str:
    """The first start tag after the prolog (declaration, comments, PIs, a DOCTYPE), or "".
    A forward scan rather than a regex: prolog patterns backtrack badly on hostile input."""
    at = 0
    while (at := text.find("<", at)) >= 0:
        if text.startswith("<?", at):
            end = text.find("?>", at)
        elif text.startswith("<!--", at):
            end = text.find("-->", at)
        elif text.startswith("<!", at):
            end, subset = text.find(">", at), text.find("[", at)
            if 0 <= subset < end:
                end = text.find(">", text.find("]", subset))
        else:
            end = text.find(">", at)
            return text[at : end + 1] if end >= 0 else ""
        if end < 0:
            return ""
        at = end + 1
    return ""


def _sniff_text(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head.decode(encoding.lower(), errors="replace")
    return head.decode("utf-8", errors="replace").removeprefix("\ufeff")


# --- whole files -----------------------------------------------------------------------------


def read(path: Path, quarantine: Quarantine, today: date, extract: Extract) -> None:
    """Read one FHIR file (JSON or XML; a Bundle of any type or one resource) into `extract`.

    Raises
    ------
    LoadError : the file is too large, not UTF-8, not JSON or XML, too deep, declares a
        DOCTYPE or ENTITY, or holds no FHIR resource; nothing of it is kept
    """
    name = str(path)
    top = _parse_file(path, name)
    _read_resources(top, name, quarantine, today, extract)
    extract.files.append(name)


def _parse_file(path: Path, name: str) -> Node:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(name, f"is {size:,} bytes; a FHIR file may hold {MAX_FILE_BYTES:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(name, f"cannot be read: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(name, f"is over {MAX_FILE_BYTES:,} bytes")
    text = _decode(data, name)
    top = _parse_xml(text, name) if text.lstrip().startswith("<") else _parse_json(text, name)
    kind = top.get("resourceType")
    if not isinstance(kind, str) or not _RESOURCE_TYPE.match(kind):
        raise LoadError(name, "is not a FHIR resource: the top level names no resourceType")
    return top


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise LoadError(name, f"is {encoding}; FHIR JSON and XML must be UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"is not UTF-8 (byte {exc.start})") from None
    if "\x00" in text:
        raise LoadError(name, "contains NUL bytes: not a FHIR JSON or XML file")
    return text


def _parse_json(text: str, name: str) -> Node:
    try:
        value = json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_no_constant
        )
    except RecursionError:
        raise LoadError(name, f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise LoadError(name, f"is not valid JSON ({str(exc)[:120]})") from None
    _check_tree(value, name, text)
    if not isinstance(value, dict):
        raise LoadError(name, "is not a FHIR resource: the top level is not a JSON object")
    return value


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> Node:
    # A second "id" or "birthDate" in one object would be silently last-wins in json.loads.
    result: Node = dict(pairs)
    if len(result) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {key[:40]!r} appears twice in one object")
            seen.add(key)
    return result


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _check_tree(value: Any, name: str, text: str) -> None:
    # Only a \u escape puts a NUL or a surrogate in a string of UTF-8 JSON already checked
    # for NUL bytes: without one, the strings need not be searched one by one.
    texts = _BAD_ESCAPE.search(text) is not None
    if not texts and _nesting(text) < MAX_DEPTH:
        return  # every value, even one inside the deepest array or object, is shallow enough
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LoadError(name, f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            if texts and isinstance(item, str) and _BAD_TEXT.search(item):
                raise LoadError(name, "holds a NUL or an unpaired surrogate escape: not text")
            continue
        for child in item:
            # Plain values deep enough to fail, or worth searching, are checked like the rest.
            if isinstance(child, dict | list) or depth >= MAX_DEPTH or texts:
                stack.append((child, depth + 1))


def _nesting(text: str) -> int:
    """How deeply the arrays and objects of JSON `text` nest (brackets inside strings are
    not counted), worked out by C loops rather than a walk over every parsed value."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


@dataclass(slots=True)
class _Element:
    """One XML element while it is open; becomes the JSON shape FHIR gives it when closed."""

    namespace: str
    local: str
    attributes: dict[str, str]
    children: dict[str, list[Any]] = field(default_factory=dict)

    def value(self) -> Any:
        if "value" in self.attributes:
            return self.attributes["value"]  # a primitive; extensions on it are not read
        is_resource = self.local[:1].isupper()
        if not is_resource:
            for key, values in self.children.items():
                if key[:1].isupper():
                    return values[0]  # `resource`, `contained`: the element wraps a resource
        node: Node = {k: v for k, v in self.attributes.items() if " " not in k}
        node.update(self.children)
        if is_resource:
            node["resourceType"] = self.local
        return node


class _XmlTree:
    """Builds the JSON shape from expat events; refuses DTDs and entities outright."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.open: list[_Element] = []
        self.root: Any = None

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if len(self.open) >= MAX_DEPTH:
            raise LoadError(self.name, f"nests deeper than {MAX_DEPTH} levels")
        namespace, _, local = tag.rpartition(" ")
        self.open.append(_Element(namespace, local, attributes))

    def end(self, tag: str) -> None:
        element = self.open.pop()
        if not self.open:
            if element.namespace != FHIR_NAMESPACE:
                raise LoadError(self.name, f"root element <{element.local}> is not FHIR XML")
            self.root = element.value()
            return
        parent = self.open[-1]
        if element.namespace == FHIR_NAMESPACE and parent.namespace == FHIR_NAMESPACE:
            parent.children.setdefault(element.local, []).append(element.value())
        # anything else (the XHTML narrative) is not read

    def refuse(self, *_: Any) -> Any:
        raise LoadError(self.name, "declares a DOCTYPE or entities; refused")


def _parse_xml(text: str, name: str) -> Node:
    # Refused before parsing, and again by handlers should a declaration slip past the scan.
    if _DECLARATIONS.search(text):
        raise LoadError(name, "declares a DOCTYPE or ENTITY; FHIR XML has none, so it is refused")
    tree = _XmlTree(name)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = tree.refuse
    parser.EntityDeclHandler = tree.refuse
    parser.UnparsedEntityDeclHandler = tree.refuse
    parser.ExternalEntityRefHandler = tree.refuse
    parser.StartElementHandler = tree.start
    parser.EndElementHandler = tree.end
    try:
        parser.Parse(text, True)  # a str is parsed as UTF-8 whatever the declaration says
    except expat.ExpatError as exc:
        raise LoadError(name, f"is not well-formed XML ({exc})") from None
    if not isinstance(tree.root, dict) or "resourceType" not in tree.root:
        raise LoadError(name, "is not a FHIR resource: the root element is not a resource")
    return tree.root


# --- elements --------------------------------------------------------------------------------
# JSON gives 0..* elements as arrays and XML repeats them; both shapes are read alike, and an
# element of the wrong shape makes the resource unusable at that element's path.


def _many(node: Node, key: str, path: str) -> list[tuple[Any, str]]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    return [(v, f"{path}.{key}[{i}]") for i, v in enumerate(value) if v is not None]


def _one(node: Node, key: str, path: str) -> tuple[Any, str] | None:
    here = f"{path}.{key}"
    value = node.get(key)
    if isinstance(value, list):
        present = [v for v in value if v is not None]
        if len(present) > 1:
            raise RowProblem(here, "appears more than once")
        value = present[0] if present else None
    return None if value is None else (value, here)


def _text(node: Node, key: str, path: str) -> str:
    found = _one(node, key, path)
    if found is None:
        return ""
    value, here = found
    if not isinstance(value, str):
        raise RowProblem(here, "is not a string")
    return value.strip()


def _texts(node: Node, key: str, path: str) -> list[str]:
    texts = []
    for value, here in _many(node, key, path):
        if not isinstance(value, str):
            raise RowProblem(here, "is not a string")
        if value.strip():
            texts.append(value.strip())
    return texts


def _object(node: Node, key: str, path: str) -> tuple[Node, str] | None:
    found = _one(node, key, path)
    if found is not None and not isinstance(found[0], dict):
        raise RowProblem(found[1], "is not an object")
    return found


def _objects(node: Node, key: str, path: str) -> list[tuple[Node, str]]:
    found = _many(node, key, path)
    for value, here in found:
        if not isinstance(value, dict):
            raise RowProblem(here, "is not an object")
    return found


def _flag(node: Node, key: str, path: str) -> bool:
    found = _one(node, key, path)
    if found is None:
        return False
    value, here = found
    if value in (True, "true"):
        return True
    if value in (False, "false"):
        return False
    raise RowProblem(here, "is not true or false")


def _extensions(node: Node, path: str, url: str) -> list[tuple[Node, str]]:
    return [(e, p) for e, p in _objects(node, "extension", path) if _text(e, "url", p) == url]


def _codings(concept: Node, path: str) -> list[tuple[str, str, str]]:
    """(system, code, display) of each coding of a CodeableConcept."""
    return [
        (_text(c, "system", p), _text(c, "code", p), _text(c, "display", p))
        for c, p in _objects(concept, "coding", path)
    ]


def _day_text(text: str) -> str:
    """The date part of a dateTime; anything else is left for the canonical check to judge."""
    found = _DAY.match(text)
    return found.group(1) if found else text


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(_day_text(text)) if text else None
    except ValueError:
        return None


def _period(node: Node, path: str) -> tuple[str, str, str]:
    """(start, end, path of the period) with dateTimes cut to their date."""
    found = _object(node, "period", path)
    if found is None:
        return "", "", f"{path}.period"
    period, here = found
    return _day_text(_text(period, "start", here)), _day_text(_text(period, "end", here)), here


def _restricted(resource: Node, path: str) -> bool:
    found = _object(resource, "meta", path)
    if found is None:
        return False
    for coding, here in _objects(found[0], "security", found[1]):
        code, system = _text(coding, "code", here), _text(coding, "system", here)
        if code in ("R", "V") and system in ("", CONFIDENTIALITY):
            return True
    return False


# --- rows ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """Canonical fields of one row and the element path each came from."""

    kind: str
    base: str
    fields: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    optional: bool = False  # a problem drops this row with a warning, not the whole resource

    def set(self, column: str, value: str, path: str | None = None) -> None:
        self.fields[column] = value
        if path is not None:
            self.paths[column] = path

    def path_of(self, column: str) -> str:
        return self.paths.get(column, self.base)


@dataclass(slots=True)
class _File:
    """What every resource of one file shares while it is read."""

    name: str
    system: str
    system_path: str
    today: date
    quarantine: Quarantine
    restricted: bool = False
    by_url: dict[str, str] = field(default_factory=dict)
    by_identifier: dict[tuple[str, str], str] = field(default_factory=dict)
    named: dict[str, tuple[Node, str]] = field(default_factory=dict)
    row: int = 0

    def warn(self, path: str, reason: str) -> None:
        self.quarantine.warn(self.name, self.row, path, reason)


def _read_resources(
    top: Node, name: str, quarantine: Quarantine, today: date, extract: Extract
) -> None:
    kind = str(top["resourceType"])
    ctx = _File(name, DEFAULT_SYSTEM, f"{kind}.meta.source", today, quarantine)
    try:
        source = ""
        meta = _object(top, "meta", kind)
        if meta is not None:
            source = _text(meta[0], "source", meta[1])
        ctx.restricted = _restricted(top, kind)
    except RowProblem as problem:
        ctx.warn(problem.field, f"{problem.reason}; not read")
    if source and _SYSTEM.match(source):
        ctx.system = source
    elif source:
        ctx.warn(ctx.system_path, f"{source[:60]!r} is not a system name (letters, digits, '.',"
                 f" '_', '-'); records use {DEFAULT_SYSTEM!r}")
    entries = _entries(top, kind)
    _index(entries, ctx)
    skipped: Counter[str] = Counter()
    for row, path, resource, _ in entries:
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            skipped["(no resource)"] += 1
            continue
        if resource["resourceType"] in LOOKUP_TYPES:
            continue
        builder = _BUILDERS.get(resource["resourceType"])
        if builder is None:
            skipped[str(resource["resourceType"])[:64]] += 1
            continue
        ctx.row = row
        _load_resource(builder, resource, path, ctx, extract)
    if skipped:
        counted = ", ".join(f"{t} ({n})" for t, n in sorted(skipped.items()))
        quarantine.warn(name, 0, "Bundle.entry" if kind == "Bundle" else kind,
                        f"skipped {skipped.total()} resource(s) this loader does not read:"
                        f" {counted}")


def _entries(top: Node, kind: str) -> list[tuple[int, str, Any, str]]:
    """(row, path, resource, fullUrl) of each resource: a Bundle's entries, or the one."""
    if kind != "Bundle":
        return [(1, kind, top, "")]
    found = []
    raw = top.get("entry")
    entries = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    for index, entry in enumerate(entries):
        resource: Any = None
        full_url: Any = ""
        if isinstance(entry, dict):
            resource, full_url = entry.get("resource"), entry.get("fullUrl", "")
            if isinstance(resource, list):
                resource = resource[0] if len(resource) == 1 else None
            if isinstance(full_url, list):
                full_url = full_url[0] if len(full_url) == 1 else ""
        path = f"Bundle.entry[{index}].resource"
        found.append((index + 1, path, resource, full_url if isinstance(full_url, str) else ""))
    return found


def _index(entries: list[tuple[int, str, Any, str]], ctx: _File) -> None:
    """Patients of this file by fullUrl and identifier, so references to them resolve, and
    practitioners and organisations by fullUrl and Type/id, to name an episode's lead."""
    for _, path, resource, full_url in entries:
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        try:
            if kind in LOOKUP_TYPES:
                resource_id = _text(resource, "id", path)
                addresses = [full_url.strip(), f"{kind}/{resource_id}" if resource_id else ""]
                for address in filter(None, addresses):
                    ctx.named.setdefault(address, (resource, path))
            elif kind == "Patient":
                record_id = _record_id(resource, path)
                if full_url:
                    ctx.by_url.setdefault(full_url.strip(), record_id)
                for identifier, here in _objects(resource, "identifier", path):
                    key = (_text(identifier, "system", here), _text(identifier, "value", here))
                    if key[1]:
                        ctx.by_identifier.setdefault(key, record_id)
        except RowProblem:
            continue  # a Patient's problem is reported when it is read; a lookup's is not used


def _load_resource(
    builder: Callable[[Node, str, _File], list[_Row]],
    resource: Node,
    path: str,
    ctx: _File,
    out: Extract,
) -> None:
    where = Where(ctx.name, ctx.row)
    scratch = Extract()
    try:
        for row in builder(resource, path, ctx):
            try:
                _parse(row, where, scratch, ctx)
            except RowProblem as problem:
                if not row.optional:
                    raise
                ctx.warn(problem.field, f"{problem.reason}; this address is not loaded")
    except RowProblem as problem:
        out.read += 1
        ctx.quarantine.reject(ctx.name, ctx.row, problem.field, problem.reason)
        return
    out.read += scratch.rows()
    out.people += scratch.people
    out.addresses += scratch.addresses
    out.relationships += scratch.relationships
    out.involvements += scratch.involvements
    out.events += scratch.events


def _parse(row: _Row, where: Where, out: Extract, ctx: _File) -> None:
    """parse_row, with canonical column names in problems and warnings turned into paths."""
    fields = {column: row.fields.get(column, "") for column in FILE_KINDS[row.kind]}
    for column, value in fields.items():
        if len(value) > MAX_FIELD:
            raise RowProblem(row.path_of(column), f"longer than {MAX_FIELD} characters")
    local = Quarantine()
    try:
        parse_row(row.kind, fields, where, out, local, ctx.today)
    except RowProblem as problem:
        raise RowProblem(row.path_of(problem.field), problem.reason) from None
    finally:
        for warning in local.warnings:
            ctx.quarantine.warn(warning.file, warning.row, row.path_of(warning.field),
                                warning.reason)


def _record_id(resource: Node, path: str) -> str:
    """Resource.id, else its first identifier value."""
    resource_id = _text(resource, "id", path)
    if resource_id:
        if not _FHIR_ID.match(resource_id):
            raise RowProblem(f"{path}.id", "is not a FHIR id (A-Z a-z 0-9 '-' '.', up to 64)")
        return resource_id
    for identifier, here in _objects(resource, "identifier", path):
        value = _text(identifier, "value", here)
        if value:
            if "/" in value:
                raise RowProblem(f"{here}.value", "holds '/', so it cannot stand in for an id")
            return value
    raise RowProblem(f"{path}.id", "is required: the resource has no id and no identifier value")


def _patient(resource: Node, path: str, ctx: _File) -> list[_Row]:
    return _person(resource, path, _record_id(resource, path), ctx)


def _person(resource: Node, path: str, record_id: str, ctx: _File) -> list[_Row]:
    """The people row of a Patient or RelatedPerson, then its address history rows."""
    row = _Row("people", path)
    row.set("system", ctx.system, ctx.system_path)
    row.set("record_id", record_id, f"{path}.id")
    _names(resource, path, row, ctx.today)
    gender = _text(resource, "gender", path)
    if gender == "other":
        ctx.warn(f"{path}.gender", "'other' has no canonical sex; recorded as unknown")
        gender = "unknown"
    row.set("sex", gender, f"{path}.gender")
    row.set("birth_date", _text(resource, "birthDate", path), f"{path}.birthDate")
    died = _text(resource, "deceasedDateTime", path)
    if died:
        row.set("death_date", _day_text(died), f"{path}.deceasedDateTime")
    elif _flag(resource, "deceasedBoolean", path):
        ctx.warn(f"{path}.deceasedBoolean", "is true but gives no date; the death is not recorded")
    _nhs_number(resource, path, row, ctx)
    restricted = ctx.restricted or _restricted(resource, path)
    if restricted:
        ctx.warn(f"{path}.meta.security", "labelled restricted: addresses load as restricted;"
                 " the people row itself carries no sensitivity")
    return [row, *_addresses(resource, path, row, restricted, ctx)]


def _names(resource: Node, path: str, row: _Row, today: date) -> None:
    names = []
    for name, here in _objects(resource, "name", path):
        given = " ".join(_texts(name, "given", here))
        family = _text(name, "family", here)
        rank = NAME_USE_RANK.get(_text(name, "use", here), 3) * 2
        ended = _day(_period(name, here)[1])
        if ended is not None and ended < today:
            rank += 1  # a name that has ended comes after current ones of the same use
        shown = " ".join(part for part in (given, family) if part) or _text(name, "text", here)
        names.append((rank, here, given, family, shown))
    named = [n for n in names if n[2] or n[3]]
    best = min(named, key=lambda n: n[0]) if named else None
    if best is not None:
        row.set("given_names", best[2], f"{best[1]}.given")
        row.set("family_name", best[3], f"{best[1]}.family")
    else:
        row.paths["family_name"] = f"{path}.name"
    others: list[str] = []
    for other in names:
        shown = other[4]
        if other is not best and shown and shown not in others and (
            best is None or shown != best[4]
        ):
            others.append(shown)
    row.set("other_names", "; ".join(others), f"{path}.name")


def _nhs_number(resource: Node, path: str, row: _Row, ctx: _File) -> None:
    for identifier, here in _objects(resource, "identifier", path):
        value = _text(identifier, "value", here)
        if _text(identifier, "system", here) != NHS_NUMBER_SYSTEM or not value:
            continue
        row.set("nhs_number", value, f"{here}.value")
        for extension, there in _extensions(identifier, here, VERIFICATION_STATUS):
            status = _object(extension, "valueCodeableConcept", there)
            codings = _codings(*status) if status else []
            code, display = (codings[0][1], codings[0][2]) if codings else ("", "")
            if code != "01":
                ctx.warn(there, f"NHS number verification status {code or '(none)'}"
                         f"{f' ({display[:60]})' if display else ''}: not verified; kept")
        return


@dataclass(slots=True)
class _Place:
    fields: dict[str, str]
    paths: dict[str, str]
    use: str
    start: str
    end: str
    path: str


def _addresses(
    resource: Node, path: str, person: _Row, restricted: bool, ctx: _File
) -> list[_Row]:
    """Puts the current address on the person row; returns the history rows."""
    places = []
    for address, here in _objects(resource, "address", path):
        use = _text(address, "use", here)
        if use in NOT_RESIDENCES or _text(address, "type", here) == "postal":
            continue  # not where anyone lives
        place = _place(address, here, use, ctx)
        if place is not None:
            places.append(place)
    today = ctx.today
    current = [
        p for p in places
        if p.use != "old"
        and (_day(p.start) or today) <= today
        and (_day(p.end) or today) >= today
    ]
    chosen = min(current, key=lambda p: HOME_RANK.get(p.use, 3)) if current else None
    now = {id(p) for p in current}
    rows = []
    for place in places:
        if place is chosen and not restricted:
            for column, value in place.fields.items():
                person.set(column, value, place.paths[column])
            person.set("address_from", place.start, f"{place.path}.period.start")
            continue
        ended = _day(place.end)
        if id(place) not in now and (ended is None or ended > today):
            reason = ("starts after today" if (_day(place.start) or today) > today
                      else "is not current and has no past end date")
            ctx.warn(place.path, f"{reason}: it cannot be placed in time and is not loaded")
            continue
        row = _Row("addresses", place.path, dict(place.fields), dict(place.paths), optional=True)
        row.set("system", person.fields["system"], person.paths["system"])
        row.set("record_id", person.fields["record_id"], person.paths["record_id"])
        row.set("from", place.start, f"{place.path}.period.start")
        row.set("to", place.end, f"{place.path}.period.end")
        row.set("restricted", "true" if restricted else "false", f"{path}.meta.security")
        rows.append(row)
    return rows


def _place(address: Node, path: str, use: str, ctx: _File) -> _Place | None:
    lines = _texts(address, "line", path)
    line1, line1_path = (lines[0], f"{path}.line[0]") if lines else ("", f"{path}.line")
    if not line1:
        line1, line1_path = _text(address, "text", path), f"{path}.text"
    postcode = _text(address, "postalCode", path)
    if not line1 and not postcode_valid(postcode):
        ctx.warn(path, "has no first line and no UK postcode; not loaded")
        return None
    uprn, uprn_path = "", f"{path}.extension"
    for key, here in _extensions(address, path, ADDRESS_KEY):
        parts = {_text(p, "url", h): (p, h) for p, h in _objects(key, "extension", here)}
        kind = parts.get("type")
        value = parts.get("value")
        coding = _object(kind[0], "valueCoding", kind[1]) if kind else None
        if coding and _text(coding[0], "code", coding[1]) == "UPRN" and value:
            uprn, uprn_path = _text(value[0], "valueString", value[1]), f"{value[1]}.valueString"
    start, end, _ = _period(address, path)
    fields = {
        "address_line1": line1,
        "address_line2": ", ".join(lines[1:]),
        "town": _text(address, "city", path),
        "postcode": postcode,
        "uprn": uprn,
    }
    paths = {
        "address_line1": line1_path,
        "address_line2": f"{path}.line",
        "town": f"{path}.city",
        "postcode": f"{path}.postalCode",
        "uprn": uprn_path,
    }
    return _Place(fields, paths, use, start, end, path)


def _patient_of(resource: Node, path: str, ctx: _File) -> tuple[str, str]:
    """The record id of the Patient a resource is about, and the path that named it."""
    found = _object(resource, "patient", path)
    if found is None:
        raise RowProblem(f"{path}.patient", "is required: the patient this is about")
    reference, here = found
    target = _text(reference, "reference", here)
    if target:
        if target in ctx.by_url:
            return ctx.by_url[target], f"{here}.reference"
        named = _PATIENT_REFERENCE.search(target)
        if named is None:
            raise RowProblem(f"{here}.reference", f"{target[:60]!r} is neither Patient/<id> nor"
                             " the fullUrl of a usable Patient in this file")
        return named.group(1), f"{here}.reference"
    identifier = _object(reference, "identifier", here)
    if identifier is not None:
        ident, there = identifier
        key = (_text(ident, "system", there), _text(ident, "value", there))
        if key in ctx.by_identifier:
            return ctx.by_identifier[key], f"{there}.value"
        if key[0] == NHS_NUMBER_SYSTEM and key[1] and "/" not in key[1]:
            return re.sub(r"[\s-]", "", key[1]), f"{there}.value"
    raise RowProblem(here, "names no Patient by reference or NHS number")


def _relationship_kind(resource: Node, path: str) -> tuple[str, bool, str]:
    """(kind, reversed, path) from the first v3 RoleCode coding that maps; else other."""
    for concept, here in _objects(resource, "relationship", path):
        for system, code, _ in _codings(concept, here):
            if system in ROLE_CODE_SYSTEMS and code in ROLE_KINDS:
                kind, reverse = ROLE_KINDS[code]
                return kind, reverse, here
    return "other", False, f"{path}.relationship"


def _related_person(resource: Node, path: str, ctx: _File) -> list[_Row]:
    record_id = "RelatedPerson/" + _record_id(resource, path)
    patient, patient_path = _patient_of(resource, path, ctx)
    kind, reverse, kind_path = _relationship_kind(resource, path)
    person, *history = _person(resource, path, record_id, ctx)
    link = _Row("relationships", path)
    link.set("system", ctx.system, ctx.system_path)
    ends = [(record_id, f"{path}.id"), (patient, patient_path)]
    if reverse:
        ends.reverse()
    link.set("from_record_id", *ends[0])
    link.set("to_record_id", *ends[1])
    link.set("kind", kind, kind_path)
    start, end, period_path = _period(resource, path)
    link.set("valid_from", start, f"{period_path}.start")
    link.set("valid_to", end, f"{period_path}.end")
    return [person, link, *history]


def _episode_of_care(resource: Node, path: str, ctx: _File) -> list[_Row]:
    row = _Row("involvements", path)
    row.set("system", ctx.system, ctx.system_path)
    row.set("record_id", *_patient_of(resource, path, ctx))
    service = ""
    for concept, here in _objects(resource, "type", path):
        codings = _codings(concept, here)
        service = _text(concept, "text", here) or next(
            (display or code for _, code, display in codings if display or code), ""
        )
        if service:
            break
    row.set("service", service, f"{path}.type")
    row.set("level", "universal")
    status = _text(resource, "status", path)
    if status in NOT_INVOLVEMENTS:
        raise RowProblem(f"{path}.status", f"is {status}: not a service involvement")
    row.set("status", EPISODE_STATUSES.get(status, status), f"{path}.status")
    start, end, period_path = _period(resource, path)
    row.set("start", start, f"{period_path}.start")
    row.set("end", end, f"{period_path}.end")
    _organisation_and_lead(resource, path, row, ctx)
    restricted = ctx.restricted or _restricted(resource, path)
    row.set("sensitivity", "restricted" if restricted else "normal", f"{path}.meta.security")
    return [row]


_BUILDERS: dict[str, Callable[[Node, str, _File], list[_Row]]] = {
    "Patient": _patient,
    "RelatedPerson": _related_person,
    "EpisodeOfCare": _episode_of_care,
}


def _organisation_and_lead(resource: Node, path: str, row: _Row, ctx: _File) -> None:
    """managingOrganization and careManager: the reference's display, else the name (and the
    lead's work phone and email) of the Organization or Practitioner it names in this file."""
    for column, element in (("organisation", "managingOrganization"),
                            ("lead_name", "careManager")):
        found = _object(resource, element, path)
        if found is None:
            continue
        reference, here = found
        row.set(column, _text(reference, "display", here), f"{here}.display")
        target = _text(reference, "reference", here)
        named = ctx.named.get(target) or ctx.named.get("/".join(target.split("/")[-2:]))
        if named is None:
            continue
        node, there = named
        try:
            if column == "organisation":
                row.fields[column] = row.fields[column] or _text(node, "name", there)
                continue
            person = _Row("people", there)
            _names(node, there, person, ctx.today)
            parts = (person.fields.get("given_names"), person.fields.get("family_name"))
            row.fields[column] = row.fields[column] or " ".join(p for p in parts if p)
            for system in ("phone", "email"):
                row.set(f"lead_{system}", _contact(node, there, system), f"{there}.telecom")
        except RowProblem as problem:
            ctx.warn(problem.field, f"{problem.reason}; not used to name the {column}")


def _contact(node: Node, path: str, system: str) -> str:
    """The first telecom value of a system, a work one before others."""
    values = [
        (_text(t, "use", p) != "work", _text(t, "value", p))
        for t, p in _objects(node, "telecom", path)
        if _text(t, "system", p) == system and _text(t, "value", p)
    ]
    return min(values, key=lambda v: v[0])[1] if values else ""
