"""The login page: signing in by username or email, failures, sessions, audit; both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from tessera.core.models import Client, User
from tessera.crypto.passwords import needs_rehash
from tessera.crypto.tokens import digest
from tessera.settings import Settings
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import (
    PASSWORD,
    add_app,
    add_person,
    callback,
    follow,
    location,
    request_params,
    sign_in,
    sign_in_and_consent,
)
from tests.support.grants import add_api
from tests.support.pages import form_of


@pytest.fixture
async def person(rt: Runtime) -> User:
    await add_api(rt.store)
    return await add_person(rt.store)


@pytest.fixture
async def app_client(rt: Runtime, person: User) -> Client:
    return await add_app(rt.store, first_party=True)


async def login_page(http: httpx.AsyncClient, app_client: Client, **extra: str) -> httpx.Response:
    return await follow(
        http, await http.get("/authorize", params=request_params(app_client.client_id, **extra))
    )


async def events(rt: Runtime) -> list[tuple[str, str | None]]:
    async with rt.store.transaction() as tx:
        return [(event.event, event.user_id) for event in await tx.audit.tail(20)]


async def test_the_login_page_is_a_labelled_form_for_the_client(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    page = await login_page(client, app_client)
    assert page.status_code == 200 and "Sign in" in page.text and "Test App" in page.text
    form = form_of(page.text)
    assert form.method == "POST" and form.action == "/u/login"
    assert {"csrf_token", "interaction", "username", "password"} <= set(form.fields)
    assert '<label for="username">' in page.text and '<label for="password">' in page.text
    assert 'autocomplete="current-password"' in page.text


async def test_a_wrong_password_shows_the_form_again_with_one_message(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User
) -> None:
    page = await login_page(client, app_client)
    failed = await sign_in(client, page, password="not the password")
    assert failed.status_code == 401 and "Incorrect username or password." in failed.text
    assert form_of(failed.text).fields["username"] == "alice"
    assert callback(await sign_in(client, failed))["code"]
    assert ("login.failed", person.id) in await events(rt)
    assert ("login.succeeded", person.id) in await events(rt)


async def test_an_email_address_signs_in_like_the_username(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    page = await login_page(client, app_client)
    assert callback(await sign_in(client, page, username="ALICE@example.test"))["code"]


async def test_signing_in_replaces_the_browsers_session(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await sign_in_and_consent_first_party(client, app_client)
    old = client.cookies["tessera_session"]
    page = await login_page(client, app_client, prompt="login")
    assert callback(await sign_in(client, page))["code"]
    new = client.cookies["tessera_session"]
    assert new != old and new.startswith("tsr_ss_")
    async with rt.store.transaction() as tx:
        assert await tx.sessions.get(digest(old), 1_800_000_000) is None
        assert await tx.sessions.get(digest(new), 1_800_000_000) is not None


async def sign_in_and_consent_first_party(http: httpx.AsyncClient, app_client: Client) -> None:
    assert callback(await sign_in(http, await login_page(http, app_client)))["code"]


async def test_the_login_page_needs_a_live_interaction(client: httpx.AsyncClient) -> None:
    for url in ("/u/login", "/u/login?interaction=tsr_ix_unknown", "/u/consent"):
        response = await client.get(url)
        assert response.status_code == 400 and "location" not in response.headers
        assert "start again" in response.text


async def test_a_consent_page_link_reaches_the_login_page_for_switching_account(
    client: httpx.AsyncClient, rt: Runtime, person: User
) -> None:
    third_party = await add_app(rt.store, name="Third Party")
    params = request_params(third_party.client_id)
    await sign_in_and_consent(client, {**params, "scope": "openid"})
    start = await client.get("/authorize", params=params)
    consent = await follow(client, start)
    assert "Not you?" in consent.text
    switch = location(start).replace("/u/consent", "/u/login")
    assert f'href="{switch}"' in consent.text
    assert (await client.get(switch)).status_code == 200


@pytest.fixture
async def branded(
    tmp_path: Path, settings: Settings, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """A server whose templates directory overrides the login page."""
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "login.html").write_text(
        '{% extends "base.html" %}{% block brand %}Acme Corp{% endblock %}'
        "{% block content %}<h1>Acme sign-in for {{ client_name }}</h1>"
        '<form method="post" action="/u/login"></form>{% endblock %}'
    )
    app = create_app(settings.model_copy(update={"templates_dir": tmp_path / "brand"}), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            yield http, app.state.runtime


async def test_a_templates_directory_rebrands_the_pages(
    branded: tuple[httpx.AsyncClient, Runtime],
) -> None:
    http, rt = branded
    app = await add_app(rt.store, name="Portal")
    params = request_params(app.client_id, audience=None, scope="openid")
    start = await http.get("/authorize", params=params)
    page = await follow(http, start)
    assert "Acme sign-in for Portal" in page.text and "Acme Corp" in page.text
    assert "/static/tessera.css" in page.text  # The rest of the built-in templates still apply.


async def test_an_outdated_password_hash_is_upgraded_at_sign_in(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    async with rt.store.transaction() as tx:
        await tx.users.set_password_hash(person.id, weak)
    assert callback(await sign_in(client, await login_page(client, app_client)))["code"]
    async with rt.store.transaction() as tx:
        upgraded = await tx.users.get(person.id)
    assert upgraded is not None and upgraded.password_hash != weak
    assert not needs_rehash(upgraded.password_hash)
