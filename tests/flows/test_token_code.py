"""POST /oauth/token with grant_type=authorization_code (seed steps 8-11), both engines."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import AuthMethod, GrantType
from tessera.crypto.jwt import id_token_hash
from tessera.crypto.keys import Algorithm
from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import (
    API_ID,
    USER,
    IssuedCode,
    RegisteredClient,
    add_api,
    add_client,
    add_grant,
    add_user,
    code_form,
    delete_user_bypassing_cascades,
)
from tests.support.tokens import basic, claims_of, header_of

USERINFO = f"{ISSUER}/userinfo"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Every algorithm a client may choose is enabled here (EdDSA is not by default)."""
    return settings.model_copy(update={"signing_algorithms": "RS256,ES256,EdDSA"})


@pytest.fixture
async def public(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store)
    return await add_client(rt.store, public=True)


@pytest.fixture
async def issued(rt: Runtime, public: RegisteredClient, clock: Clock) -> IssuedCode:
    return await add_grant(rt.store, public, now=int(clock.now))


async def redeem(
    client: httpx.AsyncClient, issued: IssuedCode, client_id: str, **extra: str
) -> httpx.Response:
    return await client.post("/oauth/token", data=code_form(issued, client_id, **extra))


async def test_code_and_verifier_give_the_seed_token_response(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, issued: IssuedCode
) -> None:
    response = await redeem(client, issued, public.client_id)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "id_token",
        "token_type",
        "expires_in",
        "scope",
    }
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert body["refresh_token"].startswith("tsr_rt_")
    assert body["scope"] == "email offline_access openid profile read:x"


async def test_access_token_is_an_rfc9068_jwt_for_the_api_and_userinfo(
    client: httpx.AsyncClient,
    rt: Runtime,
    public: RegisteredClient,
    issued: IssuedCode,
    clock: Clock,
) -> None:
    token = (await redeem(client, issued, public.client_id)).json()["access_token"]
    assert header_of(token)["typ"] == "at+jwt" and header_of(token)["alg"] == "RS256"
    claims = claims_of(token, rt.keyring.verification_keys, ISSUER, clock.now, typ="at+jwt")
    assert claims["aud"] == [API_ID, USERINFO]
    assert claims["sub"] == USER.id and claims["client_id"] == public.client_id
    assert claims["scope"] == "email offline_access openid profile read:x"
    assert claims["iat"] == int(clock.now) and claims["exp"] == int(clock.now) + 86400
    assert claims["auth_time"] == issued.grant.auth_time
    assert claims["jti"].startswith(issued.grant.id + ".")


