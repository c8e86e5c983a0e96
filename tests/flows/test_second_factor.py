"""Signing in with a second factor, over HTTP on both engines: the code page after the
right password, a TOTP code accepted once, wrong codes throttled as passwords are, a
recovery code spent once, `TESSERA_MFA=off`, and what the tokens say (amr, acr)."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher

from tessera.core import mfa
from tessera.core.models import Client, User
from tessera.crypto.passwords import needs_rehash
from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, TEST_SECRET_KEY, Clock
from tests.support.authorize import (
    PASSWORD,
    PKCE,
    add_app,
    add_person,
    callback,
    follow,
    redeem,
    request_params,
    sign_in,
    submit,
)
from tests.support.grants import add_api
from tests.support.pages import form_of
from tests.support.tokens import claims_of

SECRET = "JBSWY3DPEHPK3PXP" * 2


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"mfa": getattr(request, "param", "optional")})


@pytest.fixture
async def person(rt: Runtime, clock: Clock) -> User:
    await add_api(rt.store)
    user = await add_person(rt.store)
    async with rt.store.transaction() as tx:
        await mfa.add_totp(
            tx,
            user.id,
            SECRET,
            secret_key=TEST_SECRET_KEY,
            issuer=ISSUER,
            actor="test",
            now=int(clock.now),
        )
    return user


@pytest.fixture
async def app_client(rt: Runtime, person: User) -> Client:
    return await add_app(rt.store, first_party=True)


def code_now(clock: Clock) -> str:
    return pyotp.TOTP(SECRET).at(int(clock.now))


async def code_page(
    http: httpx.AsyncClient, app_client: Client, pkce: PKCE, **extra: str
) -> httpx.Response:
    params = request_params(app_client.client_id, pkce, **extra)
    start = await http.get("/authorize", params=params)
    page = await sign_in(http, await follow(http, start))
    assert page.status_code == 200, page.text
    return page


async def events(rt: Runtime) -> list[tuple[str, dict[str, str]]]:
    async with rt.store.transaction() as tx:
        return [(event.event, event.detail) for event in await tx.audit.tail(30)]


async def test_the_right_password_asks_for_the_code_and_the_code_signs_in(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client
) -> None:
    pkce = PKCE()
    page = await code_page(client, app_client, pkce)
    form = form_of(page.text)
    assert form.action == "/u/login/code" and {"csrf_token", "interaction", "code"} <= set(
        form.fields
    )
    for attribute in ('name="code"', 'autocomplete="one-time-code"', 'inputmode="numeric"'):
        assert attribute in page.text
    assert "session" not in page.cookies and page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    code = callback(await submit(client, page, code=code_now(clock)))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    keys = rt.keyring.verification_keys
    id_claims = claims_of(tokens["id_token"], keys, ISSUER, clock.now)
    assert id_claims["amr"] == ["pwd", "otp", "mfa"]
    assert id_claims["acr"] == "urn:tessera:acr:mfa"
    access = claims_of(tokens["access_token"], keys, ISSUER, clock.now, typ="at+jwt")
    assert access["acr"] == "urn:tessera:acr:mfa"
    names = [event for event, _ in await events(rt)]
    assert names.index("mfa.succeeded") < names.index("login.succeeded")


async def test_a_code_posted_without_a_verified_password_is_refused(
    client: httpx.AsyncClient, app_client: Client, clock: Clock
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    login = await follow(client, start)
    fields = form_of(login.text).fields
    refused = await client.post(
        "/u/login/code",
        data={
            "csrf_token": fields["csrf_token"],
            "interaction": fields["interaction"],
            "code": code_now(clock),
        },
    )
    assert refused.status_code == 400 and "session" not in refused.cookies


async def test_a_replayed_code_is_refused_and_the_next_one_works(
    client: httpx.AsyncClient, clock: Clock, app_client: Client
) -> None:
    used = code_now(clock)
    first = await code_page(client, app_client, PKCE())
    assert callback(await submit(client, first, code=used))["code"]
    second = await code_page(client, app_client, PKCE(), prompt="login")
    replayed = await submit(client, second, code=used)
    assert replayed.status_code == 401 and "was used already" in replayed.text
    clock.advance(30)
    assert callback(await submit(client, replayed, code=code_now(clock)))["code"]


async def test_wrong_codes_are_throttled_with_the_password_attempts(
    client: httpx.AsyncClient, clock: Clock, app_client: Client
) -> None:
    page = await code_page(client, app_client, PKCE())
    wrong = "000000" if code_now(clock) != "000000" else "111111"
    for _ in range(2):
        page = await submit(client, page, code=wrong)
        assert page.status_code == 401
    blocked = await submit(client, page, code=wrong)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    refused = await submit(client, blocked, code=code_now(clock))
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text
    clock.advance(int(blocked.headers["Retry-After"]))
    assert callback(await submit(client, refused, code=code_now(clock)))["code"]


async def test_a_recovery_code_signs_in_once(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client, person: User
) -> None:
    async with rt.store.transaction() as tx:
        codes = await mfa.issue_recovery_codes(tx, person, int(clock.now))
    pkce = PKCE()
    page = await code_page(client, app_client, pkce)
    code = callback(await submit(client, page, code=codes[0]))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    claims = claims_of(tokens["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["acr"] == "urn:tessera:acr:mfa"
    again_page = await code_page(client, app_client, PKCE(), prompt="login")
    again = await submit(client, again_page, code=codes[0])
    assert again.status_code == 401


@pytest.mark.parametrize("settings", ["off"], indirect=True)
async def test_with_mfa_off_the_password_alone_signs_in(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client
) -> None:
    pkce = PKCE()
    start = await client.get("/authorize", params=request_params(app_client.client_id, pkce))
    code = callback(await sign_in(client, await follow(client, start)))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    claims = claims_of(tokens["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert (claims["amr"], claims["acr"]) == (["pwd"], "urn:tessera:acr:pwd")


async def test_an_account_disabled_before_its_code_is_not_signed_in(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client, person: User
) -> None:
    page = await code_page(client, app_client, PKCE())
    async with rt.store.transaction() as tx:
        await tx.users.set_disabled(person.id, int(clock.now))
    refused = await submit(client, page, code=code_now(clock))
    assert refused.status_code == 400 and "session" not in refused.cookies


async def test_an_outdated_password_hash_is_upgraded_before_the_code(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    async with rt.store.transaction() as tx:
        await tx.users.set_password_hash(person.id, weak)
    await code_page(client, app_client, PKCE())
    async with rt.store.transaction() as tx:
        upgraded = await tx.users.get(person.id)
    assert upgraded is not None and not needs_rehash(upgraded.password_hash)


@pytest.mark.parametrize("settings", ["required"], indirect=True)
async def test_under_required_a_person_without_a_factor_enrols_then_signs_in(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client
) -> None:
    await add_person(rt.store, "bob")
    pkce = PKCE()
    start = await client.get("/authorize", params=request_params(app_client.client_id, pkce))
    page = await sign_in(client, await follow(client, start), username="bob")
    assert page.status_code == 200 and form_of(page.text).action == "/u/login/enrol"
    assert '<svg width="' in page.text and 'autocomplete="one-time-code"' in page.text
    secret = page.text.split('<code id="totp-secret">')[1].split("<")[0]
    assert "session" not in page.cookies
    wrong = await submit(
        client, page, code="000000" if secret_code(secret, clock) != "000000" else "1"
    )
    assert wrong.status_code == 401 and secret in wrong.text  # The same secret again.
    codes_page = await submit(client, wrong, code=secret_code(secret, clock))
    assert form_of(codes_page.text).action == "/u/login/continue"
    codes = codes_page.text.split('<ul class="recovery-codes" id="recovery-codes">')[1]
    assert codes.count("<li>") == 10 and "session" not in codes_page.cookies
    code = callback(await submit(client, codes_page))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    claims = claims_of(tokens["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp", "mfa"], "urn:tessera:acr:mfa")
    again = await submit(client, codes_page)  # The sign-in is finished: no second one.
    assert again.status_code == 400


@pytest.mark.parametrize("settings", ["required"], indirect=True)
async def test_under_required_a_person_with_a_factor_is_asked_for_its_code(
    client: httpx.AsyncClient, clock: Clock, app_client: Client
) -> None:
    page = await code_page(client, app_client, PKCE())
    assert form_of(page.text).action == "/u/login/code"
    assert callback(await submit(client, page, code=code_now(clock)))["code"]


def secret_code(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(int(clock.now))


async def _enrolment_page(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> tuple[httpx.Response, str]:
    await add_person(rt.store, "bob")
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await sign_in(client, await follow(client, start), username="bob")
    return page, page.text.split('<code id="totp-secret">')[1].split("<")[0]


def _post(page: httpx.Response, action: str, **values: str) -> tuple[str, dict[str, str]]:
    fields = form_of(page.text).fields
    return action, {
        "csrf_token": fields["csrf_token"],
        "interaction": fields["interaction"],
        **values,
    }


@pytest.mark.parametrize("settings", ["required"], indirect=True)
async def test_the_enrolment_pages_refuse_what_their_step_does_not_await(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client, person: User
) -> None:
    code_step = await code_page(client, app_client, PKCE())
    action, data = _post(code_step, "/u/login/enrol", code=code_now(clock))
    assert (await client.post(action, data=data)).status_code == 400  # Not enrolling.
    page, _ = await _enrolment_page(client, rt, app_client)
    action, data = _post(page, "/u/login/continue")
    assert (await client.post(action, data=data)).status_code == 400  # Not confirmed yet.


@pytest.mark.parametrize("settings", ["required"], indirect=True)
async def test_an_enrolment_reset_or_disabled_meanwhile_is_refused(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client
) -> None:
    page, secret = await _enrolment_page(client, rt, app_client)
    async with rt.store.transaction() as tx:
        bob = await tx.users.find_by_login("bob")
        assert bob is not None
        await mfa.reset_factors(tx, bob.id, actor="test", now=int(clock.now))
    assert (await submit(client, page, code=secret_code(secret, clock))).status_code == 400
    page = await sign_in(client, await follow(client, await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="login")
    )), username="bob")  # fmt: skip
    secret = page.text.split('<code id="totp-secret">')[1].split("<")[0]
    codes_page = await submit(client, page, code=secret_code(secret, clock))
    async with rt.store.transaction() as tx:
        await tx.users.set_disabled(bob.id, int(clock.now))
    assert (await submit(client, codes_page)).status_code == 400


@pytest.mark.parametrize("settings", ["required"], indirect=True)
async def test_wrong_enrolment_codes_are_throttled(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client
) -> None:
    page, secret = await _enrolment_page(client, rt, app_client)
    wrong = "000000" if secret_code(secret, clock) != "000000" else "111111"
    for _ in range(2):
        page = await submit(client, page, code=wrong)
    blocked = await submit(client, page, code=wrong)
    assert blocked.status_code == 429 and secret in blocked.text
    refused = await submit(client, blocked, code=secret_code(secret, clock))
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text


STEP_UP = "urn:tessera:acr:mfa"


async def test_acr_values_asks_a_password_only_session_for_the_second_factor(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: Client, person: User
) -> None:
    async with rt.store.transaction() as tx:
        await mfa.reset_factors(tx, person.id, actor="test", now=int(clock.now))
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    assert callback(await sign_in(client, await follow(client, start)))["code"]  # Password only.
    async with rt.store.transaction() as tx:
        await mfa.add_totp(
            tx, person.id, SECRET, secret_key=TEST_SECRET_KEY, issuer=ISSUER, actor="t", now=1
        )
    pkce = PKCE()
    params = request_params(app_client.client_id, pkce, acr_values=STEP_UP)
    login = await follow(client, await client.get("/authorize", params=params))
    page = await sign_in(client, login)
    assert form_of(page.text).action == "/u/login/code"
    code = callback(await submit(client, page, code=code_now(clock)))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    claims = claims_of(tokens["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["acr"] == STEP_UP
    silent = request_params(app_client.client_id, acr_values=STEP_UP, prompt="none")
    again = await client.get("/authorize", params=silent)
    assert callback(again)["code"]  # The session has two factors now: no page.


async def test_acr_values_has_a_person_without_a_factor_enrol_under_optional(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await add_person(rt.store, "bob")
    params = request_params(app_client.client_id, acr_values=STEP_UP)
    login = await follow(client, await client.get("/authorize", params=params))
    page = await sign_in(client, login, username="bob")
    assert form_of(page.text).action == "/u/login/enrol"


@pytest.mark.parametrize("settings", ["off"], indirect=True)
async def test_acr_values_that_cannot_be_met_is_an_error_for_the_client(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    params = request_params(app_client.client_id, acr_values=STEP_UP)
    login = await follow(client, await client.get("/authorize", params=params))
    answer = callback(await sign_in(client, login))
    assert answer["error"] == "unmet_authentication_requirements" and "code" not in answer
    silent = await client.get(
        "/authorize", params=request_params(app_client.client_id, acr_values=STEP_UP, prompt="none")
    )
    assert callback(silent)["error"] == "login_required"
