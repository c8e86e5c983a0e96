"""The admin API over HTTP against a real `tessera serve`: an ops client made with the
CLI gets an admin token as any machine client gets one, then manages clients with it;
a token without admin:write, or for another API, is refused; every change is audited
with its actor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.authorize import (
    PASSWORD,
    PKCE,
    callback,
    follow,
    redeem,
    request_params,
    sign_in,
    sign_in_and_consent,
)
from tests.support.grants import REDIRECT_URI
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

OTHER_API = "https://other.example.test"
SCOPE = "openid offline_access"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("admin"))
    instance.start()
    yield instance
    instance.stop()


def machine_client(server: TesseraServer, api: str, *scopes: str) -> dict[str, Any]:
    allowed = [arg for scope in scopes for arg in ("--allowed-scope", scope)]
    created: dict[str, Any] = server.cli_json(
        "clients",
        "create",
        "--name",
        "ops",
        "--grant-type",
        "client_credentials",
        "--api",
        api,
        *allowed,
    )
    return created


def token_for(server: TesseraServer, client: dict[str, Any], audience: str) -> str:
    response = httpx.post(
        f"{server.issuer}/oauth/token",
        data={"grant_type": "client_credentials", "audience": audience},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def admin(server: TesseraServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.issuer}/admin/v1", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture(scope="module")
def ops(server: TesseraServer) -> dict[str, Any]:
    return machine_client(server, f"{server.issuer}/admin", "admin:read", "admin:write")


@pytest.fixture(scope="module")
def api(server: TesseraServer, ops: dict[str, Any]) -> Iterator[httpx.Client]:
    with admin(server, token_for(server, ops, f"{server.issuer}/admin")) as client:
        yield client


def test_an_admin_token_manages_a_client_from_creation_to_deletion(
    server: TesseraServer, ops: dict[str, Any], api: httpx.Client
) -> None:
    created = api.post(
        "/clients",
        json={"client_name": "shop", "redirect_uris": ["https://shop.test/callback"]},
    )
    assert created.status_code == 201, created.text
    client = created.json()
    assert client["client_secret"].startswith("tsr_cs_")
    client_id = client["client_id"]

    shown = api.get(f"/clients/{client_id}")
    assert "client_secret" not in shown.json()
    etag = shown.headers["etag"]

    changed = api.patch(
        f"/clients/{client_id}",
        json={"redirect_uris": ["https://shop.test/new-callback"]},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["redirect_uris"] == ["https://shop.test/new-callback"]
    assert changed.headers["etag"] != etag

    stale = api.patch(
        f"/clients/{client_id}", json={"client_name": "x"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"

    assert api.delete(f"/clients/{client_id}").status_code == 204
    gone = api.get(f"/clients/{client_id}")
    assert gone.status_code == 404
    assert gone.json()["status"] == 404

    events = api.get("/audit", params={"client_id": client_id}).json()["items"]
    assert [e["event"] for e in events] == ["client.created", "client.updated", "client.deleted"]
    assert {e["detail"]["actor"] for e in events} == {f"client:{ops['client_id']}"}
    query = {"client_id": ops["client_id"], "event": "client.created"}
    (by_cli,) = api.get("/audit", params=query).json()["items"]
    assert by_cli["detail"]["actor"].startswith("cli")


def test_lists_are_paged_with_an_opaque_cursor(api: httpx.Client) -> None:
    made = {
        api.post(
            "/clients",
            json={"client_name": f"paged {n}", "redirect_uris": ["https://paged.test/cb"]},
        ).json()["client_id"]
        for n in range(3)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get("/clients", params=params).json()
        assert len(page["items"]) <= 2
        seen.extend(item["client_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    assert api.get("/clients", params={"cursor": "not-a-cursor"}).status_code == 400


def test_a_read_only_token_cannot_change_anything(server: TesseraServer) -> None:
    reader = machine_client(server, f"{server.issuer}/admin", "admin:read")
    with admin(server, token_for(server, reader, f"{server.issuer}/admin")) as api:
        assert api.get("/clients").status_code == 200
        refused = api.post("/clients", json={"client_name": "x", "redirect_uris": []})
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert 'scope="admin:write"' in refused.headers["www-authenticate"]


def test_a_token_for_another_api_is_no_admin_token(
    server: TesseraServer, api: httpx.Client
) -> None:
    assert (
        api.post(
            "/apis", json={"identifier": OTHER_API, "scopes": [{"name": "admin:write"}]}
        ).status_code
        == 201
    )
    other = machine_client(server, OTHER_API, "admin:write")
    with admin(server, token_for(server, other, OTHER_API)) as api_client:
        refused = api_client.get("/clients")
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert httpx.get(f"{server.issuer}/admin/v1/clients").status_code == 401


def test_db_upgrade_provisions_the_admin_api_once(tmp_path: Path) -> None:
    fresh = TesseraServer(tmp_path)
    fresh.cli("db", "upgrade")
    fresh.cli("db", "upgrade")
    apis = fresh.cli_json("apis", "list")
    assert [(api["identifier"], [s["name"] for s in api["scopes"]]) for api in apis] == [
        (f"{fresh.issuer}/admin", ["admin:read", "admin:write"])
    ]


def test_a_rotated_secret_replaces_the_old_one(server: TesseraServer, api: httpx.Client) -> None:
    audience = "https://rotated.example.test"
    assert api.post("/apis", json={"identifier": audience}).status_code == 201
    made = api.post(
        "/clients",
        json={"client_name": "job", "grant_types": ["client_credentials"], "apis": [audience]},
    ).json()
    rotated = api.post(f"/clients/{made['client_id']}/secret", json={"overlap": 0})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["client_secret"]
    assert new != made["client_secret"]
    form = {"grant_type": "client_credentials", "audience": audience}
    token = f"{server.issuer}/oauth/token"
    assert (
        httpx.post(token, data=form, auth=(made["client_id"], made["client_secret"])).status_code
        == 401
    )
    assert httpx.post(token, data=form, auth=(made["client_id"], new)).status_code == 200
    public = api.post(
        "/clients",
        json={
            "client_name": "spa",
            "redirect_uris": ["https://spa.test/cb"],
            "token_endpoint_auth_method": "none",
        },
    ).json()
    refused = api.post(f"/clients/{public['client_id']}/secret")
    assert refused.status_code == 422 and "public client" in refused.json()["detail"]
    events = api.get("/audit", params={"event": "client.secret_rotated"}).json()["items"]
    assert [e["client_id"] for e in events] == [made["client_id"]]


async def test_an_admin_token_ends_and_restores_a_persons_access(
    server: TesseraServer, api: httpx.Client
) -> None:
    """Over a real server: a disabled person can neither sign in nor refresh, an unlocked
    one signs in at once, and a revoked consent stops the client's refresh tokens."""
    person = api.post(
        "/users", json={"username": "carol", "password": PASSWORD, "email": "c@x.test"}
    ).json()
    app = api.post(
        "/clients",
        json={
            "client_name": "carol's app",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        },
    ).json()
    user = f"/users/{person['id']}"

    async with httpx.AsyncClient(base_url=server.issuer) as browser:

        async def tokens() -> dict[str, Any]:
            pkce = PKCE()
            params = request_params(app["client_id"], pkce, audience=None, scope=SCOPE)
            code = (await sign_in_and_consent(browser, params, username="carol"))["code"]
            return await redeem(browser, app["client_id"], code, pkce)

        async def refreshed(token: str) -> int:
            form = {"grant_type": "refresh_token", "refresh_token": token}
            form["client_id"] = app["client_id"]
            return (await browser.post("/oauth/token", data=form)).status_code

        async def login_page(pkce: PKCE | None = None) -> httpx.Response:
            params = request_params(app["client_id"], pkce, audience=None, scope=SCOPE)
            return await follow(browser, await browser.get("/authorize", params=params))

        first = await tokens()
        assert api.post(f"{user}/disable").json()["sessions_ended"] == 1
        assert await refreshed(first["refresh_token"]) == 400
        refused = await sign_in(browser, await login_page(), "carol", PASSWORD)
        assert refused.status_code == 403 and "This account is disabled." in refused.text
        api.post(f"{user}/enable")

        pkce = PKCE()
        page = await login_page(pkce)
        while page.status_code != 429:
            page = await sign_in(browser, page, "carol", "not the password")
        assert api.post(f"{user}/unlock").json()["throttle_keys_cleared"] >= 2
        # Signed in at once; the consent given before is remembered.
        code = callback(await sign_in(browser, page, "carol", PASSWORD))["code"]
        second = await redeem(browser, app["client_id"], code, pkce)
        revoked = api.delete(f"{user}/consents/{app['client_id']}").json()
        assert revoked["grants_revoked"] >= 1
        assert await refreshed(second["refresh_token"]) == 400

    audited = api.get("/audit", params={"user_id": person["id"]}).json()["items"]
    events = {e["event"] for e in audited}
    assert {"user.disabled", "user.enabled", "user.unlocked", "consent.revoked"} <= events
