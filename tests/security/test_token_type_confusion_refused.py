"""Security rule: a token works only as what it is (RFC 9068 typ, RFC 8725 3.11)."""

from __future__ import annotations

import httpx

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_user, obtain_tokens, refresh
from tests.support.tokens import bearer


async def test_tokens_are_refused_where_another_kind_is_expected(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    tokens = await obtain_tokens(client, rt.store, app, now=int(clock.now))
    for wrong in (tokens["id_token"], tokens["refresh_token"]):
        assert (await client.get("/userinfo", headers=bearer(wrong))).status_code == 401
    for wrong in (tokens["access_token"], tokens["id_token"]):
        response = await refresh(client, app, wrong)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    as_code = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "code": tokens["refresh_token"],
        "redirect_uri": "https://app.test/callback",
        "code_verifier": "a" * 43,
    }
    response = await client.post("/oauth/token", data=as_code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
