"""Security rule: PKCE S256 is required for every client; plain is refused (RFC 9700 2.1.1)."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.metadata import build_authorization_server_metadata
from tessera.core.models import Client
from tessera.crypto.tokens import s256
from tessera.web.runtime import Runtime
from tests.support.authorize import add_app, callback, request_params


@pytest.fixture
async def apps(rt: Runtime) -> list[Client]:
    return [await add_app(rt.store), await add_app(rt.store, public=False, first_party=True)]


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge_method": "plain", "code_challenge": "v" * 43},
        {"code_challenge_method": None},
        {"code_challenge": None},
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "s256"},
        {"code_challenge": s256("v" * 43)[:42]},
        {"code_challenge": s256("v" * 43) + "="},
        {"code_challenge": "+" + s256("v" * 43)[1:]},
    ],
    ids=[
        "plain",
        "no-method",
        "no-challenge",
        "no-pkce",
        "lower-case-method",
        "short",
        "padded",
        "not-base64url",
    ],
)
async def test_anything_but_a_s256_challenge_is_invalid_request(
    client: httpx.AsyncClient, apps: list[Client], pkce: dict[str, str | None]
) -> None:
    for app in apps:
        params = request_params(app.client_id, audience=None, scope="openid")
        params.update({name: value for name, value in pkce.items() if value is not None})
        for name in (name for name, value in pkce.items() if value is None):
            params.pop(name)
        response = await client.get("/authorize", params=params)
        answer = callback(response)
        assert answer["error"] == "invalid_request", answer
        assert "code" not in answer


def test_discovery_advertises_s256_only() -> None:
    assert build_authorization_server_metadata("https://as.test")[
        "code_challenge_methods_supported"
    ] == ["S256"]
