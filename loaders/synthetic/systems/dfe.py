"""The DfE returns: the SSDA903 looked-after children tables and the CIN census XML.

Both cover the collection year ending on the latest 31 March before the extract date and name
children by the social-care record id (the LA child id). SSDA903 tables have exactly the columns
of shared/reference/ssda903/DERIVED_ssda903_tables.csv, dates as dd/mm/yyyy and codes from the
return year's schema (SEX M/F from the 2025 return, 1/2 before). The CIN census follows
CIN_schema_2026.xsd element for element.
"""

import random
from datetime import date, timedelta
from xml.sax.saxutils import escape

from ..calendar import add_years, age_on
from ..population import Population
from ..services import CarePeriod, CinCase, ServiceRecords
from .common import dmy

#: Each SSDA903 table: its file name and columns.
SSDA903_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Header": ("header.csv", ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")),
    "Episodes": (
        "episodes.csv",
        (
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ),
    ),
    "Reviews": ("reviews.csv", ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")),
    "UASC": ("uasc.csv", ("CHILD", "SEX", "DOB", "DUC")),
    "OC2": (
        "oc2.csv",
        (
            "CHILD",
            "DOB",
            "SDQ_SCORE",
            "SDQ_REASON",
            "CONVICTED",
            "HEALTH_CHECK",
            "IMMUNISATIONS",
            "TEETH_CHECK",
            "HEALTH_ASSESSMENT",
            "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED",
        ),
    ),
    "OC3": ("oc3.csv", ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM")),
    "AD1": (
        "ad1.csv",
        (
            "CHILD",
            "DOB",
            "DATE_INT",
            "DATE_MATCH",
            "FOSTER_CARE",
            "NB_ADOPTR",
            "SEX_ADOPTR",
            "LS_ADOPTR",
        ),
    ),
    "PlacedAdoption": (
        "placed_for_adoption.csv",
        ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    ),
    "PrevPerm": ("previous_permanence.csv", ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM")),
    "Missing": ("missing.csv", ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")),
    "SWEpisodes": ("sw_episodes.csv", ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON")),
    "DoLo": ("DoLo.csv", ("CHILD", "DOB", "DOLO_START", "DOLO_END")),
}


def ssda903(
    pop: Population,
    records: ServiceRecords,
    child_ids: dict[str, str],
    reference: date,
    rng: random.Random,
) -> dict[str, list[list[str]]]:
    """The 903 rows of one neighbourhood for the year ending ``reference``."""
    year_start = add_years(reference, -1) + timedelta(days=1)
    tables: dict[str, list[list[str]]] = {table: [] for table in SSDA903_TABLES}
    by_child: dict[str, list[CarePeriod]] = {}
    for period in records.care:
        by_child.setdefault(period.child, []).append(period)
    for key, periods in by_child.items():
        child = pop.humans[key]
        record = child_ids.get(key)
        if record is None:
            continue
        dob = dmy(child.birth_date)
        in_year = [
            placement
            for period in periods
            for placement in period.placements
            if placement.start <= reference
            and (placement.end is None or placement.end >= year_start)
        ]
        if not in_year:
            continue
        sex = (
            {"male": "M", "female": "F"}[child.sex]
            if reference.year >= 2025
            else ({"male": "1", "female": "2"}[child.sex])
        )
        upn = child.upn or (
            "UN1" if age_on(child.birth_date, periods[0].placements[0].start) < 6 else "UN5"
        )
        tables["Header"].append(
            [record, sex, dob, child.ethnicity, upn, "0" if child.sex == "female" else "", ""]
        )
        for period in periods:
            for index, placement in enumerate(period.placements):
                if placement not in in_year:
                    continue
                ended = placement.end if placement.end and placement.end <= reference else None
                tables["Episodes"].append(
                    [
                        record,
                        dmy(placement.start),
                        "S" if index == 0 else "P",
                        placement.legal_status,
                        period.need,
                        placement.place,
                        placement.provider,
                        dmy(ended),
                        placement.reason_ended if ended else "",
                        placement.change_reason if ended else "",
                        period.home_postcode,
                        placement.postcode,
                        placement.urn,
                    ]
                )
            for review in period.reviews:
                if year_start <= review <= reference:
                    tables["Reviews"].append(
                        [record, dob, dmy(review), rng.choice(("PN1", "PN1", "PN2", "PN3"))]
                    )
            for kind, gone, back in period.missing:
                if year_start <= gone <= reference:
                    tables["Missing"].append(
                        [
                            record,
                            dob,
                            kind,
                            dmy(gone),
                            dmy(back if back and back <= reference else None),
                        ]
                    )
            first = period.placements[0].start
            if year_start <= first <= reference:
                tables["PrevPerm"].append([record, dob, "Z1", "", ""])
            if reference.year >= 2024:
                tables["SWEpisodes"].append(
                    [
                        record,
                        dob,
                        period.worker.key[1:9].upper(),
                        dmy(max(first, year_start)),
                        "",
                        "",
                    ]
                )
            last = period.placements[-1]
            in_care_a_year = first <= add_years(reference, -1) and (
                last.end is None or last.end > reference
            )
            if in_care_a_year and age_on(child.birth_date, reference) >= 4:
                scored = 4 <= age_on(child.birth_date, reference) <= 16
                tables["OC2"].append(
                    [
                        record,
                        dob,
                        str(rng.randint(4, 30)) if scored else "",
                        "" if scored else "SDQ1",
                        "1" if rng.random() < 0.03 else "0",
                        "1",
                        "1",
                        "1" if rng.random() < 0.85 else "0",
                        "1",
                        "0",
                        "",
                        "",
                    ]
                )
            left_at_18 = last.end is not None and last.end == add_years(child.birth_date, 18)
            if left_at_18 and 17 <= age_on(child.birth_date, reference) <= 21:
                tables["OC3"].append(
                    [
                        record,
                        dob,
                        "YES",
                        rng.choice(("F2", "P2", "G4", "G6")),
                        rng.choice(("B1", "C1", "D1", "E1", "S1")),
                    ]
                )
    return tables


def cin_children(
    pop: Population, records: ServiceRecords, child_ids: dict[str, str], reference: date
) -> list[str]:
    """The ``<Child>`` elements of one neighbourhood's children in need in the census year."""
    year_start = add_years(reference, -1) + timedelta(days=1)
    by_child: dict[str, list[CinCase]] = {}
    for case in records.cin_cases:
        if case.referral <= reference and (case.closure is None or case.closure >= year_start):
            by_child.setdefault(case.child, []).append(case)
    elements = []
    for key, cases in by_child.items():
        record = child_ids.get(key)
        if record is None:
            continue
        child = pop.humans[key]
        parts = ["<Child><ChildIdentifiers>", _el("LAchildID", record)]
        if child.upn:
            parts.append(_el("UPN", child.upn))
        else:
            parts.append(
                _el("UPNunknown", "UN1" if age_on(child.birth_date, reference) < 6 else "UN5")
            )
        parts.append(_el("PersonBirthDate", child.birth_date.isoformat()))
        parts.append(_el("Sex", {"male": "M", "female": "F"}.get(child.sex, "U")))
        if child.death_date is not None and child.death_date <= reference:
            parts.append(_el("PersonDeathDate", child.death_date.isoformat()))
        parts.append("</ChildIdentifiers><ChildCharacteristics>")
        parts.append(_el("Ethnicity", child.ethnicity))
        parts.append("<Disabilities>" + _el("Disability", "NONE") + "</Disabilities>")
        parts.append("</ChildCharacteristics>")
        for case in cases:
            parts.append(_details(case, reference))
        parts.append("</Child>")
        elements.append("".join(parts))
    return elements


def _details(case: CinCase, reference: date) -> str:
    def on(day: date | None) -> date | None:
        return day if day is not None and day <= reference else None

    closure = on(case.closure)
    parts = [
        "<CINdetails>",
        _el("CINreferralDate", case.referral.isoformat()),
        _el("ReferralSource", case.source),
        _el("PrimaryNeedCode", case.need),
    ]
    if closure is not None:
        parts += [
            _el("CINclosureDate", closure.isoformat()),
            _el("ReasonForClosure", case.closure_reason or "RC7"),
        ]
    if case.cp is not None and on(case.cp[0]):
        parts.append(_el("DateOfInitialCPC", case.cp[0].isoformat()))
    if case.assessment is not None and on(case.assessment):
        parts.append(
            "<Assessments>" + _el("AssessmentActualStartDate", case.assessment.isoformat())
        )
        if on(case.assessment_end):
            parts.append(_el("AssessmentAuthorisationDate", case.assessment_end.isoformat()))  # type: ignore[union-attr]
            parts.append(
                "<FactorsIdentifiedAtAssessment>"
                + "".join(_el("AssessmentFactors", factor) for factor in case.factors)
                + "</FactorsIdentifiedAtAssessment>"
            )
        parts.append("</Assessments>")
    if case.plan is not None and on(case.plan[0]):
        plan_end = on(case.plan[1])
        parts.append(
            "<CINPlanDates>"
            + _el("CINPlanStartDate", case.plan[0].isoformat())
            + (_el("CINPlanEndDate", plan_end.isoformat()) if plan_end else "")
            + "</CINPlanDates>"
        )
    if case.s47 is not None and on(case.s47):
        target = case.s47 + timedelta(days=15)
        parts.append(
            "<Section47>"
            + _el("S47ActualStartDate", case.s47.isoformat())
            + _el("InitialCPCtarget", target.isoformat())
            + (
                _el("DateOfInitialCPC", case.cp[0].isoformat())
                if case.cp and on(case.cp[0])
                else ""
            )
            + _el("ICPCnotRequired", "0")
            + "</Section47>"
        )
    parts.append(_el("ReferralNFA", "0"))
    if case.cp is not None and on(case.cp[0]):
        start, end, category = case.cp
        ended = on(end)
        reviews = [review for review in case.cp_reviews if on(review)]
        parts.append(
            "<ChildProtectionPlans>"
            + _el("CPPstartDate", start.isoformat())
            + (_el("CPPendDate", ended.isoformat()) if ended else "")
            + _el("InitialCategoryOfAbuse", category)
            + _el("LatestCategoryOfAbuse", category)
            + _el("NumberOfPreviousCPP", "0")
            + (
                "<Reviews>"
                + "".join(_el("CPPreviewDate", r.isoformat()) for r in reviews)
                + "</Reviews>"
                if reviews
                else ""
            )
            + "</ChildProtectionPlans>"
        )
    parts.append("</CINdetails>")
    return "".join(parts)


def _el(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def cin_census_document(children: list[str], reference: date, la_code: str, written: date) -> str:
    """The whole CIN census message around the children's elements."""
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message><Header><CollectionDetails>'
        + _el("Collection", "CIN")
        + _el("Year", str(reference.year))
        + _el("ReferenceDate", reference.isoformat())
        + "</CollectionDetails><Source>"
        + _el("SourceLevel", "L")
        + _el("LEA", la_code)
        + _el("SoftwareCode", "famgraph-synthetic")
        + _el("Release", "1")
        + _el("SerialNo", "001")
        + _el("DateTime", f"{written.isoformat()}T09:00:00")
        + "</Source></Header><Children>\n"
    )
    return header + "\n".join(children) + "\n</Children></Message>\n"
