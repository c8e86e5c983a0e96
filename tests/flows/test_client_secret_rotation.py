"""Rotating a client's secret (core.client_secrets) as the token endpoint sees it: the
new secret works at once, the old one until its overlap ends, and no overlap stops it
now; public clients and bad overlaps are refused."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.audit_events import Event
from tessera.core.client_secrets import MAX_OVERLAP, ClientNotFoundError, rotate_secret
from tessera.core.models import GrantType
from tessera.core.registration import RegistrationError
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import API_ID, RegisteredClient, add_api, add_client, authenticate

ACTOR = "cli:ops"


@pytest.fixture
async def machine(rt: Runtime) -> RegisteredClient:
    await add_api(rt.store)
    return await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )


async def _status(http: httpx.AsyncClient, client: RegisteredClient, secret: str) -> int:
    form = {"grant_type": "client_credentials", "audience": API_ID}
    headers = authenticate(RegisteredClient(client.client, secret), form)
    return (await http.post("/oauth/token", data=form, headers=headers)).status_code


async def test_the_old_secret_works_until_the_overlap_ends(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient, clock: Clock
) -> None:
    assert machine.secret is not None
    async with rt.store.transaction() as tx:
        rotated = await rotate_secret(
            tx, machine.client_id, overlap=60, actor=ACTOR, now=int(clock.now)
        )
        (event,) = [e for e in await tx.audit.tail(5) if e.event == Event.CLIENT_SECRET_ROTATED]
    assert event.detail == {"actor": ACTOR, "overlap": "60"}
    assert await _status(client, machine, rotated.secret) == 200
    assert await _status(client, machine, machine.secret) == 200
    clock.advance(60)
    assert await _status(client, machine, machine.secret) == 401
    assert await _status(client, machine, rotated.secret) == 200


async def test_without_an_overlap_and_on_a_second_rotation_the_old_secret_stops(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient, clock: Clock
) -> None:
    assert machine.secret is not None
    async with rt.store.transaction() as tx:
        first = await rotate_secret(
            tx, machine.client_id, overlap=3600, actor=ACTOR, now=int(clock.now)
        )
        second = await rotate_secret(
            tx, machine.client_id, overlap=0, actor=ACTOR, now=int(clock.now)
        )
    assert await _status(client, machine, machine.secret) == 401
    assert await _status(client, machine, first.secret) == 401
    assert await _status(client, machine, second.secret) == 200
    assert second.client.previous_secret_hash is None


@pytest.mark.parametrize("overlap", [-1, MAX_OVERLAP + 1])
async def test_an_overlap_out_of_range_is_refused(
    rt: Runtime, machine: RegisteredClient, overlap: int
) -> None:
    async with rt.store.transaction() as tx:
        with pytest.raises(RegistrationError, match="overlap"):
            await rotate_secret(tx, machine.client_id, overlap=overlap, actor=ACTOR, now=0)


async def test_a_public_or_unknown_client_has_no_secret_to_rotate(rt: Runtime) -> None:
    public = await add_client(rt.store, public=True)
    async with rt.store.transaction() as tx:
        with pytest.raises(RegistrationError, match="public"):
            await rotate_secret(tx, public.client_id, overlap=0, actor=ACTOR, now=0)
        with pytest.raises(ClientNotFoundError, match="nobody"):
            await rotate_secret(tx, "nobody", overlap=0, actor=ACTOR, now=0)
