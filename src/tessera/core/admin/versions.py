"""Versions of admin resources, for `ETag` and `If-Match` (RFC 9110 8.8.3, 13.1.1).

A version is a digest of every stored field of the value, so any change to a client,
user or API (its secret's digest included) gives it a new one; the caller's copy is
stale when its version is not the current one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import asdict
from typing import Any

from tessera.core.admin.errors import StaleVersionError


def _canonical(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(_canonical(item) for item in value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def version_of(value: Any) -> str:
    """The version of a stored dataclass value: 32 hex digits."""
    canonical = json.dumps(_canonical(asdict(value)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def verify_version(value: Any, if_match: Collection[str] | None) -> None:
    """Check a change's precondition: none given, `*`, or the value's version.

    Raises:
        StaleVersionError: the versions the caller names are not the current one.
    """
    if if_match is None or "*" in if_match:
        return
    if version_of(value) not in if_match:
        raise StaleVersionError("the resource has changed since it was read (If-Match)")
