"""Response builders: JSON with the right caching, RFC 6749 5.2 / RFC 6750 errors, pages."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from tessera.core.errors import (
    InsufficientScopeError,
    InvalidClientError,
    MissingTokenError,
    OAuthError,
    SlowDownError,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(
    body: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Compact JSON; protocol answers carrying tokens pass NO_STORE headers."""
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def error_body(err: OAuthError) -> dict[str, str]:
    return {"error": err.error, "error_description": err.description}


def json_error(err: OAuthError) -> Response:
    """An RFC 6749 5.2 error answer (token, revocation, introspection endpoints)."""
    headers = dict(NO_STORE)
    if isinstance(err, InvalidClientError) and err.basic:
        headers["WWW-Authenticate"] = 'Basic realm="tessera", charset="UTF-8"'
    if isinstance(err, SlowDownError):
        headers["Retry-After"] = str(err.retry_after)
    return json_response(error_body(err), status_code=err.status_code, headers=headers)


def bearer_error(err: OAuthError, *, scope: str | None = None) -> Response:
    """An RFC 6750 3 error answer with its WWW-Authenticate challenge.

    A request without any token gets a bare challenge: "If the request lacks any
    authentication information ..., the resource server SHOULD NOT include an error
    code or other error information" (RFC 6750 3.1).
    """
    params = ['realm="tessera"']
    if not isinstance(err, MissingTokenError):
        params += [f'error="{err.error}"', f'error_description="{err.description}"']
    if isinstance(err, InsufficientScopeError) and scope:
        params.append(f'scope="{scope}"')
    headers = {**NO_STORE, "WWW-Authenticate": "Bearer " + ", ".join(params)}
    return json_response(error_body(err), status_code=err.status_code, headers=headers)
