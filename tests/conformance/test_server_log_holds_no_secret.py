"""Security rules: no token, code, verifier, secret, password or cookie reaches the logs
or the audit log; and every security event of a flow is in the audit log, read with
`tessera audit tail`.

Runs on the conformance package's real server, which logs at debug level: a full flow
with every kind of failure, then a grep of everything the process wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.relying_party import PASSWORD, OpenIDProvider, RelyingParty, provision
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class FullFlow:
    op: OpenIDProvider
    secrets: frozenset[str]


@pytest.fixture(scope="module")
def full_flow(op: OpenIDProvider) -> Iterator[FullFlow]:
    """Sign-in failures, a code reused, a refresh token reused, a wrong client secret,
    dead tokens at UserInfo, introspection, revocation and logout; what was secret."""
    yield flow_on(op)


def flow_on(op: OpenIDProvider) -> FullFlow:
    with httpx.Client(base_url=op.server.issuer, follow_redirects=False) as browser:
        rp = RelyingParty(op, op.clients["client_secret_basic"], browser)
        return FullFlow(op, frozenset(run(rp)))


@pytest.fixture(scope="module")
def json_flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullFlow]:
    """The same flow on a server that logs JSON (TESSERA_LOG_FORMAT=json), at debug."""
    server = TesseraServer(
        tmp_path_factory.mktemp("json-log"),
        TESSERA_SECRET_KEY=TEST_SECRET_KEY,
        TESSERA_LOG_LEVEL="debug",
        TESSERA_LOG_FORMAT="json",
    )
    server.start()
    try:
        yield flow_on(provision(server))
    finally:
        server.stop()


def run(rp: RelyingParty) -> set[str]:
    op, client = rp.op, rp.client
    wrong_password = "Tr0ub4dor&3-wrong"
    request = rp.request(scope="openid profile offline_access")
    assert rp.sign_in(rp.start(request), password=wrong_password).status_code == 401
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
    live, _ = rp.tokens(rp.request(scope="openid offline_access"))
    basic = httpx.BasicAuth(client.client_id, client.client_secret)
    for endpoint in ("introspection_endpoint", "revocation_endpoint"):
        httpx.post(op.metadata[endpoint], data={"token": live["refresh_token"]}, auth=basic)
    rp.browser.get("/logout", params={"id_token_hint": fresh["id_token"]})
    return {
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
            for body in (tokens, fresh, rotated, live)
            for name in body
            if name.endswith("_token")
        ),
    }


def test_the_server_log_of_a_full_flow_holds_no_secret(full_flow: FullFlow) -> None:
    log = full_flow.op.server.log()
    assert "refused: invalid_grant" in log and "refused: invalid_client" in log
    assert not [secret[:12] for secret in full_flow.secrets if secret in log]


def test_audit_tail_lists_the_flows_security_events_and_no_secret(full_flow: FullFlow) -> None:
    output = full_flow.op.server.cli("audit", "tail", "-n", "1000", "--json").stdout
    events = {event["event"] for event in json.loads(output)}
    assert {
        "user.created",
        "client.created",
        "login.failed",
        "login.succeeded",
        "token.issued",
        "code.reused",
        "refresh_token.reused",
        "grant.revoked",
        "logout",
    } <= events, events
    assert not [secret[:12] for secret in full_flow.secrets if secret in output]


def test_the_json_log_of_a_full_flow_is_one_object_a_line_and_holds_no_secret(
    json_flow: FullFlow,
) -> None:
    log = json_flow.op.server.log()
    lines = [json.loads(line) for line in log.splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    requests = [line for line in lines if line["logger"] == "tessera.request"]
    assert {line["route"] for line in requests} >= {"/authorize", "/u/login", "/oauth/token"}
    client_id = json_flow.op.clients["client_secret_basic"].client_id
    refused = [
        line for line in requests if line["route"] == "/oauth/token" and line["status"] == 400
    ]
    assert refused and all(line["client_id"] == client_id for line in refused)
    assert all(len(line["request_id"]) == 16 and line["duration_ms"] >= 0 for line in requests)
    refusals = [line for line in lines if "refused: invalid_grant" in line["message"]]
    assert refusals and all(line["client_id"] == client_id for line in refusals)
    assert not [secret[:12] for secret in json_flow.secrets if secret in log]
