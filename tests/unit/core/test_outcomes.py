"""A refusal returned from a transaction is raised by `settle`; anything else passes."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidGrantError
from tessera.core.outcomes import Refused, settle


def test_settle_raises_the_refusal_it_is_given() -> None:
    refusal = InvalidGrantError(detail="code reused")
    with pytest.raises(InvalidGrantError) as raised:
        settle(Refused(refusal))
    assert raised.value is refusal


def test_settle_returns_any_other_outcome_as_it_is() -> None:
    outcome = {"active": False}
    assert settle(outcome) is outcome
