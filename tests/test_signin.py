"""Sign-in under pressure: hashing off the event loop, throttled guesses, one-time codes
used once, forms no other site can send, and pages for a viewer with no purpose."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from server import totp
from server.app import create_app
from server.audit import verify
from server.auth import DEMO_PASSWORD, SESSION_COOKIE, SignInThrottle
from server.pages import secure_cookies
from server.settings import Mode, Settings
from server.users import UserDirectory
from tests.test_http import form_token, post_sign_in
from tests.viewers import PASSWORD, access_store, bearer

HV = {"user": "hv", "password": PASSWORD, "purpose": "mash_screening", "next": "/"}


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def secrets(store_dir: Path) -> dict[str, str]:
    """Each stored user's TOTP secret."""
    return access_store(store_dir)


@pytest.fixture
def production(store_dir: Path, secrets: dict[str, str]) -> Iterator[TestClient]:
    app = create_app(Settings(store_dir=store_dir, mode=Mode.PRODUCTION))
    # Over HTTPS: production cookies are Secure, and a client sends them back on HTTPS only.
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.fixture
def demo(store_dir: Path, secrets: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_dir=store_dir, mode=Mode.DEMO))) as client:
        yield client


def code_for(secret: str, at: float | None = None) -> str:
    return totp.totp(totp.secret_key(secret), time.time() if at is None else at)


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Promise 1: password hashing runs off the event loop (docs/security.md rule 30).

