"""Parking an authorization request and finishing it, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tessera.core.authorization.pending import (
    InteractionPolicy,
    PasswordVerified,
    await_second_factor,
    finish_interaction,
    load_pending,
    park,
)
from tessera.core.authorize import build_target, validate_authorization_request
from tessera.core.errors import UnknownInteractionError
from tessera.core.registration import build_client
from tessera.crypto.tokens import s256
from tessera.store import Store
from tests.support.hints import HINTS, NOW, id_token

NO_LIMIT = InteractionPolicy(lifetime=60, window=60, per_ip=0)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=2)
    yield opened
    await opened.close()


async def test_a_parked_request_is_picked_up_once_with_its_id_token_hint(store: Store) -> None:
    client = build_client(name="App", redirect_uris=["https://app.test/cb"], now=NOW).client
    token = id_token()
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": "https://app.test/cb",
        "scope": "openid email",
        "state": "s",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
        "id_token_hint": token,
    }
    target = build_target(client, params.items())
    request = validate_authorization_request(target, params, None, HINTS.verify(token, NOW))
    async with store.transaction() as tx:
        await tx.clients.add(client)
        interaction_id = await park(
            tx,
            request,
            now=NOW,
            policy=NO_LIMIT,
            client_ip="192.0.2.1",
            login_sid="sid-1",
        )
    assert isinstance(interaction_id, str)  # Under no limit, never refused.
    async with store.transaction() as tx:
        pending = await load_pending(tx, interaction_id, NOW + 59, HINTS)
        assert pending.request == request and pending.login_sid == "sid-1"
        assert pending.request.id_token_hint is not None
        assert pending.request.id_token_hint.subject == "alice"
        assert pending.verified is None
        held = PasswordVerified(user_id="user-alice", login="Alice")
        await await_second_factor(tx.interactions, pending, held)
        awaiting = await load_pending(tx, interaction_id, NOW + 59, HINTS)
        assert (awaiting.verified, awaiting.login_sid) == (held, "sid-1")
        await finish_interaction(tx.interactions, pending)
        with pytest.raises(UnknownInteractionError):
            await finish_interaction(tx.interactions, pending)
        with pytest.raises(UnknownInteractionError):
            await await_second_factor(tx.interactions, pending, held)
        with pytest.raises(UnknownInteractionError):
            await load_pending(tx, interaction_id, NOW, HINTS)


async def test_an_expired_or_made_up_id_is_unknown(store: Store) -> None:
    async with store.transaction() as tx:
        for made_up in (None, "", "tsr_ix_" + "A" * 43, "x" * 65):
            with pytest.raises(UnknownInteractionError):
                await load_pending(tx, made_up, NOW, HINTS)
