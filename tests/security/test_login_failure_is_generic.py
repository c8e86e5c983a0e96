"""Security rule: a failed login says the same thing, with the same status and the same
work, whether the account is unknown or the password is wrong; and the throttle answers
a username and an email of one account as it answers two unknown names, so that it does
not tell which names belong together."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.support.authorize import add_app, add_person, follow, request_params, sign_in


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_person(rt.store)
    return await add_app(rt.store, first_party=True)


def without_tokens(html: str) -> str:
    """The page without what differs per request (CSRF token, interaction id, login)."""
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    return html


async def failed_login(http: httpx.AsyncClient, app: Client, username: str) -> httpx.Response:
    params = request_params(app.client_id, audience=None, scope="openid")
    page = await follow(http, await http.get("/authorize", params=params))
    return await sign_in(http, page, username=username, password="wrong password")


async def test_unknown_user_and_wrong_password_look_the_same(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    unknown = await failed_login(client, app_client, "mallory")
    wrong = await failed_login(client, app_client, "alice")
    assert unknown.status_code == wrong.status_code == 401
    assert without_tokens(unknown.text) == without_tokens(wrong.text)
    assert "Incorrect username or password." in wrong.text
    assert unknown.headers.get("retry-after") == wrong.headers.get("retry-after")


async def test_an_unknown_user_costs_a_password_check_too(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    started = time.perf_counter()
    await failed_login(client, app_client, "mallory")
    unknown = time.perf_counter() - started
    started = time.perf_counter()
    await failed_login(client, app_client, "alice")
    wrong = time.perf_counter() - started
    # Both verify an argon2id hash (tens of ms); a skipped check would take ~1 ms.
    assert unknown > 0.3 * wrong and wrong > 0.3 * unknown


async def test_a_throttled_username_leaves_its_email_as_free_as_an_unknown_name(
    cheap_passwords: None, client: httpx.AsyncClient, app_client: Client
) -> None:
    async def answers(username: str, email: str) -> list[tuple[int, str | None]]:
        failed = [await failed_login(client, app_client, username) for _ in range(4)]
        failed.append(await failed_login(client, app_client, email))
        return [(answer.status_code, answer.headers.get("retry-after")) for answer in failed]

    known = await answers("alice", "alice@example.test")
    unknown = await answers("mallory", "mallory@example.test")
    assert known == unknown == [(401, None)] * 3 + [(429, "2"), (401, None)]
