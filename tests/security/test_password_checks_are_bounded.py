"""Security rule: password checks are bounded per process (each argon2id check holds a
core and 64 MiB): a sign-in that finds every slot taken waits in a short, bounded line
and beyond it gets a readable 503 page with Retry-After at once, without a check and
without counting as a failure; and a password longer than any that can be set is
refused without hashing it."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher

from tessera.core.models import Client
from tessera.core.password_checks import PasswordCheckSlots, available_cores
from tessera.crypto import passwords
from tessera.crypto.passwords import MAX_PASSWORD_LENGTH
from tessera.web.runtime import Runtime
from tests.security.conftest import CountedChecks
from tests.support.authorize import add_app, add_person, follow, request_params, sign_in
from tests.support.pages import form_of


@pytest.fixture
async def app_client(cheap_passwords: None, rt: Runtime) -> Client:
    await add_person(rt.store, "alice")
    await add_person(rt.store, "bob")
    return await add_app(rt.store, first_party=True)


async def login_page(http: httpx.AsyncClient, app: Client) -> httpx.Response:
    params = request_params(app.client_id, audience=None, scope="openid")
    return await follow(http, await http.get("/authorize", params=params))


def test_a_process_checks_one_password_per_core_at_once(rt: Runtime) -> None:
    assert rt.password_checks.size == available_cores() >= 1


async def test_a_sign_in_beyond_the_process_limit_gets_a_503_page_unchecked(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, counted_checks: CountedChecks
) -> None:
    rt.password_checks = PasswordCheckSlots(1, waiting=0)
    pages = [await login_page(client, app_client) for _ in range(2)]
    answers = await asyncio.gather(
        *(
            sign_in(client, page, username=name, password="wrong")
            for name, page in zip(("alice", "bob"), pages, strict=True)
        )
    )
    assert counted_checks.calls == 1
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert {answer.status_code for answer in answers} == {401, 503}
    assert busy.headers["retry-after"] == "1"
    assert busy.headers["content-type"].startswith("text/html")
    assert "Too many people are signing in right now." in busy.text
    assert form_of(busy.text).action == "/u/login"
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(10)]
    assert [event for event in events if event.startswith("login.")] == ["login.failed"]
    # The slot is free again once the check is over.
    assert (await sign_in(client, busy, password="wrong")).status_code == 401


async def test_sign_ins_beyond_the_slots_wait_in_line_and_are_all_checked(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, counted_checks: CountedChecks
) -> None:
    rt.password_checks = PasswordCheckSlots(1, waiting=1, max_wait=30)
    pages = [await login_page(client, app_client) for _ in range(2)]
    answers = await asyncio.gather(
        *(
            sign_in(client, page, username=name, password="wrong")
            for name, page in zip(("alice", "bob"), pages, strict=True)
        )
    )
    assert counted_checks.calls == 2
    assert [answer.status_code for answer in answers] == [401, 401]


class CountingHasher(PasswordHasher):
    """The cheapest argon2id, counting its verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


async def test_an_overlong_password_fails_without_being_hashed(
    client: httpx.AsyncClient, app_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    for name in ("alice", "mallory"):
        page = await login_page(client, app_client)
        failed = await sign_in(client, page, name, password="x" * (MAX_PASSWORD_LENGTH + 1))
        assert failed.status_code == 401 and "Incorrect username or password." in failed.text
    assert hasher.verified == 0
    page = await login_page(client, app_client)
    await sign_in(client, page, "alice", password="x" * MAX_PASSWORD_LENGTH)
    assert hasher.verified == 1
