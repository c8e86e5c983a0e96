"""Security rule: a code gets one try. A wrong verifier, redirect URI or client burns it,
so a stolen code cannot be replayed with guesses (RFC 9700 2.1.1, 4.5)."""

from __future__ import annotations

import httpx

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_grant, add_user, code_form


async def test_a_stolen_code_with_a_guessed_verifier_is_dead_for_everyone(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    guess = code_form(issued, app.client_id, code_verifier="g" * 43)
    assert (await client.post("/oauth/token", data=guess)).json()["error"] == "invalid_grant"
    honest = await client.post("/oauth/token", data=code_form(issued, app.client_id))
    assert honest.status_code == 400 and honest.json()["error"] == "invalid_grant"
