"""What a running famgraph tells Prometheus at `/metrics`, and the middleware that measures
each request (its time, its status, its request id, its access-log line).

No label holds personal data or anything a client may choose freely: routes are the app's
own path templates (`/people/{person_id}`, never the id), GraphQL operations are named
only when the name is on the `metrics_operations` list (else `other`), statuses are
numbers, review kinds and linkage figures are names the code chose.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.store import LoadLog
from server.audit import AuditLog
from server.logging_json import begin_request, current_request, end_request, request_id_from
from server.settings import Settings

log = logging.getLogger("famgraph.http")
load_log = logging.getLogger("famgraph.load")

# Where `famgraph load` leaves the outcome of the last load, for the server to report.
LOAD_STATUS = "load-status.json"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Headers a reverse proxy adds: a request carrying one came from elsewhere.
_PROXIED = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
            "x-real-ip")
# Seconds: a front-door answer is tens of milliseconds; the operation timeout is 5 s.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def note_operation(name: str | None) -> None:
    """Tell the request in hand which GraphQL operation it runs (labelled if known)."""
    facts = current_request()
    if facts is not None:
        facts.operation = name


class Metrics:
    """One app's metrics, in a registry of its own (two apps in one process do not mix)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self.operations = frozenset(
            name.strip() for name in settings.metrics_operations.split(",") if name.strip())
        self.requests = Histogram(
            "famgraph_request_duration_seconds",
            "Time to answer a request, by route template and (for /graphql) operation.",
            ["route", "operation"], buckets=_BUCKETS, registry=self.registry)
        self.responses = Counter(
            "famgraph_responses", "Responses sent, by route template and status code.",
            ["route", "status"], registry=self.registry)
        self.audit_commit = Histogram(
            "famgraph_audit_commit_seconds",
            "Time a request waited for the audit writer to make its rows durable.",
            buckets=_BUCKETS, registry=self.registry)
        self.store_open = Gauge(
            "famgraph_store_open_seconds", "Time the store took to open at start.",
            registry=self.registry)

    def operation_label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        return name if name in self.operations else "other"

    def watch(self, audit: AuditLog, store_dir: Path) -> None:
        """Report the audit queue, reviews, store size and the last load at each scrape."""
        audit.on_commit = self.audit_commit.observe
        self.registry.register(_State(audit, store_dir))

    async def endpoint(self, request: Request) -> Response:
        """`/metrics`: to a bearer of `metrics_token`, or, when none is set, to loopback."""
        token = self.settings.metrics_token
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse("metrics need the metrics token", 401,
                                         headers={"WWW-Authenticate": "Bearer"})
        elif (request.client is None or request.client.host not in _LOOPBACK
              or any(h in request.headers for h in _PROXIED)):
            # Through a proxy on this machine every visitor would look like loopback.
            return PlainTextResponse("metrics are served to this machine only (loopback)"
                                     " unless FAMGRAPH_METRICS_TOKEN is set", 403)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class Observed:
    """ASGI middleware: a request id for every request and websocket (kept from
    `X-Request-ID` when it looks like one, and sent back), and for HTTP requests the
    metrics and one access-log line (route template, never the path or query)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"]
                       if k == b"x-request-id"), None)
        facts, token = begin_request(request_id_from(header))
        status = 500  # unless a response starts: an error escaped every handler
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", facts.request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if scope["type"] == "http":
                self._record(scope, status, time.perf_counter() - started, facts.operation)
            end_request(token)

    def _record(self, scope: Scope, status: int, seconds: float, operation: str | None) -> None:
        route = scope.get("route")
        template = str(getattr(route, "path", "")) or "unmatched"
        label = self.metrics.operation_label(operation) if template == "/graphql" else ""
        self.metrics.requests.labels(template, label).observe(seconds)
        self.metrics.responses.labels(template, str(status)).inc()
        log.info("%s %s %d", scope["method"], template, status, extra={
            "event": "request", "method": scope["method"], "route": template,
            "status": status, "operation": label or None,
            "duration_ms": round(seconds * 1000, 2)})


class _State(Collector):
    """Figures read at each scrape rather than counted as they happen: the audit queue,
    the reviews in the log, the store's size on disk, and what `famgraph load` left."""

    def __init__(self, audit: AuditLog, store_dir: Path) -> None:
        self.audit = audit
        self.store_dir = store_dir

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("famgraph_audit_queue_depth",
                                "Requests waiting for the audit writer.",
                                value=self.audit.queue_depth())
        reviews = CounterMetricFamily(
            "famgraph_reviews", "Reviews raised, by kind (break_glass, many_people).",
            labels=["kind"])
        for kind, count in sorted(self.audit.review_counts().items()):
            reviews.add_metric([kind], count)
        yield reviews
        yield GaugeMetricFamily("famgraph_store_size_bytes",
                                "Bytes in the store folder (graph, audit log, users).",
                                value=_folder_bytes(self.store_dir))
        yield from _load_metrics(read_load_status(self.store_dir))


