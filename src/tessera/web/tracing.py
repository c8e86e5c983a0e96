"""OpenTelemetry tracing of every request, exported over OTLP/HTTP.

Imported only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (web.app.tracing_wanted), and then
needs tessera's `otel` extra; the standard OTEL_* variables configure the exporter, the
service name (`OTEL_SERVICE_NAME`, default `tessera`) and the batching.

A span is named by method and route template (`POST /oauth/token`), never by the raw
path, and the query string is kept out of its URL attributes: a logout request carries
an ID token there (`id_token_hint`), and traces must hold no more than the logs do.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera import __version__
from tessera.web.logs import route_template

# Every attribute that holds a URL or its query, in the old and the new conventions.
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def build_tracer_provider(exporter: SpanExporter | None = None) -> TracerProvider:
    """This process's spans, batched to `exporter` (default: OTLP/HTTP, from the env)."""
    name = os.environ.get("OTEL_SERVICE_NAME", "tessera")
    resource = Resource.create({SERVICE_NAME: name, "service.version": __version__})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    return provider


def tracing_middleware(provider: TracerProvider) -> list[Middleware]:
    """The middleware that traces requests: OpenTelemetry's, outermost, and inside it
    the one that names each span by its route."""
    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=provider,
            default_span_details=_method_only,
            server_request_hook=_without_query,
            exclude_spans=["receive", "send"],
        ),
        Middleware(RouteSpanName),
    ]


def _method_only(scope: Scope) -> tuple[str, dict[str, str]]:
    """The span's name until the route is known: the method, never the raw path."""
    return str(scope.get("method", "HTTP")), {}


def _without_query(span: trace.Span, scope: Scope) -> None:
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


class RouteSpanName:
    """Renames the request's span `METHOD /route` as its answer starts: routing has
    found the route by then, and the span ends with the answer's last byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()

        async def naming_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = route_template(scope)
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.route", route)
            await send(message)

        await self.app(scope, receive, naming_send)
