"""Pairs of stores that differ only in the values a viewer may not see (docs/security.md rule 29).

A family fled to a refuge: Ada and her children Ben and Cy live at a restricted address,
after years at an ordinary one. Health holds their NHS numbers, a school their UPNs, the
police a record of Ada and a domestic-abuse notification, social care the rest. Each
`Secrets` is one draw of every value that can be hidden; `withheld_from` says which of
them a viewer may not see, asked of the policy itself; `family_with` writes the family
with a draw, so that two draws differing only where the viewer is blind make two stores
the viewer must not be able to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from hypothesis import strategies as st

from graph.model import (
    Address,
    Claim,
    HasRecord,
    Household,
    Involvement,
    MemberOf,
    ParentKind,
    ParentOf,
    Person,
    Practitioner,
    RiskIndicator,
    RiskKind,
    Sensitivity,
    ServiceLevel,
    Sex,
    SourceRecord,
    SourceRef,
)
from graph.store import GraphBatch, InvolvementView
from server.policy import Category, Viewer, release
from server.sharing import SharingRules

PEOPLE = ("ada", "ben", "cy", "dot")  # Dot, the youngest, has a sealed identity
HOME_POSTCODE = "EB1 1AA"  # where they lived before: ordinary, seen by everyone with addresses
FLED = date(2025, 6, 1)
SC, HEALTH, SCHOOL, POLICE = "social_care", "health", "education", "police"
# Valid NHS numbers (modulus 11), so that a search normalising them finds them.
NHS_NUMBERS = ("9434765919", "4010232137", "9434765870", "9990548609", "4857773456",
               "9000000009", "9876543210", "4505577104")


@dataclass(frozen=True)
class Secrets:
    """One draw of every value the family holds that some viewer may not see."""

    refuge_postcode: str
    refuge_line: str
    refuge_uprn: str
    nhs: tuple[str, str, str]
    upn: tuple[str, str]
    born: tuple[date, date, date]
    police_id: str
    notification_reason: str
    notification_start: date
    police_risk: str
    police_born: date  # the birth date the police record gives Ada (theirs is wrong)
    sealed_born: date  # Dot's: she is shown by name only to most


def secrets() -> st.SearchStrategy[Secrets]:
    postcode = st.sampled_from(["EB9 9ZZ", "NX4 7QT", "EB2 3CD", "LS6 1AB", "M14 5RT"])
    upn = st.from_regex(r"[A-Z][0-9]{12}", fullmatch=True)
    adult = st.dates(date(1975, 1, 1), date(1995, 12, 31))
    child = st.dates(date(2012, 1, 1), date(2020, 12, 31))
    words = st.text(st.sampled_from("abcdefgh "), min_size=3, max_size=12).map(
        lambda text: text.strip() or "x")
    return st.builds(
        Secrets,
        refuge_postcode=postcode,
        refuge_line=st.sampled_from(["1 Safe Street", "14 Quiet Lane", "Flat 2, Oak House"]),
        refuge_uprn=st.from_regex(r"1[0-9]{8}", fullmatch=True),
        nhs=st.permutations(NHS_NUMBERS).map(lambda ns: (ns[0], ns[1], ns[2])),
        upn=st.tuples(upn, upn),
        born=st.tuples(adult, child, child),
        police_id=st.from_regex(r"PN[0-9]{5}", fullmatch=True),
        notification_reason=words,
        notification_start=st.dates(date(2019, 1, 1), date(2026, 10, 1)),
        police_risk=words,
        police_born=adult,
        sealed_born=child,
    )


def _refuge(s: Secrets) -> Address:
    return Address(id="A:refuge", line1=s.refuge_line, town="Westmere",
                   postcode=s.refuge_postcode, uprn=s.refuge_uprn,
                   sources=(SourceRef(SC, "SC-ada"),), sensitivity=Sensitivity.RESTRICTED)


_HOME = Address(id="A:home", line1="3 Alder Road", town="Eastbridge", postcode=HOME_POSTCODE,
                sources=(SourceRef(SC, "SC-ada"),))
_NOTIFICATION = "I:dan"


def _notification(s: Secrets) -> Involvement:
    return Involvement(id=_NOTIFICATION, person_id="ada", service="Domestic abuse notification",
                       level=ServiceLevel.SPECIALIST, start=s.notification_start,
                       reason=s.notification_reason, sources=(SourceRef(POLICE, s.police_id),),
                       sensitivity=Sensitivity.SENSITIVE)


def _police_risk(s: Secrets) -> RiskIndicator:
    return RiskIndicator(id="K:da", person_id="ada", kind=RiskKind.DOMESTIC_ABUSE,
                         valid_from=date(2025, 5, 15), summary=s.police_risk,
                         sources=(SourceRef(POLICE, s.police_id),),
                         sensitivity=Sensitivity.SENSITIVE)


def _person(s: Secrets, index: int) -> Person:
    pid = PEOPLE[index]
    given = pid.capitalize()
    sealed = pid == "dot"
    born = s.sealed_born if sealed else s.born[index]
    refs = [SourceRef(SC, f"SC-{pid}"), SourceRef(HEALTH, f"H-{pid}")]
    claims = [
        Claim("given_names", given, refs[0]), Claim("family_name", "Rowe", refs[0]),
        Claim("birth_date", born.isoformat(), refs[0]),
        # Social care and health know the refuge; the school still has the old postcode,
        # so the systems disagree about where they live.
        Claim("postcode", s.refuge_postcode, refs[0], Sensitivity.RESTRICTED),
        Claim("postcode", s.refuge_postcode, refs[1], Sensitivity.RESTRICTED),
    ]
    nhs = upn = None
    if not sealed:
        nhs = s.nhs[index]
        claims.append(Claim("nhs_number", nhs, refs[1]))
    if index in (1, 2):
        upn = s.upn[index - 1]
        refs.append(SourceRef(SCHOOL, f"E-{pid}"))
        claims += [Claim("upn", upn, refs[-1]), Claim("postcode", HOME_POSTCODE, refs[-1])]
    elif index == 0:
        refs.append(SourceRef(POLICE, s.police_id))
        claims += [Claim("family_name", "Rowe", refs[-1]),
                   Claim("birth_date", s.police_born.isoformat(), refs[-1])]
        # As a load chooses: the value most sources give, ties to the smallest.
        born = min(born, s.police_born)
    return Person(id=pid, given_names=given, family_name="Rowe",
                  sex=Sex.MALE if index in (1, 2) else Sex.FEMALE, birth_date=born,
                  nhs_number=nhs, upn=upn, sources=tuple(refs), claims=tuple(claims),
                  sensitivity=Sensitivity.SEALED if sealed else Sensitivity.NORMAL)


def family_with(s: Secrets) -> GraphBatch:
    """The refuge family, holding the values of `s`."""
    batch = GraphBatch()
    refuge = _refuge(s)
    batch.nodes += [_HOME, refuge,
                    Household(id="H:home", address_id=_HOME.id),
                    Household(id="H:refuge", address_id=refuge.id,
                              sensitivity=Sensitivity.RESTRICTED)]
    worker = Practitioner(id="W:1", name="Nia Obi", role="Social Worker", team="Assessment",
                          phone="020 7946 0456", email="nia.obi@eastbridge.gov.uk")
    batch.nodes += [worker, _notification(s), _police_risk(s),
                    Involvement(id="I:cin", person_id="ben", service="Child in need",
                                level=ServiceLevel.STATUTORY, start=date(2025, 7, 1),
                                reason="Domestic abuse at home", lead_id=worker.id,
                                sources=(SourceRef(SC, "SC-ben"),))]
    for index, pid in enumerate(PEOPLE):
        person = _person(s, index)
        batch.nodes.append(person)
        for ref in person.sources:
            record = SourceRecord(id=f"R:{ref.system}/{ref.record_id}", system=ref.system,
                                  local_id=ref.record_id)
            batch.nodes.append(record)
            batch.edges.append(HasRecord(pid, record.id))
        batch.edges += [
            MemberOf(pid, "H:home", date(2010, 1, 1), FLED, (SourceRef(SC, f"SC-{pid}"),)),
            MemberOf(pid, "H:refuge", FLED, None, (SourceRef(SC, f"SC-{pid}"),),
                     Sensitivity.RESTRICTED),
        ]
        if index:
            batch.edges.append(ParentOf("ada", pid, ParentKind.BIRTH, None, None, None,
                                        (SourceRef(SC, f"SC-{pid}"),)))
    return batch


def withheld_from(viewer: Viewer, rules: SharingRules, s: Secrets) -> frozenset[str]:
    """Which of the `Secrets` fields the policy keeps from `viewer`."""
    agreement = rules.agreement(viewer.agency)
    allowed = agreement.categories
    hidden = set()
    if release(viewer, rules, "ada", _refuge(s)).value is None:
        hidden |= {"refuge_postcode", "refuge_line", "refuge_uprn"}
    if Category.NHS_NUMBER not in allowed:
        hidden.add("nhs")
    if Category.UPN not in allowed:
        hidden.add("upn")
    if Category.DEMOGRAPHICS not in allowed:
        hidden.add("born")
    if Category.DEMOGRAPHICS in release(viewer, rules, "dot", _person(s, 3)).withheld:
        hidden.add("sealed_born")
    if Category.SOURCES not in allowed or POLICE not in agreement.systems:
        hidden.add("police_id")
    if Category.DEMOGRAPHICS not in allowed or POLICE not in agreement.systems:
        hidden.add("police_born")
    shown = release(viewer, rules, "ada", InvolvementView(_notification(s), None, None)).value
    if shown is None:
        hidden |= {"notification_reason", "notification_start"}
    elif not shown.involvement.reason:
        hidden.add("notification_reason")
    if release(viewer, rules, "ada", _police_risk(s)).value is None:
        hidden.add("police_risk")
    return frozenset(hidden)


def blend(seen: Secrets, hidden_from: Secrets, hidden: frozenset[str]) -> Secrets:
    """`seen` with the fields in `hidden` taken from `hidden_from`."""
    return replace(seen, **{name: getattr(hidden_from, name) for name in hidden})
