"""Database failures in terms the layers above understand."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for storage problems that are not protocol errors."""


class DuplicateError(StoreError):
    """A unique value (client id, username, email, API identifier) already exists."""


class UnknownAPIError(StoreError):
    """A client names an API (by identifier) that does not exist; the message is it."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or is locked for too long; answer 503, retry later."""


class SchemaOutOfDateError(StoreError):
    """The database schema is older than this version of tessera: run `tessera db upgrade`."""
