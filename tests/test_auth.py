"""Sign-in with Argon2 passwords and TOTP, bearer tokens, OIDC tokens, and the user CLI."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient
from typer.testing import CliRunner

from graph.embedded import EmbeddedStore
from server import totp
from server.app import create_app
from server.auth import DEMO_PASSWORD, SESSION_COOKIE
from server.cli.main import app as cli
from server.policy import Purpose
from server.settings import Mode, Settings
from server.users import UserDirectory, UserError
from tests.families import family_known_to_many_agencies
from tests.test_http import post_sign_in
from tests.viewers import PASSWORD, access_store

# RFC 6238 appendix B: the seeds and the eight-digit codes at each time.
SEEDS = {"sha1": b"12345678901234567890", "sha256": b"12345678901234567890123456789012",
         "sha512": b"1234567890123456789012345678901234567890123456789012345678901234"}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_matches_rfc_6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[digest], at, digits=8, digest=digest) == expected


def test_totp_check_accepts_one_step_of_drift_and_no_more() -> None:
    secret = totp.new_secret()
    key = totp.secret_key(secret)
    now = 1_700_000_000.0
    assert totp.check(secret, totp.totp(key, now - 30), now)
    assert not totp.check(secret, totp.totp(key, now - 90), now)
    assert not totp.check(secret, "abcdef", now)


def test_provisioning_uri_names_issuer_and_secret() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "ann")
    assert uri.startswith("otpauth://totp/famgraph%3Aann?secret=JBSWY3DPEHPK3PXP")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    access_store(tmp_path)
    return tmp_path


def test_sign_in_needs_password_and_one_time_code(store_dir: Path) -> None:
    secrets = access_store(store_dir)
    code = totp.totp(totp.secret_key(secrets["hv"]), time.time())
    app = create_app(Settings(store_dir=store_dir, mode=Mode.PRODUCTION))
    # Over HTTPS: production cookies are Secure, and a client sends them back on HTTPS only.
    with TestClient(app, base_url="https://testserver") as client:
        form = {"user": "hv", "password": PASSWORD, "purpose": "mash_screening", "next": "/"}
        assert post_sign_in(client, **form).status_code == 401
        wrong = post_sign_in(client, **{**form, "code": "000000"})
        assert wrong.status_code == 401
        bad = post_sign_in(client, **{**form, "password": "not it", "code": code})
        assert bad.status_code == 401
        good = post_sign_in(client, **{**form, "code": code})
        assert good.status_code == 303
        page = client.get("/people/cal", follow_redirects=False)
        assert page.status_code == 200
        assert "Signed in as <strong><bdi>hv</bdi></strong>" in page.text


def test_passwords_are_stored_as_argon2id(store_dir: Path) -> None:
    import sqlite3

    stored = sqlite3.connect(store_dir / "users.sqlite").execute(
        "SELECT password_hash FROM users WHERE name = 'hv'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_short_password_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    users = UserDirectory(tmp_path)
    with pytest.raises(UserError, match="at least"):
        users.add("ann", "", "school", "designated_safeguarding_lead", "", "short")
    users.close()
    access_store(tmp_path)
    users = UserDirectory(tmp_path)
    with pytest.raises(UserError, match="already exists"):
        users.add("hv", "", "health", "health_visitor", "", PASSWORD)
    users.close()


def test_no_user_exists_outside_demo_mode_by_default(tmp_path: Path) -> None:
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.DEVELOPMENT))
    with TestClient(app) as client:
        response = post_sign_in(client, user="sam", password=DEMO_PASSWORD,
                                purpose="mash_screening")
        assert response.status_code == 401


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.output


def test_users_add_prints_totp_once_and_token_reads_as_that_user(tmp_path: Path) -> None:
    access_store(tmp_path)
    code, output = run("users", "add", "--store", str(tmp_path), "--name", "nina",
                       "--agency", "health", "--role", "health_visitor", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert code == 0 and "otpauth://totp/famgraph%3Anina" in output
    code, output = run("users", "add", "--store", str(tmp_path), "--name", "x",
                       "--agency", "martians", "--role", "health_visitor", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert code == 1 and "martians" in output
    code, output = run("token", "--store", str(tmp_path), "--user", "nina",
                       "--purpose", "early_help")
    assert code == 0
    bearer_token = output.strip()
    app = create_app(Settings(store_dir=tmp_path, mode=Mode.PRODUCTION))
    with TestClient(app) as client:
        response = client.post("/graphql", json={"query": '{ person(id: "cal") { nhsNumber } }'},
                               headers={"Authorization": f"Bearer {bearer_token}"})
    assert response.json()["data"]["person"]["nhsNumber"] == "9434765919"
    assert run("token", "--store", str(tmp_path), "--user", "nobody")[0] == 1



def test_token_for_a_demo_user_reads_in_demo_mode_only(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    store.write(family_known_to_many_agencies())
    store.close()
    code, output = run("token", "--store", str(tmp_path), "--user", "sam")
    assert code == 1 and "--demo" in output
    code, output = run("token", "--store", str(tmp_path), "--user", "sam", "--demo",
                       "--purpose", "mash_screening")
    assert code == 0
    headers = {"Authorization": f"Bearer {output.strip()}"}
    query = {"query": '{ person(id: "cal") { displayName } }'}
    for mode, reads in ((Mode.DEMO, True), (Mode.PRODUCTION, False)):
        app = create_app(Settings(store_dir=tmp_path, mode=mode))
        with TestClient(app) as client:
            answer = client.post("/graphql", json=query, headers=headers)
        assert (answer.status_code == 200 and answer.json()["data"]["person"] is not None) \
            is reads, mode


def test_users_add_refuses_a_role_the_agency_may_not_hold(tmp_path: Path) -> None:
    code, output = run("users", "add", "--store", str(tmp_path), "--name", "pcsw",
                       "--agency", "police", "--role", "social_worker", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert code == 1
    assert output.count("\n") == 1 and "social_worker" in output and "police_officer" in output
    users = UserDirectory(tmp_path)
    assert users.get("pcsw") is None
    users.close()


def test_token_refuses_a_purpose_the_agency_may_not_use(store_dir: Path) -> None:
    code, output = run("token", "--store", str(store_dir), "--user", "pc",
                       "--purpose", "early_help")
    assert code == 1
    assert output.count("\n") == 1 and "early_help" in output and "s47_enquiry" in output
    assert run("token", "--store", str(store_dir), "--user", "pc",
               "--purpose", "s47_enquiry")[0] == 0


def test_bearer_token_for_a_purpose_the_agency_may_not_use_reads_no_one(
    store_dir: Path,
) -> None:
    app = create_app(Settings(store_dir=store_dir, mode=Mode.PRODUCTION))
    query = {"query": '{ person(id: "cal") { displayName } }'}
    with TestClient(app) as client:
        police = app.state.auth.user("pc")

        def ask(purpose: Purpose) -> Any:
            token = app.state.auth.issue(police, purpose)
            return client.post("/graphql", json=query,
                               headers={"Authorization": f"Bearer {token}"})

        refused, allowed = ask(Purpose.EARLY_HELP), ask(Purpose.MASH_SCREENING)
    assert refused.status_code == 403 and "Moss" not in refused.text
    assert allowed.json()["data"]["person"]["displayName"] == "Cal Moss"


def test_session_for_a_purpose_the_agency_may_not_use_reads_no_one(store_dir: Path) -> None:
    app = create_app(Settings(store_dir=store_dir, mode=Mode.PRODUCTION))
    with TestClient(app) as client:
        police = app.state.auth.user("pc")
        client.cookies.set(SESSION_COOKIE, app.state.auth.issue(police, Purpose.EARLY_HELP))
        refused = client.get("/people/cal")
        assert refused.status_code == 403 and "Moss" not in refused.text
        client.cookies.set(SESSION_COOKIE, app.state.auth.issue(police, Purpose.S47_ENQUIRY))
        assert client.get("/people/cal").status_code == 200


def test_stored_user_in_a_role_the_agency_may_not_hold_sees_no_restricted_fact(
    store_dir: Path,
) -> None:
    """A user added before roles were tied to agencies (police, acting as a social worker)
    reads no one, rather than seeing what a social worker's permissions open."""
    users = UserDirectory(store_dir)
    users.add("rogue", "", "police", "social_worker", "", PASSWORD)
    users.close()
    app = create_app(Settings(store_dir=store_dir, mode=Mode.PRODUCTION))
    with TestClient(app) as client:
        rogue = app.state.auth.user("rogue")
        token = app.state.auth.issue(rogue, Purpose.MASH_SCREENING)
        response = client.post("/graphql", json={"query": '{ person(id: "gus") { birthDate } }'},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and "1961" not in response.text

def test_users_grant_records_a_time_boxed_grant(store_dir: Path) -> None:
    code, output = run("users", "grant", "--store", str(store_dir), "--user", "jo",
                       "--person", "fay", "--hours", "2", "--by", "mgr", "--reason", "review")
    assert code == 0 and "2 hours" in output
    users = UserDirectory(store_dir)
    assert users.grants_of("jo") == {"fay"}
    users.close()


def test_expired_bearer_token_is_401(store_dir: Path) -> None:
    app = create_app(Settings(store_dir=store_dir, mode=Mode.DEVELOPMENT))
    with TestClient(app) as client:
        user = app.state.auth.user("hv")
        old = app.state.auth.issue(user, None, now=time.time() - 10 * 3600)
        response = client.post("/graphql", json={"query": "{ __typename }"},
                               headers={"Authorization": f"Bearer {old}"})
        assert response.status_code == 401


@pytest.fixture
def identity_provider() -> Iterator[tuple[rsa.RSAPrivateKey, str]]:
    """An RSA key and its JWKS served on loopback, as an OIDC issuer would."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()
    server.server_close()


def test_oidc_token_signed_by_the_issuers_key_is_accepted(
    store_dir: Path, identity_provider: tuple[rsa.RSAPrivateKey, str]
) -> None:
    key, jwks_url = identity_provider
    settings = Settings(store_dir=store_dir, mode=Mode.PRODUCTION, oidc_issuer="https://idp.test",
                        oidc_audience="famgraph", oidc_jwks_url=jwks_url)
    claims = {"iss": "https://idp.test", "aud": "famgraph", "sub": "u-1",
              "preferred_username": "pat", "exp": int(time.time()) + 600,
              "famgraph_agency": "school", "famgraph_role": "designated_safeguarding_lead",
              "famgraph_purpose": "mash_screening"}
    good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
    wrong_audience = jwt.encode({**claims, "aud": "elsewhere"}, key, algorithm="RS256",
                                headers={"kid": "k1"})
    query = {"query": '{ person(id: "cal") { upn nhsNumber } }'}
    with TestClient(create_app(settings)) as client:
        ok = client.post("/graphql", json=query, headers={"Authorization": f"Bearer {good}"})
        assert ok.status_code == 200
        assert ok.json()["data"]["person"] == {"upn": "A123456789012", "nhsNumber": None}
        for bad in (forged, wrong_audience):
            refused = client.post("/graphql", json=query,
                                  headers={"Authorization": f"Bearer {bad}"})
            assert refused.status_code == 401
