"""Seed steps 4-7 against a real `tessera serve`, provisioned through the real CLI.

Authlib builds the authorization request as a real client would (PKCE S256, state,
nonce, audience); an HTTP client with a cookie jar plays the browser, filling the login
and consent forms; the redirect to the client carries code, state and iss, and Authlib
redeems the code. Then prompt=none, prompt=login, max_age, deny, logout and throttling
over the same HTTP interface.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import authlib.deprecate
import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.pages import form_of
from tests.support.server import TesseraServer

with warnings.catch_warnings():
    # Authlib warns that it prefers the httpx2 fork; the httpx it falls back to is ours.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import OAuth2Client

pytestmark = pytest.mark.integration

API = "https://api.example.test"
CALLBACK = "http://127.0.0.1:8123/callback"
LOGGED_OUT = "http://127.0.0.1:8123/logged-out"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path / "data", database_url, TESSERA_SECRET_KEY=TEST_SECRET_KEY)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def client_id(server: TesseraServer) -> str:
    created = server.cli_json(
        "clients", "create", "--name", "Native App", "--public",
        "--redirect-uri", "http://127.0.0.1/callback",
        "--post-logout-redirect-uri", LOGGED_OUT,
    )  # fmt: skip
    server.cli(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--name", "Alice", input=f"{PASSWORD}\n",
    )  # fmt: skip
    server.cli("apis", "create", "--identifier", API, "--scope", "read:x")
    return str(created["client_id"])


@pytest.fixture
def browser(server: TesseraServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.issuer, follow_redirects=False) as http:
        yield http


def page_after(browser: httpx.Client, response: httpx.Response) -> httpx.Response:
    assert response.status_code in (302, 303), response.text[:300]
    location = response.headers["location"]
    assert location.startswith("/u/"), location
    return browser.get(location)


def submit(browser: httpx.Client, page: httpx.Response, **values: str) -> httpx.Response:
    form = form_of(page.text)
    return browser.post(form.action, data={**form.fields, **values})


def at_client(response: httpx.Response, redirect_uri: str = CALLBACK) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text[:300]
    location = response.headers["location"]
    assert location.startswith(redirect_uri + "?"), location
    return dict(parse_qsl(urlsplit(location).query))


def authorize(browser: httpx.Client, url: str, **extra: str) -> httpx.Response:
    return browser.get(url + ("&" + urlencode(extra) if extra else ""))


def test_sign_in_and_consent_deliver_the_code_then_prompts_deny_and_logout(
    server: TesseraServer, client_id: str, browser: httpx.Client
) -> None:
    metadata = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    assert metadata["authorization_endpoint"] == f"{server.issuer}/authorize"
    with OAuth2Client(
        client_id=client_id,
        token_endpoint_auth_method="none",
        code_challenge_method="S256",
        redirect_uri=CALLBACK,
        scope="openid profile email offline_access read:x",
    ) as oauth:
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce="n-1", audience=API
        )
        login = page_after(browser, authorize(browser, url))
        assert "Native App" in login.text
        consent = page_after(browser, submit(browser, login, username="alice", password=PASSWORD))
        assert "read:x" in consent.text and "Your email address" in consent.text
        answer = at_client(submit(browser, consent, decision="allow"))
        assert answer["state"] == state and answer["iss"] == server.issuer
        token = oauth.fetch_token(
            metadata["token_endpoint"], code=answer["code"], code_verifier=verifier
        )
    assert token["token_type"] == "Bearer" and token["id_token"]
    follow_ups(server, client_id, browser, url, token)


def follow_ups(
    server: TesseraServer,
    client_id: str,
    browser: httpx.Client,
    url: str,
    token: dict[str, Any],
) -> None:
    """Single sign-on and the prompts, a denial, then logout: all on the same session.

    The client is a native app, which is never approved silently (RFC 8252 8.6): the
    session spares the person the login page, not the consent page.
    """
    assert at_client(authorize(browser, url, prompt="none"))["error"] == "consent_required"
    consent = page_after(browser, authorize(browser, url, max_age="3600"))
    assert consent.url.path == "/u/consent"
    assert at_client(submit(browser, consent, decision="allow"))["code"]
    again = page_after(browser, authorize(browser, url, prompt="login"))
    assert "Sign in" in again.text
    assert page_after(browser, authorize(browser, url, max_age="0")).url.path == "/u/login"
    consent = page_after(browser, authorize(browser, url, prompt="consent"))
    denied = at_client(submit(browser, consent, decision="deny"))
    assert denied["error"] == "access_denied" and denied["iss"] == server.issuer
    logout = browser.get(
        "/logout",
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "bye",
        },
    )
    assert at_client(logout, LOGGED_OUT) == {"state": "bye"}
    assert at_client(authorize(browser, url, prompt="none"))["error"] == "login_required"


def test_repeated_wrong_passwords_are_throttled(
    server: TesseraServer, client_id: str, browser: httpx.Client
) -> None:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    statuses = []
    for _ in range(5):
        login = page_after(browser, browser.get("/authorize", params=query))
        failed = submit(browser, login, username="alice", password="wrong password")
        statuses.append(failed.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    assert int(failed.headers["retry-after"]) > 0 and "Too many failed attempts" in failed.text
