"""The Authorization request header field with a bearer token (RFC 6750 2.1)."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.crypto.bearer import MalformedCredentialsError, bearer_credentials
from tessera.resource._errors import InvalidRequestError, MissingTokenError


def parse_authorization(values: Sequence[str]) -> str:
    """The bearer token from a request's Authorization header values.

    Raises:
        MissingTokenError: no Authorization header, or one for another scheme.
        InvalidRequestError: a malformed header (crypto.bearer).
    """
    try:
        token = bearer_credentials(values)
    except MalformedCredentialsError as exc:
        raise InvalidRequestError(str(exc)) from None
    if token is None:
        raise MissingTokenError()
    return token
