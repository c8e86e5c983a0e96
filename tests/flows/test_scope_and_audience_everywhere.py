"""Scope syntax and the audience/resource rule answer the same at every endpoint that
reads them: /authorize, and the token endpoint's code, refresh and client credentials
grants (core.scopes, core.audience)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tessera.core.audience import DIFFERENT
from tessera.core.models import GrantType
from tessera.core.scopes import MALFORMED
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.authorize import request_params
from tests.support.grants import (
    API_ID,
    RegisteredClient,
    add_api,
    add_client,
    add_grant,
    add_user,
    authenticate,
    code_form,
    obtain_tokens,
)

OTHER_API = "https://other.test"
Ask = Callable[[dict[str, str]], Awaitable[tuple[str, str]]]


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    """A confidential client that may use every grant that reads scope or audience."""
    await add_user(rt.store)
    await add_api(rt.store)
    await add_api(rt.store, OTHER_API)
    return await add_client(
        rt.store,
        grant_types=[
            GrantType.AUTHORIZATION_CODE,
            GrantType.REFRESH_TOKEN,
            GrantType.CLIENT_CREDENTIALS,
        ],
        apis=[API_ID],
    )


def _error(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    body = response.json()
    return body["error"], body["error_description"]


@pytest.fixture
def endpoints(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Ask]:
    """Each way to send parameters: the (error, error_description) it answers."""

    async def authorize(extra: dict[str, str]) -> tuple[str, str]:
        params = request_params(app_client.client_id, **extra)
        response = await client.get("/authorize", params=params)
        assert response.status_code in (302, 303), response.text
        query = httpx.URL(response.headers["location"]).params
        return query["error"], query["error_description"]

    async def token(form: dict[str, str]) -> tuple[str, str]:
        headers = authenticate(app_client, form)
        return _error(await client.post("/oauth/token", data=form, headers=headers))

    async def code(extra: dict[str, str]) -> tuple[str, str]:
        issued = await add_grant(rt.store, app_client, now=int(clock.now))
        return await token(code_form(issued, **extra))

    async def refresh(extra: dict[str, str]) -> tuple[str, str]:
        tokens = await obtain_tokens(client, rt.store, app_client, now=int(clock.now))
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        return await token({**form, **extra})

    async def machine(extra: dict[str, str]) -> tuple[str, str]:
        return await token({"grant_type": "client_credentials", "audience": API_ID, **extra})

    return {"authorize": authorize, "code": code, "refresh": refresh, "machine": machine}


@pytest.mark.parametrize(
    "scope",
    ["openid  read:x", " openid", "read:x ", "openid\tread:x", 'read:x "x'],
    ids=["double-space", "leading-space", "trailing-space", "tab", "quote"],
)
async def test_a_malformed_scope_is_the_same_invalid_scope_everywhere(
    endpoints: dict[str, Ask], scope: str
) -> None:
    for name in ("authorize", "refresh", "machine"):
        assert await endpoints[name]({"scope": scope}) == ("invalid_scope", MALFORMED), name


async def test_audience_and_resource_that_differ_are_the_same_invalid_request_everywhere(
    endpoints: dict[str, Ask],
) -> None:
    both = {"audience": API_ID, "resource": OTHER_API}
    for name, ask in endpoints.items():
        assert await ask(both) == ("invalid_request", DIFFERENT), name


async def test_an_api_the_request_may_not_reach_is_invalid_target_everywhere(
    endpoints: dict[str, Ask],
) -> None:
    for name in ("authorize", "code", "refresh"):
        error, _ = await endpoints[name]({"audience": "https://unknown.test"})
        assert error == "invalid_target", name
    for name in ("code", "refresh", "machine"):
        error, _ = await endpoints[name]({"audience": OTHER_API})
        assert error == "invalid_target", name


async def test_a_grant_request_may_repeat_its_own_api(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    form = code_form(issued, resource=API_ID)
    response = await client.post("/oauth/token", data=form, headers=authenticate(app_client, form))
    assert response.status_code == 200, response.text
    form = {"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]}
    form["audience"] = API_ID
    again = await client.post("/oauth/token", data=form, headers=authenticate(app_client, form))
    assert again.status_code == 200, again.text
