"""What every admin endpoint shares: the bearer token and the scope the operation needs
(decided by core.admin.access), the JSON body, pages, versions (ETag, If-Match), and
turning each refusal into its problem (web.admin.problems).

An endpoint is `@admin_endpoint(changes=...)` over `async def handler(request, caller)`:
the decorator authenticates, runs it, and renders what it raises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import wraps
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tessera.core.access_tokens import parse_bearer_token
from tessera.core.admin.access import AdminCaller, authorize_admin_request, required_scope
from tessera.core.admin.errors import InvalidQueryError, NotFoundError, StaleVersionError
from tessera.core.admin.fields import InvalidFieldsError
from tessera.core.admin.pages import Page, PageRequest, parse_page_request
from tessera.core.admin.versions import version_of
from tessera.core.errors import OAuthError
from tessera.core.key_rotation import KeyRotationError
from tessera.core.registration import RegistrationError
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.store.errors import DuplicateError, UnknownAPIError
from tessera.web.admin.problems import problem
from tessera.web.forms import query_pairs
from tessera.web.responses import NO_STORE
from tessera.web.runtime import runtime

log = logging.getLogger("tessera.admin")

JSON_TYPE = "application/json"
Handler = Callable[[Request, AdminCaller], Awaitable[Response]]


class BadBodyError(Exception):
    """The body is not JSON (or not sent as JSON); the message is for a person."""


# What each refusal answers: its status; the message is the problem's detail.
STATUS: Sequence[tuple[type[Exception], int]] = (
    (BadBodyError, 400),
    (InvalidQueryError, 400),
    (NotFoundError, 404),
    (KeyRotationError, 409),
    (StaleVersionError, 412),
    (RegistrationError, 422),
    (AlgorithmNotEnabledError, 422),
)


def render_refusal(exc: Exception, scope: str) -> Response | None:
    """The problem for an exception an admin operation raised; None for any other (the
    edge middleware answers those: a 503 or a 500 with the request id)."""
    if isinstance(exc, OAuthError):
        challenge = {"WWW-Authenticate": exc.bearer_challenge(scope), **exc.headers()}
        return problem(exc.status_code, exc.description, headers=challenge)
    if isinstance(exc, InvalidFieldsError):
        return problem(422, "the body's fields do not fit", errors=exc.errors)
    if isinstance(exc, UnknownAPIError):
        return problem(422, f"no API {str(exc)!r}: create it first")
    if isinstance(exc, DuplicateError):
        return problem(409, "a resource with that unique value already exists")
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return problem(status, str(exc))
    return None


def admin_endpoint(
    *, changes: bool
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """An admin endpoint that needs `admin:write` (`changes`) or `admin:read`."""
    scope = required_scope(changes=changes)

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            rt = runtime(request)
            try:
                token = parse_bearer_token(request.headers.getlist("authorization"), None)
                caller = await authorize_admin_request(
                    rt.store,
                    token,
                    keys=(await rt.fresh_keyring()).verifier,
                    issuer=rt.policy.tokens.issuer,
                    now=rt.now(),
                    changes=changes,
                )
                return await handler(request, caller)
            except Exception as exc:
                refusal = render_refusal(exc, scope)
                if refusal is None:
                    raise
                log.info("%s %s refused: %s", request.method, request.url.path, exc)
                return refusal

        return endpoint

    return decorate


async def read_json(request: Request) -> Any:
    """The JSON body (no body: None).

    Raises:
        BadBodyError: another content type, or a body that is not JSON.
    """
    body = await request.body()
    if not body:
        return None
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in (JSON_TYPE, "application/merge-patch+json"):
        raise BadBodyError(f"the body must be {JSON_TYPE}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBodyError(f"the body is not JSON: {exc}") from None


def query(request: Request) -> Mapping[str, str]:
    """The query parameters, each given at most once.

    Raises:
        InvalidQueryError: a parameter is repeated.
    """
    params: dict[str, str] = {}
    for name, value in query_pairs(request):
        if name in params:
            raise InvalidQueryError(f"{name} is given more than once")
        params[name] = value
    return params


def page_request(request: Request) -> PageRequest:
    """Raises InvalidQueryError: see core.admin.pages.parse_page_request."""
    params = query(request)
    return parse_page_request(params.get("limit"), params.get("cursor"))


def if_match(request: Request) -> tuple[str, ...] | None:
    """The entity tags of If-Match (RFC 9110 13.1.1), unquoted; None if absent. Weak
    tags never match (the comparison is strong), so they are left out."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    tags = [tag.strip() for tag in value.split(",")]
    return tuple(tag if tag == "*" else tag.strip('"') for tag in tags if not tag.startswith("W/"))


def answer(body: Any, *, status_code: int = 200, etag_of: Any = None) -> Response:
    """JSON, never cached; with `etag_of`, the ETag of that stored value."""
    headers = dict(NO_STORE)
    if etag_of is not None:
        headers["ETag"] = f'"{version_of(etag_of)}"'
    return Response(
        orjson.dumps(body), status_code=status_code, media_type=JSON_TYPE, headers=headers
    )


def page_answer(page: Page[Any], view: Callable[[Any], dict[str, Any]]) -> Response:
    return answer({"items": [view(item) for item in page.items], "next_cursor": page.next_cursor})
