"""`tessera login`'s checks, one branch at a time: the authorization response, the
loopback listener, discovery, the code exchange, and the token file.

The issuer is an in-process `httpx.MockTransport`; the listener is real, on loopback.
"""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.cli.login import (
    LoginError,
    LoginRequest,
    build_authorize_url,
    discover,
    exchange_code,
    listen_for_redirect,
    one_line,
    write_private_json,
)
from tessera.crypto.jwt import id_token_hash, sign_jwt
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key
from tessera.crypto.tokens import s256
from tessera.relying_party import (
    AuthorizationResponseError,
    StateMismatchError,
    verify_authorization_response,
)

ISSUER = "https://as.test"
STATE = "state-1"
METADATA = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/authorize",
    "token_endpoint": f"{ISSUER}/oauth/token",
    "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
}
REQUEST = LoginRequest(
    issuer=ISSUER,
    client_id="cli-1",
    scope="openid profile",
    verifier="v" * 43,
    state=STATE,
    nonce="nonce-1",
    redirect_uri="http://127.0.0.1:50000/callback",
)


def verify(params: dict[str, str], *, iss_required: bool = True) -> str:
    return verify_authorization_response(
        params, issuer=ISSUER, state=STATE, iss_required=iss_required
    )


# The authorization response (RFC 6749 4.1.2, RFC 9207).


def test_a_good_response_gives_its_code() -> None:
    assert verify({"code": "c-1", "state": STATE, "iss": ISSUER}) == "c-1"


def test_iss_may_be_absent_only_if_the_issuer_never_promised_it() -> None:
    assert verify({"code": "c-1", "state": STATE}, iss_required=False) == "c-1"
    with pytest.raises(AuthorizationResponseError, match="no iss"):
        verify({"code": "c-1", "state": STATE})


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"code": "c-1", "state": STATE, "iss": "https://evil.test"}, "another issuer"),
        ({"code": "c-1", "state": "state-2", "iss": ISSUER}, "state"),
        ({"code": "c-1", "iss": ISSUER}, "state"),
        ({"code": "c-1", "state": "état", "iss": ISSUER}, "state"),
        ({"state": STATE, "iss": ISSUER}, "no code"),
        ({"code": "", "state": STATE, "iss": ISSUER}, "no code"),
    ],
    ids=["mix-up", "other-state", "no-state", "non-ascii-state", "no-code", "empty-code"],
)
def test_a_response_that_does_not_answer_this_request_is_refused(
    params: dict[str, str], reason: str
) -> None:
    with pytest.raises(AuthorizationResponseError, match=reason):
        verify(params)


def test_an_error_response_is_reported_with_its_description() -> None:
    denied = {"error": "access_denied", "error_description": "The user said no", "state": STATE}
    with pytest.raises(AuthorizationResponseError, match="^access_denied: The user said no$"):
        verify({**denied, "iss": ISSUER})
    with pytest.raises(AuthorizationResponseError, match="^access_denied$"):
        verify({"error": "access_denied", "state": STATE, "iss": ISSUER})


@pytest.mark.parametrize(
    "params",
    [
        {"error": "access_denied", "state": "forged", "iss": ISSUER},
        {"error": "access_denied"},
        {"code": "c-1", "state": "forged", "iss": "https://evil.test"},
    ],
    ids=["error", "error-without-state", "other-issuer-too"],
)
def test_a_response_with_another_state_is_a_state_mismatch_whatever_it_says(
    params: dict[str, str],
) -> None:
    with pytest.raises(StateMismatchError):
        verify(params)


def test_messages_are_one_printable_line() -> None:
    assert one_line("a\nb\x1b[31mred\u202e") == "a?b?[31mred?"
    assert len(one_line("x" * 10_000)) == 300


def test_the_authorization_request_carries_pkce_s256_state_nonce_and_audience() -> None:
    url = build_authorize_url(METADATA, REQUEST, "https://api.test")
    sent = dict(httpx.URL(url).params)
    assert url.startswith(f"{ISSUER}/authorize?")
    assert sent["code_challenge"] == s256(REQUEST.verifier)
    assert sent["code_challenge_method"] == "S256" and "code_verifier" not in sent
    assert (sent["state"], sent["nonce"], sent["audience"]) == (
        STATE,
        "nonce-1",
        "https://api.test",
    )
    assert "audience" not in dict(httpx.URL(build_authorize_url(METADATA, REQUEST, None)).params)


# The loopback listener (RFC 8252 7.3).


def accept_code(params: dict[str, str]) -> str:
    return verify(params, iss_required=False)


async def test_the_listener_answers_the_first_callback_and_nothing_else() -> None:
    async with listen_for_redirect(accept_code) as (port, answer), httpx.AsyncClient() as browser:
        base = f"http://127.0.0.1:{port}"
        assert (await browser.get(f"{base}/favicon.ico")).status_code == 404
        assert (await browser.post(f"{base}/callback", data={"code": "c"})).status_code == 404
        assert not answer.done()
        page = await browser.get(f"{base}/callback", params={"code": "c-1", "state": STATE})
        assert page.status_code == 200 and "Signed in" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert await answer == "c-1"
        assert (await browser.get(f"{base}/callback?code=c-2&state={STATE}")).status_code == 404


async def test_the_listener_tells_the_browser_of_a_refusal_without_echoing_markup() -> None:
    async with listen_for_redirect(accept_code) as (port, answer), httpx.AsyncClient() as browser:
        page = await browser.get(
            f"http://127.0.0.1:{port}/callback",
            params={
                "error": "access_denied",
                "error_description": "<script>x</script>",
                "state": STATE,
            },
        )
        assert "Sign-in failed" in page.text and "<script>" not in page.text
        with pytest.raises(AuthorizationResponseError, match="access_denied"):
            await answer


