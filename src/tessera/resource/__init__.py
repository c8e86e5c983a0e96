"""Bearer-token validation for resource servers (RFC 6750, RFC 9068); needs only tessera.crypto.

    from tessera.resource import BearerTokenValidator, BearerAuthMiddleware, require_scopes

    validator = BearerTokenValidator("https://auth.example.com", "https://api.example.com")
    app = Starlette(routes=..., middleware=[Middleware(BearerAuthMiddleware, validator=validator)])
    # FastAPI: token: AccessToken = Depends(require_scopes("read:messages", validator=validator))
    # anything else: token = await validator.authenticate(authorization_header)

Importing this package loads neither FastAPI nor SQLAlchemy nor any server module.
"""

from tessera.resource._asgi import BearerAuthMiddleware
from tessera.resource._dependency import require_scopes
from tessera.resource._errors import (
    BearerTokenError,
    InsufficientScopeError,
    InvalidRequestError,
    InvalidTokenError,
    MissingTokenError,
    TemporarilyUnavailableError,
)
from tessera.resource._introspection import Introspection
from tessera.resource._token import AccessToken
from tessera.resource._validator import BearerTokenValidator

__all__ = [
    "AccessToken",
    "BearerAuthMiddleware",
    "BearerTokenError",
    "BearerTokenValidator",
    "InsufficientScopeError",
    "Introspection",
    "InvalidRequestError",
    "InvalidTokenError",
    "MissingTokenError",
    "TemporarilyUnavailableError",
    "require_scopes",
]
