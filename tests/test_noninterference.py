"""Nothing withheld can be learned (docs/security.md rule 29): differential tests.

For every agency in the sharing file and every set of role permissions, two stores that
differ only in the values withheld from that viewer (a refuge's address and postcode,
NHS numbers, UPNs, birth dates, a police record id, a police notification and risk) must
answer the viewer identically: every field of every person through the schema walker,
and search by every criterion, the hidden values themselves included. A bounded run
here; `python -m bench.noninterference` runs many more examples.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from graph.embedded import EmbeddedStore
from graph.model import Involvement, MemberOf
from graph.store import GraphBatch
from loaders.changes import changes_learned
from server.app import create_app
from server.context import Disclosure, RequestContext
from server.exports import UK
from server.following import FOLLOWING_FILE, Following
from server.policy import Category, Purpose, Viewer
from server.schema import build_schema
from server.settings import Mode, Settings
from server.sharing import default_rules
from tests.noninterference import (
    HOME_POSTCODE,
    NHS_NUMBERS,
    PEOPLE,
    Secrets,
    blend,
    family_with,
    secrets,
)
from tests.noninterference import withheld_from as hidden_from
from tests.test_schema_walk import walk_document
from tests.viewers import VIEWERS as PAGE_VIEWERS
from tests.viewers import bearer, copy_users

RULES = default_rules()
# The walk asks for everything at once: on a busy machine it may outlast the serving
# deadline, and a timed-out answer would differ from its twin for no reason of privacy.
SETTINGS = Settings(max_query_depth=20, max_tokens=20000, max_query_nodes=10**9,
                    max_aliases=100, operation_timeout=300.0)
SCHEMA = build_schema(SETTINGS)
TODAY = date(2026, 11, 23)
LEARNED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FAMGRAPH_NONINTERFERENCE_EXAMPLES", "8"))


def viewers() -> list[Viewer]:
    """One viewer per agency and distinct set of permissions among the roles it may hold,
    each under a purpose the agency may act for (an agency with none is asked anyway, as
    if it had one: it must still learn nothing)."""
    found = []
    for agency, agreement in sorted(RULES.agreements.items()):
        purpose = min(agreement.purposes, default=Purpose.MASH_SCREENING)
        by_permissions: dict[frozenset[str], str] = {}
        for role in sorted(agreement.roles):
            by_permissions.setdefault(RULES.permissions(role), role)
        found += [Viewer(f"{agency}-{role}", agency, role, purpose, permissions)
                  for permissions, role in sorted(by_permissions.items(), key=lambda kv: kv[1])]
    return found


VIEWERS = viewers()
WALK = walk_document()
SEARCH = """query($name: String, $birthDate: Date, $postcode: String, $nhsNumber: String,
  $upn: String, $system: String, $recordId: String, $birthYear: Int) {
  searchPeople(name: $name, birthDate: $birthDate, postcode: $postcode, nhsNumber: $nhsNumber,
               upn: $upn, system: $system, recordId: $recordId, birthYear: $birthYear,
               first: 50) {
    edges { cursor node { score matched person { id displayName nameOnly } } }
    withheld pageInfo { hasNextPage endCursor }
  } }"""


@dataclass
class Served:
    """A store and who follows whom in it: what a request is answered from."""

    store: EmbeddedStore
    following: Following

    def close(self) -> None:
        self.store.close()
        self.following.close()


def ask(served: Served, viewer: Viewer, document: str, variables: dict[str, Any]) -> str:
    """The viewer's answer as JSON text, errors sorted: what the viewer would receive."""
    context = RequestContext(SETTINGS, served.store, Disclosure(viewer, "q", "", RULES),
                             following=served.following)
    result = asyncio.run(SCHEMA.execute(document, variable_values=variables,
                                        context_value=context))
    errors = sorted(json.dumps({"message": e.message, "path": e.path,
                                "code": (e.extensions or {}).get("code")}, sort_keys=True)
                    for e in result.errors or ())
    return json.dumps({"data": result.data, "errors": errors}, sort_keys=True, default=str)