def _folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue  # a file removed while we walked (a WAL checkpoint)
    return total


def _load_metrics(status: Mapping[str, Any]) -> Iterator[Metric]:
    loads = CounterMetricFamily("famgraph_loads", "Loads run, by outcome (ok, failed).",
                                labels=["outcome"])
    for outcome in ("ok", "failed"):
        loads.add_metric([outcome], int(status.get("loads", {}).get(outcome, 0)))
    yield loads
    last = status.get("last")
    if not last:
        return
    yield GaugeMetricFamily("famgraph_last_load_timestamp_seconds",
                            "When the last load finished (Unix time), whatever its outcome.",
                            value=float(last["finished"]))
    yield GaugeMetricFamily("famgraph_last_load_success",
                            "1 when the last load committed, 0 when it failed (the store is"
                            " as it was before it).", value=1.0 if last["outcome"] == "ok" else 0.0)
    yield GaugeMetricFamily("famgraph_last_load_duration_seconds",
                            "How long the last load ran.", value=float(last["seconds"]))
    if "last_ok" in status:
        yield GaugeMetricFamily("famgraph_last_successful_load_timestamp_seconds",
                                "When the last load that committed finished (Unix time).",
                                value=float(status["last_ok"]))
    rows = GaugeMetricFamily("famgraph_last_load_rows",
                             "Rows of the last load: read = loaded + quarantined.",
                             labels=["count"])
    for count in ("read", "loaded", "quarantined"):
        if count in last:
            rows.add_metric([count], float(last[count]))
    yield rows
    figures = GaugeMetricFamily("famgraph_last_load_linkage",
                                "Identity resolution figures of the last load that committed"
                                " (records, people, records_moved, ...).", labels=["figure"])
    for name, value in sorted(last.get("figures", {}).items()):
        figures.add_metric([name], float(value))
    yield figures


def read_load_status(store_dir: Path) -> dict[str, Any]:
    """What `famgraph load` last left in the store folder; empty when no load has run."""
    try:
        status = json.loads((store_dir / LOAD_STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def record_load(store_dir: Path, started: float, load: LoadLog | None,
                error: BaseException | None = None) -> None:
    """Keep the outcome of a load (committed with `load`, or failed with `error`) for the
    server's metrics, and log it as one line. Counts and figures only, never a value."""
    finished = time.time()
    status = read_load_status(store_dir)
    outcome = "ok" if load is not None and error is None else "failed"
    loads = {"ok": 0, "failed": 0, **status.get("loads", {})}
    loads[outcome] += 1
    last: dict[str, Any] = {"finished": finished, "seconds": round(finished - started, 3),
                            "outcome": outcome}
    if load is not None:
        last |= {"read": load.read, "loaded": load.loaded, "quarantined": load.quarantined,
                 "figures": {k: v for k, v in load.detail.items()
                             if isinstance(v, int | float) and not isinstance(v, bool)}}
    status = {**status, "loads": loads, "last": last}
    if outcome == "ok":
        status["last_ok"] = finished
    store_dir.mkdir(parents=True, exist_ok=True)
    partial = store_dir / f".{LOAD_STATUS}.tmp"
    partial.write_text(json.dumps(status), encoding="utf-8")
    os.replace(partial, store_dir / LOAD_STATUS)
    extra = {"event": "load", "outcome": outcome, "seconds": last["seconds"],
             "read": last.get("read"), "loaded": last.get("loaded"),
             "quarantined": last.get("quarantined")}
    if error is None:
        load_log.info("load committed", extra=extra)
    else:
        # The error's class only: a load error's message names files, and can quote rows.
        load_log.error("load failed; the store is as it was", extra={
            **extra, "error": type(error).__name__})
