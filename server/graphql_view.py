"""The GraphQL HTTP endpoint: who is asking, one disclosure per request, audit before reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from graph.store import Store
from server.audit import AuditLog, AuditUnavailable
from server.auth import SESSION_COOKIE, Authenticator, NotAuthenticated
from server.budget import Budget, PeopleWatch
from server.context import Disclosure, RequestContext, document_hash
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
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = Request(scope) if scope["type"] == "http" else WebSocket(scope, receive, send)
        viewer = viewer_of(request, self.auth)
        if viewer is None:
            response: Response
            if scope["type"] == "http" and "text/html" in request.headers.get("accept", ""):
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
        wait = self.budget.take(viewer.user) if scope["type"] == "http" else 0.0
        if wait:
            await over_budget(wait)(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)


class DocumentForAudit(SchemaExtension):
    """Names the operation and hashes the document on the request's disclosure."""

    def on_operation(self) -> Any:
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            query = self.execution_context.query or ""
            context.disclosure.document_hash = document_hash(query)
            context.disclosure.operation = self.execution_context.operation_name or "anonymous"
        yield


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
        **kwargs: Any,
    ) -> None:
        self.settings, self.store, self.audit = settings, store, audit
        self.auth, self.rules, self.watch = auth, rules, watch
        super().__init__(**kwargs)

    async def get_context(
        self, request: Request | WebSocket, response: Any = None
    ) -> RequestContext:
        viewer: Viewer = request.state.viewer
        context = RequestContext(
            settings=self.settings,
            store=self.store,
            disclosure=Disclosure(
                viewer=viewer, operation="anonymous", document_hash="", rules=self.rules
            ),
            audit=self.audit,
            auth=self.auth,
        )
        request.state.context = context
        request.state.sub_response = response
        if response is not None and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            response.headers["x-famgraph-media"] = GRAPHQL_RESPONSE
        return context

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry's, with 405 (not 400) for an operation the HTTP method may not carry."""
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
        if status == 504:
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
            # Fail closed (SECURITY.md 19): nothing leaves unless its audit row is durable.
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
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_page())


def http_status(result: ExecutionResult) -> int:
    """The status GraphQL over HTTP and SECURITY.md 7 give this result."""
    errors: list[GraphQLError] = list(result.errors or [])
    if not errors:
        return 200
    if any(isinstance(e, GraphQLSyntaxError) for e in errors):
        return 400
    if result.data is None and all(e.path is None for e in errors):
        return 422  # rejected before execution: validation, cost, depth, variables
    codes = {(e.extensions or {}).get("code") for e in errors}
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
) -> ASGIApp:
    from server.schema import build_schema

    schema = build_schema(settings, DocumentForAudit)
    view = FamgraphGraphQL(
        settings,
        store,
        audit,
        auth,
        rules,
        people,
        schema=schema,
        graphql_ide=None if settings.mode is Mode.PRODUCTION else "graphiql",
        allow_queries_via_get=settings.mode is not Mode.PRODUCTION,
    )
    return SignedInOnly(view, auth, budget)