def test_an_authenticated_read_is_answered_while_a_sign_in_hashes(
    production: TestClient, secrets: dict[str, str]
) -> None:
    """The sign-in's hash waits until the read has been answered: if the hash held the
    event loop, the read could not be answered and the hash would give up waiting."""
    hashing, answered = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    class Watched(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            seen["on_loop"] = on_event_loop()
            hashing.set()
            seen["read_answered_first"] = answered.wait(timeout=10)
            return super().verify(hash, password)

    production.app.state.users._hasher = Watched()  # type: ignore[attr-defined]
    form = {**HV, "code": code_for(secrets["hv"]), "csrf_token": form_token(production)}
    signed: list[int] = []
    signing_in = threading.Thread(target=lambda: signed.append(
        production.post("/signin", data=form, follow_redirects=False).status_code))
    signing_in.start()
    assert hashing.wait(timeout=10)
    read = production.post("/graphql", json={"query": '{ person(id: "cal") { id } }'},
                           headers=bearer(production.app.state.auth, "hv"))  # type: ignore[attr-defined]
    answered.set()
    signing_in.join(timeout=20)
    assert read.status_code == 200 and read.json()["data"]["person"]["id"] == "cal"
    assert seen == {"on_loop": False, "read_answered_first": True}
    assert signed == [303]


# Promise 2: guesses are throttled per user and per address, with Retry-After.

def test_wrong_one_time_codes_are_throttled_with_retry_after(
    production: TestClient, secrets: dict[str, str]
) -> None:
    throttle = production.app.state.auth.throttle  # type: ignore[attr-defined]
    clock = [1000.0]
    throttle.clock = lambda: clock[0]
    # A code no step within drift has, so the refusals are refusals.
    wrong = next(code for code in ("000000", "111111", "222222", "333333")
                 if totp.matching_step(secrets["hv"], code) is None)
    for _ in range(throttle.user_free):
        assert post_sign_in(production, **HV, code=wrong).status_code == 401
    refused = post_sign_in(production, **HV, code=code_for(secrets["hv"]))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many sign-in attempts" in refused.text
    assert "famgraph_session" not in refused.headers.get("set-cookie", "")
    clock[0] += int(refused.headers["Retry-After"])
    assert post_sign_in(production, **HV, code=code_for(secrets["hv"])).status_code == 303


def test_throttling_says_the_same_for_a_user_who_does_not_exist(
    production: TestClient,
) -> None:
    throttle = production.app.state.auth.throttle  # type: ignore[attr-defined]
    throttle.clock = lambda: 1000.0
    answers: dict[str, list[Any]] = {}
    for name in ("hv", "nobody"):
        sent = [post_sign_in(production, **{**HV, "user": name, "password": "not it"})
                for _ in range(throttle.user_free + 1)]
        answers[name] = [(r.status_code, r.headers.get("Retry-After"),
                          re.sub(r'name="csrf_token" value="[^"]+"', "", r.text)) for r in sent]
    assert [a[0] for a in answers["hv"]] == [401] * throttle.user_free + [429]
    assert answers["hv"] == answers["nobody"]


def test_throttle_counts_failures_per_address_across_user_names() -> None:
    throttle = SignInThrottle(user_free=5, address_free=20, clock=lambda: 0.0)
    for n in range(20):
        assert throttle.attempt(f"guess{n}", "198.51.100.7") == 0
    assert throttle.attempt("someone-new", "198.51.100.7") >= 1
    assert throttle.attempt("someone-new", "203.0.113.9") == 0


def test_throttle_counts_a_burst_as_it_arrives_and_waits_grow() -> None:
    clock = [0.0]
    throttle = SignInThrottle(user_free=5, address_free=1000, clock=lambda: clock[0])
    # Sixteen at once, before any has been hashed: only the free five go ahead.
    allowed = [throttle.attempt("sam", f"192.0.2.{n}") == 0 for n in range(16)]
    assert allowed.count(True) == 5
    waits = []
    for _ in range(4):
        wait = throttle.attempt("sam", "192.0.2.1")
        waits.append(wait)
        clock[0] += wait
        assert throttle.attempt("sam", "192.0.2.1") == 0
    assert waits == [1, 2, 4, 8]
    throttle.succeeded("sam", "192.0.2.1")
    assert throttle.attempt("sam", "192.0.2.1") == 0
    clock[0] += 10**6
    assert throttle.attempt("sam", "192.0.2.1") == 0 and throttle.attempt("sam", "x") == 0


def test_processes_behind_one_balancer_allow_no_more_free_tries_between_them() -> None:
    """Each process counts only what it sees: a guesser alternating between two gets
    no more free tries of a name, in all, than one process would give."""
    hosts = [SignInThrottle(user_free=5, address_free=20, clock=lambda: 0.0, processes=2)
             for _ in range(2)]
    free = 0
    for n in range(20):
        if hosts[n % 2].attempt("sam", f"192.0.2.{n}") == 0:
            free += 1
    assert 1 <= free <= 5


# Promise 3: a one-time code signs in once.

def test_a_one_time_code_signs_in_once(production: TestClient, secrets: dict[str, str]) -> None:
    code = code_for(secrets["hv"])
    assert post_sign_in(production, **HV, code=code).status_code == 303
    production.cookies.clear()
    replay = post_sign_in(production, **HV, code=code)
    assert replay.status_code == 401
    assert "famgraph_session" not in replay.headers.get("set-cookie", "")


def test_used_time_steps_are_remembered_in_the_users_file(
    store_dir: Path, secrets: dict[str, str]
) -> None:
    now = 1_800_000_000.0
    first = UserDirectory(store_dir)
    assert first.check("hv", PASSWORD, code_for(secrets["hv"], now), now) is not None
    assert first.check("hv", PASSWORD, code_for(secrets["hv"], now), now) is None
    # The step before is still within drift, but is older than the one used.
    assert first.check("hv", PASSWORD, code_for(secrets["hv"], now - 30), now) is None
    first.close()
    second = UserDirectory(store_dir)  # as another process on the same store would
    assert second.check("hv", PASSWORD, code_for(secrets["hv"], now), now) is None
    assert second.check("hv", PASSWORD, code_for(secrets["hv"], now + 30), now) is not None
    second.close()


# Promise 4: state-changing forms carry a token; other sites' posts are refused.

def test_sign_in_without_the_form_token_is_refused_and_signs_no_one_in(
    production: TestClient, secrets: dict[str, str]
) -> None:
    production.get("/signin")  # the browser holds a form cookie, but the post has no token
    response = production.post("/signin", data={**HV, "code": code_for(secrets["hv"])},
                               headers={"Origin": "https://evil.example",
                                        "Sec-Fetch-Site": "cross-site"},
                               follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert production.get("/", follow_redirects=False).status_code == 303


def test_a_form_token_from_another_browser_does_not_sign_this_one_in(
    demo: TestClient,
) -> None:
    """The session swap: another site posts its own sign-in, with a token it fetched for
    itself, from the victim's browser."""
    attackers = form_token(demo)
    demo.cookies.clear()
    form_token(demo)  # the victim's browser has a form cookie of its own
    response = demo.post("/signin", data={"user": "jo", "password": DEMO_PASSWORD,
                                          "purpose": "mash_screening", "csrf_token": attackers},
                         follow_redirects=False)
    assert response.status_code == 403 and "set-cookie" not in response.headers


def test_a_cross_site_sign_out_is_refused_and_the_session_stands(demo: TestClient) -> None:
    post_sign_in(demo, user="sam", password=DEMO_PASSWORD, purpose="mash_screening")
    token = form_token(demo, "/")
    for forged in ({}, {"csrf_token": token}):
        response = demo.post("/signout", data=forged, follow_redirects=False,
                             headers={"Origin": "https://evil.example",
                                      "Sec-Fetch-Site": "cross-site"})
        assert response.status_code == 403 and "set-cookie" not in response.headers
    assert demo.get("/", follow_redirects=False).status_code == 200
    signed_out = demo.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert demo.get("/", follow_redirects=False).status_code == 303


def test_every_post_form_on_the_pages_carries_a_working_form_token(demo: TestClient) -> None:
    post_sign_in(demo, user="sam", password=DEMO_PASSWORD, purpose="mash_screening")
    auth = demo.app.state.auth  # type: ignore[attr-defined]
    secret = demo.cookies["famgraph_form"]
    forms = 0
    for path in ("/signin", "/", "/?name=Cal", "/people/cal", "/people/cal/genogram",
                 "/people/nobody"):
        html = demo.get(path).text
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S):
            if 'method="post"' not in form.lower():
                continue
            forms += 1
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token and auth.form_token_ok(secret, token.group(1)), (path, form)
    assert forms >= 6


def test_cookies_are_strict_http_only_and_secure_except_demo_on_loopback(
    production: TestClient, demo: TestClient, secrets: dict[str, str]
) -> None:
    signed = post_sign_in(production, **HV, code=code_for(secrets["hv"]))
    cookies = signed.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"famgraph_session", "__Host-famgraph_form"}
    for cookie in cookies:
        assert all(part in cookie for part in ("HttpOnly", "SameSite=strict", "Secure",
                                               "Path=/"))
    local = post_sign_in(demo, user="sam", password=DEMO_PASSWORD, purpose="mash_screening")
    for cookie in local.headers.get_list("set-cookie"):
        assert "SameSite=strict" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    assert secure_cookies(Settings(mode=Mode.DEMO, host="192.0.2.10"))
    assert secure_cookies(Settings(mode=Mode.DEVELOPMENT, host="famgraph.example"))
    assert not secure_cookies(Settings(mode=Mode.DEVELOPMENT, host="::1"))