def searches(*draws: Secrets) -> Iterator[dict[str, Any]]:
    """Every search criterion, with the values of both stores (the hidden ones included)."""
    yield {"name": "Rowe"}
    yield {"postcode": HOME_POSTCODE}
    for s in draws:
        yield {"postcode": s.refuge_postcode}
        yield {"name": "Rowe", "postcode": s.refuge_postcode}
        for number in s.nhs:
            yield {"nhsNumber": number}
        for upn in s.upn:
            yield {"upn": upn}
        for born in s.born:
            yield {"birthDate": born.isoformat()}
            yield {"name": "Rowe", "birthDate": born.isoformat()}
            yield {"name": "Rowe", "birthYear": born.year}
        yield {"birthDate": s.police_born.isoformat()}
        yield {"birthDate": s.sealed_born.isoformat()}
        yield {"name": "Dot Rowe", "birthDate": s.sealed_born.isoformat()}
        yield {"system": "police", "recordId": s.police_id}


def answers(store: Served, viewer: Viewer, draws: tuple[Secrets, Secrets]) -> list[str]:
    found = [ask(store, viewer, WALK.replace('"cal"', f'"{pid}"').replace('"Moss"', '"Rowe"'),
                 {}) for pid in PEOPLE]
    found += [ask(store, viewer, SEARCH, criteria) for criteria in searches(*draws)]
    return found


def write(directory: Path, s: Secrets) -> Served:
    """The family in a new store, with the changes a load of it would teach, and every
    viewer following all three of them (since a fixed time, so answers can be compared)."""
    directory.mkdir()
    store = EmbeddedStore(directory)
    family = family_with(s)
    # First the family at home with no services; then the load that learns of the flight
    # to the refuge and the services, with the changes it teaches followers.
    store.write(GraphBatch(
        nodes=[n for n in family.nodes if not isinstance(n, Involvement)],
        edges=[e for e in family.edges
               if not (isinstance(e, MemberOf) and e.dst == "H:refuge")]))
    family.changes = changes_learned(family, store, TODAY, learned_at=LEARNED)
    store.write(family)
    following = Following(directory)
    with sqlite3.connect(directory / FOLLOWING_FILE) as follows:
        follows.executemany("INSERT INTO follows(user, person_id, since) VALUES (?, ?, ?)",
                            [(v.user, pid, LEARNED.isoformat(timespec="seconds"))
                             for v in VIEWERS for pid in PEOPLE])
    return Served(store, following)


def check_viewer(viewer: Viewer, seen: Secrets, other: Secrets) -> None:
    hidden = hidden_from(viewer, RULES, seen)
    twin = blend(seen, other, hidden)
    with tempfile.TemporaryDirectory() as root:
        one, two = write(Path(root) / "a", seen), write(Path(root) / "b", twin)
        try:
            first = answers(one, viewer, (seen, twin))
            second = answers(two, viewer, (seen, twin))
        finally:
            one.close()
            two.close()
    for a, b in zip(first, second, strict=True):
        assert a == b, (f"{viewer.user} told the stores apart; hidden: {sorted(hidden)}\n"
                        + difference(a, b))


def difference(a: str, b: str) -> str:
    """Where two answers differ, as a few lines of unified diff."""
    lines = [json.dumps(json.loads(text), indent=1, sort_keys=True).splitlines()
             for text in (a, b)]
    return "\n".join(list(difflib.unified_diff(*lines, lineterm="", n=3))[:40])


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.user)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seen=secrets(), other=secrets())
def test_two_stores_differing_only_in_withheld_values_answer_alike(
    viewer: Viewer, seen: Secrets, other: Secrets
) -> None:
    check_viewer(viewer, seen, other)


