"""`famgraph users` and `famgraph token`: people who may sign in, their grants, API tokens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from server.auth import DEMO_USERS, Authenticator, load_secret
from server.cli.output import err, one_line_errors, out
from server.cli.stores import Neo4jUri, accounts_opened
from server.settings import Settings
from server.sharing import Purpose, SharingRules, load_rules

users = typer.Typer(help="Users who may sign in, and time-boxed grants.", no_args_is_help=True)
StoreDir = Annotated[Path, typer.Option("--store", help="Folder of the store.")]


def _rules(store: Path) -> SharingRules:
    """The sharing file the server reads: FAMGRAPH_SHARING_FILE, else the shipped one."""
    settings = Settings.from_env(store_dir=store)
    with one_line_errors():
        return load_rules(Path(settings.sharing_file) if settings.sharing_file else None)


def _known(rules: SharingRules, agency: str, role: str) -> None:
    if agency not in rules.agreements:
        err.print(f"famgraph: no sharing agreement for agency {agency}; "
                  f"known: {', '.join(sorted(rules.agreements))}")
        raise typer.Exit(1)
    if role not in rules.roles:
        err.print(f"famgraph: unknown role {role}; known: {', '.join(sorted(rules.roles))}")
        raise typer.Exit(1)
    if not rules.may_hold(agency, role):
        held = ", ".join(sorted(rules.agreement(agency).roles)) or "none"
        err.print(f"famgraph: agency {agency} may not hold role {role}; "
                  f"its roles (sharing file): {held}")
        raise typer.Exit(1)


@users.command("add")
def add(
    store: StoreDir,
    name: Annotated[str, typer.Option(
        help="Sign-in name: 2 to 64 characters, a lower-case letter first, then lower-case"
        " letters, digits, . _ -")],
    agency: Annotated[str, typer.Option(help="Agency, as named in the sharing file.")],
    role: Annotated[str, typer.Option(help="Acting role, one the agency may hold.")],
    team: Annotated[str, typer.Option(help="Team the user works in.")] = "",
    display_name: Annotated[str, typer.Option(help="Name shown on pages.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    neo4j: Neo4jUri = None,
) -> None:
    """Add a user; print their TOTP secret and provisioning URI once."""
    _known(_rules(store), agency, role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with accounts_opened(store, neo4j) as accounts, one_line_errors():
        created = accounts.users.add(name, display_name, agency, role, team, password)
    out.print(f"added {name} ({agency}, {role})")
    out.print(f"TOTP secret (shown once): {created.totp_secret}", markup=False)
    out.print(f"provisioning URI: {created.provisioning_uri}", markup=False)


@users.command("grant")
def grant(
    store: StoreDir,
    user: Annotated[str, typer.Option(help="Who may see the person.")],
    person: Annotated[str, typer.Option(help="The restricted or sealed person's id.")],
    hours: Annotated[float, typer.Option(help="How long the grant lasts.")],
    by: Annotated[str, typer.Option(help="Who authorised it.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    neo4j: Neo4jUri = None,
) -> None:
    """Let one user see one restricted or sealed person for a time."""
    with accounts_opened(store, neo4j) as accounts, one_line_errors():
        accounts.users.grant(user, person, hours, by, reason)
    out.print(f"{user} may see {person} for {hours:g} hours")


def token(
    store: StoreDir,
    user: Annotated[str, typer.Option(help="The user the token speaks for.")],
    purpose: Annotated[
        Purpose | None,
        typer.Option(help="Purpose of access, one the user's agency may act under; "
                          "without one, no person is read."),
    ] = None,
    hours: Annotated[float, typer.Option(help="Hours until the token expires.")] = 8.0,
    demo: Annotated[bool, typer.Option(
        help="Also look among the demo users (sam, jo, ida); a server accepts their tokens"
             " only in demo mode.")] = False,
    neo4j: Neo4jUri = None,
) -> None:
    """Print a signed bearer token for the API."""
    with accounts_opened(store, neo4j) as accounts:
        lookup = Authenticator(load_secret(store), DEMO_USERS if demo else {}, hours, demo=demo,
                               directory=accounts.users)
        found = lookup.user(user)
        if found is None:
            hint = "" if demo else "; for a demo user add --demo"
            err.print(f"famgraph: no user {user} in {store}; add one with famgraph users add"
                      f"{hint}")
            raise typer.Exit(1)
        if not 0 < hours <= 24:
            err.print("famgraph: --hours must be more than 0 and at most 24")
            raise typer.Exit(1)
        rules = _rules(store)
        if purpose is not None and not rules.may_use(found.agency, purpose):
            allowed = ", ".join(sorted(rules.agreement(found.agency).purposes)) or "none"
            err.print(f"famgraph: agency {found.agency} may not act for purpose {purpose}; "
                      f"its purposes (sharing file): {allowed}")
            raise typer.Exit(1)
        out.print(lookup.issue(found, purpose), markup=False)
