"""Bearer credentials in the Authorization header (RFC 6750 2.1): the one parser.

tessera's userinfo endpoint (core.access_tokens) and resource servers
(tessera.resource) read the header with this function and translate its error into
their own, as both do with crypto.jwt's JWTError, so the two agree on what a
well-formed header is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class MalformedCredentialsError(ValueError):
    """The header is there but is not one Bearer credential; the message is for logs."""


def bearer_credentials(values: Sequence[str]) -> str | None:
    """The bearer token from a request's Authorization header values (all of them, so
    that a repeated header is caught), or None when the client did not try bearer
    authentication: no header, or one for another scheme (RFC 6750 3.1 names no error).

    Raises:
        MalformedCredentialsError: several headers, an empty one, no scheme, or anything
            but exactly one b64token after "Bearer".
    """
    if not values:
        return None
    if len(values) > 1:
        raise MalformedCredentialsError("several Authorization headers")
    scheme, space, credentials = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        if space:
            return None
        raise MalformedCredentialsError("no authentication scheme")
    token = credentials.strip(" ")
    if not B64TOKEN.fullmatch(token):
        raise MalformedCredentialsError("not exactly one b64token after Bearer")
    return token