def test_the_pair_differs_where_the_viewer_is_blind() -> None:
    """The test above could pass by comparing a store with itself: make sure it does not,
    and that a viewer who may see a value does tell two stores apart by it."""
    school = next(v for v in VIEWERS if v.agency == "school" and not v.permissions)
    social_worker = next(v for v in VIEWERS if v.agency == "childrens_social_care"
                         and "view_restricted" in v.permissions)
    one = Secrets("EB9 9ZZ", "1 Safe Street", "100000001", NHS_NUMBERS[:3], ("A000000000001",
                  "A000000000002"), (date(1980, 1, 1), date(2014, 2, 2), date(2016, 3, 3)),
                  "PN00001", "first", date(2020, 1, 1), "first risk", date(1979, 1, 1),
                  date(2018, 1, 1))
    two = Secrets("NX4 7QT", "14 Quiet Lane", "100000002", NHS_NUMBERS[3:6], ("B000000000001",
                  "B000000000002"), (date(1981, 4, 4), date(2013, 5, 5), date(2017, 6, 6)),
                  "PN00002", "second", date(2021, 1, 1), "second risk", date(1978, 1, 1),
                  date(2019, 1, 1))
    hidden = hidden_from(school, RULES, one)
    assert {"refuge_postcode", "nhs", "police_id"} <= hidden
    assert blend(one, two, hidden) != one
    assert "refuge_postcode" not in hidden_from(social_worker, RULES, one)
    with tempfile.TemporaryDirectory() as root:
        a, b = write(Path(root) / "a", one), write(Path(root) / "b", two)
        try:
            criteria = {"postcode": one.refuge_postcode}
            assert ask(a, social_worker, SEARCH, criteria) != ask(b, social_worker, SEARCH,
                                                                   criteria)
        finally:
            a.close()
            b.close()


# --- the leaks found by hand, each named ------------------------------------------------

KNOWN = Secrets("EB9 9ZZ", "1 Safe Street", "100000001", NHS_NUMBERS[:3],
                ("A000000000001", "A000000000002"),
                (date(1980, 1, 1), date(2014, 2, 2), date(2016, 3, 3)),
                "PN00001", "Incident at the old address", date(2020, 1, 1), "Victim, high risk",
                date(1979, 12, 1), date(2019, 5, 5))


@pytest.fixture(scope="module")
def refuge_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = write(tmp_path_factory.mktemp("refuge") / "store", KNOWN)
    yield store
    store.close()


def found(store: Served, viewer: Viewer, **criteria: Any) -> dict[str, list[str]]:
    answer = json.loads(ask(store, viewer, SEARCH, criteria))
    edges = answer["data"]["searchPeople"]["edges"]
    return {e["node"]["person"]["id"]: e["node"]["matched"] for e in edges}


def blind_to(fact: str) -> list[Viewer]:
    """Viewers who may search for people, and may not see `fact`."""
    return [v for v in VIEWERS if fact in hidden_from(v, RULES, KNOWN)
            and Category.IDENTITY in RULES.agreement(v.agency).categories]


@pytest.mark.parametrize("viewer", blind_to("refuge_postcode"), ids=lambda v: v.user)
def test_a_refuge_postcode_finds_no_one_for_a_viewer_who_may_not_see_it(
    refuge_store: Served, viewer: Viewer
) -> None:
    assert found(refuge_store, viewer, postcode=KNOWN.refuge_postcode) == {}
    named = found(refuge_store, viewer, name="Rowe", postcode=KNOWN.refuge_postcode)
    assert all("postcode" not in matched for matched in named.values())


def test_a_refuge_postcode_finds_the_family_for_a_social_worker(refuge_store: Served) -> None:
    social_worker = next(v for v in VIEWERS if v.agency == "childrens_social_care"
                         and "view_restricted" in v.permissions)
    # Dot's identity is sealed: a social worker sees her by name only, and not where she is.
    at_refuge = found(refuge_store, social_worker, postcode=KNOWN.refuge_postcode)
    assert set(at_refuge) == set(PEOPLE) - {"dot"}


@pytest.mark.parametrize("fact, criteria", [
    ("nhs", {"nhsNumber": KNOWN.nhs[1]}),
    ("upn", {"upn": KNOWN.upn[0]}),
    ("born", {"birthDate": KNOWN.born[1].isoformat()}),
    ("police_id", {"system": "police", "recordId": KNOWN.police_id}),
])
def test_a_withheld_identifier_neither_finds_nor_scores(
    refuge_store: Served, fact: str, criteria: dict[str, str]
) -> None:
    for viewer in blind_to(fact):
        assert found(refuge_store, viewer, **criteria) == {}, viewer.user
        plain = json.loads(ask(refuge_store, viewer, SEARCH, {"name": "Rowe"}))
        narrowed = json.loads(ask(refuge_store, viewer, SEARCH, {"name": "Rowe", **criteria}))
        assert plain == narrowed, viewer.user


