"""Login throttling rules and the password check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from argon2 import PasswordHasher

from tessera.core.login import (
    CLIENT_IP_RULE,
    LOGIN_NAME_RULE,
    SOURCE_RULE,
    ThrottleRule,
    check_password,
)
from tessera.core.registration import build_user
from tessera.crypto.passwords import hash_password

PASSWORD = "correct horse battery"


def test_a_source_gets_three_free_tries_then_doubling_delays_then_a_lock() -> None:
    delays = [SOURCE_RULE.delay_after(n) for n in range(1, 12)]
    assert delays == [0, 0, 0, 2, 4, 8, 16, 32, 60, 900, 900]


def test_a_login_name_is_delayed_a_minute_at_most_and_never_locked() -> None:
    delays = [LOGIN_NAME_RULE.delay_after(n) for n in range(1, 10_000)]
    assert delays[:17] == [0] * 10 + [2, 4, 8, 16, 32, 60, 60]
    assert max(delays) == 60
    # A source is locked before its failures cost the login name any delay.
    assert SOURCE_RULE.lock_after == LOGIN_NAME_RULE.free


def test_an_address_tolerates_more_failures_than_an_account() -> None:
    assert CLIENT_IP_RULE.delay_after(20) == 0
    assert CLIENT_IP_RULE.delay_after(21) == 2
    assert CLIENT_IP_RULE.delay_after(99) == 60
    assert CLIENT_IP_RULE.delay_after(100) == 900


def guesses_in(seconds: int, rule: ThrottleRule) -> int:
    """Failures a perfectly timed guesser gets checked in `seconds`, in the store's
    fixed windows (a window starts again at the first failure `window` seconds on)."""
    guesses = in_window = window_start = now = 0
    while now < seconds:
        if window_start <= now - rule.window:
            in_window, window_start = 0, now
        guesses, in_window = guesses + 1, in_window + 1
        now += rule.delay_after(in_window)
    return guesses


@pytest.mark.parametrize(
    ("rule", "per_hour", "per_day"),
    [(SOURCE_RULE, 13, 309), (LOGIN_NAME_RULE, 74, 1776), (CLIENT_IP_RULE, 84, 2016)],
    ids=["source", "login-name", "address"],
)
def test_the_guess_budgets_are_as_documented(
    rule: ThrottleRule, per_hour: int, per_day: int
) -> None:
    # docs/security.md X3 states these numbers.
    assert (guesses_in(3600, rule), guesses_in(86400, rule)) == (per_hour, per_day)


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
