"""One ASGI middleware for what every response needs.

- A request id (`X-Request-ID`), in the logs and on error pages.
- Security headers: nosniff and no-referrer everywhere; on HTML, a strict CSP without
  inline script, `frame-ancestors 'none'`, `X-Frame-Options: DENY` and `no-store`
  (DESIGN.md security rules). A page that needs a different CSP (form_post) sets its own.
- Bounded request bodies: 413 beyond `max_body` bytes, whatever Content-Length claims.
- Bounded headers: 431 beyond `max_headers` bytes or `MAX_HEADER_COUNT` fields, before
  anything parses a cookie or an Authorization header (RFC 6585 5). uvicorn has already
  read them by then: only a proxy in front can keep them out of memory.
- No stack trace ever reaches a client: an unexpected exception is logged with the
  request id and answered with a generic 500 (`ServerError`); an unreachable or locked
  database answers 503 with `Retry-After` (`TemporarilyUnavailableError`, RFC 9110
  10.2.3). The pages people read (`/u/...`, `/logout`) answer with the error page and
  the request id, every other path with RFC 6749 5.2 JSON and the request id.

Plain ASGI rather than Starlette's BaseHTTPMiddleware: it runs on every request, and
the plain form costs a small fraction of what BaseHTTPMiddleware adds.
"""

from __future__ import annotations

import logging
import secrets

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.core.errors import OAuthError, ServerError, TemporarilyUnavailableError
from tessera.store.errors import StoreUnavailableError
from tessera.web.admin.problems import problem
from tessera.web.csp import PAGE_CSP
from tessera.web.logs import note
from tessera.web.responses import error_body, json_response
from tessera.web.templating import error_page

log = logging.getLogger("tessera.web")

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_HTML = [
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class BodyTooLargeError(Exception):
    """The request body exceeded the limit."""


# As much as nginx accepts by default (4 buffers of 8 KiB): a JWT in Authorization and
# tessera's cookies need a few KiB.
ADMIN_PATH = "/admin/"
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
# Set in the request's state when the database failed it, for what counts such requests.
DATABASE_FAILED = "database_failed"
# The paths of pages a person reads: their failures are pages too.
PAGE_PATHS = ("/u/", "/logout")


class EdgeMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_body: int = 64 * 1024, max_headers: int = MAX_HEADER_BYTES
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        note(request_id=request_id)
        started = False

        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _plain(send, 413, "request body too large", request_id)
                return
        if header_bytes > self.max_headers or len(scope["headers"]) > MAX_HEADER_COUNT:
            await _plain(send, 431, "request header fields too large", request_id)
            return

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLargeError
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = list(_ALWAYS)
                extra.append((b"x-request-id", request_id.encode()))
                if any(n == b"content-type" and v.startswith(b"text/html") for n, v in headers):
                    extra.extend(_HTML)
                    if b"content-security-policy" not in names:
                        extra.append((b"content-security-policy", PAGE_CSP.encode()))
                headers.extend(item for item in extra if item[0] not in names)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, bounded_receive, secured_send)
        except BodyTooLargeError:
            if not started:
                await _plain(send, 413, "request body too large", request_id)
        except StoreUnavailableError as exc:
            log.error("database unavailable request_id=%s: %s", request_id, exc)
            scope["state"][DATABASE_FAILED] = True
            if not started:
                failure = _failure(scope, TemporarilyUnavailableError(detail=str(exc)), request_id)
                await failure(scope, receive, secured_send)
        except Exception:
            log.exception("unhandled error request_id=%s path=%s", request_id, scope.get("path"))
            if not started:
                failure = _failure(scope, ServerError(), request_id)
                await failure(scope, receive, secured_send)


def _failure(scope: Scope, err: OAuthError, request_id: str) -> Response:
    """The answer to a request that failed inside the app: the error page for a person,
    a problem (RFC 9457) for the admin API, RFC 6749 5.2 JSON for any other client, all
    with the request id and `err.headers()`.

    The page is rendered with the app's templates, which may be the operator's; if it
    cannot be (a broken template, no runtime yet), the failure is answered in JSON.
    """
    if str(scope.get("path", "")).startswith(PAGE_PATHS):
        try:
            return error_page(scope["app"].state.runtime.templates, err, request_id)
        except Exception:
            log.exception("error page failed request_id=%s", request_id)
    if str(scope.get("path", "")).startswith(ADMIN_PATH):
        detail = f"{err.description} (request id {request_id})"
        return problem(err.status_code, detail, headers=err.headers())
    body = {**error_body(err), "request_id": request_id}
    headers = {"Cache-Control": "no-store", **err.headers()}
    return json_response(body, status_code=err.status_code, headers=headers)


async def _plain(send: Send, status: int, text: str, request_id: str) -> None:
    await _send(send, status, b"text/plain; charset=utf-8", text.encode(), request_id)


async def _send(send: Send, status: int, content_type: bytes, body: bytes, request_id: str) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-request-id", request_id.encode()),
        *_ALWAYS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
