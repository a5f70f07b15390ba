"""Who is asking: users, sign-in, and signed expiring tokens for the API and the pages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from graph.errors import FamgraphError
from server.policy import RESOLVE_IDENTITY, VIEW_RESTRICTED, Purpose, Viewer

SESSION_COOKIE = "famgraph_session"


class NotAuthenticated(FamgraphError):
    """Raised when a request carries no valid token or session."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    display_name: str
    agency: str
    role: str
    permissions: frozenset[str] = frozenset()


# Demo mode only: these users exist, with the demo password, so a visitor can sign in.
DEMO_PASSWORD = "demo"  # noqa: S105 - demo mode's published credential, refused elsewhere
DEMO_USERS = {
    user.name: user
    for user in (
        User(
            "sam",
            "Sam Okafor",
            "childrens_social_care",
            "social_worker",
            frozenset({VIEW_RESTRICTED, RESOLVE_IDENTITY}),
        ),
        User("jo", "Jo Price", "school", "designated_safeguarding_lead"),
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


class Authenticator:
    """Checks passwords and issues and verifies tokens signed with the store's key."""

    def __init__(
        self, secret: bytes, users: dict[str, User], token_hours: float, demo: bool
    ) -> None:
        self._secret, self._users, self._ttl, self._demo = secret, users, token_hours, demo

    def check_password(self, name: str, password: str) -> User | None:
        user = self._users.get(name)
        if user is None or not self._demo:
            return None
        return user if hmac.compare_digest(password, DEMO_PASSWORD) else None

    def issue(self, user: User, purpose: Purpose, now: float | None = None) -> str:
        claims = {
            "sub": user.name,
            "pur": purpose.value,
            "exp": int((now or time.time()) + self._ttl * 3600),
        }
        body = _b64(json.dumps(claims, sort_keys=True).encode())
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def viewer(self, token: str, now: float | None = None) -> Viewer:
        """The viewer a token speaks for.

        Raises
        ------
        NotAuthenticated : bad signature, expired, unknown user or purpose
        """
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise NotAuthenticated("token signature is not valid")
        try:
            claims = json.loads(_unb64(body))
            purpose = Purpose(claims["pur"])
            expires = int(claims["exp"])
            user = self._users[claims["sub"]]
        except (ValueError, KeyError, TypeError):
            raise NotAuthenticated("token is malformed or names an unknown user") from None
        if expires < (now or time.time()):
            raise NotAuthenticated("token has expired")
        return Viewer(user.name, user.agency, user.role, purpose, user.permissions)
