"""The GraphQL HTTP endpoint: who is asking, one disclosure per request, audit before reply."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
)
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from graph.store import Store
from server.audit import AuditLog, AuditUnavailable
from server.auth import SESSION_COOKIE, Authenticator, NotAuthenticated
from server.budget import Budget, PeopleWatch
from server.context import Connection, Disclosure, RequestContext, document_hash, nobody
from server.errors import STORE_RETRY_AFTER, RequestTooLarge, refusal
from server.following import Following
from server.limits import DocumentShape, document_refusal, document_shape, variables_refusal
from server.metrics import note_operation
from server.policy import Viewer
from server.settings import Mode, Settings
from server.sharing import SharingRules

GRAPHQL_RESPONSE = "application/graphql-response+json"

VENDOR = Path(__file__).resolve().parent.parent / "viz" / "static" / "vendor"


def viewer_of(request: Request | WebSocket, auth: Authenticator) -> Viewer | None:
    """The viewer a bearer token or session cookie speaks for, or None."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return auth.viewer(token)
    except NotAuthenticated:
        return None


def over_budget(retry_after: float) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": "Too many requests: slow down and retry.",
                     "extensions": {"code": "RATE_LIMITED"}}]},
        status_code=429,
        headers={"Retry-After": str(int(retry_after))},
    )


