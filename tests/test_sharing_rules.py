"""Which purposes and roles each agency may hold: the sharing file, its checks, and who obeys it."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth import DEMO_USERS, Authenticator
from server.sharing import Purpose, SharingConfigError, load_rules, parse_rules
from server.users import User
from tests.viewers import USUAL_PURPOSE, VIEWERS

RULES = load_rules()


def rules_with(**agency: Any) -> dict[str, Any]:
    """A sharing file with every purpose, two roles and one agency, `school`, as given."""
    return {"purposes": {p.value: "basis" for p in Purpose},
            "roles": {"designated_safeguarding_lead": [], "social_worker": ["view_restricted"]},
            "agencies": {"school": {"purposes": ["mash_screening"],
                                    "roles": ["designated_safeguarding_lead"], **agency}}}


def test_police_may_not_act_for_early_help_nor_hold_a_social_workers_role() -> None:
    assert RULES.may_use("police", Purpose.MASH_SCREENING)
    assert not RULES.may_use("police", Purpose.EARLY_HELP)
    assert RULES.may_hold("police", "police_officer")
    assert not RULES.may_hold("police", "social_worker")


def test_only_social_care_police_and_health_act_for_s47_enquiries() -> None:
    assert {agency for agency in RULES.agreements
            if RULES.may_use(agency, Purpose.S47_ENQUIRY)} == {
        "childrens_social_care", "police", "health"}


def test_auditors_hold_their_role_and_no_purpose() -> None:
    assert RULES.agreement("information_governance").purposes == frozenset()
    assert RULES.may_hold("information_governance", "information_governance")


def test_unknown_agency_may_hold_nothing() -> None:
    assert not RULES.may_hold("martians", "social_worker")
    assert not RULES.may_use("martians", Purpose.MASH_SCREENING)


def test_every_role_is_held_by_some_agency() -> None:
    held = set().union(*(agreement.roles for agreement in RULES.agreements.values()))
    assert held == set(RULES.roles)


def test_sharing_file_giving_an_agency_an_unknown_role_names_agency_and_role() -> None:
    with pytest.raises(SharingConfigError, match=r"agency school .*role head_wizard"):
        parse_rules(rules_with(roles=["designated_safeguarding_lead", "head_wizard"]))


def test_sharing_file_giving_an_agency_an_unknown_purpose_names_agency_and_purpose() -> None:
    with pytest.raises(SharingConfigError, match=r"agency school .*purpose curiosity"):
        parse_rules(rules_with(purposes=["mash_screening", "curiosity"]))


@pytest.mark.parametrize("key", ["purposes", "roles"])
def test_agency_that_does_not_list_its_purposes_or_roles_is_refused(key: str) -> None:
    data = rules_with()
    del data["agencies"]["school"][key]
    with pytest.raises(SharingConfigError, match=rf"agency school .*{key}"):
        parse_rules(data)


def test_agency_purposes_must_be_a_list_of_names() -> None:
    with pytest.raises(SharingConfigError, match="agency school: purposes must be a list"):
        parse_rules(rules_with(purposes="mash_screening"))


@pytest.mark.parametrize("name", sorted(VIEWERS))
def test_each_test_viewer_is_a_combination_the_agreements_allow(name: str) -> None:
    agency, role = VIEWERS[name]
    assert RULES.may_hold(agency, role)
    purpose = USUAL_PURPOSE[name]
    assert purpose is None or RULES.may_use(agency, purpose)


@pytest.mark.parametrize("name", sorted(DEMO_USERS))
def test_each_demo_user_is_a_combination_the_agreements_allow(name: str) -> None:
    user = DEMO_USERS[name]
    assert RULES.may_hold(user.agency, user.role)


class Claims:
    """An identity provider whose tokens always check out, saying what it is told to."""

    def __init__(self, **claims: str) -> None:
        self._claims = claims

    def claims(self, token: str) -> dict[str, Any]:
        return dict(self._claims)


def authenticator(oidc: Claims | None = None) -> Authenticator:
    users = {"pc": User("pc", "PC", "police", "police_officer"),
             "rogue": User("rogue", "R", "police", "social_worker")}
    return Authenticator(b"k" * 32, users, 8, demo=True, rules=RULES,
                         oidc=oidc)  # type: ignore[arg-type]


def test_token_for_a_purpose_the_agency_may_not_use_carries_no_purpose() -> None:
    auth = authenticator()
    pc = auth.user("pc")
    assert pc is not None
    assert auth.viewer(auth.issue(pc, Purpose.EARLY_HELP)).purpose is None
    assert auth.viewer(auth.issue(pc, Purpose.S47_ENQUIRY)).purpose is Purpose.S47_ENQUIRY


def test_token_of_a_user_in_a_role_the_agency_may_not_hold_has_no_purpose_or_permissions(
) -> None:
    auth = authenticator()
    rogue = auth.user("rogue")
    assert rogue is not None
    viewer = auth.viewer(auth.issue(rogue, Purpose.MASH_SCREENING))
    assert viewer.purpose is None and viewer.permissions == frozenset()


def test_identity_provider_claims_are_held_to_the_agencys_purposes_and_roles() -> None:
    def viewer(**claims: str) -> tuple[Purpose | None, frozenset[str]]:
        acting = authenticator(Claims(sub="u", **claims)).viewer("a.b.c")
        return acting.purpose, acting.permissions

    police = {"famgraph_agency": "police", "famgraph_role": "police_officer"}
    assert viewer(**police, famgraph_purpose="early_help") == (None, frozenset())
    assert viewer(**police, famgraph_purpose="cp_conference")[0] is Purpose.CP_CONFERENCE
    rogue = {"famgraph_agency": "police", "famgraph_role": "social_worker"}
    assert viewer(**rogue, famgraph_purpose="mash_screening") == (None, frozenset())

