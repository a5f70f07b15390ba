"""Where errors become what a client sees: domain codes kept, everything else masked."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graph.errors import FamgraphError, PersonNotFound, StoreTimeout, StoreUnavailable

log = logging.getLogger("famgraph.errors")


class BadArgument(FamgraphError):
    """Raised when a GraphQL or page argument is outside what the question accepts."""

    def __init__(self, argument: str, reason: str) -> None:
        self.argument, self.reason = argument, reason
        super().__init__(f"argument {argument} {reason}")


class ArgumentTooLong(BadArgument):
    """Raised at the edge, before a request runs, when a string given to an argument (in the
    document or as a variable) is longer than the settings allow (docs/security.md rule 30)."""

    def __init__(self, argument: str, limit: int) -> None:
        self.limit = limit
        super().__init__(argument, f"is longer than {limit} characters, the most it may be")


class RequestTooLarge(FamgraphError):
    """Raised at the edge when a request's body, or its variables, are larger than the
    settings allow (docs/security.md rule 30)."""

    def __init__(self, what: str, limit: int, unit: str) -> None:
        self.what, self.limit = what, limit
        super().__init__(
            f"the request's {what} is over {limit} {unit}, the most this server takes:"
            " send a smaller document or fewer variables")


class QueryTooCostly(FamgraphError):
    """Raised at the edge when a document holds more selections, once every fragment
    spread is written out, than the settings allow (docs/security.md rules 3, 30)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"this document holds more than {limit} selections once its fragments are"
            " spread, the most this server takes: spread fewer fragments, or each fewer times")


class NotPermitted(FamgraphError):
    """Raised when the viewer may not ask this question at all."""


class FieldNotPermitted(FamgraphError):
    """Raised by a field the viewer's agreement does not cover; the field comes back null."""

    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(f"not permitted: your agency's agreement withholds {category}")


class OperationTimedOut(FamgraphError):
    """Raised when a request runs past the whole-operation timeout (docs/security.md rule 6)."""

    def __init__(self) -> None:
        super().__init__("the operation took too long and was stopped")


# Seconds a client is told to wait (Retry-After) when the store is out of reach: about as
# long as a Neo4j restart takes to answer again.
STORE_RETRY_AFTER = 5

DOMAIN_CODES: dict[type[FamgraphError], str] = {
    PersonNotFound: "NOT_FOUND",
    BadArgument: "BAD_USER_INPUT",
    RequestTooLarge: "REQUEST_TOO_LARGE",
    QueryTooCostly: "QUERY_TOO_COSTLY",
    NotPermitted: "FORBIDDEN",
    FieldNotPermitted: "FIELD_NOT_PERMITTED",
    OperationTimedOut: "TIMEOUT",
    StoreTimeout: "TIMEOUT",
    StoreUnavailable: "STORE_UNAVAILABLE",
}


def code_for(error: BaseException) -> str | None:
    for kind, code in DOMAIN_CODES.items():
        if isinstance(error, kind):
            return code
    return None


def refusal(error: FamgraphError) -> GraphQLError:
    """The GraphQL error for a request refused at the edge, before it runs: the domain code,
    and the limit it went over and the argument, where there is one. Never the value."""
    extensions: dict[str, Any] = {"code": code_for(error) or "BAD_REQUEST"}
    for name in ("argument", "limit"):
        if hasattr(error, name):
            extensions[name] = getattr(error, name)
    return GraphQLError(str(error), extensions=extensions)


def log_unexpected(error: BaseException, correlation_id: str) -> None:
    """Log where it failed, never the message: messages can carry personal values."""
    frames = traceback.extract_tb(error.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    log.error("unexpected %s [correlation %s] at %s", type(error).__name__, correlation_id, where)


def translate(error: GraphQLError, correlation_id: str) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # parse and validation errors: about the document, not the data
    code = code_for(original)
    if code is not None:
        return GraphQLError(
            str(original),
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions={"code": code},
        )
    log_unexpected(original, correlation_id)
    return GraphQLError(
        "Unexpected error.",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        extensions={"code": "INTERNAL", "correlationId": correlation_id},
    )


class ErrorTranslation(SchemaExtension):
    """Gives domain errors their stable `extensions.code` and masks all others."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        context = self.execution_context.context
        correlation_id = getattr(getattr(context, "disclosure", None), "correlation_id", "-")
        if result is not None and result.errors:
            result.errors = [translate(e, correlation_id) for e in result.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each event a subscription sends is translated before it leaves, not at the end."""
        context = self.execution_context.context
        correlation_id = getattr(getattr(context, "disclosure", None), "correlation_id", "-")
        if getattr(result, "errors", None):
            result.errors = [translate(e, correlation_id) for e in result.errors]
        yield
