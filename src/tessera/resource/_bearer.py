"""The Authorization request header field with a bearer token (RFC 6750 2.1)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tessera.resource._errors import InvalidRequestError, MissingTokenError

# RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def parse_authorization(values: Sequence[str]) -> str:
    """The bearer token from a request's Authorization header values (all of them, so
    that a repeated header is caught).

    Raises:
        MissingTokenError: no Authorization header, or one for another scheme (the
            client did not try bearer authentication: RFC 6750 3.1 names no error).
        InvalidRequestError: several headers, an empty one, no scheme, or anything but
            exactly one b64token after "Bearer".
    """
    if not values:
        raise MissingTokenError()
    if len(values) > 1:
        raise InvalidRequestError("several Authorization headers")
    scheme, space, credentials = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        if space:
            raise MissingTokenError("another authentication scheme")
        raise InvalidRequestError("no authentication scheme")
    token = credentials.strip(" ")
    if not _B64TOKEN.fullmatch(token):
        raise InvalidRequestError("not exactly one b64token after Bearer")
    return token
