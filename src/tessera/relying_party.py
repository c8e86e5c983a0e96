"""What tessera's own relying parties check in an authorization response.

`tessera login` (a native app) and `tessera demo --trace` (the seed's client) both
receive `code`, `state` and `iss` on their redirect URI; the checks are written once.
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.crypto.tokens import constant_time_equals


class AuthorizationResponseError(Exception):
    """The response does not answer this request, or it is an error response."""


class StateMismatchError(AuthorizationResponseError):
    """The response carries another state, or none: it answers some other request, or
    nobody's (anyone can send a browser to a redirect URI)."""


def oauth_error_message(error: object, description: object) -> str:
    """An RFC 6749 error code and its description, as one message."""
    return f"{error}: {description}" if description else str(error)


def verify_authorization_response(
    params: Mapping[str, str], *, issuer: str, state: str, iss_required: bool
) -> str:
    """The code from the authorization response, once it is known to answer our request.

    `state` binds the response to this client's request (RFC 6749 10.12), so it is
    checked first: without it, nothing else in the response is this request's. RFC 9207
    2.4: clients that were told the issuer sends `iss` "MUST reject authorization
    responses without the iss parameter"; a different `iss` is a mix-up.

    Raises:
        StateMismatchError: wrong or missing `state`.
        AuthorizationResponseError: wrong or missing `iss`, an error response, or no code.
    """
    if not constant_time_equals(params.get("state", ""), state):
        raise StateMismatchError("the state in the authorization response does not match")
    iss = params.get("iss")
    if iss is None and iss_required:
        raise AuthorizationResponseError(
            "the authorization response carries no iss, which the issuer promised"
        )
    if iss is not None and iss != issuer:
        raise AuthorizationResponseError(
            "the authorization response came from another issuer (mix-up)"
        )
    if "error" in params:
        raise AuthorizationResponseError(
            oauth_error_message(params["error"], params.get("error_description"))
        )
    code = params.get("code")
    if not code:
        raise AuthorizationResponseError("the authorization response carries no code")
    return code