async def test_id_token_follows_oidc_core(
    client: httpx.AsyncClient,
    rt: Runtime,
    public: RegisteredClient,
    issued: IssuedCode,
    clock: Clock,
) -> None:
    body = (await redeem(client, issued, public.client_id)).json()
    claims = claims_of(body["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert header_of(body["id_token"])["alg"] == "RS256"
    assert claims["aud"] == public.client_id and claims["azp"] == public.client_id
    assert claims["sub"] == USER.id and claims["nonce"] == "nonce-1" and claims["sid"] == "sid-1"
    assert claims["exp"] == int(clock.now) + 36000
    assert claims["auth_time"] == issued.grant.auth_time
    assert claims["at_hash"] == id_token_hash(body["access_token"], Algorithm.RS256)
    assert claims["email"] == USER.email and claims["email_verified"] is True
    assert claims["name"] == USER.name and claims["preferred_username"] == USER.username


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.EDDSA])
async def test_id_token_uses_the_clients_algorithm(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, clock: Clock, alg: Algorithm
) -> None:
    chosen = await add_client(rt.store, public=True, id_token_alg=alg)
    issued = await add_grant(rt.store, chosen, now=int(clock.now))
    body = (await redeem(client, issued, chosen.client_id)).json()
    assert header_of(body["id_token"])["alg"] == alg.value
    claims = claims_of(body["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["at_hash"] == id_token_hash(body["access_token"], alg)


async def test_api_sets_access_token_lifetime_and_algorithm(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, clock: Clock
) -> None:
    await add_api(rt.store, "https://fast.test", lifetime=600, alg=Algorithm.ES256)
    issued = await add_grant(
        rt.store, public, now=int(clock.now), scope=("read:x",), audience="https://fast.test"
    )
    body = (await redeem(client, issued, public.client_id)).json()
    assert body["expires_in"] == 600 and set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
    }
    assert header_of(body["access_token"])["alg"] == "ES256"
    claims = claims_of(body["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["aud"] == "https://fast.test" and claims["exp"] == int(clock.now) + 600


async def test_without_an_api_the_audience_is_userinfo_and_lifetime_the_default(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, public, now=int(clock.now), scope=("openid",), audience=None)
    body = (await redeem(client, issued, public.client_id)).json()
    claims = claims_of(body["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["aud"] == USERINFO and body["expires_in"] == rt.settings.access_token_lifetime
    assert "refresh_token" not in body and "id_token" in body


async def test_no_refresh_token_for_a_client_without_the_refresh_grant(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, clock: Clock
) -> None:
    code_only = await add_client(rt.store, public=True, grant_types=[GrantType.AUTHORIZATION_CODE])
    issued = await add_grant(rt.store, code_only, now=int(clock.now))
    body = (await redeem(client, issued, code_only.client_id)).json()
    assert "refresh_token" not in body and "id_token" in body


@pytest.mark.parametrize(
    ("method", "auth"),
    [(AuthMethod.CLIENT_SECRET_BASIC, "header"), (AuthMethod.CLIENT_SECRET_POST, "body")],
)
async def test_confidential_clients_redeem_with_their_secret(
    client: httpx.AsyncClient,
    rt: Runtime,
    public: RegisteredClient,
    clock: Clock,
    method: AuthMethod,
    auth: str,
) -> None:
    confidential = await add_client(rt.store, auth_method=method)
    issued = await add_grant(rt.store, confidential, now=int(clock.now))
    assert confidential.secret is not None
    if auth == "header":
        response = await client.post(
            "/oauth/token",
            data=code_form(issued),
            headers=basic(confidential.client_id, confidential.secret),
        )
    else:
        response = await redeem(
            client, issued, confidential.client_id, client_secret=confidential.secret
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "code_verifier"])
async def test_missing_parameters_are_invalid_request_and_leave_the_code(
    client: httpx.AsyncClient, public: RegisteredClient, issued: IssuedCode, missing: str
) -> None:
    form = code_form(issued, public.client_id)
    del form[missing]
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert (await redeem(client, issued, public.client_id)).status_code == 200


async def test_unknown_code_is_invalid_grant(
    client: httpx.AsyncClient, public: RegisteredClient, issued: IssuedCode
) -> None:
    response = await redeem(client, issued, public.client_id, code="tsr_ac_not-a-real-code")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_expired_code_is_invalid_grant(
    client: httpx.AsyncClient, public: RegisteredClient, issued: IssuedCode, clock: Clock
) -> None:
    clock.advance(60)
    response = await redeem(client, issued, public.client_id)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_code_of_a_grant_past_its_end_is_invalid_grant(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(
        rt.store, public, now=int(clock.now), code_lifetime=600, family_lifetime=100
    )
    clock.advance(100)
    response = await redeem(client, issued, public.client_id)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "tamper",
    ["other-client", "redirect-uri", "verifier", "malformed-verifier"],
)
async def test_failed_checks_are_invalid_grant_and_burn_the_code(
    client: httpx.AsyncClient,
    rt: Runtime,
    public: RegisteredClient,
    issued: IssuedCode,
    tamper: str,
) -> None:
    other = await add_client(rt.store, public=True)
    form = code_form(issued, public.client_id)
    if tamper == "other-client":
        form["client_id"] = other.client_id
    elif tamper == "redirect-uri":
        form["redirect_uri"] = "https://app.test/callback/"
    elif tamper == "verifier":
        form["code_verifier"] = "x" * 43
    else:
        form["code_verifier"] = "short"
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    retry = await redeem(client, issued, public.client_id)
    assert retry.status_code == 400 and retry.json()["error"] == "invalid_grant"


async def test_a_deleted_api_stops_its_codes(
    client: httpx.AsyncClient, rt: Runtime, public: RegisteredClient, issued: IssuedCode
) -> None:
    async with rt.store.transaction() as tx:
        await tx.apis.delete(API_ID)
    response = await redeem(client, issued, public.client_id)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_user_gone_behind_the_grant_stops_its_code(
    client: httpx.AsyncClient, public: RegisteredClient, issued: IssuedCode, database_url: str
) -> None:
    await delete_user_bypassing_cascades(database_url, USER.id)
    response = await redeem(client, issued, public.client_id)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
