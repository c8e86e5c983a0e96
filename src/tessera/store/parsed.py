"""Parsed rows kept by their values: clients and APIs are read on every flow, rarely change.

Turning a client row into a `Client` decodes two JSON arrays and builds sets and enums,
which costs several times the SELECT itself. Wherever the SELECT runs (every lookup on
PostgreSQL, a changed catalog on SQLite: see store.lookups), what a request sees is
what the database holds; only the parsing of a row already seen is skipped. The key is
the row's whole tuple of values, so any change to the row is a different key, and the
objects are frozen dataclasses, safe to share between requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from tessera.store.engine import Row

T = TypeVar("T")
DEFAULT_SIZE = 256


class ParsedRows(Generic[T]):
    """A bounded memo of `parse(row)` by the row's values; emptied when full, so rows
    that come and go (deleted clients, edited APIs) cannot pin memory."""

    def __init__(self, parse: Callable[[Row], T], size: int = DEFAULT_SIZE) -> None:
        self._parse = parse
        self._size = size
        self._parsed: dict[tuple[object, ...], T] = {}

    def __call__(self, row: Row) -> T:
        key = tuple(row)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parse(row)
            if len(self._parsed) >= self._size:
                self._parsed.clear()
            self._parsed[key] = parsed
        return parsed
