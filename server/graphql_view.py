"""The GraphQL HTTP endpoint: who is asking, one disclosure per request, audit before reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types import ExecutionResult

from graph.store import Store
from server.audit import AuditLog, AuditUnavailable
from server.auth import SESSION_COOKIE, Authenticator, NotAuthenticated
from server.context import Disclosure, RequestContext, document_hash
from server.policy import Viewer
from server.settings import Mode, Settings

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


class SignedInOnly:
    """Lets a request reach the GraphQL app only with a valid token or session."""

    def __init__(self, app: ASGIApp, auth: Authenticator) -> None:
        self.app, self.auth = app, auth

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

    def __init__(self, settings: Settings, store: Store, audit: AuditLog, **kwargs: Any) -> None:
        self.settings, self.store, self.audit = settings, store, audit
        super().__init__(**kwargs)

    async def get_context(
        self, request: Request | WebSocket, response: Any = None
    ) -> RequestContext:
        viewer: Viewer = request.state.viewer
        context = RequestContext(
            settings=self.settings,
            store=self.store,
            disclosure=Disclosure(viewer=viewer, operation="anonymous", document_hash=""),
        )
        request.state.context = context
        request.state.sub_response = response
        return context

    async def process_result(
        self,
        request: Request,
        result: ExecutionResult,
    ) -> GraphQLHTTPResponse:
        context: RequestContext = request.state.context
        outcome = (
            "error"
            if result.errors and result.data is None
            else ("partial" if result.errors else "ok")
        )
        try:
            context.disclosure.commit(self.audit, outcome)
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
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_page())


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


def graphql_app(settings: Settings, store: Store, audit: AuditLog, auth: Authenticator) -> ASGIApp:
    from server.schema import build_schema

    schema = build_schema(settings, DocumentForAudit)
    view = FamgraphGraphQL(
        settings,
        store,
        audit,
        schema=schema,
        graphql_ide=None if settings.mode is Mode.PRODUCTION else "graphiql",
        allow_queries_via_get=settings.mode is not Mode.PRODUCTION,
    )
    return SignedInOnly(view, auth)
