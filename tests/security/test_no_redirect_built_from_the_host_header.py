"""Security rule: no answer redirects to a URL built from the request's Host header, and
none is a 307 or 308, which would make the browser send a POST body (a password, a
code) on to the next URL (RFC 9700 4.12).

A router that "fixes" a trailing slash does both: `/authorize/` would answer a 307 to
`http://<Host>/authorize`, with the scheme the proxy's hop used. Such a path is unknown
and gets a 404, like any other. Every path of the route table is tried, with and without
a slash added, under a foreign Host and forwarding headers.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Mount, Route

from tessera.web.routes import routes

FOREIGN = {"Host": "evil.test", "X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http"}


def _paths() -> list[str]:
    """Each route's path with a slash added; a mount's without the slash it serves under."""
    paths = {route.path + "/" for route in routes if isinstance(route, Route)}
    return sorted(paths | {route.path for route in routes if isinstance(route, Mount)})


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", _paths())
async def test_a_path_with_a_slash_added_is_not_found_never_redirected(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.request(method, path, headers=FOREIGN, data={"password": "p"})
    assert response.status_code == 404, response.headers.get("location")
    assert "location" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "path", sorted({route.path for route in routes if isinstance(route, Route | Mount)})
)
async def test_no_known_path_redirects_to_the_host_header_or_with_307(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.request(method, path, headers=FOREIGN)
    assert response.status_code not in (307, 308)
    assert "evil.test" not in response.headers.get("location", "")
