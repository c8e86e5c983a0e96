"""Fixtures for rules that must hold across the nodes of a deployment, and for sign-ins
that must be many, or overlap, without costing a real argon2id check each."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from tessera.core.authorization import sign_in
from tessera.core.login import VerifiedPassword, check_password
from tessera.core.models import User
from tessera.crypto import passwords
from tessera.settings import Settings
from tessera.web.app import create_app
from tests.conftest import ISSUER, Clock


@pytest.fixture
async def second_app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    """Another server process on the same database."""
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        yield other


@pytest.fixture
async def second_node(second_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the second server process."""
    transport = httpx.ASGITransport(app=second_app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        yield http


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id at its lowest cost, so that rules needing many sign-ins stay fast on a
    shared machine; hashes made before the fixture still verify."""
    cheapest = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", cheapest)
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


HOLD_LIMIT = 10


@dataclass
class CountedChecks:
    """The password checks the sign-ins ran, each made to last `seconds` so that
    concurrent sign-ins overlap, or, with `hold`, until the test sets it (at most
    `HOLD_LIMIT` seconds): then the overlap does not depend on the machine's speed."""

    seconds: float = 0.3
    calls: int = 0
    hold: threading.Event | None = None

    def __call__(self, user: User | None, password: str) -> VerifiedPassword | None:
        self.calls += 1
        if self.hold is None:
            time.sleep(self.seconds)
        else:
            self.hold.wait(HOLD_LIMIT)
        return check_password(user, password)


@pytest.fixture
def counted_checks(monkeypatch: pytest.MonkeyPatch, cheap_passwords: None) -> CountedChecks:
    checks = CountedChecks()
    monkeypatch.setattr(sign_in, "check_password", checks)
    return checks
