"""The per-process bound on password checks, and the short line in front of it."""

from __future__ import annotations

import asyncio
import os

import pytest

from tessera.core.password_checks import PasswordCheckSlots, available_cores


async def test_slots_are_taken_up_to_the_size_and_given_back() -> None:
    slots = PasswordCheckSlots(2, waiting=0)
    async with slots.slot() as first, slots.slot() as second, slots.slot() as third:
        assert (first, second, third) == (True, True, False)
    async with slots.slot() as again:
        assert again


async def test_a_slot_is_given_back_when_its_block_raises() -> None:
    slots = PasswordCheckSlots(1, waiting=0)
    with pytest.raises(RuntimeError):
        async with slots.slot():
            raise RuntimeError
    async with slots.slot() as free:
        assert free


async def test_a_caller_in_line_gets_the_slot_its_holder_gives_back() -> None:
    slots = PasswordCheckSlots(1, waiting=1, max_wait=5)
    order: list[str] = []

    async def hold() -> None:
        async with slots.slot() as free:
            assert free
            await asyncio.sleep(0.05)
            order.append("first done")

    async def wait_in_line() -> None:
        async with slots.slot() as free:
            order.append(f"second {free}")

    await asyncio.gather(hold(), wait_in_line())
    assert order == ["first done", "second True"]


async def test_the_line_is_bounded_and_a_wait_ends() -> None:
    slots = PasswordCheckSlots(1, waiting=1, max_wait=0.1)
    answered: list[tuple[str, bool]] = []

    async def ask(name: str, after: float) -> None:
        await asyncio.sleep(after)
        async with slots.slot() as free:
            answered.append((name, free))

    async with slots.slot() as held:
        assert held
        # The line holds one: the third is turned away at once, the second after its wait.
        await asyncio.gather(ask("second", 0), ask("third", 0.01))
    assert answered == [("third", False), ("second", False)]
    async with slots.slot() as free:
        assert free  # Nobody is left holding or waiting.


def test_the_cores_available_are_the_process_affinity() -> None:
    assert available_cores() == len(os.sched_getaffinity(0))


def test_without_affinity_the_cores_are_the_machine_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert available_cores() == 1
