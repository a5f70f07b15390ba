"""Tests for loaders/formats/cin_census.py: the children in need census XML, 2021 to 2026.

Loads go through load_extract into a real EmbeddedStore and every count balances. The three
public samples in shared/reference/cin_census are loaded with their counts written out (the
tests that need them are skipped where that folder is not beside the repository); small
documents written inline pin down each element's mapping; Hypothesis feeds broken, cut and
hostile XML (billion laughs, external entities).
"""

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedStore
from graph.model import Sex
from graph.store import LoadLog
from loaders.errors import LoadError
from loaders.formats import cin_census
from loaders.pipeline import load_extract
from loaders.quarantine import Quarantine
from loaders.records import Extract

TODAY = date(2026, 11, 23)
PROPERTY = settings(max_examples=60, deadline=None, database=None)
SAMPLES = Path(__file__).resolve().parent / "reference" / "cin_census" / "samples"
UPN = "A950000178301"  # right check letter (shared/reference/uk_identifiers)


# --- helpers ------------------------------------------------------------------------------------


def census(*children: str, collection: str = "CIN", namespace: str = "") -> str:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Message{xmlns}><Header><CollectionDetails>'
        f"<Collection>{collection}</Collection><Year>2025</Year>"
        "<ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails>"
        "<Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source></Header>"
        f"<Children>{''.join(children)}</Children></Message>"
    )


def child(identifiers: str, *details: str) -> str:
    return (f"<Child><ChildIdentifiers>{identifiers}</ChildIdentifiers>"
            "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
            f"{''.join(details)}</Child>")


def ids(la_id: str = "C1", upn: str = UPN, born: str = "2015-03-27", sex: str = "<Sex>F</Sex>",
        extra: str = "") -> str:
    upn_element = f"<UPN>{upn}</UPN>" if upn else ""
    born_element = f"<PersonBirthDate>{born}</PersonBirthDate>" if born else ""
    return f"<LAchildID>{la_id}</LAchildID>{upn_element}{extra}{born_element}{sex}"


def cin(body: str = "", referral: str = "2024-10-06", closure: str = "") -> str:
    closed = f"<CINclosureDate>{closure}</CINclosureDate>" if closure else ""
    return (f"<CINdetails><CINreferralDate>{referral}</CINreferralDate>"
            f"<ReferralSource>3B</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>{closed}"
            f"{body}<ReferralNFA>0</ReferralNFA></CINdetails>")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def load(store: EmbeddedStore, *paths: Path) -> LoadLog:
    log = load_extract(store, list(paths), today=TODAY)
    assert log.read == log.loaded + log.quarantined
    return log


def read(path: Path) -> tuple[Extract, Quarantine]:
    extract, quarantine = Extract(), Quarantine()
    cin_census.read(path, quarantine, TODAY, extract)
    return extract, quarantine


def problems(found: LoadLog | Quarantine, warnings: bool = False) -> list[tuple[int, str, str]]:
    return [(r.row, r.field, r.reason) for r in (found.warnings if warnings else found.rejected
                                                  if isinstance(found, Quarantine)
                                                  else found.rejections)]


@pytest.fixture
def graph_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


# --- the reference samples ----------------------------------------------------------------------

SAMPLE_COUNTS = [
    # file, (read, loaded, quarantined), (people, involvements, events, risk indicators)
    # The 2021 and 2022 samples' factors 2A and 2B are dated after the episode closed
    # (authorised 1971-07-18, closed 1971-02-27): each is quarantined, not given an end
    # before its start.
    ("csc-validator-be-cin/CIN_Census_2021.xml", (16, 14, 2), (1, 2, 11, 0)),
    ("liia-tools-pipeline/BAR_cin_2022.xml", (16, 14, 2), (1, 2, 11, 0)),
    # Factor 1C becomes substance misuse; 6B (physical illness) is no risk kind.
    ("csc-validator-be-cin/CIN_Census_2026.xml", (22, 15, 7), (1, 2, 11, 1)),
]


@pytest.mark.parametrize(("name", "counts", "nodes"), SAMPLE_COUNTS,
                         ids=[Path(c[0]).stem for c in SAMPLE_COUNTS])
def test_reference_sample_loads_with_the_counts_expected(
    graph_store: EmbeddedStore, name: str, counts: tuple[int, int, int],
    nodes: tuple[int, int, int, int],
) -> None:
    path = SAMPLES / name
    assert cin_census.claims(path)
    log = load(graph_store, path)
    assert (log.read, log.loaded, log.quarantined) == counts
    found = graph_store.counts()
    assert (found["Person"], found["Involvement"], found["Event"],
            found.get("RiskIndicator", 0)) == nodes


