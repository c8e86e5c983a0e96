"""Security rule: TOTP secrets are stored sealed, recovery codes only as digests."""

from __future__ import annotations

from tessera.core import mfa
from tessera.crypto.tokens import digest
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, TEST_SECRET_KEY, Clock
from tests.support.grants import USER, add_user


async def test_no_table_holds_a_totp_secret_or_a_recovery_code_in_the_clear(
    rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    async with rt.store.transaction() as tx:
        enrolment = await mfa.add_totp(
            tx, USER.id, None, secret_key=TEST_SECRET_KEY, issuer=ISSUER, actor="t", now=1
        )
        codes = await mfa.issue_recovery_codes(tx, USER, int(clock.now))
        tables = ("user_factors", "recovery_codes", "audit_events")
        dump = repr([await tx.conn.fetch_all(f"SELECT * FROM {table}") for table in tables])
        for code in codes:
            assert await tx.factors.use_recovery_code(USER.id, digest(code), 2)
    for secret in (enrolment.secret, enrolment.secret.lower(), *codes):
        assert secret not in dump
