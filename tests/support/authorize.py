"""Driving /authorize, the login page and the consent page over HTTP, as a browser does.

The httpx client keeps the cookies; redirects are followed by hand so each step can be
checked. `sign_in_and_consent` is the whole seed steps 4-7 for one request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tessera.core.models import Client, User
from tessera.core.registration import build_client, build_user
from tessera.crypto.tokens import s256
from tessera.store import Store
from tests.support.grants import API_ID, REDIRECT_URI
from tests.support.pages import form_of

PASSWORD = "correct horse battery staple"
SCOPE = "openid profile email offline_access read:x"


@dataclass(frozen=True)
class PKCE:
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)

    @property
    def challenge(self) -> str:
        return s256(self.verifier)


async def add_person(
    store: Store, username: str = "alice", password: str = PASSWORD, **extra: Any
) -> User:
    """A user who can sign in: a real argon2id hash."""
    user = build_user(
        username=username,
        password=password,
        email=extra.pop("email", f"{username}@example.test"),
        name=extra.pop("name", username.title()),
        now=1_700_000_000,
        **extra,
    )
    async with store.transaction() as tx:
        await tx.users.add(user)
    return user


async def add_app(
    store: Store,
    *,
    name: str = "Test App",
    public: bool = True,
    first_party: bool = False,
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    post_logout_redirect_uris: tuple[str, ...] = (),
) -> Client:
    """A client as `tessera clients create` registers it (public by default)."""
    new = build_client(
        name=name,
        redirect_uris=redirect_uris,
        now=1_700_000_000,
        public=public,
        first_party=first_party,
        post_logout_redirect_uris=post_logout_redirect_uris,
    )
    async with store.transaction() as tx:
        await tx.clients.add(new.client)
    return new.client


def request_params(
    client_id: str,
    pkce: PKCE | None = None,
    /,
    *,
    scope: str | None = SCOPE,
    audience: str | None = API_ID,
    state: str | None = "state-1",
    redirect_uri: str | None = REDIRECT_URI,
    **extra: str | None,
) -> dict[str, str]:
    """The seed's authorization request, with any parameter changed or dropped (None)."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "audience": audience,
        "state": state,
        "nonce": "nonce-1",
        "code_challenge": (pkce or PKCE()).challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return {name: value for name, value in params.items() if value is not None}


def location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return response.headers["location"]


def callback(response: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The parameters of a redirect to the client's redirect URI."""
    target = location(response)
    assert target.startswith(redirect_uri + "?"), target
    return dict(parse_qsl(urlsplit(target).query))


async def follow(http: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """GET the page a redirect on our own origin points to."""
    target = location(response)
    assert target.startswith("/"), target
    return await http.get(target)


async def submit(http: httpx.AsyncClient, page: httpx.Response, **values: str) -> httpx.Response:
    """Submit the page's form with its hidden fields and these values."""
    form = form_of(page.text)
    return await http.post(form.action, data={**form.fields, **values})


async def sign_in(
    http: httpx.AsyncClient,
    login_page: httpx.Response,
    username: str = "alice",
    password: str = PASSWORD,
) -> httpx.Response:
    assert form_of(login_page.text).action == "/u/login", login_page.status_code
    return await submit(http, login_page, username=username, password=password)


async def sign_in_and_consent(
    http: httpx.AsyncClient,
    params: dict[str, str],
    *,
    username: str = "alice",
    password: str = PASSWORD,
) -> dict[str, str]:
    """From /authorize to the redirect with a code, through both pages."""
    start = await http.get("/authorize", params=params)
    consent_page = await follow(
        http, await sign_in(http, await follow(http, start), username, password)
    )
    return callback(await submit(http, consent_page, decision="allow"), params["redirect_uri"])


async def redeem(
    http: httpx.AsyncClient, client_id: str, code: str, pkce: PKCE, redirect_uri: str = REDIRECT_URI
) -> dict[str, Any]:
    """The token response for a code a public client received."""
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pkce.verifier,
            "client_id": client_id,
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
