"""Prometheus metrics of one node: HTTP requests, the protocol's events, key ages.

Imported only when metrics are on (`TESSERA_METRICS=1` or `TESSERA_METRICS_PORT`), so
that a node without them neither loads prometheus_client nor pays for it per request.

- HTTP: `MetricsMiddleware` counts every answer by route template and status (web.logs.
  route_template: a scan of random URLs adds no series), and times it per route; 429
  answers are the rate-limit refusals.
- Protocol: counted from the audit events the store commits (`Store.audit_listeners`),
  in `on_audit` alone: core stays unaware of metrics, and a count is never ahead of the
  audit log (an event rolled back is counted by neither).
- Key ages: read from the worker's key ring when scraped.

`tessera serve` names a directory of the node's own in `PROMETHEUS_MULTIPROC_DIR` before
any worker starts (cli.serve.prepare_multiprocess_dir): each worker writes its counts
there, and whichever worker answers a scrape sums them all (prometheus_client's
multiprocess mode). Without it (an app created in-process) the counts are the process's.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.core.audit_events import Event
from tessera.store.audit import Recorded
from tessera.web.endpoints.metrics import MULTIPROC_ENV
from tessera.web.logs import route_template
from tessera.web.middleware import DATABASE_FAILED
from tessera.web.runtime import Runtime

# Token and page answers take milliseconds; a sign-in's argon2id check a few tenths.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The sign-in outcome of each sign-in event (login.failed says why in its detail).
_SIGN_IN = {Event.LOGIN_SUCCEEDED: "success", Event.LOGIN_THROTTLED: "throttled"}


class Metrics:
    """The metrics of this process, and the registry a scrape reads: this process's
    own, or every worker's files in multiprocess mode."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, clock: Callable[[], float]) -> None:
        directory = os.environ.get(MULTIPROC_ENV)
        self.registry = CollectorRegistry()
        # In multiprocess mode the values live in the directory's files; the registry
        # reads those, and registering the metrics themselves would count them twice.
        own = None if directory else self.registry
        if directory:
            MultiProcessCollector(self.registry, path=directory)  # type: ignore[no-untyped-call]
        self.key_ages = KeyAges(clock)
        self.registry.register(self.key_ages)
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP answers by route template and status.",
            ["route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "tessera_http_request_duration_seconds",
            "Time from a request's arrival to its last body byte, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.rate_limited = Counter(
            "tessera_rate_limit_refusals",
            "Requests answered 429 (a rate limit or the sign-in throttle), by route.",
            ["route"],
            registry=own,
        )
        self.database_errors = Counter(
            "tessera_database_errors",
            "Requests the database failed (unreachable, timed out, locked), answered 503.",
            registry=own,
        )
        self.tokens_issued = Counter(
            "tessera_tokens_issued",
            "Token responses by grant type and client.",
            ["grant_type", "client_id"],
            registry=own,
        )
        self.sign_ins = Counter(
            "tessera_sign_ins",
            "Sign-in attempts by outcome: success, wrong_password, unknown_login, and "
            "throttled (a throttle starting to refuse, once per key and block).",
            ["outcome"],
            registry=own,
        )
        self.refresh_reuse = Counter(
            "tessera_refresh_token_reuse",
            "Refresh tokens presented again after rotation (their grant was revoked).",
            registry=own,
        )
        self.code_reuse = Counter(
            "tessera_code_reuse",
            "Authorization codes presented again (what they issued was revoked).",
            registry=own,
        )
        # Set after each request, summed over the node's live workers.
        self.pool = Gauge(
            "tessera_database_pool_connections",
            "PostgreSQL pool connections by state (in_use, idle), summed over the node's "
            "workers as each last answered a request.",
            ["state"],
            registry=own,
            multiprocess_mode="livesum",
        )
        self._runtime: Runtime | None = None

    def watch(self, runtime: Runtime) -> None:
        """Count what this runtime's store commits, and report its key ring's keys."""
        runtime.store.audit_listeners.append(self.on_audit)
        self.key_ages.runtime = runtime
        self._runtime = runtime

    def on_audit(self, event: Recorded) -> None:
        """Count one committed audit event (a `Store.audit_listeners` entry)."""
        if event.event is Event.TOKEN_ISSUED:
            grant_type = event.detail.get("grant_type", "")
            self.tokens_issued.labels(grant_type, event.client_id or "").inc()
        elif event.event is Event.LOGIN_FAILED:
            self.sign_ins.labels(event.detail.get("reason", "wrong_password")).inc()
        elif event.event in _SIGN_IN:
            self.sign_ins.labels(_SIGN_IN[event.event]).inc()
        elif event.event is Event.REFRESH_TOKEN_REUSED:
            self.refresh_reuse.inc()
        elif event.event is Event.CODE_REUSED:
            self.code_reuse.inc()

    def observe_request(
        self, route: str, status: int, seconds: float, database_failed: bool
    ) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status == 429:
            self.rate_limited.labels(route).inc()
        if database_failed:
            self.database_errors.inc()
        usage = self._runtime.store.database.pool_usage() if self._runtime else None
        if usage is not None:
            self.pool.labels("in_use").set(usage[0])
            self.pool.labels("idle").set(usage[1])

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric this node has."""
        return generate_latest(self.registry)


class KeyAges(Collector):
    """`tessera_signing_key_age_seconds`: how long ago each key this worker publishes
    was created, by algorithm, kid and state, read when scraped (an age kept in a
    gauge would be stale by the time it is read)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        # Set once the runtime has loaded the keys (`Metrics.watch`).
        self.runtime: Runtime | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tessera_signing_key_age_seconds",
            "Seconds since each published signing key was created, by algorithm, kid and state.",
            labels=["alg", "kid", "state"],
        )
        now = self._clock()
        for key in self.runtime.keyring.stored_keys if self.runtime else ():
            family.add_metric([key.alg.value, key.kid, key.state.value], now - key.created_at)
        yield family


class MetricsMiddleware:
    """Counts and times every HTTP answer; outside EdgeMiddleware, so that its 413, 431,
    500 and 503 answers are counted too."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counted_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        finally:
            self.metrics.observe_request(
                route_template(scope),
                status,
                time.perf_counter() - started,
                bool(scope.get("state", {}).get(DATABASE_FAILED)),
            )


class _Listener(ThreadingMixIn, WSGIServer):
    """The separate metrics listener: one per worker on the same port (SO_REUSEPORT),
    the kernel spreading scrapes over them; each answers for the whole node."""

    allow_reuse_port = True
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: one every few seconds would drown the rest."""


def start_listener(metrics: Metrics, host: str, port: int) -> Callable[[], None]:
    """Serve `/metrics` (any path, as prometheus_client does) on host:port from a
    thread of this worker; returns what stops it."""
    app = make_wsgi_app(metrics.registry)
    listener = make_server(host, port, app, server_class=_server_class(host), handler_class=_Quiet)
    thread = threading.Thread(target=listener.serve_forever, name="tessera-metrics", daemon=True)
    thread.start()

    def stop() -> None:
        listener.shutdown()
        listener.server_close()

    return stop


def _server_class(host: str) -> type[_Listener]:
    if ":" not in host:
        return _Listener

    class IPv6Listener(_Listener):
        address_family = socket.AF_INET6

    return IPv6Listener
