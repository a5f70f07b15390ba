"""The application factory: the one place, with the CLI, that chooses a store."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from graph.errors import StoreTimeout, StoreUnavailable
from graph.store import Store
from server.audit import AuditLog, audit_path
from server.auth import DEMO_USERS, Authenticator, OidcVerifier, SignInThrottle, load_secret
from server.budget import Budget, PeopleWatch
from server.errors import STORE_RETRY_AFTER
from server.exports import GenogramExports
from server.graphql_view import graphql_app
from server.metrics import Metrics, Observed
from server.pages import Pages
from server.schema import build_schema
from server.settings import Mode, Settings
from server.sharing import load_rules
from server.stores import open_accounts, open_store, store_answers
from server.work_pages import WorkPages

STATIC = Path(__file__).resolve().parent.parent / "viz" / "static"
# Seconds /readyz waits for the audit writer and the database before saying not ready.
READY_WAIT = 2.0


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The famgraph web app over `store` (default: the embedded store in settings.store_dir)."""
    rules = load_rules(Path(settings.sharing_file) if settings.sharing_file else None)
    metrics = Metrics(settings)
    opening = time.perf_counter()
    store = store or open_store(settings)
    metrics.store_open.set(time.perf_counter() - opening)
    audit = AuditLog(audit_path(settings.store_dir, settings.audit_chain),
                     settings.audit_checkpoint_rows, settings.audit_chain)
    metrics.watch(audit, settings.store_dir)
    accounts = open_accounts(settings)
    directory, following = accounts.users, accounts.following
    users = DEMO_USERS if settings.mode is Mode.DEMO else {}
    oidc = (
        OidcVerifier(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url)
        if settings.oidc_issuer else None
    )
    auth = Authenticator(
        load_secret(settings.store_dir),
        users,
        settings.token_hours,
        demo=settings.mode is Mode.DEMO,
        rules=rules,
        directory=directory,
        oidc=oidc,
        throttle=SignInThrottle(processes=settings.budget_processes),
    )
    budget = Budget(settings.budget_per_minute, settings.budget_processes)
    people = PeopleWatch(settings.alert_distinct_people, settings.alert_window_minutes)
    graphql = graphql_app(settings, store, audit, auth, rules, budget, people, following)
    pages = Pages(settings, build_schema(settings), store, audit, auth, rules, budget, people,
                  following)
    exports = GenogramExports(pages)
    work = WorkPages(pages)

    serving = {"open": True}

    async def ready(request: Request) -> Response:
        """Ready when the store is open and answers, and the audit writer answers."""
        try:
            answers = await asyncio.wait_for(asyncio.to_thread(store_answers, store),
                                             READY_WAIT + 1)
        except TimeoutError:
            answers = False
        checks = {"store": serving["open"] and answers}
        checks["audit_writer"] = serving["open"] and await audit.ping(READY_WAIT)
        return JSONResponse({"ready": all(checks.values()), "checks": checks},
                            status_code=200 if all(checks.values()) else 503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        serving["open"] = False
        exports.close()
        store.close()
        audit.close()
        accounts.close()

    app = Starlette(
        routes=[
            Route("/", pages.search),
            Route("/signin", pages.signin_form, methods=["GET"]),
            Route("/signin", pages.signin, methods=["POST"]),
            Route("/signout", pages.signout, methods=["POST"]),
            Route("/people/{person_id}", pages.person),
            Route("/people/{person_id}/genogram", pages.genogram),
            Route("/people/{person_id}/genogram.svg", exports.svg),
            Route("/people/{person_id}/genogram.png", exports.png),
            Route("/people/{person_id}/genogram.pdf", exports.pdf),
            Route("/people/{person_id}/export.json", pages.export),
            Route("/people/{person_id}/chronology", work.chronology, methods=["GET"]),
            Route("/audit", work.audit, methods=["GET"]),
            Route("/audit/person", work.audit_person, methods=["GET"]),
            Route("/audit/user", work.audit_user, methods=["GET"]),
            Route("/review", work.review, methods=["GET"]),
            Route("/review", work.review_decide, methods=["POST"]),
            Route("/following", work.following, methods=["GET"]),
            Route("/following", work.follow, methods=["POST"]),
            Route("/break-glass", work.break_glass_form, methods=["GET"]),
            Route("/break-glass", work.break_glass, methods=["POST"]),
            # Alive while the process answers at all; ready (below) says whether it can serve.
            Route("/healthz", lambda request: PlainTextResponse("ok")),
            Route("/livez", lambda request: PlainTextResponse("ok")),
            Route("/readyz", ready),
            Route("/metrics", metrics.endpoint),
            # The endpoint itself, not only a mount: a mount answers POST /graphql with a
            # redirect to /graphql/, which many clients do not follow with the body; and
            # websockets get no redirect at all.
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/graphql", graphql),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(Observed, metrics=metrics)],
        exception_handlers={StoreUnavailable: out_of_reach, StoreTimeout: out_of_reach},
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.auth = auth
    app.state.audit = audit
    app.state.store = store
    app.state.users = directory
    app.state.following = following
    app.state.rules = rules
    return app


def freeze_loaded_heap() -> None:
    """Call once a serving process has opened its store, before it takes requests.

    What start-up built (modules, the schema, the policy; the embedded store itself now
    holds only what questions read, see docs/stores.md) lives as long as the process;
    frozen, the garbage collector no longer walks it on each full collection, which would
    otherwise stall every request in flight (the front-door bench's p99). When the store
    held the whole graph in memory this was millions of objects and the reason for the
    paragraph below.

    The collector starts a full collection once the objects promoted to the oldest
    generation since the last one reach a quarter of what that one kept. The collection
    before the freeze kept the whole store, so without another after it the first full
    collection while serving waited for over a million promoted objects (requests'
    leftovers) and then walked them all: a 1.4 s stall on the front-door bench, once
    per process. Collecting again once frozen counts only what is not frozen.
    """
    gc.collect()
    gc.freeze()
    gc.collect()


async def out_of_reach(request: Request, exc: Exception) -> Response:
    """The store (or the accounts beside it) out of reach, or too slow to say who a token's
    user is, before any operation could run: the 503 an operation would get, not a 500
    (an account is read by index; one that does not come back in time is a store in
    trouble, not a costly question)."""
    headers = {"Retry-After": str(STORE_RETRY_AFTER)}
    if "text/html" in request.headers.get("accept", ""):
        # Plain: the page template would itself ask who is signed in.
        return HTMLResponse("<!DOCTYPE html><title>Service unavailable</title><h1>Service "
                            "unavailable</h1><p>The records cannot be reached just now; try "
                            "again in a moment.</p>", status_code=503, headers=headers)
    return JSONResponse({"data": None, "errors": [{
        "message": "Service unavailable: the store cannot be reached; try again shortly.",
        "extensions": {"code": "STORE_UNAVAILABLE"}}]}, status_code=503, headers=headers)
