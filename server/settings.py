"""Every setting famgraph reads, with its default and a help line; read once, passed down."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class Mode(enum.StrEnum):
    DEMO = "demo"
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    """Read from `FAMGRAPH_<NAME>` environment variables by `Settings.from_env`."""

    store_dir: Path = _setting(Path("var/store"), "Folder of the embedded store and audit log.")
    mode: Mode = _setting(
        Mode.DEVELOPMENT,
        "demo (built-in users, banner on every page), development, or production"
        " (no GraphiQL, no introspection, no queries over GET).",
    )
    host: str = _setting("127.0.0.1", "Address the server listens on.")
    port: int = _setting(8000, "Port the server listens on.")
    token_hours: float = _setting(8.0, "Hours a bearer token or sign-in session stays valid.")
    max_query_depth: int = _setting(
        10, "Deepest GraphQL selection accepted"
        " (docs/security.md rule 1)."
    )
    max_aliases: int = _setting(
        15, "Most aliases in one GraphQL document"
        " (docs/security.md rule 1)."
    )
    max_tokens: int = _setting(
        2000, "Most tokens in one GraphQL document"
        " (docs/security.md rule 1)."
    )
    max_genogram_depth: int = _setting(4, "Deepest genogram a page or query may ask for.")
    risk_current_months: int = _setting(
        12, "Months a risk indicator with no end date stays `current` after its start"
        " (docs/risk-indicators.md).",
    )
    max_query_nodes: int = _setting(
        5000, "Most nodes a GraphQL document may ask for, counted statically"
        " (docs/security.md rule 3)."
    )
    max_query_selections: int = _setting(
        5000, "Most selections a GraphQL document may hold once every fragment spread is"
        " written out, counted without writing them out, before any rule walks it; over it:"
        " 422 with QUERY_TOO_COSTLY (docs/security.md rule 30).",
    )
    max_request_bytes: int = _setting(
        65536, "Largest GraphQL request body (or GET query string) accepted, in bytes; over"
        " it: 413 with REQUEST_TOO_LARGE, before it is read further (docs/security.md rule 30).",
    )
    max_variables_chars: int = _setting(
        16384, "Most characters a GraphQL request's variables may hold, about as written in"
        " JSON; over it: 413 with REQUEST_TOO_LARGE (docs/security.md rule 30).",
    )
    max_argument_length: int = _setting(
        200, "Longest string any GraphQL argument may be given (a name, a postcode, an id, a"
        " cursor), in the document or as a variable; longer: 422 with BAD_USER_INPUT naming"
        " the argument (docs/security.md rule 30).",
    )
    max_reason_length: int = _setting(
        2000, "Longest written reason (break-glass, linking and unlinking records) accepted,"
        " in characters; longer: 422 with BAD_USER_INPUT (docs/security.md rule 30).",
    )
    operation_timeout: float = _setting(
        5.0, "Seconds one GraphQL operation or page may run before it is stopped"
        " (docs/security.md rule 6)."
    )
    budget_per_minute: int = _setting(
        120, "Requests one user may make per minute before 429 and Retry-After"
        " (docs/security.md rule 4)."
    )
    budget_processes: int = _setting(
        1, "famgraph processes sharing one budget_per_minute behind a load balancer: each"
        " allows its share (budget_per_minute divided by this, at least 1), so a user's"
        " requests across all of them stay near the budget; each likewise allows its share"
        " of the free sign-in attempts before the throttle's waits (docs/neo4j.md)."
    )
    alert_distinct_people: int = _setting(
        50, "Distinct people one user may open within the alert window before a review is raised."
    )
    alert_window_minutes: float = _setting(10.0, "The window for alert_distinct_people, minutes.")
    sharing_file: str = _setting(
        "", "Information-sharing agreements (TOML); empty means server/sharing.toml."
    )
    coverage_file: str = _setting(
        "", "What each source system covers (TOML); empty means graph/questions/coverage.toml."
    )
    audit_checkpoint_rows: int = _setting(
        1000, "Audit rows between signed checkpoints kept inside the log"
        " (docs/security.md rule 20)."
    )
    audit_chain: str = _setting(
        "", "Name of this process's audit chain when several famgraph processes serve one"
        " Neo4j (each its own, e.g. the host name): its log is then"
        " audit-chains/NAME/audit.sqlite in the store folder, with its own key, and every row"
        " names it; empty is the one log audit.sqlite (docs/audit.md)."
    )
    audit_keep_days: float = _setting(
        0.0, "Days a sealed audit segment is kept, counted from its newest row, before"
        " `famgraph audit rotate` removes it; 0 keeps every segment (docs/audit.md)."
    )
    oidc_issuer: str = _setting("", "Issuer (iss) of OIDC bearer tokens; empty turns OIDC off.")
    oidc_audience: str = _setting("famgraph", "Audience (aud) OIDC bearer tokens must name.")
    oidc_jwks_url: str = _setting("", "URL of the OIDC issuer's JSON Web Key Set.")
    change_poll_seconds: float = _setting(
        2.0, "Seconds between looks at the store for new changes, per open subscription."
    )
    max_subscriptions_per_connection: int = _setting(
        1, "Subscriptions one graphql-transport-ws connection may hold at once."
    )
    metrics_token: str = _setting(
        "", "Bearer token a Prometheus scraper sends for /metrics; empty serves /metrics to"
        " loopback clients only."
    )
    metrics_operations: str = _setting(
        "FrontDoor", "GraphQL operation names given their own metrics label, comma-separated;"
        " every other name is counted as `other` (clients choose names)."
    )
    log_level: str = _setting(
        "info", "Least severe log line written (debug, info, warning, error); logs are JSON,"
        " one object a line, on standard error."
    )
    library_shortcuts: bool = _setting(
        True, "Take the GraphQL speed paths that lean on Strawberry's and graphql-core's"
        " internals (server/schema/shortcuts.py); false runs their own execution only."
    )
    neo4j_uri: str = _setting("", "Bolt URI of a Neo4j 5 server; empty means the embedded store.")
    neo4j_user: str = _setting("neo4j", "Neo4j user name.")
    neo4j_password: str = _setting("", "Neo4j password.")
    neo4j_database: str = _setting("", "Neo4j database name; empty means the server's default.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `FAMGRAPH_*` variables, then explicit overrides (from the CLI)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = env.get(f"FAMGRAPH_{spec.name.upper()}")
            if raw is not None:
                values[spec.name] = _convert(spec.default, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for every setting, for docs and --help."""
        return [
            (f"FAMGRAPH_{spec.name.upper()}", str(spec.default), spec.metadata["help"])
            for spec in fields(cls)
        ]


def _convert(default: Any, raw: str) -> Any:
    if isinstance(default, enum.Enum):
        return type(default)(raw)
    if isinstance(default, Path):
        return Path(raw)
    if isinstance(default, bool):
        return raw.lower() in {"1", "true", "yes"}
    if isinstance(default, int | float):
        return type(default)(raw)
    return raw
