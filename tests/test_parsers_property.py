"""Hypothesis on every parser and argument the access layer reads (docs/security.md rule 27)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import Authenticator, NotAuthenticated
from server.budget import Budget
from server.errors import BadArgument
from server.pages import _safe_next
from server.schema.access import check_break_glass
from server.settings import Mode, Settings
from server.sharing import SharingConfigError, parse_rules
from server.totp import check
from tests.viewers import access_store, bearer

text = st.text(max_size=200)
QUICK = settings(max_examples=200, deadline=None)


@QUICK
@given(token=st.one_of(text, st.builds(lambda a, b: f"{a}.{b}", text, text),
                       st.builds(lambda a, b, c: f"{a}.{b}.{c}", text, text, text)))
def test_any_bearer_token_is_a_viewer_or_not_authenticated(token: str) -> None:
    auth = Authenticator(b"k" * 32, {}, 8.0, demo=False)
    with pytest.raises(NotAuthenticated):
        auth.viewer(token)


@QUICK
@given(secret=st.sampled_from(["JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ"]), code=text)
def test_any_one_time_code_is_checked_without_error(secret: str, code: str) -> None:
    assert check(secret, code) in (True, False)


@QUICK
@given(reason=text, hours=st.floats(allow_nan=True, allow_infinity=True))
def test_break_glass_accepts_only_20_characters_and_at_most_4_hours(
    reason: str, hours: float
) -> None:
    try:
        words = check_break_glass(reason, hours)
    except BadArgument:
        return
    assert len(words) >= 20 and 0 < hours <= 4


@QUICK
@given(path=text)
def test_sign_in_next_is_always_a_local_path(path: str) -> None:
    safe = _safe_next(path)
    assert safe.startswith("/") and not safe.startswith("//") and "\\" not in safe


@QUICK
@given(data=st.dictionaries(st.sampled_from(["purposes", "roles", "agencies", "x"]),
                            st.dictionaries(text, st.one_of(text, st.lists(text),
                                                            st.dictionaries(text, text)))))
def test_any_sharing_file_is_rules_or_a_named_config_error(data: dict[str, object]) -> None:
    with contextlib.suppress(SharingConfigError):
        parse_rules(data)  # type: ignore[arg-type]


@QUICK
@given(per_minute=st.integers(1, 50), calls=st.integers(0, 60))
def test_budget_never_lets_more_than_its_size_through_at_one_instant(
    per_minute: int, calls: int
) -> None:
    budget = Budget(per_minute)
    allowed = sum(budget.take("u", now=100.0) == 0 for _ in range(calls))
    assert allowed == min(calls, per_minute)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    directory: Path = tmp_path_factory.mktemp("parsers")
    access_store(directory, all_families=True)
    app = create_app(Settings(store_dir=directory, mode=Mode.DEVELOPMENT,
                              budget_per_minute=10**6, alert_distinct_people=10**6))
    test_client = TestClient(app)
    test_client.__enter__()
    test_client.headers.update(bearer(app.state.auth, "sam"))
    return test_client


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=text, birth=text, name=text, person=st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/?#%"),
    min_size=1, max_size=30))
def test_page_arguments_never_cause_a_server_error(
    client: TestClient, depth: str, birth: str, name: str, person: str
) -> None:
    assert client.get(f"/people/{person}/genogram", params={"depth": depth}).status_code < 500
    assert client.get("/", params={"name": name, "birth_date": birth}).status_code < 500
    assert client.get(f"/people/{person}/export.json").status_code < 500
