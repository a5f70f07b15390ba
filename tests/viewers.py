"""Viewers of different agencies and roles, stored as real users, for the access tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Literal

from graph.embedded import EmbeddedStore
from server.auth import Authenticator
from server.policy import Purpose
from server.users import USERS_FILE, UserDirectory
from tests.families import FAMILIES, family_known_to_many_agencies

PASSWORD = "correct horse battery"  # noqa: S105 - a test user's password
# name: (agency, role); sam and jo are also the demo users, with the same agency and role.
VIEWERS = {
    "sam": ("childrens_social_care", "social_worker"),
    "mgr": ("childrens_social_care", "team_manager"),
    "jo": ("school", "designated_safeguarding_lead"),
    "eh": ("early_help", "early_help_worker"),
    "hv": ("health", "health_visitor"),
    "pc": ("police", "police_officer"),
    "ida": ("information_governance", "information_governance"),
}
# The purpose each viewer acts for unless a test says otherwise: one its agency may use
# (server/sharing.toml); an auditor reads the audit log, and may not read people, so has none.
USUAL_PURPOSE: dict[str, Purpose | None] = {
    **{name: Purpose.MASH_SCREENING for name in VIEWERS}, "ida": None}


_TEMPLATE: dict[str, object] = {}


def _users_template() -> tuple[Path, dict[str, str]]:
    """users.sqlite with every viewer, made once per test run: Argon2 is slow on purpose."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="famgraph-users-"))
        users = UserDirectory(folder)
        secrets = {
            name: users.add(name, name.upper(), agency, role, "", PASSWORD).totp_secret
            for name, (agency, role) in VIEWERS.items()
        }
        users.close()
        _TEMPLATE.update(folder=folder, secrets=secrets)
    return _TEMPLATE["folder"], _TEMPLATE["secrets"]  # type: ignore[return-value]


def access_store(directory: Path, *, all_families: bool = False) -> dict[str, str]:
    """Write the access fixture (and optionally every family) and the viewers; return
    each viewer's TOTP secret."""
    store = EmbeddedStore(directory)
    store.write(family_known_to_many_agencies())
    if all_families:
        for make in FAMILIES.values():
            store.write(make())
    store.close()
    return copy_users(directory)


def copy_users(directory: Path) -> dict[str, str]:
    """Put the viewers in the store folder; return each one's TOTP secret."""
    folder, secrets = _users_template()
    shutil.copyfile(folder / USERS_FILE, directory / USERS_FILE)
    return dict(secrets)


def bearer(auth: Authenticator, user: str,
           purpose: Purpose | Literal["usual"] | None = "usual") -> dict[str, str]:
    """Headers with a token for `user`, acting for `purpose` (by default their usual one)."""
    found = auth.user(user)
    assert found is not None, user
    acting = USUAL_PURPOSE[user] if purpose == "usual" else purpose
    return {"Authorization": f"Bearer {auth.issue(found, acting)}"}
