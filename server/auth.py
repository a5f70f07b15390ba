"""Who is asking: sign-in, signed expiring tokens for the API and pages, and OIDC tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt

from graph.errors import FamgraphError
from server.policy import BreakGlass, Purpose, Viewer
from server.sharing import SharingRules, default_rules
from server.users import User, UserDirectory

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "SESSION_COOKIE", "Authenticator", "NotAuthenticated",
           "OidcVerifier", "SignInThrottle", "TooManyAttempts", "User", "load_secret"]

SESSION_COOKIE = "famgraph_session"

# Argon2 takes a core for about half a second on purpose; at most this many run at once,
# each on a thread of its own (argon2-cffi lets go of the interpreter lock meanwhile), so
# a crowd signing in queues for the hashers and never for the event loop (docs/security.md rule 30).
HASHING_THREADS = min(4, os.cpu_count() or 1)
# Longer than any real one: refused at once, before any hashing (docs/security.md rule 30).
MAX_NAME, MAX_PASSWORD, MAX_CODE = 64, 1024, 16


class NotAuthenticated(FamgraphError):
    """Raised when a request carries no valid token or session."""


class TooManyAttempts(FamgraphError):
    """Raised when a sign-in comes too soon after failed ones with that user name or from
    that address; `retry_after` is the seconds to wait. Said the same whether or not the
    user exists."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many sign-in attempts: retry after {retry_after:.0f} seconds")


