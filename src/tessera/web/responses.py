"""Response builders: JSON with the right caching, RFC 6749 5.2 / RFC 6750 errors, pages."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from tessera.core.errors import OAuthError

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
    """An RFC 6749 5.2 error answer (token, revocation, introspection endpoints), with
    the headers the error asks for (a Basic challenge, Retry-After)."""
    headers = {**NO_STORE, **err.headers()}
    return json_response(error_body(err), status_code=err.status_code, headers=headers)


def bearer_error(err: OAuthError, *, scope: str | None = None) -> Response:
    """An RFC 6750 3 error answer with the error's WWW-Authenticate challenge; `scope`
    is what the resource requires."""
    headers = {**NO_STORE, **err.headers(), "WWW-Authenticate": err.bearer_challenge(scope)}
    return json_response(error_body(err), status_code=err.status_code, headers=headers)
