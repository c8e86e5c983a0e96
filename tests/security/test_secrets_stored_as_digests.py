"""Security rule: codes, refresh tokens and client secrets are stored only as digests."""

from __future__ import annotations

import httpx

from tessera.core.models import AuthMethod
from tessera.crypto.tokens import digest
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_grant, add_user, authenticate, code_form

TABLES = ("clients", "grants", "refresh_tokens", "revoked_access_tokens", "audit_events")


async def test_no_table_holds_a_secret_in_the_clear(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    form = code_form(issued)
    tokens = (await client.post("/oauth/token", data=form, headers=authenticate(app, form))).json()
    assert app.secret is not None
    async with rt.store.transaction() as tx:
        dump = repr([await tx.conn.fetch_all(f"SELECT * FROM {table}") for table in TABLES])
        row = await tx.conn.fetch_one(
            "SELECT grant_id FROM refresh_tokens WHERE token_hash = :h",
            {"h": digest(tokens["refresh_token"])},
        )
    assert row is not None and row["grant_id"] == issued.grant.id
    assert tokens["access_token"] not in dump
    for secret in (issued.code, app.secret, tokens["refresh_token"]):
        assert secret[len("tsr_xx_") :] not in dump  # Not even without its prefix.
