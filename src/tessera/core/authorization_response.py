"""The authorization response: a code (RFC 6749 4.1.2) or an error (4.1.2.1), each with
`state` and `iss` (RFC 9207), delivered in the query or by form_post.

`iss` is in every response so that a client talking to several servers can tell which
one answered (the mix-up attack, RFC 9700 4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.core.authorize import ResponseTarget
from tessera.core.errors import OAuthError
from tessera.core.models import ResponseMode
from tessera.core.redirect_uri import add_query


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationResponse:
    redirect_uri: str
    response_mode: ResponseMode
    params: tuple[tuple[str, str], ...]

    def location(self) -> str:
        """The redirect URI carrying the response in its query (response_mode=query)."""
        return add_query(self.redirect_uri, self.params)


def _respond(
    target: ResponseTarget, issuer: str, params: list[tuple[str, str]]
) -> AuthorizationResponse:
    if target.state is not None:
        params.append(("state", target.state))
    params.append(("iss", issuer))
    return AuthorizationResponse(
        redirect_uri=target.redirect_uri,
        response_mode=target.response_mode,
        params=tuple(params),
    )


def build_code_response(target: ResponseTarget, code: str, issuer: str) -> AuthorizationResponse:
    return _respond(target, issuer, [("code", code)])


def build_error_response(
    target: ResponseTarget, err: OAuthError, issuer: str
) -> AuthorizationResponse:
    """Only for errors that may be redirected; the caller shows the others as a page."""
    return _respond(target, issuer, [("error", err.error), ("error_description", err.description)])
