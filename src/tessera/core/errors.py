"""OAuth 2.0 / OpenID Connect errors, one class per RFC error code.

```
OAuthError                       error, description, status_code, redirectable, detail (logged),
│                                headers() (Retry-After ...), bearer_challenge() (RFC 6750 3)
├─ InvalidRequestError           invalid_request            400
│  ├─ InvalidRedirectURIError    invalid_request            400  never redirected
│  ├─ UnknownInteractionError    invalid_request            400  login/consent: never redirected
│  └─ (web.csrf.CSRFError)       invalid_request            403  never redirected
├─ InvalidClientError            invalid_client             401  WWW-Authenticate: Basic if tried
│  └─ UnknownClientError         invalid_client             400  at /authorize: never redirected
├─ InvalidGrantError             invalid_grant              400  fixed text; the reason in .detail
├─ UnauthorizedClientError       unauthorized_client        400
├─ UnsupportedGrantTypeError     unsupported_grant_type     400
├─ UnsupportedResponseTypeError  unsupported_response_type  400
├─ InvalidScopeError             invalid_scope              400
├─ InvalidTargetError            invalid_target             400  RFC 8707
├─ AccessDeniedError             access_denied              403
├─ LoginRequiredError            login_required             400  OIDC Core 3.1.2.6
├─ ConsentRequiredError          consent_required           400
├─ RequestNotSupportedError      request_not_supported      400  OIDC Core 6
├─ RequestURINotSupportedError   request_uri_not_supported  400
├─ InvalidTokenError             invalid_token              401  RFC 6750
│  └─ MissingTokenError          invalid_token              401  no token: bare challenge (3.1)
├─ InsufficientScopeError        insufficient_scope         403  RFC 6750; the challenge names scope
├─ SlowDownError                 slow_down                  429  abuse limits, Retry-After
│  └─ SignInLimitError           slow_down                  429  /authorize: a page, not redirected
├─ TemporarilyUnavailableError   temporarily_unavailable    503  database unreachable, Retry-After
└─ ServerError                   server_error               500  anything unexpected
```

A variant that is shown to the person instead of redirected, or answered with another
status, is a subclass of its code's class: `except InvalidRequestError` catches all
that answer `invalid_request`. `description` is a fixed, reviewed sentence, or one
built only from text tessera chose (a known parameter name, a registered method, a
scope that matched the RFC 6749 3.3 grammar): it stays within the RFC 6749 5.2
charset, which tests/unit/core/test_errors.py checks for every class and every
description built in src. `detail` says what exactly went wrong and is only ever
logged. Whether an /authorize error may be redirected is a property of the class:
errors about the client or its redirect URI are shown to the person, because the
redirect target is not yet trusted (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

from typing import ClassVar

# The protection space named in tessera's Basic and Bearer challenges (RFC 9110 11.5).
REALM = "tessera"


class OAuthError(Exception):
    """An error the client may see, with a detail that is only logged."""

    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400
    redirectable: ClassVar[bool] = True
    default_description: ClassVar[str] = "The request failed."
    # Seconds the client is asked to wait before it tries again (Retry-After), for the
    # errors that ask it to.
    retry_after: int | None = None

    def __init__(self, description: str | None = None, *, detail: str | None = None) -> None:
        self.description = description or self.default_description
        self.detail = detail or self.description
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        """The response headers this error needs, whatever the answer's form (JSON, a
        redirect's page, a challenge): a challenge, or when to retry (RFC 9110 10.2.3)."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def bearer_challenge(self, scope: str | None = None) -> str:
        """The `WWW-Authenticate` value when this error refuses a request for a protected
        resource (RFC 6750 3); `scope` is the scope the resource requires."""
        return (
            f'Bearer realm="{REALM}", error="{self.error}", error_description="{self.description}"'
        )


class InvalidRequestError(OAuthError):
    """The request is missing a parameter, repeats one, or is otherwise malformed."""

    error = "invalid_request"
    default_description = "The request is missing a required parameter or is malformed."


class InvalidRedirectURIError(InvalidRequestError):
    """The redirect URI is missing or not registered: show a page, never redirect."""

    redirectable = False
    default_description = "The redirect_uri is missing or not registered for this client."


class UnknownInteractionError(InvalidRequestError):
    """A login or consent page names a sign-in that expired or is finished: the request
    it belonged to is gone, so there is nowhere to redirect; show a page."""

    redirectable = False
    default_description = (
        "This sign-in request has expired or was already completed. "
        "Go back to the application and start again."
    )