async def test_only_a_callback_with_this_sign_ins_state_ends_the_wait() -> None:
    async with listen_for_redirect(accept_code) as (port, answer), httpx.AsyncClient() as browser:
        callback = f"http://127.0.0.1:{port}/callback"
        # Any program on the machine can send these; none may end or abort the sign-in.
        for forged in (
            {"error": "access_denied"},
            {"error": "access_denied", "state": "forged"},
            {"code": "tsr_ac_forged", "state": "forged"},
        ):
            page = await browser.get(callback, params=forged)
            assert page.status_code == 400 and "still waiting" in page.text
            assert not answer.done()
        page = await browser.get(callback, params={"code": "c-1", "state": STATE})
        assert page.status_code == 200 and await answer == "c-1"


async def test_the_listener_survives_a_garbage_request() -> None:
    async with listen_for_redirect(accept_code) as (port, answer):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\xff\xfe nonsense\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 404")
        writer.close()
        assert not answer.done()


# Discovery and the code exchange, against an in-process issuer.


def issuer(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_discovery_gives_the_document_it_checked() -> None:
    async with issuer(lambda request: httpx.Response(200, json=METADATA)) as http:
        assert await discover(http, ISSUER) == METADATA


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404, json={}), "HTTP 404"),
        (httpx.Response(200, text="<html>"), "failed"),
        (httpx.Response(200, json=["not", "an", "object"]), "not a JSON object"),
        (httpx.Response(200, json={**METADATA, "issuer": "https://evil.test"}), "another issuer"),
        (httpx.Response(200, json={"issuer": ISSUER}), "no authorization_endpoint, token"),
    ],
    ids=["not-found", "not-json", "not-object", "other-issuer", "incomplete"],
)
async def test_unusable_discovery_is_one_error(response: httpx.Response, reason: str) -> None:
    async with issuer(lambda request: response) as http:
        with pytest.raises(LoginError, match=reason):
            await discover(http, ISSUER)


async def test_an_unreachable_issuer_is_one_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with issuer(refuse) as http:
        with pytest.raises(LoginError, match="openid-configuration failed: connection refused"):
            await discover(http, ISSUER)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)


def token_endpoint(key: SigningKey, tokens: dict[str, Any], status: int = 200) -> httpx.AsyncClient:
    """An issuer whose token endpoint answers `tokens` and whose JWKS holds `key`; the
    token request must carry the code, the PKCE verifier and the redirect URI."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url == METADATA["jwks_uri"]:
            return httpx.Response(200, json={"keys": [key.public_jwk]})
        form = dict(httpx.QueryParams(request.content.decode()))
        assert form == {
            "grant_type": "authorization_code",
            "code": "c-1",
            "redirect_uri": REQUEST.redirect_uri,
            "client_id": REQUEST.client_id,
            "code_verifier": REQUEST.verifier,
        }
        return httpx.Response(status, json=tokens)

    return issuer(handle)


def id_token(key: SigningKey, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": REQUEST.client_id,
        "iat": now,
        "exp": now + 300,
        "nonce": REQUEST.nonce,
        "at_hash": id_token_hash("at-1", key.alg),
        **changes,
    }
    return sign_jwt(claims, key)


async def test_the_exchange_returns_tokens_with_a_valid_id_token(key: SigningKey) -> None:
    tokens = {"access_token": "at-1", "token_type": "Bearer", "id_token": id_token(key)}
    async with token_endpoint(key, tokens) as http:
        assert await exchange_code(http, METADATA, REQUEST, "c-1") == tokens


@pytest.mark.parametrize(
    ("status", "tokens", "reason"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "code used"},
            "invalid_grant: code used",
        ),
        (500, {}, "refused: HTTP 500"),
        (200, {"access_token": "at-1"}, "no id_token"),
    ],
    ids=["refused", "server-error", "no-id-token"],
)
async def test_a_failed_exchange_is_one_error(
    key: SigningKey, status: int, tokens: dict[str, Any], reason: str
) -> None:
    async with token_endpoint(key, tokens, status) as http:
        with pytest.raises(LoginError, match=reason):
            await exchange_code(http, METADATA, REQUEST, "c-1")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"nonce": "replayed"}, "nonce"), ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash")],
    ids=["nonce", "at_hash"],
)
async def test_an_id_token_that_fails_its_checks_is_refused(
    key: SigningKey, changes: dict[str, object], reason: str
) -> None:
    tokens = {"access_token": "at-1", "id_token": id_token(key, **changes)}
    async with token_endpoint(key, tokens) as http:
        with pytest.raises(LoginError, match=f"id_token is not valid: .*{reason}"):
            await exchange_code(http, METADATA, REQUEST, "c-1")


async def test_without_openid_no_id_token_is_expected(key: SigningKey) -> None:
    tokens = {"access_token": "at-1", "token_type": "Bearer"}
    async with token_endpoint(key, tokens) as http:
        assert (
            await exchange_code(http, METADATA, replace(REQUEST, scope="read:x"), "c-1") == tokens
        )


# The token file.


def test_the_token_file_is_created_for_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    write_private_json(path, {"access_token": "at-1"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"access_token": "at-1"}


def test_an_existing_readable_token_file_is_narrowed_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("old, and longer than the new content")
    path.chmod(0o644)
    write_private_json(path, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "{}"
