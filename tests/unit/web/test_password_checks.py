"""The per-process bound on password checks."""

from __future__ import annotations

import os

import pytest

from tessera.web import password_checks
from tessera.web.password_checks import PasswordCheckSlots, available_cores


def test_slots_are_taken_up_to_the_size_and_given_back() -> None:
    slots = PasswordCheckSlots(2)
    with slots.slot() as first, slots.slot() as second, slots.slot() as third:
        assert (first, second, third) == (True, True, False)
    with slots.slot() as again:
        assert again


def test_a_slot_is_given_back_when_its_block_raises() -> None:
    slots = PasswordCheckSlots(1)
    with pytest.raises(RuntimeError), slots.slot():
        raise RuntimeError
    with slots.slot() as free:
        assert free


def test_the_cores_available_are_the_process_affinity() -> None:
    assert available_cores() == len(os.sched_getaffinity(0))


def test_without_affinity_the_cores_are_the_machine_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(password_checks.os, "sched_getaffinity")
    monkeypatch.setattr(password_checks.os, "cpu_count", lambda: None)
    assert available_cores() == 1
