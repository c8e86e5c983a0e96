"""Second factors (core.mfa) over a real database: operator enrolment, listing and
reset, and a sign-in's code: a TOTP code within a step of now, accepted once (also
when two requests race), or a recovery code, spent once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pyotp
import pytest

from tessera.core import mfa
from tessera.core.accounts import UnknownUserError
from tessera.core.audit_events import Event
from tessera.core.models import AMR, PASSWORD_ONLY, TWO_FACTORS, Factor, FactorKind
from tessera.core.sessions import load_session, start_session
from tessera.crypto.otp import TOTPSecretError, open_totp_secret, seal_totp_secret
from tessera.store import SQLRepos, Store
from tests.support.grants import USER, add_api, add_client, add_grant, add_user

NOW = 1_800_000_010
STEP = NOW // 30
KEY = "k" * 43
ISSUER = "https://login.example.test"
ACTOR = "cli:ops"
SECRET = "JBSWY3DPEHPK3PXP" * 2
MFA = TWO_FACTORS


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=4)
    await add_user(opened)
    await add_api(opened)
    yield opened
    await opened.close()


def _code(step: int, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(step * 30)


async def _enrol(store: Store, secret: str | None = SECRET) -> mfa.TOTPEnrolment:
    async with store.transaction() as tx:
        return await mfa.add_totp(
            tx, USER.id, secret, secret_key=KEY, issuer=ISSUER, actor=ACTOR, now=NOW
        )


async def _check(store: Store, code: str, now: int = NOW) -> tuple[AMR, ...] | None:
    async with store.transaction() as tx:
        return await mfa.check_second_factor(tx, USER, code, secret_key=KEY, now=now, ip="::1")


async def _events(store: Store) -> list[tuple[str, dict[str, str]]]:
    async with store.transaction() as tx:
        return [(event.event, event.detail) for event in await tx.audit.tail(20)]


async def test_every_operator_use_case_refuses_an_unknown_user(store: Store) -> None:
    calls: list[Callable[[SQLRepos], Awaitable[object]]] = [
        lambda tx: mfa.add_totp(
            tx, "nobody", None, secret_key=KEY, issuer=ISSUER, actor=ACTOR, now=NOW
        ),
        lambda tx: mfa.mfa_status(tx, "nobody"),
        lambda tx: mfa.reset_factors(tx, "nobody", actor=ACTOR, now=NOW),
    ]
    for call in calls:
        async with store.transaction() as tx:
            with pytest.raises(UnknownUserError, match="nobody"):
                await call(tx)
    assert await _events(store) == []


async def test_an_operator_enrols_an_imported_or_a_new_secret_sealed_at_rest(
    store: Store,
) -> None:
    imported = await _enrol(store, SECRET.lower())
    assert imported.secret == SECRET
    assert imported.otpauth_uri.startswith("otpauth://totp/login.example.test:alice?secret=")
    made = await _enrol(store, None)
    assert len(made.secret) == 32 and made.secret != SECRET
    async with store.transaction() as tx:
        status = await mfa.mfa_status(tx, USER.id)
    assert {f.id for f in status.factors} == {imported.factor.id, made.factor.id}
    stored = {f.id: f for f in status.factors}[imported.factor.id]
    assert stored.kind is FactorKind.TOTP and stored.is_confirmed
    assert SECRET.encode() not in stored.secret
    assert open_totp_secret(stored.secret, stored.id, KEY) == SECRET
    assert status.recovery_codes_left == 0
    assert (
        Event.MFA_ENROLLED,
        {"factor": imported.factor.id, "kind": "totp", "actor": ACTOR},
    ) in await _events(store)


async def test_a_malformed_secret_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(TOTPSecretError):
        await _enrol(store, "not base32!")
    async with store.transaction() as tx:
        assert (await mfa.mfa_status(tx, USER.id)).factors == []


async def test_a_code_is_accepted_once_and_never_an_older_one(store: Store) -> None:
    await _enrol(store)
    assert await _check(store, _code(STEP)) == MFA
    assert await _check(store, _code(STEP)) is None  # Replayed.
    assert await _check(store, _code(STEP - 1)) is None  # Older, though within the window.
    assert await _check(store, _code(STEP + 1)) == MFA  # The next step is new.
    assert await _check(store, "000000" if _code(STEP + 2) != "000000" else "111111") is None
    events = [(event, detail.get("method")) for event, detail in await _events(store)]
    assert events[1:] == [
        (Event.MFA_SUCCEEDED, "totp"),
        (Event.MFA_FAILED, None),
        (Event.MFA_FAILED, None),
        (Event.MFA_SUCCEEDED, "totp"),
        (Event.MFA_FAILED, None),
    ]


async def test_two_requests_with_one_code_cannot_both_pass(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    await add_user(first)
    await _enrol(first)
    code = _code(STEP)
    results = await asyncio.gather(_check(first, code), _check(second, code))
    assert sorted(results, key=lambda amr: amr is None) == [MFA, None]


async def test_an_unconfirmed_enrolment_is_not_a_factor(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.factors.add(
            Factor(
                id="pending",
                user_id=USER.id,
                kind=FactorKind.TOTP,
                secret=seal_totp_secret(SECRET, "pending", KEY),
                name="phone",
                created_at=NOW,
            )
        )
    assert await _check(store, _code(STEP)) is None


async def test_a_recovery_code_works_once_and_new_ones_replace_the_old(store: Store) -> None:
    await _enrol(store)
    async with store.transaction() as tx:
        old = await mfa.issue_recovery_codes(tx, USER, NOW)
        codes = await mfa.issue_recovery_codes(tx, USER, NOW)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert await _check(store, old[0]) is None
    assert await _check(store, codes[0].upper()) == MFA
    assert await _check(store, codes[0]) is None
    async with store.transaction() as tx:
        assert (await mfa.mfa_status(tx, USER.id)).recovery_codes_left == 9
    methods = [d.get("method") for e, d in await _events(store) if e == Event.MFA_SUCCEEDED]
    assert methods == ["recovery_code"]


async def test_a_reset_removes_factors_and_recovery_codes(store: Store) -> None:
    await _enrol(store)
    async with store.transaction() as tx:
        await mfa.issue_recovery_codes(tx, USER, NOW)
        assert await mfa.reset_factors(tx, USER.id, actor=ACTOR, now=NOW) == 1
        status = await mfa.mfa_status(tx, USER.id)
    assert (status.factors, status.recovery_codes_left) == ([], 0)
    assert await _check(store, _code(STEP)) is None
    assert (Event.MFA_RESET, {"actor": ACTOR, "factors": "1"}) in await _events(store)


def test_authenticator_apps_list_the_account_under_the_issuer_host() -> None:
    assert mfa.issuer_label("https://login.example.test:8443/tenant") == "login.example.test"
    assert mfa.issuer_label("tessera") == "tessera"


async def test_how_a_person_signed_in_is_kept_by_session_and_grant(store: Store) -> None:
    issued = await add_grant(store, await add_client(store), now=NOW)
    async with store.transaction() as tx:
        cookie, _ = await start_session(
            tx.sessions, USER, now=NOW, lifetime=60, replacing=None, amr=TWO_FACTORS
        )
        loaded = await load_session(tx.sessions, cookie, NOW)
        assert loaded is not None and loaded.amr == TWO_FACTORS
        stored = await tx.grants.get(issued.grant.id)
        assert stored is not None and stored.amr == PASSWORD_ONLY
        await tx.grants.add(replace(issued.grant, id="two", amr=TWO_FACTORS), b"x" * 32)
        two = await tx.grants.get("two")
        assert two is not None and two.amr == TWO_FACTORS


async def test_an_enrolment_is_confirmed_once_by_its_first_code(store: Store) -> None:
    async with store.transaction() as tx:
        stale = await mfa.start_enrolment(tx, USER, secret_key=KEY, issuer=ISSUER, now=NOW)
        enrolment = await mfa.start_enrolment(tx, USER, secret_key=KEY, issuer=ISSUER, now=NOW)
        assert (
            await mfa.find_enrolment(tx, USER, stale.factor.id, secret_key=KEY, issuer=ISSUER)
            is None
        )  # A new enrolment drops the one left unconfirmed.
        found = await mfa.find_enrolment(
            tx, USER, enrolment.factor.id, secret_key=KEY, issuer=ISSUER
        )
        assert found is not None and found.secret == enrolment.secret
        assert found.otpauth_uri == enrolment.otpauth_uri
        assert await mfa.confirm_enrolment(tx, USER, enrolment, "000000x", now=NOW) is None
        code = _code(STEP, enrolment.secret)
        codes = await mfa.confirm_enrolment(tx, USER, enrolment, code, now=NOW)
        assert codes is not None and len(codes) == 10
        assert await mfa.confirm_enrolment(tx, USER, enrolment, code, now=NOW) is None
        assert (
            await mfa.find_enrolment(tx, USER, enrolment.factor.id, secret_key=KEY, issuer=ISSUER)
            is None
        )
    assert await _check(store, code) is None  # The confirming code is spent.
    assert await _check(store, _code(STEP + 1, enrolment.secret)) == MFA
