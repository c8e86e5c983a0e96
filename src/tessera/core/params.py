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
            raise InvalidRequestError(f"The {_safe(name)} parameter is too long.")
        if "\x00" in value:
            raise InvalidRequestError(f"The {_safe(name)} parameter is malformed.")
        if not value:
            continue
        if name in params:
            raise InvalidRequestError(f"The {_safe(name)} parameter is repeated.")
        params[name] = value
    return params


def _safe(name: str) -> str:
    """A parameter name fit for an error description (RFC 6749 5.2 charset, short)."""
    cleaned = "".join(ch for ch in name[:40] if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')
    return cleaned or "a"


def require(params: Mapping[str, str], name: str) -> str:
    """The value of a required parameter.

    Raises:
        InvalidRequestError: the parameter is missing.
    """
    value = params.get(name)
    if value is None:
        raise InvalidRequestError(f"The {name} parameter is required.")
    return value