class SignedInOnly:
    """Lets a request reach the GraphQL app only with a valid token or session, within budget."""

    def __init__(self, app: ASGIApp, auth: Authenticator, budget: Budget) -> None:
        self.app, self.auth, self.budget = app, auth, budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # A websocket authenticates in its connection_init (docs/security.md rule 11), never by
            # cookie: a cookie would let any site a signed-in user visits open one.
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        viewer = viewer_of(request, self.auth)
        if viewer is None:
            response: Response
            if "text/html" in request.headers.get("accept", ""):
                response = RedirectResponse("/signin?next=/graphql", status_code=303)
            else:
                response = JSONResponse(
                    {
                        "errors": [
                            {
                                "message": "Sign in, or send a bearer token.",
                                "extensions": {"code": "UNAUTHENTICATED"},
                            }
                        ]
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            await response(scope, receive, send)
            return
        wait = self.budget.take(viewer.user)
        if wait:
            await over_budget(wait)(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses, 413, a GraphQL request whose body (or GET query string) is over
    `max_request_bytes`, reading no further than the limit (docs/security.md rule 30); a body within
    it is handed on whole, so the view reads it as it was sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if len(scope.get("query_string", b"")) > self.max_bytes or (
                declared.isdigit() and int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = RequestTooLarge("body", self.max_bytes, "bytes")
        response = JSONResponse({"errors": [refusal(error).formatted]}, status_code=413,
                                headers={"Connection": "close"})
        await response(scope, receive, send)


class DocumentForAudit(SchemaExtension):
    """Names the operation and hashes the document on the request's disclosure."""

    def on_operation(self) -> Any:
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            query = self.execution_context.query or ""
            context.disclosure.document_hash = document_hash(query)
            context.disclosure.operation = self.execution_context.operation_name or "anonymous"
        yield
        # Only a name the request gave is known before the document is parsed; the one
        # the document gives is known now, before the rows are written.
        name = self.execution_context.operation_name
        note_operation(name)
        if isinstance(context, RequestContext) and name is not None:
            context.disclosure.operation = name


class EventAudit(SchemaExtension):
    """Writes each subscription event's audit rows before the event is sent (docs/security.md
    rules 11, 18, 19): one row per person it released; if the rows cannot be written, the
    event goes out without its data."""

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, RequestContext) and context.connection is not None:
            disclosure = context.disclosure
            outcome = ("error" if result.errors and result.data is None
                       else ("partial" if result.errors else "ok"))
            try:
                if context.audit is not None:
                    # Awaited, not blocking: other sockets and requests go on meanwhile.
                    await disclosure.commit_async(context.audit, outcome)
                    if context.people_watch is not None:
                        watch(context.people_watch, context.audit, disclosure)
            except AuditUnavailable:
                result.data = None
                result.errors = [GraphQLError(
                    "Service unavailable: the audit log cannot be written.",
                    extensions={"code": "AUDIT_UNAVAILABLE",
                                "correlationId": disclosure.correlation_id})]
            # Rows are written once: the next event starts with an empty disclosure.
            context.disclosure = Disclosure(disclosure.viewer, disclosure.operation,
                                            disclosure.document_hash, disclosure.rules)
        yield


class TransportWS(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws with famgraph's rules: subscriptions only (queries and
    mutations go over HTTP, where they are budgeted and audited), and the socket is
    closed when the connection's token expires."""

    _expiry: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._expiry is None:
            self._expiry = asyncio.create_task(self._close_at_expiry())

    async def _close_at_expiry(self) -> None:
        connection = self.context.connection
        if connection is None:
            return
        await asyncio.sleep(max(0.0, connection.expires_at - time.time()))
        await self.websocket.close(code=TOKEN_EXPIRED, reason="Token expired")

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        if (self.connection_acknowledged and isinstance(payload, dict)
                and not _is_subscription(payload.get("query"), payload.get("operationName"))):
            await self.send_message({
                "id": message["id"], "type": "error",
                "payload": [{"message": "Only subscriptions go over this socket: send queries"
                             " and mutations over HTTP.",
                             "extensions": {"code": "BAD_REQUEST"}}]})
            return
        settings = getattr(self.view, "settings", None)
        refused = (_refusal(payload.get("query"), payload.get("variables"), settings)
                   if self.connection_acknowledged and isinstance(payload, dict)
                   and isinstance(settings, Settings) else None)
        if refused is not None:
            await self.send_message({"id": message["id"], "type": "error",
                                     "payload": [refused.formatted]})
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        await super().shutdown()


# Close code for a socket whose token expired: graphql-transport-ws's "Unauthorized".
TOKEN_EXPIRED = 4401


def _is_subscription(query: Any, operation_name: Any) -> bool:
    """True unless the document parses to an operation that is not a subscription; a
    document that does not parse is left for the protocol handler to refuse."""
    operation = _operation(query, operation_name)
    return operation is None or operation.operation is OperationType.SUBSCRIPTION


def _is_query_or_mutation(query: Any, operation_name: Any, max_tokens: int | None = None) -> bool:
    """False only for a subscription; what does not parse is left for Strawberry's 400."""
    if not isinstance(query, str):
        return True
    shape = _shape(query, max_tokens)
    kind = None if shape is None else shape.operation_type(
        operation_name if isinstance(operation_name, str) else None)
    return kind is not OperationType.SUBSCRIPTION


@functools.lru_cache(maxsize=1024)
def _shape(query: str, max_tokens: int | None) -> DocumentShape | None:
    """What the edge checks in a document (its operations, its size with fragments spread,
    its longest strings), or None if it does not parse: remembered per document, as the
    parser cache remembers its parse, so a client's usual query is not parsed again on
    every request. Within the token limit, so an oversized document is refused by the
    parser before it is read whole."""
    try:
        return document_shape(parse(query, max_tokens=max_tokens))
    except GraphQLError:
        return None


def _refusal(
    query: Any, variables: Any, settings: Settings
) -> GraphQLError | None:
    """Why the edge refuses a request before Strawberry parses or validates it (docs/security.md
    rule 30), or None: so that no validation rule walks a document whose fragments would write
    out to millions of selections, and no question sees a string longer than its argument
    may be. What does not parse is left for Strawberry's 400."""
    shape = _shape(query, settings.max_tokens) if isinstance(query, str) else None
    refused = None if shape is None else document_refusal(shape, settings)
    if refused is None and isinstance(variables, dict):
        refused = variables_refusal(variables, shape, settings)
    return None if refused is None else refusal(refused)


def _operation(
    query: Any, operation_name: Any, max_tokens: int | None = None
) -> OperationDefinitionNode | None:
    """The operation a document names, or None if it does not parse or name one."""
    if not isinstance(query, str):
        return None
    try:
        return get_operation_ast(
            parse(query, max_tokens=max_tokens),
            operation_name if isinstance(operation_name, str) else None)
    except GraphQLError:
        return None


class FamgraphGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with famgraph's context, audit and offline GraphiQL."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        audit: AuditLog,
        auth: Authenticator,
        rules: SharingRules,
        watch: PeopleWatch,
        following: Following,
        **kwargs: Any,
    ) -> None:
        self.settings, self.store, self.audit = settings, store, audit
        self.auth, self.rules, self.watch = auth, rules, watch
        self.following = following
        super().__init__(**kwargs)

    graphql_transport_ws_handler_class = TransportWS

    async def get_context(
        self, request: Request | WebSocket, response: Any = None
    ) -> RequestContext:
        websocket = isinstance(request, WebSocket)
        # A websocket has no viewer until its connection_init (see `on_ws_connect`).
        viewer: Viewer = nobody() if websocket else request.state.viewer
        context = RequestContext(
            settings=self.settings,
            store=self.store,
            disclosure=Disclosure(
                viewer=viewer, operation="anonymous", document_hash="", rules=self.rules
            ),
            audit=self.audit,
            auth=self.auth,
            following=self.following,
            connection=Connection() if websocket else None,
            people_watch=self.watch,
        )
        request.state.context = context
        request.state.sub_response = response
        if response is not None and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            response.headers["x-famgraph-media"] = GRAPHQL_RESPONSE
        return context

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Authenticate a websocket from its connection_init payload, as the HTTP API does:
        `{"Authorization": "Bearer <token>"}`. Refused: close 4403 Forbidden."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization", ""))
        token = header[7:].strip() if isinstance(header, str) and header.lower().startswith(
            "bearer ") else ""
        if not token or context.connection is None:
            raise ConnectionRejectionError()
        try:
            viewer = self.auth.viewer(token)
            expires = self.auth.expires_at(token)
        except NotAuthenticated:
            raise ConnectionRejectionError() from None
        context.connection.token, context.connection.expires_at = token, expires
        context.connection_params = None  # the token is kept on the connection only
        context.disclosure = Disclosure(viewer=viewer, operation="anonymous",
                                        document_hash="", rules=self.rules)
        acknowledged: UnsetType = UNSET
        return acknowledged

    def decode_json(self, data: str | bytes) -> object:
        """Strawberry's, with a number too long for Python to read (over 4,300 digits)
        refused as bad JSON, 400, like any other, not a server error."""
        try:
            return super().decode_json(data)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            raise json.JSONDecodeError("a number too long to read", "", 0) from exc

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry's, with 405 (not 400) for an operation the HTTP method may not carry,
        and the edge's refusals (docs/security.md rule 30) before it parses or validates
        anything."""
        data = kwargs.get("request_data")
        if data is not None and not _is_query_or_mutation(
                data.query, data.operation_name, self.settings.max_tokens):
            raise HTTPException(
                405, "Subscriptions go over graphql-transport-ws (a websocket to /graphql),"
                " never over HTTP.")
        if data is not None:
            refused = _refusal(data.query, data.variables, self.settings)
            if refused is not None:
                return ExecutionResult(data=None, errors=[refused])
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(
                    405, "Only POST may carry this operation; queries over GET are off in"
                    " production and mutations never go over GET."
                ) from exc
            raise

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media = sub_response.headers.get("x-famgraph-media")
        if media:
            del sub_response.headers["x-famgraph-media"]
        response = super().create_response(response_data, sub_response)
        if media:
            response.headers["content-type"] = media
        return response

    async def process_result(
        self,
        request: Request,
        result: ExecutionResult,
    ) -> GraphQLHTTPResponse:
        context: RequestContext = request.state.context
        status = http_status(result)
        if status in (503, 504):
            result = ExecutionResult(data=None, errors=result.errors)
        outcome = (
            "error"
            if result.errors and result.data is None
            else ("partial" if result.errors else "ok")
        )
        try:
            await context.disclosure.commit_async(self.audit, outcome)
            watch(self.watch, self.audit, context.disclosure)
        except AuditUnavailable:
            # Fail closed (docs/security.md rule 19): nothing leaves unless its audit row is
            # durable.
            request.state.sub_response.status_code = 503
            return {
                "data": None,
                "errors": [
                    {
                        "message": "Service unavailable: the audit log cannot be written.",
                        "extensions": {
                            "code": "AUDIT_UNAVAILABLE",
                            "correlationId": context.disclosure.correlation_id,
                        },
                    }
                ],
            }
        if status != 200:
            request.state.sub_response.status_code = status
        if status == 503:
            request.state.sub_response.headers["Retry-After"] = str(STORE_RETRY_AFTER)
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_page())


def http_status(result: ExecutionResult) -> int:
    """The status GraphQL over HTTP and docs/security.md rule 7 give this result."""
    errors: list[GraphQLError] = list(result.errors or [])
    if not errors:
        return 200
    if any(isinstance(e, GraphQLSyntaxError) for e in errors):
        return 400
    codes = {(e.extensions or {}).get("code") for e in errors}
    if "REQUEST_TOO_LARGE" in codes:
        return 413
    if result.data is None and all(e.path is None for e in errors):
        return 422  # rejected before execution: validation, cost, depth, variables
    if "STORE_UNAVAILABLE" in codes:
        return 503  # the store is out of reach for now: nothing is shown, try again later
    if "TIMEOUT" in codes:
        return 504
    if result.data is None and "FORBIDDEN" in codes:
        return 403
    return 200


def watch(people: PeopleWatch, audit: AuditLog, disclosure: Disclosure) -> None:
    """Raise a review when a user opens unusually many people; the request goes ahead."""
    count = people.saw(disclosure.viewer.user, disclosure.people())
    if count is not None:
        audit.raise_review(
            "many_people",
            disclosure.viewer.user,
            f"{count} distinct people within {people.window / 60:g} minutes",
        )


def graphiql_page() -> str:
    """Strawberry's GraphiQL page with every script and style served from /static/vendor."""
    page = get_graphql_ide_html(graphql_ide="graphiql")
    for remote, local in LOCAL_ASSETS.items():
        page = page.replace(remote, local)
    return page


