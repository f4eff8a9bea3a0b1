"""What the server counts, and GET /metrics in Prometheus' text format.

- HTTP requests by method, route template and status, with their latency. The route is the
  template (`/i/{code}`), never the path: a slip's address holds its invitation code.
- GraphQL operations by name and type, with their latency. A label's values are bounded: an
  unnamed operation is `anonymous:<its first field>` (a field of the schema), a name that is not
  plain or too long is `other`, and past MAX_NAMES distinct names in a process, so is any new one.
- Errors by code: the codes of UserErrors in mutation payloads, and of top-level GraphQL errors.
- The database pool: open, idle and most connections (SQLite: its one connection).
- Live subscriptions open, and the delay from a commit to its push to a subscriber.

With several workers, `consult serve` gives them one PROMETHEUS_MULTIPROC_DIR, and a scrape of
any worker reads every worker's figures from it (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    exposition,
    multiprocess,
)

from consult import logs

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
access_log = logging.getLogger("consult.access")

# Latency buckets from a cached query (a few ms) to the request time budget (30 s).
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A push follows its commit within milliseconds unless the worker is busy.
_PUSH_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "consult_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "consult_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=_SECONDS,
)
OPERATIONS = Counter(
    "consult_graphql_operations", "GraphQL operations run, by operation name and type.", ["operation", "type"]
)
OPERATION_SECONDS = Histogram(
    "consult_graphql_operation_duration_seconds",
    "Time to parse, validate and execute a query or mutation, by operation name and type.",
    ["operation", "type"],
    buckets=_SECONDS,
)
ERRORS = Counter(
    "consult_errors",
    "Errors by code: kind=user for UserErrors in mutation payloads, kind=graphql for top-level GraphQL errors.",
    ["kind", "code"],
)
DB_CONNECTIONS = Gauge(
    "consult_db_pool_connections",
    "Database connections of the workers' pools: state=open, idle (open and free) or max.",
    ["state"],
    multiprocess_mode="livesum",
)
LIVE_SUBSCRIPTIONS = Gauge("consult_live_subscriptions", "Live subscriptions open.", multiprocess_mode="livesum")
PUSH_DELAY = Histogram(
    "consult_live_push_delay_seconds",
    "From the moment a worker learns of a commit to its push to a subscriber.",
    buckets=_PUSH_SECONDS,
)

# ---------------------------------------------------------------- bounded labels

MAX_NAMES = 100
MAX_CODES = 60
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_names: set[str] = set()
_codes: set[str] = set()
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _bounded(value: str, pattern: re.Pattern[str], seen: set[str], most: int, other: str) -> str:
    if not pattern.fullmatch(value):
        return other
    if value not in seen:
        if len(seen) >= most:
            return other
        seen.add(value)
    return value


def operation_label(name: str | None, first_field: str | None) -> str:
    """The operation's name for a label; an unnamed one by its first field, which the schema bounds."""
    if name:
        return _bounded(name, _NAME, _names, MAX_NAMES, "other")
    return f"anonymous:{first_field}" if first_field else "anonymous"


def code_label(code: object) -> str:
    return _bounded(str(code), _CODE, _codes, MAX_CODES, "OTHER")


# ---------------------------------------------------------------- what the app reports


def operation_done(name: str, kind: str, seconds: float | None) -> None:
    OPERATIONS.labels(name, kind).inc()
    if seconds is not None:
        OPERATION_SECONDS.labels(name, kind).observe(seconds)
    state = logs.current()
    if state is not None:
        state["operation"] = name


def errors(kind: str, codes: Iterable[object]) -> None:
    for code in codes:
        ERRORS.labels(kind, code_label(code)).inc()


def subscribed(change: int) -> None:
    LIVE_SUBSCRIPTIONS.inc(change)


def pushed(signalled_at: float | None) -> None:
    """A subscriber got what a signal (taken at `signalled_at`, time.monotonic) told of."""
    if signalled_at is not None:
        PUSH_DELAY.observe(max(time.monotonic() - signalled_at, 0.0))