def test_2026_sample_quarantines_future_dates_and_the_child_without_a_upn(
    graph_store: EmbeddedStore,
) -> None:
    log = load(graph_store, SAMPLES / "csc-validator-be-cin" / "CIN_Census_2026.xml")
    assert problems(log) == [
        (36, "Message/Children/Child[1]/CINdetails[1]/Assessments[1]/AssessmentActualStartDate",
         "2028-04-28 is in the future"),
        (68, "Message/Children/Child[1]/CINdetails[1]/PreProceedingsandFGDM/CourtAppDate",
         "2026-12-18 is in the future"),
        (70, "Message/Children/Child[2]/ChildIdentifiers/UPN",
         "no UPN (UPNunknown UN1), and the census holds no name or NHS number: nothing "
         "identifies the child"),
        # The second child's CINdetails, referral and assessment dates have no person.
        (80, "record_id", "names no person record in this load or in the store"),
        (81, "record_id", "names no person record in this load or in the store"),
        (87, "record_id", "names no person record in this load or in the store"),
        (88, "record_id", "names no person record in this load or in the store"),
    ]


def test_2021_sample_maps_every_module(tmp_path: Path) -> None:
    extract, quarantine = read(SAMPLES / "csc-validator-be-cin" / "CIN_Census_2021.xml")
    (person,) = extract.people
    assert (person.record_id, person.upn, person.sex) == ("DfEX0000001", "A123456789123", "male")
    assert (person.birth_date, person.death_date) == (date(1965, 3, 27), date(1980, 10, 8))
    need, plan = extract.involvements
    assert (need.service, need.level, need.start, need.end) == (
        "Child in need", "statutory", date(1970, 10, 6), date(1971, 2, 27))
    assert need.reason == ("need N4 (family in acute stress); referred by 1A (family member, "
                           "relative or carer); closed RC1 (adopted)")
    assert need.sensitivity == "restricted"  # RC1: the child was adopted
    assert (plan.service, plan.start, plan.end, plan.sensitivity) == (
        "Child protection plan", date(1970, 2, 17), date(1971, 3, 14), "sensitive")
    assert plan.reason == "category PHY (physical abuse); 10 previous plans"
    assert sorted((e.date.isoformat(), e.type) for e in extract.events) == [
        ("1970-02-17", "plan start"), ("1970-06-02", "S47"), ("1970-06-03", "assessment"),
        ("1970-06-17", "ICPC"), ("1970-10-06", "referral"), ("1970-12-06", "ICPC"),
        ("1971-01-24", "plan start"), ("1971-01-26", "plan end"), ("1971-02-15", "CP review"),
        ("1971-03-14", "plan end"), ("1971-07-18", "assessment authorised"),
    ]
    assert [w.reason for w in quarantine.warnings] == [
        "a former UPN is given; it is not stored", "check letter does not match; kept as given"]


# --- the child ----------------------------------------------------------------------------------


