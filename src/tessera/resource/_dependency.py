"""require_scopes: a FastAPI dependency that is also a plain async function of a request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from tessera.resource._bearer import parse_authorization
from tessera.resource._errors import BearerTokenError, InsufficientScopeError
from tessera.resource._token import AccessToken, parse_scope_names
from tessera.resource._validator import BearerTokenValidator


def require_scopes(
    *scopes: str, validator: BearerTokenValidator | None = None
) -> Callable[[HTTPConnection], Awaitable[AccessToken]]:
    """The verified token of a request, if it grants every one of `scopes`.

    For FastAPI: `token: AccessToken = Depends(require_scopes("read:messages", validator=v))`.
    In a Starlette handler: `token = await require_scopes("write:messages")(request)`.
    FastAPI itself is never imported: the dependency asks only for Starlette's
    `HTTPConnection`, and refuses by raising Starlette's `HTTPException` (401, 400, 403 or
    503 with the RFC 6750 challenge), which FastAPI and Starlette both render.

    The token is the one `BearerAuthMiddleware` verified, when it runs in front;
    otherwise `validator` checks the request's Authorization header here.

    Raises:
        ValueError: at once, for a scope name that is not an RFC 6749 3.3 scope-token.
    """
    needed = parse_scope_names(scopes)

    async def dependency(connection: HTTPConnection) -> AccessToken:
        token = connection.scope.get("auth")
        try:
            if isinstance(token, AccessToken):
                if not token.has_scopes(needed):
                    raise InsufficientScopeError(needed)
                return token
            if validator is None:
                raise RuntimeError(
                    "require_scopes needs validator=... or BearerAuthMiddleware in front of it"
                )
            authorization = parse_authorization(connection.headers.getlist("authorization"))
            return await validator.verify(authorization, scopes=needed)
        except BearerTokenError as error:
            raise HTTPException(error.status_code, error.description, error.headers()) from None

    return dependency
