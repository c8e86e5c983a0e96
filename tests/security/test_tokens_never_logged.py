"""Security rule: no token, code, verifier or secret ever reaches the logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from tessera.core.models import AuthMethod
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    add_api,
    add_client,
    add_grant,
    add_user,
    authenticate,
    code_form,
    refresh,
)
from tests.support.tokens import bearer


async def test_a_flow_with_every_kind_of_failure_logs_no_secret(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    form = code_form(issued)
    headers = authenticate(app, form)
    tokens = (await client.post("/oauth/token", data=form, headers=headers)).json()
    await client.post("/oauth/token", data=form, headers=headers)  # Reused code.
    await refresh(client, app, tokens["refresh_token"])  # Family already revoked.
    await client.post("/oauth/token", data={**form, "client_secret": "tsr_cs_wrong-secret"})
    await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    await client.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert app.secret is not None
    secrets = [
        issued.code,
        issued.verifier,
        app.secret,
        "tsr_cs_wrong-secret",
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
    ]
    assert caplog.records, "the refusals above are logged"
    logged = "\n".join(
        record.getMessage() + repr(record.args) + repr(record.__dict__) for record in caplog.records
    )
    for secret in secrets:
        assert secret not in logged