class InvalidClientError(OAuthError):
    """Client authentication failed (RFC 6749 5.2)."""

    error = "invalid_client"
    status_code = 401
    default_description = "Client authentication failed."

    def __init__(
        self, description: str | None = None, *, detail: str | None = None, basic: bool = False
    ) -> None:
        super().__init__(description, detail=detail)
        self.basic = basic

    def headers(self) -> dict[str, str]:
        """A client that tried Basic is challenged to try it again (RFC 6749 5.2)."""
        if not self.basic:
            return super().headers()
        return {**super().headers(), "WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}


class UnknownClientError(InvalidClientError):
    """The client_id is missing or unknown at /authorize: show a page, never redirect.
    Nothing was authenticated, so there is no 401 and no challenge."""

    status_code = 400
    redirectable = False
    default_description = "The client_id is missing or unknown."


class InvalidGrantError(OAuthError):
    """The code or refresh token is invalid, expired, revoked, or not this client's."""

    error = "invalid_grant"
    default_description = "The grant is invalid, expired, revoked or was issued to another client."


class UnauthorizedClientError(OAuthError):
    """The client may not use this grant type or response type."""

    error = "unauthorized_client"
    default_description = "The client is not allowed to use this grant type."


class UnsupportedGrantTypeError(OAuthError):
    """The server does not support this grant type."""

    error = "unsupported_grant_type"
    default_description = "The grant type is not supported."


class UnsupportedResponseTypeError(OAuthError):
    """Only `response_type=code` is supported (OAuth 2.1)."""

    error = "unsupported_response_type"
    default_description = "Only response_type=code is supported."


class InvalidScopeError(OAuthError):
    """A requested scope is unknown, not allowed for the client, or wider than granted."""

    error = "invalid_scope"
    default_description = "The requested scope is invalid, unknown or not allowed."


class InvalidTargetError(OAuthError):
    """The audience or resource is unknown (RFC 8707 2)."""

    error = "invalid_target"
    default_description = "The requested audience or resource is not known."


class AccessDeniedError(OAuthError):
    """The user (or policy) refused the request."""

    error = "access_denied"
    status_code = 403
    default_description = "The user denied the request."


class LoginRequiredError(OAuthError):
    """`prompt=none` but the user is not signed in (OIDC Core 3.1.2.6)."""

    error = "login_required"
    default_description = "The user must sign in."


class UnmetAuthenticationRequirementsError(OAuthError):
    """The client asked for an authentication (`acr_values`) the server cannot perform
    for this person (OpenID Connect Core Unmet Authentication Requirements 1.0, 4)."""

    error = "unmet_authentication_requirements"
    default_description = "The requested authentication cannot be performed for this user."


class ConsentRequiredError(OAuthError):
    """`prompt=none` but the user has not consented to this client and scope."""

    error = "consent_required"
    default_description = "The user must consent."


class RequestNotSupportedError(OAuthError):
    """A request object was sent; tessera does not accept them (OIDC Core 6)."""

    error = "request_not_supported"
    default_description = "The request parameter is not supported."


class RequestURINotSupportedError(OAuthError):
    """A request_uri was sent; tessera does not accept them (OIDC Core 6)."""

    error = "request_uri_not_supported"
    default_description = "The request_uri parameter is not supported."


class InvalidTokenError(OAuthError):
    """The bearer token is missing, malformed, expired or revoked (RFC 6750 3.1)."""

    error = "invalid_token"
    status_code = 401
    default_description = "The access token is invalid or expired."


class MissingTokenError(InvalidTokenError):
    """No access token was presented: the challenge names no error (RFC 6750 3.1: "the
    resource server SHOULD NOT include an error code or other error information")."""

    default_description = "An access token is required."

    def bearer_challenge(self, scope: str | None = None) -> str:
        return f'Bearer realm="{REALM}"'


class InsufficientScopeError(OAuthError):
    """The token lacks a scope the resource requires (RFC 6750 3.1)."""

    error = "insufficient_scope"
    status_code = 403
    default_description = "The access token does not carry the required scope."

    def bearer_challenge(self, scope: str | None = None) -> str:
        """The challenge names the scope needed, so the client can ask for it (3.1)."""
        challenge = super().bearer_challenge(scope)
        return f'{challenge}, scope="{scope}"' if scope else challenge


class SlowDownError(OAuthError):
    """Too many requests; `retry_after` says when to try again."""

    error = "slow_down"
    status_code = 429
    default_description = "Too many requests; retry later."

    retry_after: int

    def __init__(
        self, description: str | None = None, *, detail: str | None = None, retry_after: int = 1
    ) -> None:
        super().__init__(description, detail=detail)
        self.retry_after = max(1, retry_after)


class SignInLimitError(SlowDownError):
    """Too many sign-in requests from one address. Shown to the person rather than
    redirected: they are the one who has to wait, and RFC 6749 4.1.2.1 has no
    `slow_down` for the client."""

    redirectable = False
    default_description = "Too many sign-in requests came from your network. Try again shortly."


class TemporarilyUnavailableError(OAuthError):
    """The server cannot answer now (the database is unreachable or stays locked). Most
    such outages are a lock held for a moment or a node restarting: retry soon."""

    error = "temporarily_unavailable"
    status_code = 503
    default_description = "The service is temporarily unavailable."
    retry_after = 1


class ServerError(OAuthError):
    """An unexpected failure; the client gets only this text and a request id."""

    error = "server_error"
    status_code = 500
    default_description = "The server encountered an unexpected error."
