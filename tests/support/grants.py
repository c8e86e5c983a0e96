"""Clients, users, APIs and approved grants straight through the store.

The token endpoint's tests start where /authorize ends: a Grant row and its code, as
the consent step writes them (`tx.grants.add(grant, digest(code))`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from tessera.core.models import Api, ApiScope, AuthMethod, Client, Grant, GrantType, User
from tessera.core.registration import build_client
from tessera.crypto.keys import Algorithm
from tessera.crypto.tokens import SecretKind, digest, new_id, new_secret, s256
from tessera.store import Store
from tessera.store.engine import sqlite_path
from tests.support.tokens import basic

REDIRECT_URI = "https://app.test/callback"
API_ID = "https://api.example.test"
USER = User(
    id="user-alice",
    username="alice",
    email="alice@example.test",
    email_verified=True,
    name="Alice Liddell",
    password_hash="$argon2id$not-used-here",
    created_at=1_700_000_000,
)


@dataclass(frozen=True)
class RegisteredClient:
    client: Client
    secret: str | None = field(default=None, repr=False)

    @property
    def client_id(self) -> str:
        return self.client.client_id


@dataclass(frozen=True)
class IssuedCode:
    """An approved authorization request: the code and the verifier that redeems it."""

    code: str = field(repr=False)
    verifier: str = field(repr=False)
    grant: Grant


async def add_client(
    store: Store,
    *,
    public: bool = False,
    auth_method: AuthMethod | None = None,
    grant_types: Iterable[GrantType] | None = None,
    id_token_alg: Algorithm = Algorithm.RS256,
    refresh_grace_seconds: int = 0,
    allowed_scopes: Iterable[str] | None = None,
    redirect_uris: Iterable[str] = (REDIRECT_URI,),
    apis: Iterable[str] = (),
    resource_server_for: Iterable[str] = (),
    web_origins: Iterable[str] | None = None,
    refresh_sliding_lifetime: int | None = None,
    refresh_absolute_lifetime: int | None = None,
) -> RegisteredClient:
    """A client as `clients create` registers it; `apis` (client_credentials) and
    `resource_server_for` (introspection) name APIs that must exist already."""
    new = build_client(
        name="Test App",
        redirect_uris=redirect_uris,
        now=1_700_000_000,
        public=public,
        auth_method=auth_method,
        grant_types=grant_types,
        id_token_alg=id_token_alg,
        refresh_grace_seconds=refresh_grace_seconds,
        allowed_scopes=allowed_scopes,
        apis=apis,
        resource_server_for=resource_server_for,
        web_origins=web_origins,
        refresh_sliding_lifetime=refresh_sliding_lifetime,
        refresh_absolute_lifetime=refresh_absolute_lifetime,
    )
    async with store.transaction() as tx:
        await tx.clients.add(new.client)
    return RegisteredClient(new.client, new.secret)


async def add_user(store: Store, user: User = USER) -> User:
    async with store.transaction() as tx:
        await tx.users.add(user)
    return user


async def add_api(
    store: Store,
    identifier: str = API_ID,
    *,
    scopes: Iterable[str] = ("read:x", "write:x"),
    lifetime: int = 86400,
    alg: Algorithm = Algorithm.RS256,
) -> Api:
    api = Api(
        id=new_id(),
        identifier=identifier,
        name="Example API",
        scopes=tuple(ApiScope(name=name) for name in scopes),
        access_token_lifetime=lifetime,
        signing_alg=alg,
        created_at=1_700_000_000,
    )
    async with store.transaction() as tx:
        await tx.apis.add(api)
    return api


async def add_grant(
    store: Store,
    client: RegisteredClient,
    *,
    now: int,
    user: User = USER,
    scope: Iterable[str] = ("openid", "profile", "email", "offline_access", "read:x"),
    audience: str | None = API_ID,
    redirect_uri: str = REDIRECT_URI,
    nonce: str | None = "nonce-1",
    session_id: str | None = "sid-1",
    code_lifetime: int = 60,
    family_lifetime: int = 31_536_000,
) -> IssuedCode:
    """What the consent step stores when the user approves."""
    verifier = secrets.token_urlsafe(48)
    code = new_secret(SecretKind.AUTHORIZATION_CODE)
    grant = Grant(
        id=new_id(),
        client_id=client.client_id,
        user_id=user.id,
        session_id=session_id,
        redirect_uri=redirect_uri,
        scope=frozenset(scope),
        audience=audience,
        code_challenge=s256(verifier),
        nonce=nonce,
        auth_time=now - 5,
        created_at=now,
        code_expires_at=now + code_lifetime,
        expires_at=now + family_lifetime,
    )
    async with store.transaction() as tx:
        await tx.grants.add(grant, digest(code))
    return IssuedCode(code=code, verifier=verifier, grant=grant)


def code_form(issued: IssuedCode, client_id: str | None = None, **extra: str) -> dict[str, str]:
    """The seed's token request body for a code."""
    form = {
        "grant_type": "authorization_code",
        "code": issued.code,
        "redirect_uri": issued.grant.redirect_uri,
        "code_verifier": issued.verifier,
    }
    if client_id is not None:
        form["client_id"] = client_id
    form.update(extra)
    return form


def authenticate(client: RegisteredClient, form: dict[str, str]) -> dict[str, str]:
    """Add the client's credentials the way it registered; return the headers to send."""
    if client.client.auth_method is AuthMethod.CLIENT_SECRET_BASIC:
        assert client.secret is not None
        return basic(client.client_id, client.secret)
    form["client_id"] = client.client_id
    if client.secret is not None:
        form["client_secret"] = client.secret
    return {}


async def obtain_tokens(
    http: httpx.AsyncClient, store: Store, client: RegisteredClient, *, now: int, **grant: Any
) -> dict[str, Any]:
    """Approve a grant and redeem its code: the token response of a completed flow."""
    issued = await add_grant(store, client, now=now, **grant)
    form = code_form(issued)
    response = await http.post("/oauth/token", data=form, headers=authenticate(client, form))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def refresh(
    http: httpx.AsyncClient, client: RegisteredClient, refresh_token: str, **extra: str
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return await http.post("/oauth/token", data=form, headers=authenticate(client, form))


async def delete_user_bypassing_cascades(database_url: str, user_id: str) -> None:
    """Delete a user but not its grants, as no tessera code path can: for testing the
    defensive checks that a grant's user still exists."""
    if database_url.startswith("sqlite"):
        # A new sqlite3 connection does not enforce foreign keys unless told to.
        with closing(sqlite3.connect(sqlite_path(database_url))) as conn, conn:
            conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("DELETE FROM users WHERE id = $1", user_id)
    finally:
        await conn.close()