@pytest.mark.parametrize("viewer", blind_to("refuge_postcode"), ids=lambda v: v.user)
def test_discrepancies_never_show_a_withheld_postcode(refuge_store: Served, viewer: Viewer) -> None:
    answer = ask(refuge_store, viewer,
                 '{ person(id: "ben") { discrepancies { field assertions { value } } } }', {})
    assert KNOWN.refuge_postcode not in answer


# --- pages, genograms and exports: the same proof over HTTP -------------------------------

OTHER = Secrets("NX4 7QT", "14 Quiet Lane", "100000002", NHS_NUMBERS[3:6],
                ("B000000000001", "B000000000002"),
                (date(1981, 4, 4), date(2013, 5, 5), date(2017, 6, 6)),
                "PN00002", "A second incident", date(2026, 9, 1), "Named as victim",
                date(1978, 6, 6), date(2013, 5, 5))
# What differs between two renderings of one answer and says nothing of the data.
_VOLATILE = re.compile(r'(name="csrf_token" value=")[^"]*(")')
_REPORT_CODE = re.compile(r"<code>[0-9a-f]{32}</code>")  # a refusal's random audit reference


@pytest.fixture(autouse=True)
def export_clock_held_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """An export is stamped with the minute it was made; two renderings either side of a
    minute's turn would differ in that alone (and its footer may wrap anywhere in it)."""
    monkeypatch.setattr("server.exports.now_in_uk", lambda: datetime(2026, 12, 1, 9, 5, tzinfo=UK))


def pages_of(directory: Path, user: str, draws: tuple[Secrets, Secrets]) -> list[str]:
    """Every page, genogram and export of the family, and the search page by every hidden
    value, as `user` receives them."""
    copy_users(directory)
    app = create_app(Settings(store_dir=directory, mode=Mode.DEVELOPMENT,
                              operation_timeout=300.0))
    found = []
    with TestClient(app) as client:
        headers = bearer(app.state.auth, user)
        paths = [f"/people/{pid}{tail}" for pid in PEOPLE
                 for tail in ("", "/genogram", "/genogram.svg", "/export.json")]
        for s in draws:
            paths += [f"/?postcode={s.refuge_postcode}",
                      f"/?name=Rowe&postcode={s.refuge_postcode}",
                      *(f"/?nhs_number={n}" for n in s.nhs),
                      *(f"/?birth_date={b.isoformat()}" for b in s.born)]
        for path in paths:
            response = client.get(path, headers=headers)
            text = _VOLATILE.sub(r"\1\2", response.text)
            text = _REPORT_CODE.sub("<code/>", text)
            found.append(f"{path}\t{response.status_code}\t{text}")
    return found


@pytest.mark.parametrize("user", sorted(set(PAGE_VIEWERS) - {"ida"}))
def test_pages_of_two_stores_differing_only_in_withheld_values_are_alike(
    tmp_path: Path, user: str
) -> None:
    agency, role = PAGE_VIEWERS[user]
    viewer = Viewer(user, agency, role, Purpose.MASH_SCREENING, RULES.permissions(role))
    hidden = hidden_from(viewer, RULES, KNOWN)
    twin = blend(KNOWN, OTHER, hidden)
    for name, s in (("a", KNOWN), ("b", twin)):
        write(tmp_path / name, s).close()
    first = pages_of(tmp_path / "a", user, (KNOWN, twin))
    second = pages_of(tmp_path / "b", user, (KNOWN, twin))
    for a, b in zip(first, second, strict=True):
        assert a == b, (f"{user} told the stores apart at {a.split(chr(9))[0]};"
                        f" hidden: {sorted(hidden)}")


def test_pages_do_tell_apart_what_the_viewer_may_see(tmp_path: Path) -> None:
    """Not vacuous: a school lead's pages differ between the two stores where the values
    differ in what the school may see (the children's UPNs and birth dates)."""
    write(tmp_path / "a", KNOWN).close()
    write(tmp_path / "b", OTHER).close()
    first = pages_of(tmp_path / "a", "jo", (KNOWN, OTHER))
    second = pages_of(tmp_path / "b", "jo", (KNOWN, OTHER))
    # Pages answer; an export of a family the school may not see is refused, as a page.
    assert all(page.split("\t")[1] == "200" for page in first
               if not page.split("\t")[0].endswith(".svg"))
    assert {page.split("\t")[1] for page in first} <= {"200", "403"}
    assert any(a != b for a, b in zip(first, second, strict=True))