def test_child_becomes_a_nameless_person_known_by_upn(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    log = load(graph_store, write(tmp_path / "cin.xml", census(child(ids()))))
    assert (log.read, log.loaded, log.quarantined, log.warnings) == (1, 1, 0, ())
    owner = graph_store.record_owners(["R:cin_census/C1"])["R:cin_census/C1"]
    person = graph_store.people([owner])[owner]
    assert (person.given_names, person.upn, person.sex) == ("", UPN, Sex.FEMALE)
    assert person.birth_date == date(2015, 3, 27)


@pytest.mark.parametrize(("element", "sex"), [
    ("<GenderCurrent>1</GenderCurrent>", "male"),
    ("<GenderCurrent>2</GenderCurrent>", "female"),
    ("<GenderCurrent>0</GenderCurrent>", "unknown"),
    ("<GenderCurrent>9</GenderCurrent>", "unknown"),
    ("<Sex>M</Sex>", "male"), ("<Sex>F</Sex>", "female"), ("<Sex>U</Sex>", "unknown"),
    ("<Sex>1</Sex>", "male"),
])
def test_sex_is_read_from_either_era(tmp_path: Path, element: str, sex: str) -> None:
    extract, quarantine = read(write(tmp_path / "cin.xml", census(child(ids(sex=element)))))
    assert [p.sex for p in extract.people] == [sex]
    assert quarantine.warnings == []


def test_unknown_sex_code_is_warned_at_its_path(tmp_path: Path) -> None:
    extract, quarantine = read(write(tmp_path / "cin.xml",
                                     census(child(ids(sex="<Sex>X</Sex>")))))
    assert [p.sex for p in extract.people] == ["unknown"]
    assert problems(quarantine, warnings=True) == [
        (11, "Message/Children/Child[1]/ChildIdentifiers/Sex", "'X' is not a known sex code")]


def test_child_without_a_upn_is_quarantined_naming_upnunknown(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    document = census(child(ids(upn="", extra="<UPNunknown>UN1</UPNunknown>"), cin()))
    log = load(graph_store, write(tmp_path / "cin.xml", document))
    # the child, its CINdetails and its referral: the last two have nobody to belong to.
    assert (log.read, log.loaded, log.quarantined) == (3, 0, 3)
    assert problems(log)[0] == (
        11, "Message/Children/Child[1]/ChildIdentifiers/UPN",
        "no UPN (UPNunknown UN1), and the census holds no name or NHS number: nothing identifies "
        "the child")


def test_rows_about_a_child_without_a_upn_attach_to_an_earlier_load(
    graph_store: EmbeddedStore, tmp_path: Path
) -> None:
    load(graph_store, write(tmp_path / "2024" / "cin.xml", census(child(ids()))))
    later = census(child(ids(upn=""), cin()))
    log = load(graph_store, write(tmp_path / "2025" / "cin.xml", later))
    assert (log.read, log.loaded, log.quarantined) == (3, 2, 1)


def test_unborn_child_keeps_no_birth_date_and_is_warned(tmp_path: Path) -> None:
    unborn = ids(upn="", born="", sex="<Sex>U</Sex>",
                 extra="<UPNunknown>UN1</UPNunknown>"
                       "<ExpectedPersonBirthDate>2025-06-01</ExpectedPersonBirthDate>")
    extract, quarantine = read(write(tmp_path / "cin.xml", census(child(unborn))))
    assert extract.people == []
    (rejected,) = problems(quarantine)
    assert rejected[2].startswith("no UPN (UPNunknown UN1) for an unborn child")
    assert problems(quarantine, warnings=True) == [(
        11, "Message/Children/Child[1]/ChildIdentifiers/ExpectedPersonBirthDate",
        "unborn at the census: the expected birth date is not stored as a birth date")]


def test_former_upn_is_noted_without_its_value(tmp_path: Path) -> None:
    former = ids(extra="<FormerUPN>X98765432123B</FormerUPN>")
    extract, quarantine = read(write(tmp_path / "cin.xml", census(child(former))))
    assert [p.upn for p in extract.people] == [UPN]
    assert [w.reason for w in quarantine.warnings] == ["a former UPN is given; it is not stored"]


def test_elements_in_a_namespace_are_read_by_their_local_names(tmp_path: Path) -> None:
    path = write(tmp_path / "cin.xml", census(child(ids(), cin()), namespace="urn:dfe:cin"))
    assert cin_census.claims(path)
    extract, _ = read(path)
    assert (len(extract.people), len(extract.involvements), len(extract.events)) == (1, 1, 1)


# --- CINdetails ---------------------------------------------------------------------------------


def test_cin_details_become_an_involvement_and_a_referral(tmp_path: Path) -> None:
    path = write(tmp_path / "cin.xml", census(child(ids(), cin(closure="2025-01-10"))))
    extract, _ = read(path)
    (need,) = extract.involvements
    assert (need.service, need.level, need.status) == ("Child in need", "statutory", "closed")
    assert (need.start, need.end, need.sensitivity) == (date(2024, 10, 6), date(2025, 1, 10),
                                                        "normal")
    assert need.reason == ("need N1 (abuse, neglect and exploitation); "
                           "referred by 3B (health visitor)")
    (referral,) = extract.events
    assert (referral.type, referral.date, referral.summary) == (
        "referral", date(2024, 10, 6), "source 3B (health visitor)")


def test_assessment_events_carry_their_factor_codes(tmp_path: Path) -> None:
    assessment = ("<Assessments><AssessmentActualStartDate>2024-10-07</AssessmentActualStartDate>"
                  "<AssessmentAuthorisationDate>2024-11-01</AssessmentAuthorisationDate>"
                  "<FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors>"
                  "<AssessmentFactors>4B</AssessmentFactors><AssessmentFactors>99</AssessmentFactors>"
                  "</FactorsIdentifiedAtAssessment></Assessments>")
    extract, quarantine = read(write(tmp_path / "cin.xml", census(child(ids(), cin(assessment)))))
    assert [(e.type, e.summary) for e in extract.events[1:]] == [
        ("assessment", "child and family assessment started"),
        ("assessment authorised", "factors 3A 4B")]
    assert problems(quarantine, warnings=True) == [(
        25, "Message/Children/Child[1]/CINdetails[1]/Assessments[1]/FactorsIdentifiedAtAssessment"
        "/AssessmentFactors[3]", "'99' is not a code of the CIN census; left out")]


def test_assessment_factors_become_risk_indicators_on_the_child_saying_whose(
    tmp_path: Path,
) -> None:
    assessment = ("<Assessments><AssessmentActualStartDate>2024-10-07</AssessmentActualStartDate>"
                  "<AssessmentAuthorisationDate>2024-11-01</AssessmentAuthorisationDate>"
                  "<FactorsIdentifiedAtAssessment><AssessmentFactors>1B</AssessmentFactors>"
                  "<AssessmentFactors>3A</AssessmentFactors><AssessmentFactors>4C</AssessmentFactors>"
                  "<AssessmentFactors>16A</AssessmentFactors>"
                  "</FactorsIdentifiedAtAssessment></Assessments>")
    path = write(tmp_path / "cin.xml",
                 census(child(ids(), cin(assessment, closure="2025-06-30"))))
    extract, quarantine = read(path)
    assert quarantine.rejected == []
    assert [(r.record_id, r.kind, r.valid_from, r.valid_to, r.sensitivity)
            for r in extract.risks] == [
        ("C1", "substance_misuse", date(2024, 11, 1), date(2025, 6, 30), "sensitive"),
        ("C1", "domestic_abuse", date(2024, 11, 1), date(2025, 6, 30), "sensitive"),
        ("C1", "mental_health", date(2024, 11, 1), date(2025, 6, 30), "sensitive"),
    ]  # 16A (neglect) is a harm to the child, not a risk kind
    assert [r.summary for r in extract.risks] == [
        "CIN assessment factor 1B: concerns about alcohol misuse by the parent(s)/carer(s)",
        "CIN assessment factor 3A: concerns about the child being the subject of domestic"
        " violence",
        "CIN assessment factor 4C: concerns about the mental health of another person in the"
        " family/household",
    ]


def test_factor_of_an_unauthorised_assessment_is_dated_by_its_start(tmp_path: Path) -> None:
    assessment = ("<Assessments><AssessmentActualStartDate>2024-10-07</AssessmentActualStartDate>"
                  "<FactorsIdentifiedAtAssessment><AssessmentFactors>2B</AssessmentFactors>"
                  "</FactorsIdentifiedAtAssessment></Assessments>")
    extract, _ = read(write(tmp_path / "cin.xml", census(child(ids(), cin(assessment)))))
    assert [(r.valid_from, r.valid_to) for r in extract.risks] == [(date(2024, 10, 7), None)]


def test_section_47_and_protection_plan_are_sensitive(tmp_path: Path) -> None:
    body = ("<Section47><S47ActualStartDate>2024-10-08</S47ActualStartDate>"
            "<DateOfInitialCPC>2024-10-20</DateOfInitialCPC><ICPCnotRequired>0</ICPCnotRequired>"
            "</Section47><ChildProtectionPlans><CPPstartDate>2024-10-20</CPPstartDate>"
            "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>"
            "<LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>"
            "<NumberOfPreviousCPP>0</NumberOfPreviousCPP><Reviews>"
            "<CPPreviewDate>2025-01-10</CPPreviewDate><CPPreviewDate>2025-04-10</CPPreviewDate>"
            "</Reviews></ChildProtectionPlans>")
    extract, _ = read(write(tmp_path / "cin.xml", census(child(ids(), cin(body)))))
    _, plan = extract.involvements
    assert (plan.service, plan.status, plan.sensitivity) == ("Child protection plan", "open",
                                                            "sensitive")
    assert plan.reason == "category NEG (neglect), latest EMO (emotional abuse)"
    assert [(e.type, e.sensitivity) for e in extract.events[1:]] == [
        ("S47", "sensitive"), ("ICPC", "sensitive"), ("plan start", "sensitive"),
        ("CP review", "sensitive"), ("CP review", "sensitive")]


def test_referral_in_the_future_is_quarantined_with_its_involvement(tmp_path: Path) -> None:
    extract, quarantine = read(write(tmp_path / "cin.xml",
                                     census(child(ids(), cin(referral="2027-01-01")))))
    assert (extract.read, extract.involvements, extract.events) == (3, [], [])
    assert [(row, field) for row, field, _ in problems(quarantine)] == [
        (19, "Message/Children/Child[1]/CINdetails[1]/CINreferralDate"),
        (20, "Message/Children/Child[1]/CINdetails[1]/CINreferralDate")]


def test_rows_are_numbered_by_element_position_across_children(tmp_path: Path) -> None:
    document = census(child(ids("C1"), cin()), child(ids("C2", upn=""), cin()))
    extract, quarantine = read(write(tmp_path / "cin.xml", document))
    # Message 1, Header 2 ... Children 10, Child 11, ..., CINdetails 19, CINreferralDate 20.
    assert [(p.record_id, p.where.row) for p in extract.people] == [("C1", 11)]
    assert [i.where.row for i in extract.involvements] == [19, 31]
    assert [e.where.row for e in extract.events] == [20, 32]
    assert problems(quarantine)[0][:2] == (24, "Message/Children/Child[2]/ChildIdentifiers/UPN")


# --- what is not a CIN census -------------------------------------------------------------------


def test_another_collection_is_not_claimed(graph_store: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path / "school.xml", census(child(ids()), collection="SCHOOL CENSUS"))
    assert not cin_census.claims(path)
    with pytest.raises(LoadError, match="no loader recognises this file"):
        load_extract(graph_store, [path], today=TODAY)


@pytest.mark.parametrize(("document", "reason"), [
    ("<Message><Children><Child></Message>", "is not well-formed XML"),
    ("<Message><Header/></Message>", "has no Message/Children element"),
    ("", "is not well-formed XML"),
])
def test_unreadable_message_is_load_error_naming_the_file(
    tmp_path: Path, document: str, reason: str
) -> None:
    path = write(tmp_path / "cin.xml", document)
    with pytest.raises(LoadError) as caught:
        read(path)
    assert (caught.value.file, caught.value.reason.startswith(reason)) == (str(path), True)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
    + "]><Message><Children><Child><ChildIdentifiers><LAchildID>&i;</LAchildID>"
    "</ChildIdentifiers></Child></Children></Message>"
)
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<Message><Children><Child><ChildIdentifiers><LAchildID>&x;</LAchildID>"
            "</ChildIdentifiers></Child></Children></Message>")


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused_and_the_store_is_unchanged(
    graph_store: EmbeddedStore, tmp_path: Path, document: str
) -> None:
    load(graph_store, write(tmp_path / "first" / "cin.xml", census(child(ids()))))
    counts, logs = graph_store.counts(), graph_store.load_logs()
    path = write(tmp_path / "cin.xml", document)
    assert cin_census.claims(path)
    with pytest.raises(LoadError, match="declares a DOCTYPE or ENTITY") as caught:
        load_extract(graph_store, [path], today=TODAY)
    assert caught.value.file == str(path)
    assert (graph_store.counts(), graph_store.load_logs()) == (counts, logs)


