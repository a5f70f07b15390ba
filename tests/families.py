"""Tiny named families, defined once and written to any store by the contract suite."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from graph.model import (
    Address,
    Claim,
    Household,
    Involvement,
    MemberOf,
    Organisation,
    ParentKind,
    ParentOf,
    PartnerKind,
    PartnerOf,
    PartnerStatus,
    Person,
    Practitioner,
    RiskIndicator,
    RiskKind,
    Sensitivity,
    ServiceLevel,
    Sex,
    SourceRef,
    couple,
)
from graph.store import GraphBatch

TODAY = date(2026, 11, 23)
SC = SourceRef("social_care", "SC1")


def person(pid: str, given: str, family: str, sex: Sex, born: date) -> Person:
    return Person(id=pid, given_names=given, family_name=family, sex=sex, birth_date=born,
                  sources=(SourceRef("health", f"H-{pid}"),))


def home(batch: GraphBatch, hid: str, postcode: str, restricted: bool = False) -> str:
    sensitivity = Sensitivity.RESTRICTED if restricted else Sensitivity.NORMAL
    batch.nodes.append(Address(id=f"A:{hid}", line1=f"{hid} Alder Road", town="Eastbridge",
                               postcode=postcode, sensitivity=sensitivity))
    batch.nodes.append(Household(id=f"H:{hid}", address_id=f"A:{hid}", sensitivity=sensitivity))
    return f"H:{hid}"


def lives(batch: GraphBatch, pid: str, household: str, since: date,
          until: date | None = None) -> None:
    batch.edges.append(MemberOf(pid, household, since, until, (SC,)))


def partners(batch: GraphBatch, a: str, b: str, since: date, until: date | None = None,
             kind: PartnerKind = PartnerKind.PARTNER) -> None:
    src, dst = couple(a, b)
    status = PartnerStatus.ENDED if until else PartnerStatus.CURRENT
    batch.edges.append(PartnerOf(src, dst, kind, status, since, until, (SC,)))


def parent(batch: GraphBatch, p: str, child: str, kind: ParentKind = ParentKind.BIRTH,
           since: date | None = None, until: date | None = None) -> None:
    batch.edges.append(ParentOf(p, child, kind, None, since, until, (SC,)))


def two_parent_household() -> GraphBatch:
    """Mum Amy and dad Ben, married, with Cara (9) and baby Dan, all at one address."""
    batch = GraphBatch()
    batch.nodes += [
        person("amy", "Amy", "Hart", Sex.FEMALE, date(1990, 4, 2)),
        person("ben", "Ben", "Hart", Sex.MALE, date(1988, 1, 15)),
        person("cara", "Cara", "Hart", Sex.FEMALE, date(2017, 6, 1)),
        person("dan", "Dan", "Hart", Sex.MALE, date(2025, 2, 3)),
    ]
    house = home(batch, "1", "EB1 4QT")
    for pid in ("amy", "ben", "cara"):
        lives(batch, pid, house, date(2017, 6, 1))
    lives(batch, "dan", house, date(2025, 2, 3))
    partners(batch, "amy", "ben", date(2012, 5, 5), kind=PartnerKind.SPOUSE)
    for child in ("cara", "dan"):
        parent(batch, "amy", child)
        parent(batch, "ben", child)
    return batch


def blended_family_with_half_siblings() -> GraphBatch:
    """Kim lives with her mum Lou, mum's partner Max and their baby Ned; Kim's dad Otto lives
    elsewhere with his daughter Pia by another mother."""
    batch = GraphBatch()
    batch.nodes += [
        person("kim", "Kim", "Shaw", Sex.FEMALE, date(2014, 3, 9)),
        person("lou", "Lou", "Shaw", Sex.FEMALE, date(1991, 7, 7)),
        person("max", "Max", "Reid", Sex.MALE, date(1989, 11, 30)),
        person("ned", "Ned", "Reid", Sex.MALE, date(2023, 8, 19)),
        person("otto", "Otto", "Shaw", Sex.MALE, date(1990, 2, 2)),
        person("pia", "Pia", "Shaw", Sex.FEMALE, date(2019, 12, 12)),
        person("gran", "Gwen", "Shaw", Sex.FEMALE, date(1962, 5, 1)),
    ]
    house = home(batch, "2", "EB2 7LD")
    dads = home(batch, "3", "EB3 1AB")
    lives(batch, "kim", house, date(2014, 3, 9))
    lives(batch, "lou", house, date(2013, 1, 1))
    lives(batch, "max", house, date(2022, 4, 1))
    lives(batch, "ned", house, date(2023, 8, 19))
    lives(batch, "otto", dads, date(2018, 1, 1))
    lives(batch, "pia", dads, date(2019, 12, 12))
    partners(batch, "lou", "otto", date(2012, 1, 1), date(2017, 6, 30))
    partners(batch, "lou", "max", date(2021, 9, 1))
    parent(batch, "lou", "kim")
    parent(batch, "otto", "kim")
    parent(batch, "lou", "ned")
    parent(batch, "max", "ned")
    parent(batch, "otto", "pia")
    parent(batch, "gran", "lou")
    return batch


def child_in_foster_care() -> GraphBatch:
    """Rio lives with foster carers Sue and Tom; his birth mother Una lives elsewhere."""
    batch = GraphBatch()
    batch.nodes += [
        person("rio", "Rio", "Vale", Sex.MALE, date(2016, 10, 10)),
        person("sue", "Sue", "Ward", Sex.FEMALE, date(1970, 3, 3)),
        person("tom", "Tom", "Ward", Sex.MALE, date(1968, 9, 9)),
        person("una", "Una", "Vale", Sex.FEMALE, date(1996, 6, 6)),
    ]
    carers, mums = home(batch, "4", "EB4 2CD"), home(batch, "5", "EB1 9XY")
    for pid in ("sue", "tom"):
        lives(batch, pid, carers, date(2000, 1, 1))
    lives(batch, "rio", mums, date(2016, 10, 10), date(2024, 5, 31))
    lives(batch, "rio", carers, date(2024, 6, 1))
    lives(batch, "una", mums, date(2015, 1, 1))
    partners(batch, "sue", "tom", date(1995, 1, 1), kind=PartnerKind.SPOUSE)
    parent(batch, "una", "rio")
    parent(batch, "sue", "rio", ParentKind.FOSTER, date(2024, 6, 1))
    parent(batch, "tom", "rio", ParentKind.FOSTER, date(2024, 6, 1))
    team = Organisation(id="O:cla", name="Children in Care Team")
    lead = Practitioner(id="W:1", name="Priya Nair", role="Social Worker",
                        team="Children in Care Team", phone="020 7946 0123",
                        email="priya.nair@eastbridge.gov.uk")
    batch.nodes += [team, lead,
                    Involvement(id="I:cla", person_id="rio", service="Looked after child",
                                level=ServiceLevel.STATUTORY, start=date(2024, 6, 1),
                                organisation_id=team.id, lead_id=lead.id, sources=(SC,)),
                    Involvement(id="I:old", person_id="rio", service="Child in need",
                                level=ServiceLevel.STATUTORY, start=date(2023, 1, 1),
                                end=date(2024, 5, 31), status="closed", sources=(SC,)),
                    Involvement(id="I:mum", person_id="una", service="Adult mental health",
                                level=ServiceLevel.SPECIALIST, start=date(2025, 1, 1),
                                sources=(SourceRef("health", "H-una"),))]
    return batch


def twins() -> GraphBatch:
    """Twins Vic and Wes, same birth date, same address, with their mother Xena."""
    batch = GraphBatch()
    batch.nodes += [
        person("vic", "Vic", "Yates", Sex.FEMALE, date(2018, 2, 2)),
        person("wes", "Wes", "Yates", Sex.MALE, date(2018, 2, 2)),
        person("xena", "Xena", "Yates", Sex.FEMALE, date(1992, 8, 8)),
    ]
    house = home(batch, "6", "EB2 3EF")
    for pid in ("vic", "wes", "xena"):
        lives(batch, pid, house, date(2018, 2, 2))
        if pid != "xena":
            parent(batch, "xena", pid)
    return batch


def new_adult_in_household() -> GraphBatch:
    """Zak (12) lives with his mother Yva; an unrelated man, Abe, moved in on 2026-09-01."""
    batch = GraphBatch()
    batch.nodes += [
        person("zak", "Zak", "Cole", Sex.MALE, date(2014, 1, 20)),
        person("yva", "Yva", "Cole", Sex.FEMALE, date(1985, 3, 3)),
        person("abe", "Abe", "Dunn", Sex.MALE, date(1980, 4, 4)),
    ]
    house = home(batch, "7", "EB4 5GH")
    lives(batch, "zak", house, date(2014, 1, 20))
    lives(batch, "yva", house, date(2010, 1, 1))
    lives(batch, "abe", house, date(2026, 9, 1))
    parent(batch, "yva", "zak")
    return batch


FAMILIES = {
    "two_parent_household": two_parent_household,
    "blended_family_with_half_siblings": blended_family_with_half_siblings,
    "child_in_foster_care": child_in_foster_care,
    "twins": twins,
    "new_adult_in_household": new_adult_in_household,
}


def family_known_to_many_agencies() -> GraphBatch:
    """Cal (10) lives with his mother Dee, her partner Eli, his grandfather Hal and his
    sister Fay, whose identity is sealed; his father Gus has a protected (restricted)
    identity and lives elsewhere. Education, health, police and social care each hold
    something. Birth years are unique in the fixture, so they mark what leaked.

    Not in FAMILIES: it is the access-policy fixture, not part of the store contract.
    """
    batch = GraphBatch()

    def someone(pid: str, given: str, sex: Sex, born: date, systems: tuple[str, ...],
                sensitivity: Sensitivity = Sensitivity.NORMAL, **ids: str) -> Person:
        return Person(id=pid, given_names=given, family_name="Moss", sex=sex, birth_date=born,
                      sources=tuple(SourceRef(s, f"{s[:2].upper()}-{pid}") for s in systems),
                      sensitivity=sensitivity, **ids)

    batch.nodes += [
        someone("cal", "Cal", Sex.MALE, date(2016, 4, 4),
                ("social_care", "education", "health"),
                nhs_number="9434765919", upn="A123456789012"),
        someone("dee", "Dee", Sex.FEMALE, date(1983, 3, 3), ("health", "social_care"),
                nhs_number="4010232137"),
        someone("eli", "Eli", Sex.MALE, date(1986, 6, 6), ("police",)),
        someone("hal", "Hal", Sex.MALE, date(1957, 7, 7), ("health",), Sensitivity.SENSITIVE),
        someone("fay", "Fay", Sex.FEMALE, date(2009, 9, 9), ("social_care",),
                Sensitivity.SEALED),
        someone("gus", "Gus", Sex.MALE, date(1961, 1, 1), ("social_care",),
                Sensitivity.RESTRICTED),
    ]
    house, away = home(batch, "8", "EB8 1AA"), home(batch, "9", "EB6 6HH")
    for pid in ("cal", "dee", "hal", "fay"):
        lives(batch, pid, house, date(2016, 4, 4))
    lives(batch, "eli", house, date(2025, 2, 1))
    lives(batch, "gus", away, date(2019, 1, 1))
    parent(batch, "dee", "cal")
    parent(batch, "gus", "cal")
    parent(batch, "dee", "fay")
    parent(batch, "hal", "dee")
    partners(batch, "dee", "eli", date(2024, 12, 1))
    school = Organisation(id="O:school", name="Eastbridge Primary")
    worker = Practitioner(id="W:2", name="Nia Obi", role="Social Worker", team="Assessment",
                          phone="020 7946 0456", email="nia.obi@eastbridge.gov.uk")

    def involvement(iid: str, pid: str, service: str, system: str, level: ServiceLevel,
                    reason: str, sensitivity: Sensitivity = Sensitivity.NORMAL,
                    **links: str) -> Involvement:
        return Involvement(id=iid, person_id=pid, service=service, level=level,
                           start=date(2025, 9, 1), reason=reason, sensitivity=sensitivity,
                           sources=(SourceRef(system, iid),), **links)

    batch.nodes += [
        school, worker,
        involvement("I:cin", "cal", "Child in need", "social_care", ServiceLevel.STATUTORY,
                    "Neglect concerns", lead_id=worker.id),
        involvement("I:att", "cal", "Attendance support", "education", ServiceLevel.TARGETED,
                    "Persistent absence", organisation_id=school.id),
        involvement("I:pmh", "dee", "Perinatal mental health", "health",
                    ServiceLevel.SPECIALIST, "Postnatal depression", Sensitivity.SENSITIVE),
        involvement("I:dan", "eli", "Domestic abuse notification", "police",
                    ServiceLevel.SPECIALIST, "Incident at home", Sensitivity.SENSITIVE),
        involvement("I:cse", "cal", "Exploitation team", "social_care",
                    ServiceLevel.SPECIALIST, "Exploitation risk", Sensitivity.RESTRICTED),
    ]

    def risk(rid: str, pid: str, kind: RiskKind, system: str, summary: str,
             sensitivity: Sensitivity = Sensitivity.SENSITIVE) -> RiskIndicator:
        return RiskIndicator(id=rid, person_id=pid, kind=kind, valid_from=date(2025, 10, 1),
                             summary=summary, sources=(SourceRef(system, rid),),
                             sensitivity=sensitivity)

    # Each summary is a marker for the policy matrix: unique, and not a service's words.
    batch.nodes += [
        risk("K:att", "cal", RiskKind.ATTENDANCE, "education", "Absent 14 percent of sessions",
             Sensitivity.NORMAL),
        risk("K:cin", "cal", RiskKind.DOMESTIC_ABUSE, "social_care",
             "CIN factor 3B: parent or carer subject of domestic violence"),
        risk("K:mh", "dee", RiskKind.MENTAL_HEALTH, "health", "Low mood after the birth"),
        risk("K:da", "eli", RiskKind.DOMESTIC_ABUSE, "police", "Named as suspect, medium risk"),
    ]
    return batch


def stepfamily() -> GraphBatch:
    """Leo (8) lives with his mother Mia and her husband Noah, his step-father, married in
    2022; his father Oli lives elsewhere. Leo is on the roll of Alder Primary, whose
    safeguarding lead is named, and registered with a GP practice."""
    batch = GraphBatch()
    education, health = SourceRef("education", "ED-leo"), SourceRef("health", "H-leo")
    batch.nodes += [
        replace(person("leo", "Leo", "Frost", Sex.MALE, date(2018, 5, 5)),
                sources=(education, health)),
        person("mia", "Mia", "Grant", Sex.FEMALE, date(1992, 9, 9)),
        person("noah", "Noah", "Grant", Sex.MALE, date(1987, 12, 1)),
        person("oli", "Oli", "Frost", Sex.MALE, date(1990, 3, 30)),
    ]
    house, dads = home(batch, "10", "EB5 1JK"), home(batch, "11", "EB6 2LM")
    lives(batch, "leo", house, date(2018, 5, 5))
    lives(batch, "mia", house, date(2016, 1, 1))
    lives(batch, "noah", house, date(2021, 6, 1))
    lives(batch, "oli", dads, date(2019, 1, 1))
    partners(batch, "mia", "oli", date(2015, 1, 1), date(2018, 12, 31))
    partners(batch, "mia", "noah", date(2022, 7, 2), kind=PartnerKind.SPOUSE)
    parent(batch, "mia", "leo")
    parent(batch, "oli", "leo")
    school = Organisation(id="O:alder", name="Alder Primary School", kind="school",
                          code="100001")
    dsl = Practitioner(id="W:dsl", name="Rosa Mendes", role="Designated Safeguarding Lead",
                       team="Alder Primary School", phone="020 7946 0456",
                       email="dsl@alder.sch.uk")
    practice = Organisation(id="O:gp", name="Eastbridge Medical Centre", kind="gp_practice",
                            code="Y01234")
    batch.nodes += [school, dsl, practice,
                    Involvement(id="I:school", person_id="leo", service="School",
                                level=ServiceLevel.UNIVERSAL, start=date(2022, 9, 1),
                                organisation_id=school.id, lead_id=dsl.id, sources=(education,)),
                    Involvement(id="I:gp", person_id="leo", service="GP registration",
                                level=ServiceLevel.UNIVERSAL, start=date(2018, 6, 1),
                                organisation_id=practice.id, sources=(health,))]
    return batch


def child_moved_between_parents() -> GraphBatch:
    """Ivy (11) lived with her mother Jan until 2025-08-31, then moved to her father Kit's.
    Health and education disagree on her birth date: one of them swapped day and month."""
    batch = GraphBatch()
    health, education = SourceRef("health", "H-ivy"), SourceRef("education", "ED-ivy")
    batch.nodes += [
        replace(person("ivy", "Ivy", "Lund", Sex.FEMALE, date(2015, 4, 7)),
                sources=(health, education),
                claims=(Claim("birth_date", "2015-04-07", health),
                        Claim("birth_date", "2015-07-04", education))),
        person("jan", "Jan", "Lund", Sex.FEMALE, date(1989, 10, 10)),
        person("kit", "Kit", "Moss", Sex.MALE, date(1986, 7, 7)),
    ]
    mums, dads = home(batch, "12", "EB7 3NP"), home(batch, "13", "EB8 4QR")
    lives(batch, "ivy", mums, date(2015, 4, 7), date(2025, 8, 31))
    lives(batch, "ivy", dads, date(2025, 9, 1))
    lives(batch, "jan", mums, date(2012, 1, 1))
    lives(batch, "kit", dads, date(2017, 1, 1))
    partners(batch, "jan", "kit", date(2013, 1, 1), date(2016, 12, 31))
    parent(batch, "jan", "ivy")
    parent(batch, "kit", "ivy")
    return batch


# Named families the API tests add to FAMILIES (kept out of the store contract's set).
API_FAMILIES = {
    "stepfamily": stepfamily,
    "child_moved_between_parents": child_moved_between_parents,
}


def child_recorded_at_three_addresses() -> GraphBatch:
    """Wes (9): social care has him at his mother Yara's since 2026-03-01; education and
    health have had him at his grandmother Zoe's since January (two systems against one);
    social care also still has him at a refuge (restricted) from December 2025."""
    batch = GraphBatch()
    batch.nodes += [
        person("wes", "Wes", "Penn", Sex.MALE, date(2017, 5, 5)),
        person("yara", "Yara", "Penn", Sex.FEMALE, date(1992, 8, 8)),
        person("zoe", "Zoe", "Penn", Sex.FEMALE, date(1966, 3, 3)),
    ]
    mums, grans = home(batch, "20", "EB5 2WP"), home(batch, "21", "EB6 9ZP")
    refuge = home(batch, "22", "EB9 1RF", restricted=True)
    education, health = SourceRef("education", "ED-wes"), SourceRef("health", "H-wes")
    batch.edges += [
        MemberOf("wes", mums, date(2026, 3, 1), None, (SC,)),
        MemberOf("wes", grans, date(2026, 1, 10), None, (education,)),
        MemberOf("wes", grans, date(2026, 1, 15), None, (health,)),
        MemberOf("wes", refuge, date(2025, 12, 1), None, (SC,), Sensitivity.RESTRICTED),
    ]
    lives(batch, "yara", mums, date(2015, 1, 1))
    lives(batch, "zoe", grans, date(1995, 1, 1))
    # A child protection plan health leads: a school does not share health's system.
    team = Organisation(id="O:wes-health", name="Eastbridge Community Health", kind="team")
    batch.nodes += [team, Involvement(
        id="I:wes-cpp", person_id="wes", service="Child protection plan",
        level=ServiceLevel.STATUTORY, start=date(2026, 4, 1), organisation_id=team.id,
        sources=(health,))]
    parent(batch, "yara", "wes")
    parent(batch, "zoe", "yara")
    return batch


def family_with_recorded_risks() -> GraphBatch:
    """Ria (8) and her brother Sol (12) live with their mother Tia. Ria's CIN assessment
    recorded her parents' drug misuse (2B) in 2026; police recorded Tia as the victim of a
    high-risk domestic-abuse incident in 2019 with no end date, and again in 2026 as a
    suspect; education flags Ria's attendance, closed as historic."""
    batch = GraphBatch()
    batch.nodes += [
        person("ria", "Ria", "Vale", Sex.FEMALE, date(2018, 2, 2)),
        person("sol", "Sol", "Vale", Sex.MALE, date(2014, 9, 9)),
        person("tia", "Tia", "Vale", Sex.FEMALE, date(1988, 6, 6)),
    ]
    house = home(batch, "30", "EB4 3RV")
    for pid in ("ria", "sol", "tia"):
        lives(batch, pid, house, date(2018, 2, 2))
    for child in ("ria", "sol"):
        parent(batch, "tia", child)
    police, cin = SourceRef("police", "PN-tia"), SourceRef("cin_census", "CIN-ria")
    batch.nodes += [
        RiskIndicator(id="K:ria-2b", person_id="ria", kind=RiskKind.SUBSTANCE_MISUSE,
                      valid_from=date(2026, 4, 1),
                      summary="CIN assessment factor 2B: concerns about drug misuse by the"
                              " parent(s)/carer(s)", sources=(cin,)),
        RiskIndicator(id="K:tia-2019", person_id="tia", kind=RiskKind.DOMESTIC_ABUSE,
                      valid_from=date(2019, 3, 14), summary="VICTIM HIGH", sources=(police,)),
        RiskIndicator(id="K:tia-2026", person_id="tia", kind=RiskKind.DOMESTIC_ABUSE,
                      valid_from=date(2026, 9, 1), summary="SUSPECT MEDIUM",
                      sources=(police,)),
        RiskIndicator(id="K:tia-mh", person_id="tia", kind=RiskKind.MENTAL_HEALTH,
                      valid_from=date(2025, 1, 1), valid_to=date(2027, 1, 1),
                      summary="Adult mental health referral", sources=(SC,)),
        RiskIndicator(id="K:ria-pa", person_id="ria", kind=RiskKind.ATTENDANCE,
                      valid_from=date(2026, 9, 1), summary="Historic PA flag",
                      sources=(SourceRef("education", "ED-ria"),)),
    ]
    return batch
