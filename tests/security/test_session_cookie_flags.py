"""Security rule: the session cookie is HttpOnly, SameSite=Lax, Secure and __Host- under
https, random, stored only as a digest, and rotated at login."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tessera.crypto.tokens import digest
from tessera.settings import load_settings
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY, Clock
from tests.support.authorize import (
    add_app,
    add_person,
    callback,
    follow,
    request_params,
    sign_in,
)

HTTPS_ISSUER = "https://auth.example.test"


async def signed_in_cookie(http: httpx.AsyncClient, rt: Runtime) -> str:
    await add_person(rt.store)
    first_party = await add_app(rt.store, first_party=True)
    params = request_params(first_party.client_id, audience=None, scope="openid")
    response = await sign_in(http, await follow(http, await http.get("/authorize", params=params)))
    assert callback(response)["code"]
    header = next(
        value for value in response.headers.get_list("set-cookie") if "tessera_session=" in value
    )
    return header


def attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


async def test_over_http_the_cookie_is_httponly_and_lax(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    header = await signed_in_cookie(client, rt)
    assert header.startswith("tessera_session=tsr_ss_")
    assert {"httponly", "path", "samesite", "max-age"} <= attributes(header)
    assert "secure" not in attributes(header)
    assert "SameSite=lax" in header and "Path=/" in header and "Domain" not in header


@pytest.fixture
async def https_client(
    tmp_path: Path, database_url: str, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    settings = load_settings(
        issuer=HTTPS_ISSUER,
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=HTTPS_ISSUER) as http:
            yield http, app.state.runtime


async def test_under_https_the_cookies_are_secure_and_host_prefixed(
    https_client: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, rt = https_client
    header = await signed_in_cookie(http, rt)
    assert header.startswith("__Host-tessera_session=tsr_ss_")
    assert {"secure", "httponly", "samesite", "path"} <= attributes(header)
    assert "Domain" not in header
    assert http.cookies.get("__Host-tessera_csrf")


async def test_only_the_digest_of_the_cookie_is_stored(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    await signed_in_cookie(client, rt)
    value = client.cookies["tessera_session"]
    async with rt.store.transaction() as tx:
        rows = await tx.conn.fetch_all("SELECT id_hash, sid FROM sessions")
    assert [bytes(row["id_hash"]) for row in rows] == [digest(value)]
    assert value not in rows[0]["sid"]


async def test_a_planted_session_id_is_not_adopted_at_login(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    planted = "tsr_ss_" + "A" * 43
    client.cookies.set("tessera_session", planted, domain="localhost.local")
    await signed_in_cookie(client, rt)
    assert client.cookies["tessera_session"] != planted


async def test_a_forged_or_malformed_cookie_is_no_session(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    app = await add_app(rt.store)
    for forged in ("tsr_ss_" + "B" * 43, "x" * 500, "not-a-session"):
        client.cookies.set("tessera_session", forged, domain="localhost.local")
        response = await client.get(
            "/authorize",
            params=request_params(app.client_id, audience=None, scope="openid", prompt="none"),
        )
        assert callback(response)["error"] == "login_required"


async def test_sessions_expire(client: httpx.AsyncClient, rt: Runtime, clock: Clock) -> None:
    await signed_in_cookie(client, rt)
    app = await add_app(rt.store, first_party=True)
    params = request_params(app.client_id, audience=None, scope="openid", prompt="none")
    assert callback(await client.get("/authorize", params=params))["code"]
    clock.advance(rt.settings.session_lifetime)
    assert callback(await client.get("/authorize", params=params))["error"] == "login_required"
