"""Log lines as one JSON object each, and the request id every line of a request carries.

A log line names places, codes, counts and identifiers, never a personal value
(docs/security.md rule 10): the formatter writes the message as the code formatted it and
an allow-list of extra fields, and never a traceback (an exception's message can quote a
name); `server.errors.log_unexpected` logs where an error happened instead.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# A request id a client or proxy sends is kept when it looks like one; anything else (too
# long, or characters a log reader might trip on) is replaced, never echoed.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,64}")

# Extra fields a log call may attach (`log.info(..., extra={...})`): names the code
# chose, holding identifiers and figures only.
FIELDS = ("event", "route", "method", "status", "duration_ms", "operation", "outcome",
          "read", "loaded", "quarantined", "store", "error", "seconds", "rows")


@dataclass(slots=True)
class RequestFacts:
    """What the middleware knows about the request in hand, filled in as it runs."""

    request_id: str
    operation: str | None = None


_CURRENT: contextvars.ContextVar[RequestFacts | None] = contextvars.ContextVar(
    "famgraph_request", default=None)


def request_id_from(header: str | None) -> str:
    """The id to carry for a request whose `X-Request-ID` header is `header` (or none)."""
    if header and _ACCEPTED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def begin_request(request_id: str) -> tuple[RequestFacts, contextvars.Token[RequestFacts | None]]:
    """Make `request_id` the current request's, until `end_request(token)`."""
    facts = RequestFacts(request_id)
    return facts, _CURRENT.set(facts)


def end_request(token: contextvars.Token[RequestFacts | None]) -> None:
    _CURRENT.reset(token)


def current_request() -> RequestFacts | None:
    return _CURRENT.get()


def current_request_id() -> str:
    """The request in hand's id; outside a request (the CLI, a test), a fresh one."""
    facts = _CURRENT.get()
    return facts.request_id if facts is not None else uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        facts = _CURRENT.get()
        if facts is not None:
            line["request_id"] = facts.request_id
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__  # the type, never the message
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler[Any]):
    """Writes to whatever `sys.stderr` is at the time (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str = "info", stream: Any = None) -> logging.Handler:
    """Send log lines to `stream` (default: standard error) as JSON, replacing any handler
    an earlier call added; return the handler."""
    handler: logging.Handler = _Stderr() if stream is None else logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h.formatter, JsonFormatter)]
    root.addHandler(handler)
    # famgraph's own lines from `level`; libraries' (Splink, DuckDB, the Neo4j driver,
    # uvicorn) from warnings up: their chatter is not ours to vouch for.
    root.setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    logging.getLogger("famgraph").setLevel(level.upper())
    # uvicorn's access log writes the query string, where a page's search names a person;
    # the middleware writes its own access line (route template, status, time) instead.
    logging.getLogger("uvicorn.access").disabled = True
    return handler