_UNPKG = "https://unpkg.com/"
# Same bytes as the CDN serves, so the page's integrity hashes still hold.
LOCAL_ASSETS = {
    _UNPKG + remote: "/static/vendor/" + local
    for remote, local in (
        ("react@18.2.0/umd/react.production.min.js", "react.production.min.js"),
        ("react-dom@18.2.0/umd/react-dom.production.min.js", "react-dom.production.min.js"),
        ("js-cookie@3.0.5/dist/js.cookie.min.js", "js.cookie.min.js"),
        ("graphiql@3.8.3/graphiql.min.css", "graphiql.min.css"),
        ("graphiql@3.8.3/graphiql.min.js", "graphiql.min.js"),
        ("@graphiql/plugin-explorer@1.0.2/dist/style.css", "plugin-explorer.css"),
        ("@graphiql/plugin-explorer@1.0.2/dist/index.umd.js", "plugin-explorer.umd.js"),
    )
}


def graphql_app(
    settings: Settings,
    store: Store,
    audit: AuditLog,
    auth: Authenticator,
    rules: SharingRules,
    budget: Budget,
    people: PeopleWatch,
    following: Following,
) -> ASGIApp:
    from server.schema import build_schema

    schema = build_schema(settings, DocumentForAudit, EventAudit)
    view = FamgraphGraphQL(
        settings,
        store,
        audit,
        auth,
        rules,
        people,
        following,
        schema=schema,
        graphql_ide=None if settings.mode is Mode.PRODUCTION else "graphiql",
        allow_queries_via_get=settings.mode is not Mode.PRODUCTION,
        # docs/security.md rule 11: graphql-transport-ws only; no legacy graphql-ws, no SSE or
        # multipart subscriptions over HTTP.
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )
    return SignedInOnly(BodyLimit(view, settings.max_request_bytes), auth, budget)
