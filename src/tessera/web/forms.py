"""Reading request parameters: query strings and form bodies as (name, value) pairs.

`urllib.parse.parse_qsl` on the already-bounded body (the edge middleware caps it) is
both stricter and cheaper than a general multipart parser; core.params applies the
protocol rules (duplicates, empty values, lengths).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from tessera.core.errors import InvalidRequestError
from tessera.core.params import MAX_PARAMETERS

FORM_TYPE = "application/x-www-form-urlencoded"


def _pairs(raw: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
    except ValueError:
        raise InvalidRequestError("The request has too many parameters.") from None


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The query string's parameters."""
    raw = request.scope.get("query_string", b"")
    try:
        return _pairs(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequestError("The query string is not valid UTF-8.") from None


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The parameters of an application/x-www-form-urlencoded body.

    Raises:
        InvalidRequestError: another content type, invalid UTF-8, too many fields.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != FORM_TYPE:
        raise InvalidRequestError(f"The body must be {FORM_TYPE}.")
    body = await request.body()
    try:
        return _pairs(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequestError("The body is not valid UTF-8.") from None


def client_ip(request: Request) -> str:
    """The peer address (a trusted proxy's forwarded address once proxies are configured)."""
    return request.client.host if request.client else "unknown"
