"""Security rule: bounded request sizes, headers included. Oversized or too many header
fields are refused with 431 before any cookie or Authorization header is parsed."""

from __future__ import annotations

import httpx
import pytest

from tessera.web.middleware import MAX_HEADER_BYTES, MAX_HEADER_COUNT


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/authorize", {"Cookie": "tessera_session=" + "a" * MAX_HEADER_BYTES}),
        ("/oauth/token", {"Authorization": "Basic " + "QQ" * (MAX_HEADER_BYTES // 2)}),
        ("/userinfo", {f"X-Filler-{n}": "x" for n in range(MAX_HEADER_COUNT)}),
    ],
    ids=["big-cookie", "big-authorization", "too-many-fields"],
)
async def test_oversized_headers_are_refused_with_431(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    response = await client.post(path, headers=headers)
    assert response.status_code == 431
    assert response.text == "request header fields too large"
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) == 16


async def test_headers_within_the_bound_are_served(client: httpx.AsyncClient) -> None:
    near = {"X-Padding": "p" * (MAX_HEADER_BYTES - 1024)}
    assert (await client.get("/healthz", headers=near)).status_code == 200
