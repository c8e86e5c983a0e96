"""Login throttling rules and the password check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from argon2 import PasswordHasher

from tessera.core.login import ACCOUNT_RULE, CLIENT_IP_RULE, ThrottleRule, check_password
from tessera.core.registration import build_user
from tessera.crypto.passwords import hash_password

PASSWORD = "correct horse battery"


def test_an_account_gets_three_free_tries_then_doubling_delays_then_a_lock() -> None:
    delays = [ACCOUNT_RULE.delay_after(n) for n in range(1, 12)]
    assert delays == [0, 0, 0, 2, 4, 8, 16, 32, 60, 900, 900]


def test_an_address_tolerates_more_failures_than_an_account() -> None:
    assert CLIENT_IP_RULE.delay_after(20) == 0
    assert CLIENT_IP_RULE.delay_after(21) == 2
    assert CLIENT_IP_RULE.delay_after(99) == 60
    assert CLIENT_IP_RULE.delay_after(100) == 900


@pytest.mark.parametrize(("failures", "delay"), [(1, 0), (2, 2), (3, 4), (4, 4), (5, 30)])
def test_delays_are_capped_until_the_lock(failures: int, delay: int) -> None:
    rule = ThrottleRule(window=60, free=1, lock_after=5, lock_for=30, max_delay=4)
    assert rule.delay_after(failures) == delay


def test_the_right_password_verifies() -> None:
    user = build_user(username="alice", password=PASSWORD, now=0)
    verified = check_password(user, PASSWORD)
    assert verified is not None and verified.user is user and verified.new_hash is None


def test_a_wrong_password_or_unknown_user_does_not() -> None:
    user = build_user(username="alice", password=PASSWORD, now=0)
    assert check_password(user, "wrong password") is None
    assert check_password(None, PASSWORD) is None


def test_an_outdated_hash_is_replaced_on_success() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = build_user(username="alice", password=PASSWORD, now=0)
    user = replace(user, password_hash=weak)
    verified = check_password(user, PASSWORD)
    assert verified is not None and verified.new_hash is not None
    assert verified.new_hash != weak and verified.new_hash.startswith("$argon2id$")
    assert hash_password(PASSWORD) != verified.new_hash  # Salted: every hash differs.
