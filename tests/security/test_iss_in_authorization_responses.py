"""Security rule: every authorization response names its issuer (RFC 9207), success or
error, query or form_post, so a client can detect a mix-up."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.metadata import build_authorization_server_metadata
from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.authorize import (
    add_app,
    add_person,
    callback,
    request_params,
    sign_in_and_consent,
)
from tests.support.grants import add_api
from tests.support.pages import form_of


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_api(rt.store)
    await add_person(rt.store)
    return await add_app(rt.store)


async def test_code_responses_carry_iss(client: httpx.AsyncClient, app_client: Client) -> None:
    assert (await sign_in_and_consent(client, request_params(app_client.client_id)))[
        "iss"
    ] == ISSUER


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "none"},
        {"response_type": "token"},
        {"scope": "openid nope"},
        {"code_challenge_method": "plain"},
        {"audience": "https://unknown.test"},
        {"state": None, "prompt": "none"},
    ],
    ids=["login-required", "response-type", "scope", "pkce", "target", "no-state"],
)
async def test_error_responses_carry_iss(
    client: httpx.AsyncClient, app_client: Client, params: dict[str, str | None]
) -> None:
    query = request_params(app_client.client_id, **params)
    answer = callback(await client.get("/authorize", params=query))
    assert answer["error"] and answer["iss"] == ISSUER
    assert answer.get("state") == query.get("state")


async def test_form_post_responses_carry_iss(client: httpx.AsyncClient, app_client: Client) -> None:
    query = request_params(app_client.client_id, prompt="none", response_mode="form_post")
    page = await client.get("/authorize", params=query)
    fields = form_of(page.text).fields
    assert fields == {
        "error": "login_required",
        "error_description": fields["error_description"],
        "state": "state-1",
        "iss": ISSUER,
    }


def test_discovery_says_iss_is_sent() -> None:
    metadata = build_authorization_server_metadata(ISSUER)
    assert metadata["authorization_response_iss_parameter_supported"] is True