# Promise 5: no purpose, no read, and the refusal is on the audit log.

PAGES = ("/", "/?name=Cal", "/people/cal", "/people/cal/genogram", "/people/cal/export.json")


def test_pages_refuse_a_viewer_without_a_purpose_with_a_page_not_a_500(
    demo: TestClient,
) -> None:
    headers = bearer(demo.app.state.auth, "sam", purpose=None)  # type: ignore[attr-defined]
    for path in PAGES:
        response = demo.get(path, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
        assert "Choose a purpose of access" in response.text
        assert "with no purpose of access" in response.text


def test_a_refusal_for_no_purpose_writes_an_audit_row_naming_no_one(
    demo: TestClient, store_dir: Path
) -> None:
    headers = bearer(demo.app.state.auth, "sam", purpose=None)  # type: ignore[attr-defined]
    for path in PAGES:
        demo.get(path, headers=headers)
    rows = sqlite3.connect(store_dir / "audit.sqlite").execute(
        "SELECT json_extract(row, '$.user'), json_extract(row, '$.person_id'),"
        " json_extract(row, '$.outcome'), json_extract(row, '$.purpose') FROM audit"
    ).fetchall()
    assert rows == [("sam", "", "refused: no purpose", "")] * len(PAGES)
    assert verify(store_dir / "audit.sqlite") is None


def test_signing_in_for_a_purpose_the_agency_may_not_use_is_refused_in_words(
    production: TestClient, secrets: dict[str, str]
) -> None:
    """Police may not act for early help: said at sign-in, not left to a session that
    silently reads no one."""
    form = {"user": "pc", "password": PASSWORD, "purpose": "early_help", "next": "/",
            "code": code_for(secrets["pc"])}
    response = post_sign_in(production, **form)
    assert response.status_code == 403
    assert "may not act for early help" in response.text and "s47 enquiry" in response.text
    assert SESSION_COOKIE not in response.cookies