# --- properties ---------------------------------------------------------------------------------

DATES = st.one_of(
    st.dates(min_value=date(1850, 1, 1), max_value=date(2035, 12, 31)).map(date.isoformat),
    st.sampled_from(["", "2024-02-30", "2024-01-01Z", "2024-01-01T10:00:00+01:00", "01/02/2024"]),
    st.text(max_size=8),
)
CODES = st.sampled_from(["", "N1", "N0", "RC1", "RC9", "1A", "3B", "10", "PHY", "MUL", "2A",
                         "24A", "M", "F", "U", "1", "2", "0", "9", "x", "true", "false"])
SAFE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A CIN census document with values drawn from dates, codes and any text."""

    def value(kind: st.SearchStrategy[str]) -> str:
        return _escape(draw(st.one_of(kind, SAFE_TEXT)))

    def element(tag: str, kind: st.SearchStrategy[str]) -> str:
        return draw(st.sampled_from([f"<{tag}>{value(kind)}</{tag}>", "", f"<{tag}/>"]))

    kids = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        identifiers = (element("LAchildID", st.sampled_from(["C1", "C2", ""]))
                       + element("UPN", st.sampled_from([UPN, "A123456789123", ""]))
                       + element("FormerUPN", st.just(UPN))
                       + element("UPNunknown", st.sampled_from(["UN1", "UN7"]))
                       + element("PersonBirthDate", DATES)
                       + element("ExpectedPersonBirthDate", DATES)
                       + element(draw(st.sampled_from(["Sex", "GenderCurrent"])), CODES)
                       + element("PersonDeathDate", DATES))
        details = []
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            details.append(
                "<CINdetails>" + element("CINreferralDate", DATES)
                + element("ReferralSource", CODES) + element("PrimaryNeedCode", CODES)
                + element("CINclosureDate", DATES) + element("ReasonForClosure", CODES)
                + element("DateOfInitialCPC", DATES)
                + "<Assessments>" + element("AssessmentActualStartDate", DATES)
                + element("AssessmentAuthorisationDate", DATES)
                + "<FactorsIdentifiedAtAssessment>" + element("AssessmentFactors", CODES)
                + "</FactorsIdentifiedAtAssessment></Assessments>"
                + "<CINPlanDates>" + element("CINPlanStartDate", DATES)
                + element("CINPlanEndDate", DATES) + "</CINPlanDates>"
                + "<Section47>" + element("S47ActualStartDate", DATES)
                + element("DateOfInitialCPC", DATES) + element("ICPCnotRequired", CODES)
                + "</Section47>" + element("ReferralNFA", CODES)
                + "<ChildProtectionPlans>" + element("CPPstartDate", DATES)
                + element("CPPendDate", DATES) + element("InitialCategoryOfAbuse", CODES)
                + element("LatestCategoryOfAbuse", CODES)
                + element("NumberOfPreviousCPP", st.sampled_from(["0", "3", "-1", "x"]))
                + "<Reviews>" + element("CPPreviewDate", DATES) + "</Reviews>"
                + "</ChildProtectionPlans></CINdetails>"
            )
        kids.append(child(identifiers, *details))
    return census(*kids)


TRICKS = st.sampled_from([
    "",
    '<!DOCTYPE Message [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    '<!DOCTYPE Message SYSTEM "http://example.invalid/cin.dtd">',
    '<!DOCTYPE Message [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
])


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """A generated document, perhaps behind a DOCTYPE, spliced with junk, cut and re-encoded."""
    text = draw(documents())
    body = text.split("\n", 1)[1]
    trick = draw(TRICKS)
    if trick:
        text = '<?xml version="1.0"?>\n' + trick + body
    at = draw(st.integers(min_value=0, max_value=len(text)))
    splice = draw(st.sampled_from(["", "&b;", "&undefined;", "<", "\ufeff", "\x00", "]]>",
                                   "y" * 5_000]))
    text = text[:at] + splice + text[at:]
    text = text[:draw(st.none() | st.integers(min_value=0, max_value=len(text)))]
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")
    return draw(st.sampled_from([data, data + draw(st.binary(max_size=50)),
                                 draw(st.binary(max_size=200))]))


def check_read(path: Path) -> None:
    """A LoadError naming the file, or every row counted once: kept or quarantined."""
    cin_census.claims(path)  # a sniff never raises
    extract, quarantine = Extract(), Quarantine()
    try:
        cin_census.read(path, quarantine, TODAY, extract)
    except LoadError as error:
        assert error.file == str(path)
        return
    assert extract.read == extract.rows() + quarantine.rejected_rows()


@PROPERTY
@given(document=documents())
def test_generated_census_reads_every_row_once(document: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cin.xml"
        path.write_text(document, encoding="utf-8")
        assert cin_census.claims(path)
        check_read(path)


@PROPERTY
@given(data=hostile_bytes())
def test_broken_cut_and_hostile_xml_reads_balanced_or_fails_whole(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cin.xml"
        path.write_bytes(data)
        check_read(path)


@settings(max_examples=25, deadline=None, database=None)
@given(data=hostile_bytes())
def test_a_load_of_any_cin_file_is_balanced_or_leaves_the_store_as_it_was(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = EmbeddedStore(root / "store")
        try:
            load(store, write(root / "first" / "cin.xml", census(child(ids(), cin()))))
            counts, logs = store.counts(), store.load_logs()
            path = root / "cin.xml"
            path.write_bytes(data)
            try:
                log = load_extract(store, [path], today=TODAY)
            except LoadError as error:
                assert error.file
                assert (store.counts(), store.load_logs()) == (counts, logs)
                return
            assert log.read == log.loaded + log.quarantined
            assert store.load_logs() == [*logs, log]
        finally:
            store.close()
