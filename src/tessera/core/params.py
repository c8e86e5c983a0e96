"""Raw request parameters to a flat mapping, with the rules every endpoint shares.

RFC 6749 3.1 and 3.2: parameters sent without a value are treated as omitted, and a
parameter MUST NOT be included more than once. Values are bounded so that a single
request cannot make the server store or echo megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tessera.core.errors import InvalidRequestError

MAX_VALUE_LENGTH = 2048
MAX_PARAMETERS = 64
# Bigger on purpose: an id_token_hint or access token is a whole JWT; a refresh token is
# 50 characters.
LONG_VALUES = {"id_token_hint": 8192, "token": 8192, "access_token": 8192, "assertion": 8192}
# The names the protocols tessera speaks and its own forms use. An error description
# may name one of these; any other name is the sender's invention and is not echoed.
KNOWN_NAMES = frozenset(
    {
        # RFC 6749 4.1, RFC 7636 4.3, RFC 8707 2, OIDC Core 3.1.2.1 and 6, Auth0's audience.
        "response_type", "client_id", "redirect_uri", "scope", "state", "response_mode",
        "nonce", "prompt", "max_age", "login_hint", "id_token_hint", "acr_values", "code_challenge",
        "code_challenge_method", "audience", "resource", "request", "request_uri",
        # RFC 6749 4.1.3, 6 and 2.3.1, RFC 7009, RFC 7662, RFC 6750 2.2, RFC 7521.
        "grant_type", "code", "code_verifier", "refresh_token", "client_secret", "token",
        "token_type_hint", "access_token", "assertion",
        # OpenID Connect RP-Initiated Logout 1.0, 2.
        "post_logout_redirect_uri",
        # The login and consent pages' forms.
        "interaction", "csrf_token", "username", "password", "sid", "decision",
    }
)  # fmt: skip


def parse_params(pairs: Iterable[tuple[str, str]]) -> Mapping[str, str]:
    """Flatten query or form pairs into a mapping.

    Empty values are dropped (treated as omitted). Unknown parameters are kept: each
    endpoint reads only what it knows, as RFC 6749 3.1 asks ("MUST ignore
    unrecognized request parameters").

    Raises:
        InvalidRequestError: a parameter repeats, a value is too long, there are too
            many parameters, or a value holds a NUL character.
    """
    params: dict[str, str] = {}
    count = 0
    for name, value in pairs:
        count += 1
        if count > MAX_PARAMETERS:
            raise InvalidRequestError("The request has too many parameters.")
        if len(value) > LONG_VALUES.get(name, MAX_VALUE_LENGTH):
            raise InvalidRequestError(f"{_named(name)} parameter is too long.")
        if "\x00" in value:
            raise InvalidRequestError(f"{_named(name)} parameter is malformed.")
        if not value:
            continue
        if name in params:
            raise InvalidRequestError(f"{_named(name)} parameter is repeated.")
        params[name] = value
    return params


def _named(name: str) -> str:
    """How an error description names a parameter: by name only if tessera knows it, so
    a description never carries text of the sender's choosing (RFC 6749 5.2)."""
    return f"The {name}" if name in KNOWN_NAMES else "A"


def require(params: Mapping[str, str], name: str) -> str:
    """The value of a required parameter.

    Raises:
        InvalidRequestError: the parameter is missing.
    """
    value = params.get(name)
    if value is None:
        raise InvalidRequestError(f"The {name} parameter is required.")
    return value
