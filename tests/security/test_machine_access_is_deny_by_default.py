"""Security rule: a machine client gets client_credentials tokens only for the APIs it
was granted (`clients create --api`), with at most the scopes it is allowed, and no
token at all for any other API (RFC 9700 2.3, least privilege)."""

from __future__ import annotations

import httpx

from tessera.core.models import GrantType
from tessera.web.runtime import Runtime
from tests.support.grants import API_ID, RegisteredClient, add_api, add_client, authenticate

OTHER_API = "https://other.example.test"


async def ask(http: httpx.AsyncClient, machine: RegisteredClient, audience: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "audience": audience}
    return await http.post("/oauth/token", data=form, headers=authenticate(machine, form))


async def add_machine(
    rt: Runtime, *apis: str, allowed: list[str] | None = None
) -> RegisteredClient:
    return await add_client(
        rt.store,
        grant_types=[GrantType.CLIENT_CREDENTIALS],
        redirect_uris=(),
        allowed_scopes=allowed,
        apis=apis,
    )


def assert_no_access(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": "invalid_target",
        "error_description": "The client has no access to this API.",
    }


async def test_a_client_granted_no_api_gets_no_token(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    await add_api(rt.store)
    assert_no_access(await ask(client, await add_machine(rt), API_ID))


async def test_a_client_gets_tokens_only_for_the_apis_it_was_granted(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    await add_api(rt.store)
    await add_api(rt.store, OTHER_API, scopes=("admin",))
    restricted = await add_machine(rt, API_ID, allowed=["read:x"])
    granted = await ask(client, restricted, API_ID)
    assert granted.status_code == 200 and granted.json()["scope"] == "read:x"
    assert_no_access(await ask(client, restricted, OTHER_API))
    resource = {"grant_type": "client_credentials", "resource": OTHER_API}
    by_resource = await client.post(
        "/oauth/token", data=resource, headers=authenticate(restricted, resource)
    )
    assert_no_access(by_resource)


async def test_a_deleted_api_takes_its_clients_access_with_it(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    """Created again, the API is another API: the old grant does not come back."""
    await add_api(rt.store)
    machine = await add_machine(rt, API_ID)
    assert (await ask(client, machine, API_ID)).status_code == 200
    async with rt.store.transaction() as tx:
        await tx.apis.delete(API_ID)
    await add_api(rt.store)
    assert_no_access(await ask(client, machine, API_ID))
