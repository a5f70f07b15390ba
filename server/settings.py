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
    max_query_depth: int = _setting(10, "Deepest GraphQL selection accepted (SECURITY.md 1).")
    max_aliases: int = _setting(15, "Most aliases in one GraphQL document (SECURITY.md 1).")
    max_tokens: int = _setting(2000, "Most tokens in one GraphQL document (SECURITY.md 1).")
    max_genogram_depth: int = _setting(4, "Deepest genogram a page or query may ask for.")
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
