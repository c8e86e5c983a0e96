"""Refusals whose writes are part of the answer.

A transaction commits when its block ends normally and rolls back when it ends in an
exception, any exception (core.ports.Transactions). So a use case that refuses by
raising leaves nothing behind, which is what almost every refusal wants. A few must
leave a trace: a reused code revokes its grant, a code that failed a check stays spent,
a reused refresh token revokes its family, a foreign one is audited, a request over a
rate limit stays counted, a denied consent is audited. Those use cases return
`Refused(error)` instead of raising, so that the transaction commits their writes, and
the caller turns it into the raise with `settle` once the block has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from tessera.core.errors import OAuthError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Refused:
    """A refusal to raise once the writes made on the way to it are committed."""

    error: OAuthError


def settle(outcome: T | Refused) -> T:
    """The value of a use case whose transaction has ended.

    Raises:
        OAuthError: the outcome was a refusal.
    """
    if isinstance(outcome, Refused):
        raise outcome.error
    return outcome
