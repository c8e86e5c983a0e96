"""Keyset pagination for the admin API's lists: `?limit=&cursor=`.

A page ends at a position (the sort key of its last item); the cursor is that position
encoded, opaque to callers, and the next page is read from the store as "the first
`limit` items after it" on an indexed sort key, never with OFFSET: a page costs the
same at the start and the end of a long list, and items added meanwhile are neither
skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tessera.core.admin.errors import InvalidQueryError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512

T = TypeVar("T")
# A sort key: (created_at, id) for clients, users and APIs; (id,) for audit events.
Position = tuple[int, str] | tuple[int]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """At most `limit` items after `after` (None: from the start)."""

    limit: int
    after: Position | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """The items, and the cursor of the next page (None on the last)."""

    items: Sequence[T]
    next_cursor: str | None


def parse_page_request(limit: str | None, cursor: str | None) -> PageRequest:
    """The page a list request asks for.

    Raises:
        InvalidQueryError: `limit` is not an integer from 1 to MAX_LIMIT, or `cursor`
            is not one tessera handed out.
    """
    size = DEFAULT_LIMIT
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise InvalidQueryError(f"limit must be an integer from 1 to {MAX_LIMIT}")
        size = int(limit)
    return PageRequest(size, None if cursor is None else decode_cursor(cursor))


def encode_cursor(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor names.

    Raises:
        InvalidQueryError: the cursor is not one `encode_cursor` made.
    """
    invalid = InvalidQueryError("cursor is not one this server handed out")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(value, list) or not value or type(value[0]) is not int:
        raise invalid
    if len(value) == 1:
        return (value[0],)
    if len(value) == 2 and isinstance(value[1], str):
        return (value[0], value[1])
    raise invalid


def build_page(
    rows: Sequence[T], request: PageRequest, position: Callable[[T], Position]
) -> Page[T]:
    """A page from up to `limit + 1` rows read after the request's position: the extra
    row, if there, says that a next page exists."""
    items = rows[: request.limit]
    more = len(rows) > request.limit
    return Page(items, encode_cursor(position(items[-1])) if more else None)


def created_key(request: PageRequest) -> tuple[int, str] | None:
    """The (created_at, id) position of a page of clients, users or APIs.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    if request.after is None:
        return None
    if len(request.after) != 2:
        raise InvalidQueryError("cursor is of another list")
    return request.after


def id_key(request: PageRequest) -> int | None:
    """The (id,) position of a page of audit events.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    if request.after is None:
        return None
    if len(request.after) != 1:
        raise InvalidQueryError("cursor is of another list")
    return request.after[0]
