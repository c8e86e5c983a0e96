"""The returning, consented user's /authorize: four SELECTs and the grant's INSERT.

This is the request the benchmark's full flows repeat; a statement added here costs
every sign-in, so the test counts them on both engines. On SQLite the client and the
API come from memory once looked up (store.lookups), leaving two SELECTs.
"""

from __future__ import annotations

import httpx

from tessera.web.runtime import Runtime
from tests.support.authorize import (
    add_app,
    add_person,
    callback,
    request_params,
    sign_in_and_consent,
)
from tests.support.grants import add_api


async def test_a_consented_returning_user_costs_its_selects_and_one_insert(
    client: httpx.AsyncClient, rt: Runtime, statements: list[str]
) -> None:
    await add_api(rt.store)
    await add_person(rt.store)
    app = await add_app(rt.store)
    params = request_params(app.client_id)
    await sign_in_and_consent(client, params)
    statements.clear()
    assert callback(await client.get("/authorize", params=params))["code"]
    selects = [sql for sql in statements if sql.startswith("SELECT")]
    writes = [sql for sql in statements if not sql.startswith("SELECT")]
    if rt.store.database.dialect == "sqlite":
        assert len(selects) == 2, statements  # session, consent
    else:
        assert len(selects) == 4, statements  # client, API, session, consent
    assert writes == ["INSERT INTO grants (id,"], statements