def pool_figures() -> tuple[int, int, int] | None:
    """(open, idle, max) connections of this process's pool; None before the database is set up."""
    from tortoise.connection import get_connection

    try:
        client: Any = get_connection("default")
    except Exception:
        return None
    pool = getattr(client, "_pool", None)
    if pool is not None:
        return pool.get_size(), pool.get_idle_size(), pool.get_max_size()
    lock = getattr(client, "_lock", None)
    if getattr(client, "_connection", None) is None:
        return 0, 0, 1
    # SQLite: one connection, busy while a query or transaction holds its lock.
    return 1, 0 if lock is not None and lock.locked() else 1, 1


def _update_pool() -> None:
    figures = pool_figures()
    if figures is not None:
        for state, value in zip(("open", "idle", "max"), figures, strict=True):
            DB_CONNECTIONS.labels(state).set(value)


def _forget_dead_workers(folder: str) -> None:
    """A worker that is gone (stopped, crashed or killed: it cannot always say so itself) leaves
    the gauges it last wrote; they no longer count. Its counters and histograms stay in the sums."""
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def render() -> bytes:
    _update_pool()
    if MULTIPROCESS:
        _forget_dead_workers(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return exposition.generate_latest(registry)
    return exposition.generate_latest(REGISTRY)


# ---------------------------------------------------------------- ASGI


def route_template(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class Observed:
    """Outermost middleware: gives each request its ID (X-Request-ID), counts and times it, and in
    JSON logging writes its line (consult.access): method, route, status, duration, operation."""

    def __init__(self, app: Any, access_lines: bool = False) -> None:
        self.app, self.access_lines = app, access_lines

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        state: dict[str, Any] = {"request_id": logs.request_id(dict(scope.get("headers") or []))}
        token = logs.REQUEST.set(state)
        header = (b"x-request-id", state["request_id"].encode())
        status = 500
        started = time.perf_counter()

        async def tagged_send(message: Any) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        finally:
            self._done(scope, state, status, time.perf_counter() - started)
            logs.REQUEST.reset(token)

    def _done(self, scope: Any, state: dict[str, Any], status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope.get("method", "WEBSOCKET") if scope["type"] == "http" else "WEBSOCKET"
        method = method if method in _METHODS or method == "WEBSOCKET" else "OTHER"
        if scope["type"] == "http":
            # A WebSocket's time is its life, not an answer's: it is logged, not timed.
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            if MULTIPROCESS:
                _update_pool()  # each worker's share, as of its last request
        if self.access_lines:
            extra = {"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)}
            if "operation" in state:
                extra["operation"] = state["operation"]
            access_log.info("%s %s %s", method, route, status, extra=extra)


class Endpoint:
    """GET /metrics, for whom CONSULT_METRICS lets in: `local` (the default) only from this machine
    and not through a proxy, `token` with `Authorization: Bearer <CONSULT_METRICS_TOKEN>`. Anyone
    else gets 403 and nothing more."""

    def __init__(self, mode: str, token: str) -> None:
        self.mode, self.token = mode, token

    def allows(self, scope: Any) -> bool:
        headers = dict(scope.get("headers") or [])
        if self.mode == "token":
            scheme, _, given = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            return (
                scheme.lower() == "bearer"
                and bool(self.token)
                and hmac.compare_digest(given.strip().encode(), self.token.encode())
            )
        host = (scope.get("client") or ("", 0))[0]
        forwarded = any(name in headers for name in (b"x-forwarded-for", b"forwarded", b"x-real-ip"))
        return self.mode == "local" and host in ("127.0.0.1", "::1") and not forwarded

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if not self.allows(scope):
            status, kind, body = 403, b"text/plain; charset=utf-8", "不允许查看运行指标。Forbidden.\n".encode()
        else:
            status, kind, body = 200, CONTENT_TYPE_LATEST.encode(), render()
        headers = [
            (b"content-type", kind),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})
