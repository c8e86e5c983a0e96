"""The driver's HTTP parsing, OIDC checks and sign-in form filling, without a server."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from bench.http import HTTPError, Response, parse_response
from bench.login import CookieJar, fill, parse_forms
from bench.oidc import (
    CheckError,
    Endpoints,
    b64url,
    basic_auth,
    check_token_response,
    code_from_redirect,
    new_pkce,
)

ISSUER = "http://127.0.0.1:8000"
REDIRECT = "https://app.test/cb"


def jwt(claims: dict[str, object]) -> str:
    return f"e30.{b64url(json.dumps(claims).encode())}.c2ln"


def test_a_response_with_content_length_completes_only_when_whole() -> None:
    raw = b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 5\r\n\r\nhello"
    assert parse_response(raw[:-1]) is None
    parsed = parse_response(raw + b"HTTP/1.1 200 OK")
    assert parsed is not None
    response, used = parsed
    assert (response.status, response.header("location"), response.body) == (302, "/x", b"hello")
    assert used == len(raw)


def test_a_chunked_response_is_reassembled() -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    )
    assert parse_response(raw[:-3]) is None
    parsed = parse_response(raw)
    assert parsed is not None and parsed[0].body == b"abcde" and parsed[1] == len(raw)


def test_a_non_http_answer_is_an_error() -> None:
    with pytest.raises(HTTPError):
        parse_response(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_repeated_headers_are_all_kept() -> None:
    response = Response(200, [("set-cookie", "a=1"), ("set-cookie", "b=2")], b"")
    assert response.header_all("set-cookie") == ["a=1", "b=2"]


def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    verifier, challenge = new_pkce()
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(verifier) <= 128


def test_endpoints_must_be_on_the_issuers_origin() -> None:
    metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "userinfo_endpoint": "http://elsewhere.test/userinfo",
    }
    with pytest.raises(CheckError):
        Endpoints.from_metadata(metadata)
    metadata["userinfo_endpoint"] = f"{ISSUER}/userinfo"
    assert Endpoints.from_metadata(metadata).token == "/oauth/token"


def test_the_code_is_taken_only_with_matching_state_and_issuer() -> None:
    location = f"{REDIRECT}?code=c1&state=s1&iss=http%3A%2F%2F127.0.0.1%3A8000"
    assert code_from_redirect(location, REDIRECT, "s1", ISSUER) == "c1"
    with pytest.raises(CheckError, match="state"):
        code_from_redirect(location, REDIRECT, "s2", ISSUER)
    with pytest.raises(CheckError, match="iss"):
        code_from_redirect(f"{REDIRECT}?code=c1&state=s1", REDIRECT, "s1", ISSUER)
    with pytest.raises(CheckError, match="error"):
        code_from_redirect(f"{REDIRECT}?error=access_denied&state=s1", REDIRECT, "s1", ISSUER)


def test_token_response_needs_every_token_and_the_nonce() -> None:
    body = {
        "access_token": "at",
        "token_type": "Bearer",
        "refresh_token": "rt",
        "id_token": jwt({"nonce": "n1"}),
    }
    tokens = check_token_response(
        200, json.dumps(body).encode(), nonce="n1", want_refresh=True, want_id=True
    )
    assert tokens.refresh_token == "rt"
    with pytest.raises(CheckError, match="nonce"):
        check_token_response(
            200, json.dumps(body).encode(), nonce="n2", want_refresh=True, want_id=True
        )
    del body["refresh_token"]
    with pytest.raises(CheckError, match="refresh"):
        check_token_response(
            200, json.dumps(body).encode(), nonce="n1", want_refresh=True, want_id=True
        )
    with pytest.raises(CheckError, match="400"):
        check_token_response(400, b"{}", nonce=None, want_refresh=False, want_id=False)


def test_basic_auth_form_encodes_both_parts() -> None:
    header = basic_auth("id:1", "s&2")
    assert base64.b64decode(header.removeprefix("Basic ")) == b"id%3A1:s%262"


LOGIN = """<form method="post" action="/u/login">
<input type="hidden" name="csrf" value="t0k">
<input name="username"><input type="password" name="password">
<input type="checkbox" name="remember">
<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="login">Sign in</button></form>"""


def test_a_login_form_is_filled_like_a_user_would() -> None:
    (form,) = parse_forms(LOGIN)
    assert (form.method, form.action) == ("POST", "/u/login")
    values = fill(form, "alice", "pw")
    assert values == {
        "csrf": "t0k",
        "username": "alice",
        "password": "pw",
        "remember": "on",
        "action": "login",
    }


def test_a_form_whose_approving_button_is_unclear_is_refused() -> None:
    html = '<form><button name="a">One</button><button name="b">Two</button></form>'
    with pytest.raises(CheckError):
        fill(parse_forms(html)[0], "u", "p")


def test_cookies_are_kept_by_path_and_dropped_when_expired() -> None:
    jar = CookieJar()
    jar.update(
        Response(
            302,
            [
                ("set-cookie", "_session=s; path=/; httponly"),
                ("set-cookie", "_interaction=i; path=/interaction/abc"),
            ],
            b"",
        )
    )
    assert jar.header("/auth") == "_session=s"
    assert jar.header("/interaction/abc/login") == "_session=s; _interaction=i"
    jar.update(Response(303, [("set-cookie", "_interaction=; path=/; max-age=0")], b""))
    assert jar.header("/interaction/abc") == "_session=s"
