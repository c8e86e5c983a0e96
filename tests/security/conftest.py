"""Fixtures for rules that must hold across the nodes of a deployment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tessera.settings import Settings
from tessera.web.app import create_app
from tests.conftest import ISSUER, Clock


@pytest.fixture
async def second_node(settings: Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """Another server process on the same database."""
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            yield http
