"""Errors a resource server answers with, and their `WWW-Authenticate` challenges (RFC 6750 3).

```
BearerTokenError                error code               status  challenge
├─ MissingTokenError            (none)                   401     Bearer
├─ InvalidRequestError          invalid_request          400     Bearer error=, error_description=
├─ InvalidTokenError            invalid_token            401     Bearer error=, error_description=
├─ InsufficientScopeError       insufficient_scope       403     ... and scope="<needed>"
└─ TemporarilyUnavailableError  temporarily_unavailable  503     (none: the token may be good)
```

Every description is a fixed sentence: why a token was refused goes to `detail`, which
is logged and never sent, so a probing client learns no more than the RFC code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class BearerTokenError(Exception):
    """A request the resource server refuses; `detail` is for logs only."""

    error: ClassVar[str | None]
    status_code: ClassVar[int]
    description: ClassVar[str]

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.description)
        self.detail = detail

    def challenge(self) -> str | None:
        """The `WWW-Authenticate` value, or None when the response carries none."""
        if self.error is None:
            return "Bearer"
        return f'Bearer error="{self.error}", error_description="{self.description}"'

    def headers(self) -> dict[str, str]:
        """Response headers: the challenge, when there is one."""
        challenge = self.challenge()
        return {} if challenge is None else {"WWW-Authenticate": challenge}

    def body(self) -> dict[str, str]:
        """A JSON body in the shape of RFC 6749 5.2 error responses."""
        body = {"error_description": self.description}
        if self.error is not None:
            body["error"] = self.error
        return body


class MissingTokenError(BearerTokenError):
    """The request carries no bearer token: RFC 6750 3.1 says answer without an error code."""

    error = None
    status_code = 401
    description = "An access token is required."


class InvalidRequestError(BearerTokenError):
    """A malformed Authorization header: no token after the scheme, several tokens, or
    several Authorization headers (RFC 6750 3.1 invalid_request, status 400)."""

    error = "invalid_request"
    status_code = 400
    description = "The Authorization header is malformed."


class InvalidTokenError(BearerTokenError):
    """The token is expired, revoked, malformed, not signed by the issuer or meant for
    another API (RFC 6750 3.1 invalid_token)."""

    error = "invalid_token"
    status_code = 401
    description = "The access token is invalid or expired."


class InsufficientScopeError(BearerTokenError):
    """A valid token without a scope the resource needs (RFC 6750 3.1); the challenge
    names the scopes needed (RFC 6750 3)."""

    error = "insufficient_scope"
    status_code = 403
    description = "The access token does not grant the scope this resource requires."

    def __init__(self, scopes: Sequence[str], detail: str | None = None) -> None:
        super().__init__(detail)
        self.scopes = tuple(scopes)

    def challenge(self) -> str:
        # Scope names were checked against RFC 6749 3.3 at configuration: no quote or
        # backslash can reach the header.
        return f'{super().challenge()}, scope="{" ".join(self.scopes)}"'


class TemporarilyUnavailableError(BearerTokenError):
    """The issuer's keys or its introspection endpoint cannot be reached and nothing
    cached can answer: the token is neither accepted nor blamed."""

    error = "temporarily_unavailable"
    status_code = 503
    description = "Access tokens cannot be checked right now; try again shortly."

    def challenge(self) -> None:
        return None
