"""`TESSERA_LOG_FORMAT=json`: one JSON object per log line, and one line per request.

Each line has `time` (RFC 3339, UTC), `level`, `logger` and `message`; a line logged
while a request is served adds its `request_id`, and its `client_id` once the endpoint
has read one (`note_client`). `RequestLogMiddleware` writes a line for every answer
(logger `tessera.request`) with the `route` template, `status` and `duration_ms`. No
line holds more than the text format does: the route is the template and never the
path, and neither query strings, headers nor bodies are logged.

The text format (the default) has neither the request lines nor the request context:
`RequestLogMiddleware` is installed for json only, and without it `note_client` does
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The request being served in this context: its id and client id, as they are learnt.
_request: ContextVar[dict[str, str] | None] = ContextVar("tessera_request", default=None)
# Attributes every LogRecord has: what is not among them was passed as `extra` (but for
# uvicorn's `color_message`, its message again with terminal colours).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "color_message",
}
# The route of a request no route matched (404s, scans): one name for all of them.
UNMATCHED = "unmatched"

request_log = logging.getLogger("tessera.request")


def route_template(scope: Scope) -> str:
    """The path of the route that matched (`/oauth/token`), never the raw path: logs and
    metrics name a bounded set of routes whatever URLs are asked for."""
    route = scope.get("route")
    return UNMATCHED if route is None else str(route.path)


def note(**values: str) -> None:
    """Add to the context of the request being served (no-op outside the json format)."""
    context = _request.get()
    if context is not None:
        context.update(values)


def note_client(client_id: str | None) -> None:
    """The request's client, for its log lines, once an endpoint has read it."""
    if client_id:
        note(client_id=client_id)


class JSONFormatter(logging.Formatter):
    """A record as one line of JSON; an exception's traceback goes in `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_request.get() or {})
        line.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class RequestLogMiddleware:
    """One `tessera.request` line per answer, and the context every line of the request
    carries; outermost, so that the edge middleware's own answers are logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context: dict[str, str] = {}
        token = _request.set(context)
        started = time.perf_counter()
        status = 500

        async def logged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            route = route_template(scope)
            request_log.info(
                "%s %s %s",
                scope["method"],
                route,
                status,
                extra={
                    "route": route,
                    "method": scope["method"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )
            _request.reset(token)
