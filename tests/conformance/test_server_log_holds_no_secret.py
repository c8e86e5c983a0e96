"""Security rule: no token, code, verifier, secret, password or cookie reaches the logs.

Runs on the conformance package's real server, which logs at debug level: a full flow
with every kind of failure, then a grep of everything the process wrote.
"""

from __future__ import annotations

import httpx
import pytest

from tests.support.relying_party import PASSWORD, RelyingParty

pytestmark = pytest.mark.integration


def test_a_full_flow_with_failures_leaves_no_secret_in_the_server_log(rp: RelyingParty) -> None:
    op, client = rp.op, rp.client
    wrong_password = "Tr0ub4dor&3-wrong"
    request = rp.request(scope="openid profile offline_access")
    failed = rp.sign_in(rp.start(request), password=wrong_password)
    assert failed.status_code == 401
    code = rp.callback(rp.sign_in(rp.start(request)), request)["code"]
    tokens = rp.redeem(code, request).json()
    assert rp.redeem(code, request).status_code == 400  # Reused: revokes the grant.

    fresh, again = rp.tokens(rp.request(scope="openid offline_access"))
    form = {"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]}
    rotated = rp.token_request(form).json()
    assert rp.token_request(form).status_code == 400  # Reused: revokes the family.
    wrong_secret = "tsr_cs_" + "x" * 43
    auth = httpx.BasicAuth(client.client_id, wrong_secret)
    assert httpx.post(op.metadata["token_endpoint"], data=form, auth=auth).status_code == 401
    assert rp.userinfo(rotated["access_token"], "form").status_code == 401
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    basic = httpx.BasicAuth(client.client_id, client.client_secret)
    for endpoint in ("introspection_endpoint", "revocation_endpoint"):
        httpx.post(op.metadata[endpoint], data={"token": rotated["refresh_token"]}, auth=basic)
    rp.browser.get("/logout", params={"id_token_hint": fresh["id_token"]})

    secrets = {
        PASSWORD,
        wrong_password,
        wrong_secret,
        code,
        request.verifier,
        again.verifier,
        *(c.client_secret for c in op.clients.values()),
        *(rp.browser.cookies[name] for name in rp.browser.cookies),
        *(
            body[name]
            for body in (tokens, fresh, rotated)
            for name in body
            if name.endswith("_token")
        ),
    }
    log = op.server.log()
    assert "refused: invalid_grant" in log and "refused: invalid_client" in log
    leaked = [secret[:12] for secret in secrets if secret in log]
    assert not leaked
