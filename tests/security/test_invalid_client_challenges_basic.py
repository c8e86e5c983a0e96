"""Security rule: failed client authentication is 401 invalid_client, with
WWW-Authenticate: Basic when Basic was tried (RFC 6749 5.2), on every endpoint."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from tessera.core.models import AuthMethod
from tessera.web.runtime import Runtime
from tests.support.grants import add_client
from tests.support.tokens import basic

ENDPOINTS = {
    "/oauth/token": {"grant_type": "client_credentials", "audience": "https://api.test"},
    "/oauth/revoke": {"token": "x"},
    "/oauth/introspect": {"token": "x"},
}


@pytest.mark.parametrize("path", list(ENDPOINTS))
async def test_failed_basic_gets_a_basic_challenge(
    client: httpx.AsyncClient, rt: Runtime, path: str
) -> None:
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_BASIC)
    for headers in (basic(app.client_id, "tsr_cs_wrong"), {"Authorization": "Basic !!"}):
        response = await client.post(path, data=ENDPOINTS[path], headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"] == 'Basic realm="tessera", charset="UTF-8"'


@pytest.mark.parametrize("path", list(ENDPOINTS))
@pytest.mark.parametrize(
    "credentials",
    [b"\xe9t\xe9", "\u00e9t\u00e9".encode(), b"YXBwOng=\xff"],
    ids=["latin-1", "utf-8", "tail"],
)
async def test_non_ascii_basic_gets_a_basic_challenge(
    client: httpx.AsyncClient, path: str, credentials: bytes
) -> None:
    # Raw octets, as a socket delivers them: httpx would refuse to encode such a str.
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"authorization", b"Basic " + credentials),
    ]
    body = urlencode(ENDPOINTS[path]).encode()
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="tessera", charset="UTF-8"'


@pytest.mark.parametrize("path", list(ENDPOINTS))
async def test_failed_post_authentication_is_401_without_a_challenge(
    client: httpx.AsyncClient, rt: Runtime, path: str
) -> None:
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    form = {**ENDPOINTS[path], "client_id": app.client_id, "client_secret": "tsr_cs_wrong"}
    response = await client.post(path, data=form)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert "www-authenticate" not in response.headers
