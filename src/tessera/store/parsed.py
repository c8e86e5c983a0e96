"""Parsed rows kept by their values: clients and APIs are read on every flow, rarely change.

Turning a client row into a `Client` decodes two JSON arrays and builds sets and enums,
which costs several times the SELECT itself. Wherever the SELECT runs (every lookup on
PostgreSQL, a changed catalog on SQLite: see store.lookups), what a request sees is
what the database holds; only the parsing of a row already seen is skipped. The key is
the row's whole tuple of values, so any change to the row is a different key, and the
objects are frozen dataclasses, safe to share between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

S = TypeVar("S", bound=Iterable[Any])
T = TypeVar("T")
DEFAULT_SIZE = 256


class ParsedRows(Generic[S, T]):
    """A bounded memo of `parse(row)` by the row's values; emptied when full, so rows
    that come and go (deleted clients, edited APIs) cannot pin memory.

    The source is a row, or what `key` turns into one key (several rows of one value).
    """

    def __init__(
        self,
        parse: Callable[[S], T],
        size: int = DEFAULT_SIZE,
        *,
        key: Callable[[S], Hashable] = tuple,
    ) -> None:
        self._parse = parse
        self._size = size
        self._key = key
        self._parsed: dict[Hashable, T] = {}

    def __call__(self, row: S) -> T:
        key = self._key(row)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parse(row)
            if len(self._parsed) >= self._size:
                self._parsed.clear()
            self._parsed[key] = parsed
        return parsed
