"""Security rule: errors before the redirect URI is trusted are shown, never redirected
(RFC 6749 4.1.2.1, RFC 9700 4.1), and logout follows only registered URIs."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.support.authorize import add_app, request_params
from tests.support.grants import REDIRECT_URI

EVIL = "https://evil.test/steal"


@pytest.fixture
async def apps(rt: Runtime) -> dict[str, Client]:
    return {
        "web": await add_app(rt.store, public=False),
        "native": await add_app(rt.store, redirect_uris=("http://127.0.0.1/callback",)),
    }


@pytest.mark.parametrize(
    ("which", "query"),
    [
        ("none", [("redirect_uri", EVIL)]),
        ("unknown", [("redirect_uri", EVIL)]),
        ("web", [("redirect_uri", EVIL)]),
        ("web", []),
        ("web", [("redirect_uri", REDIRECT_URI), ("redirect_uri", EVIL)]),
        ("web", [("redirect_uri", REDIRECT_URI + "/../evil")]),
        ("web", [("redirect_uri", "https://app.test.evil.test/callback")]),
        ("web", [("redirect_uri", REDIRECT_URI + "?next=" + EVIL)]),
        ("web", [("redirect_uri", "HTTPS://app.test/callback")]),
        ("native", [("redirect_uri", "http://127.0.0.1.evil.test:8000/callback")]),
        ("native", [("redirect_uri", "http://user@127.0.0.1:8000/callback")]),
        ("native", [("redirect_uri", "http://127.0.0.1:8000/other")]),
        ("native", [("redirect_uri", "http://127.0.0.1:8000/call\nback")]),
        ("native", [("redirect_uri", "HTTP://127.0.0.1:8000/callback")]),
    ],
    ids=[
        "no-client",
        "unknown-client",
        "unregistered",
        "missing",
        "repeated",
        "path-traversal",
        "suffix-host",
        "added-query",
        "case-changed",
        "loopback-lookalike",
        "loopback-userinfo",
        "loopback-other-path",
        "loopback-newline",
        "loopback-scheme-case",
    ],
)
async def test_an_untrusted_redirect_uri_gets_a_page_not_a_redirect(
    client: httpx.AsyncClient, apps: dict[str, Client], which: str, query: list[tuple[str, str]]
) -> None:
    client_id = apps[which].client_id if which in apps else which
    params = request_params(client_id, scope="openid bogus", state="s", code_challenge="bad")
    params.pop("redirect_uri")
    if which == "none":
        params.pop("client_id")
    response = await client.get("/authorize", params=[*params.items(), *query])
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "evil.test" not in response.text
    assert "Something went wrong" in response.text


async def test_a_native_client_may_use_any_loopback_port(
    client: httpx.AsyncClient, apps: dict[str, Client]
) -> None:
    params = request_params(
        apps["native"].client_id,
        redirect_uri="http://127.0.0.1:49152/callback",
        audience=None,
        scope="openid",
    )
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302 and response.headers["location"].startswith("/u/login?")


async def test_a_confidential_client_may_not_change_the_port(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    web = await add_app(rt.store, public=False, redirect_uris=("http://127.0.0.1:8080/cb",))
    params = request_params(web.client_id, redirect_uri="http://127.0.0.1:9090/cb", audience=None)
    response = await client.get("/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers


async def test_logout_never_redirects_to_an_unregistered_uri(
    client: httpx.AsyncClient, apps: dict[str, Client]
) -> None:
    for params in (
        {"post_logout_redirect_uri": EVIL},
        {"post_logout_redirect_uri": EVIL, "client_id": apps["web"].client_id},
        {"post_logout_redirect_uri": REDIRECT_URI, "client_id": apps["web"].client_id},
    ):
        response = await client.get("/logout", params=params)
        assert response.status_code == 400 and "location" not in response.headers