class SignInThrottle:
    """Failed sign-ins per user name and per client address, with a growing wait.

    Each attempt counts as a failure when it starts (so a burst sent at once is counted
    as it arrives, not after its hashes finish) and a success takes it back. Once a name
    has `user_free` failures, or an address `address_free`, each further attempt must
    wait 1, 2, 4 … seconds after the last, up to `longest_wait`; a key with no attempt
    for `forget_after` seconds starts again. Names that exist and names that do not are
    counted alike, so the answer does not say which a name is. Figures are ours: five
    tries a user as NIST SP 800-63B section 5.2.2 allows far more; an address more,
    since one office may sign in from behind one address.
    """

    def __init__(
        self,
        user_free: int = 5,
        address_free: int = 20,
        longest_wait: float = 15 * 60,
        forget_after: float = 60 * 60,
        most_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        processes: int = 1,
    ) -> None:
        # Each of `processes` famgraph processes behind one load balancer counts only the
        # attempts it sees: each allows its share of the free tries, so a guesser spreading
        # attempts across them gets no more than one process would allow.
        self.user_free = max(1, user_free // max(1, processes))
        self.address_free = max(1, address_free // max(1, processes))
        self.longest_wait, self.forget_after = longest_wait, forget_after
        self.most_keys, self.clock = most_keys, clock
        # key -> (failures, time of the last attempt, no attempt before this time)
        self._keys: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, name: str, address: str) -> float:
        """Count an attempt: 0.0 if it may go ahead, else the seconds to wait (not counted)."""
        now = self.clock()
        keys = ((f"user:{name}", self.user_free), (f"address:{address}", self.address_free))
        with self._lock:
            states = [self._state(key, now) for key, _ in keys]
            wait = max(until - now for _, _, until in states)
            if wait > 0:
                return float(max(1, int(wait + 0.999)))
            for (key, free), (failures, _, _) in zip(keys, states, strict=True):
                failures += 1
                until = now + self._wait(failures, free)
                self._keys[key] = (failures, now, until)
                self._keys.move_to_end(key)
            while len(self._keys) > self.most_keys:
                self._keys.popitem(last=False)
        return 0.0

    def succeeded(self, name: str, address: str) -> None:
        """The attempt just counted was right: the name starts again, the address is owed one."""
        with self._lock:
            self._keys.pop(f"user:{name}", None)
            key = f"address:{address}"
            if key in self._keys:
                failures, last, _ = self._keys[key]
                failures = max(0, failures - 1)
                self._keys[key] = (failures, last, last + self._wait(failures, self.address_free))

    def _state(self, key: str, now: float) -> tuple[int, float, float]:
        state = self._keys.get(key, (0, now, now))
        if now - state[1] > self.forget_after:
            return (0, now, now)
        return state

    def _wait(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return float(min(self.longest_wait, 2.0 ** min(failures - free, 32)))


# Demo mode only: these users exist, with the demo password, so a visitor can sign in.
DEMO_PASSWORD = "demo"  # noqa: S105 - demo mode's published credential, refused elsewhere
DEMO_USERS = {
    user.name: user
    for user in (
        User("sam", "Sam Okafor", "childrens_social_care", "social_worker", "MASH"),
        User("jo", "Jo Price", "school", "designated_safeguarding_lead", "Eastbridge Primary"),
        User("ida", "Ida Grey", "information_governance", "information_governance", "IG"),
    )
}


def load_secret(store_dir: Path) -> bytes:
    """The key that signs tokens, made on first use and readable by the owner only."""
    path = store_dir / "secret.key"
    if not path.exists():
        store_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OidcVerifier:
    """Checks an identity provider's signed JWTs against its published keys (JWKS)."""

    def __init__(self, issuer: str, audience: str, jwks_url: str) -> None:
        self.issuer, self.audience = issuer, audience
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=2)

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims if its signature, issuer, audience and expiry hold.

        Raises
        ------
        NotAuthenticated : anything about the token is wrong, or the keys cannot be fetched
        """
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            return dict(jwt.decode(
                token, key.key, algorithms=["RS256", "ES256", "PS256"],
                audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            ))
        except jwt.PyJWTError as exc:
            reason = type(exc).__name__
            raise NotAuthenticated(f"identity provider token refused: {reason}") from None


class Authenticator:
    """Checks passwords and one-time codes, and issues and verifies signed tokens."""

    def __init__(
        self,
        secret: bytes,
        users: dict[str, User],
        token_hours: float,
        demo: bool,
        rules: SharingRules | None = None,
        directory: UserDirectory | None = None,
        oidc: OidcVerifier | None = None,
        throttle: SignInThrottle | None = None,
    ) -> None:
        self._secret, self._demo_users, self._ttl, self._demo = secret, users, token_hours, demo
        self._rules = rules or default_rules()
        self._directory, self._oidc = directory, oidc
        self.throttle = throttle or SignInThrottle()
        self._hashers = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="famgraph-hash")

    def user(self, name: str) -> User | None:
        """A user by name: the demo users in demo mode, then the store's users."""
        if self._demo and name in self._demo_users:
            return self._demo_users[name]
        return self._directory.get(name) if self._directory else None

    async def sign_in(self, name: str, password: str, code: str, address: str) -> User | None:
        """The user if the credentials are right, checked on a hashing thread while the
        event loop serves other requests; None if they are wrong.

        Raises
        ------
        TooManyAttempts : too many recent failures with this name or from this address
        """
        wait = self.throttle.attempt(name[:MAX_NAME], address)
        if wait:
            raise TooManyAttempts(wait)
        if len(name) > MAX_NAME or len(password) > MAX_PASSWORD or len(code) > MAX_CODE:
            return None
        loop = asyncio.get_running_loop()
        user = await loop.run_in_executor(self._hashers, self.check_password, name, password, code)
        if user is not None:
            self.throttle.succeeded(name, address)
        return user

    def check_password(self, name: str, password: str, code: str = "") -> User | None:
        """The user if the credentials are right. Demo users need no one-time code.

        Hashes a password, which takes a core for about half a second: the server calls
        it through `sign_in`, never on the event loop.
        """
        if self._demo and name in self._demo_users:
            return self._demo_users[name] if hmac.compare_digest(password, DEMO_PASSWORD) else None
        if self._directory is None:
            return None
        return self._directory.check(name, password, code)

    def issue(
        self,
        user: User,
        purpose: Purpose | None,
        now: float | None = None,
        break_glass_until: float | None = None,
        hours: float | None = None,
    ) -> str:
        """A token for `user` acting for `purpose`, valid for the token lifetime."""
        moment = time.time() if now is None else now
        claims: dict[str, Any] = {
            "sub": user.name,
            "iat": int(moment),
            "exp": int(moment + (self._ttl if hours is None else hours) * 3600),
        }
        if purpose is not None:
            claims["pur"] = purpose.value
        if break_glass_until is not None:
            claims["bg"] = int(break_glass_until)
        body = _b64(json.dumps(claims, sort_keys=True).encode())
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def form_token(self, browser_secret: str) -> str:
        """The token a page's forms carry for the browser holding `browser_secret` in its
        form cookie (OWASP's signed double-submit cookie): another site can neither read
        the cookie nor make the token without the server's key."""
        # A prefix no session token body can start with (they are base64) keeps the two
        # uses of the key apart.
        message = b"form\0" + browser_secret.encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def form_token_ok(self, browser_secret: str, token: str) -> bool:
        """True if `token` is the form token for `browser_secret` (a non-empty one)."""
        if not browser_secret or not token:
            return False
        return hmac.compare_digest(token.encode(), self.form_token(browser_secret).encode())

    def viewer(self, token: str, now: float | None = None) -> Viewer:
        """The viewer a token speaks for.

        Raises
        ------
        NotAuthenticated : bad signature, expired, unknown user or purpose
        """
        moment = time.time() if now is None else now
        if token.count(".") == 2:
            return self._oidc_viewer(token)
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise NotAuthenticated("token signature is not valid")
        try:
            claims = json.loads(_unb64(body))
            purpose = Purpose(claims["pur"]) if "pur" in claims else None
            expires = int(claims["exp"])
            glass = int(claims["bg"]) if "bg" in claims else None
            name = str(claims["sub"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise NotAuthenticated("token is malformed") from None
        if expires < moment:
            raise NotAuthenticated("token has expired")
        user = self.user(name)
        if user is None:
            raise NotAuthenticated("token names an unknown user")
        grants = self._directory.grants_of(name, moment) if self._directory else frozenset()
        purpose, permissions = self._acting(user.agency, user.role, purpose, user.permissions)
        return Viewer(
            user.name,
            user.agency,
            user.role,
            purpose,
            permissions,
            grants,
            BreakGlass("", glass) if glass else None,
        )

    def _acting(
        self, agency: str, role: str, purpose: Purpose | None,
        extra: frozenset[str] = frozenset(),
    ) -> tuple[Purpose | None, frozenset[str]]:
        """The purpose and permissions a viewer acts with: a purpose the agency may not use
        counts as none (no read), and a role it may not hold gives no purpose and no
        permissions, whatever a token, a session or an identity provider claims."""
        if not self._rules.may_hold(agency, role):
            return None, frozenset()
        return (purpose if self._rules.may_use(agency, purpose) else None,
                self._rules.permissions(role) | extra)

    def expires_at(self, token: str) -> float:
        """When a token `viewer` accepts stops being accepted (epoch seconds).

        Raises
        ------
        NotAuthenticated : the token is malformed or no longer valid
        """
        if token.count(".") == 2:
            if self._oidc is None:
                raise NotAuthenticated("no identity provider is configured")
            return float(self._oidc.claims(token)["exp"])
        self.viewer(token)
        try:
            return float(json.loads(_unb64(token.partition(".")[0]))["exp"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise NotAuthenticated("token is malformed") from None

    def _oidc_viewer(self, token: str) -> Viewer:
        if self._oidc is None:
            raise NotAuthenticated("no identity provider is configured")
        claims = self._oidc.claims(token)
        try:
            purpose = Purpose(claims["famgraph_purpose"]) if "famgraph_purpose" in claims else None
            agency, role = str(claims["famgraph_agency"]), str(claims["famgraph_role"])
        except (KeyError, ValueError):
            raise NotAuthenticated("identity provider token lacks famgraph claims") from None
        name = str(claims.get("preferred_username") or claims["sub"])
        return Viewer(name, agency, role, *self._acting(agency, role, purpose))
