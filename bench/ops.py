"""The benchmarked operations, one per mode, each a closure over a worker's connection.

An operation does exactly what a client does and checks the answer, so a provider that
takes a shortcut (no refresh token, wrong nonce, no rotation) fails instead of winning.
Setup that is not measured (a worker's first refresh token, a userinfo access token)
happens in `prepare`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bench.http import Connection
from bench.oidc import (
    FORM_HEADERS,
    AuthorizationRequest,
    CheckError,
    Endpoints,
    Tokens,
    authorization_request,
    basic_auth,
    check_token_response,
    code_from_redirect,
    form,
)
from bench.target import API_SCOPE, FLOW_SCOPE, REDIRECT_URI, USERINFO_SCOPE, Target, Variant

Op = Callable[[], Awaitable[None]]


class Mode(StrEnum):
    FLOW = "flow"  # GET /authorize -> 302, POST token (code + PKCE)
    REFRESH = "refresh"  # POST token (refresh_token, rotating)
    CLIENT_CREDENTIALS = "client_credentials"
    AUTHORIZE = "authorize"  # GET /authorize -> 302 alone
    USERINFO = "userinfo"

    @property
    def needs_session(self) -> bool:
        return self is not Mode.CLIENT_CREDENTIALS


@dataclass(frozen=True)
class Context:
    """Everything a run's operations share."""

    target: Target
    variant: Variant
    endpoints: Endpoints
    session_cookie: str | None  # None: the provider could not sign a user in


async def authorize(
    ctx: Context, conn: Connection, scope: str = FLOW_SCOPE, with_audience: bool = True
) -> tuple[AuthorizationRequest, str]:
    """GET the authorization endpoint with the signed-in session; return the code."""
    if ctx.session_cookie is None:
        raise CheckError("no signed-in session")
    extra = {ctx.target.audience_param: ctx.variant.audience} if with_audience else {}
    request = authorization_request(
        ctx.endpoints.authorization, ctx.variant.client_id, REDIRECT_URI, scope, extra
    )
    response = await conn.request("GET", request.target, {"Cookie": ctx.session_cookie})
    location = response.header("location")
    if response.status not in {302, 303} or location is None:
        raise CheckError(f"authorization endpoint answered {response.status}, not a redirect")
    return request, code_from_redirect(location, REDIRECT_URI, request.state, ctx.endpoints.issuer)


async def flow(
    ctx: Context, conn: Connection, scope: str = FLOW_SCOPE, with_audience: bool = True
) -> Tokens:
    """The seed flow: authorization request, then the code redeemed with its verifier."""
    request, code = await authorize(ctx, conn, scope, with_audience)
    body = form(
        {
            "grant_type": "authorization_code",
            "client_id": ctx.variant.client_id,
            "code": code,
            "code_verifier": request.verifier,
            "redirect_uri": REDIRECT_URI,
        }
    )
    response = await conn.request("POST", ctx.endpoints.token, FORM_HEADERS, body)
    return check_token_response(
        response.status,
        response.body,
        nonce=request.nonce,
        want_refresh="offline_access" in scope,
        want_id=True,
    )


async def prepare(mode: Mode, ctx: Context, conn: Connection) -> Op:
    """One worker's operation for `mode`, after its unmeasured setup."""
    if mode is Mode.FLOW:

        async def full_flow() -> None:
            await flow(ctx, conn)

        return full_flow
    if mode is Mode.AUTHORIZE:

        async def authorize_only() -> None:
            await authorize(ctx, conn)

        return authorize_only
    if mode is Mode.REFRESH:
        return _refresh_chain(ctx, conn, await flow(ctx, conn))
    if mode is Mode.CLIENT_CREDENTIALS:
        return _client_credentials(ctx, conn)
    # A token for userinfo names the provider itself as audience, not an API.
    tokens = await flow(ctx, conn, USERINFO_SCOPE, with_audience=False)
    return _userinfo(ctx, conn, tokens.access_token)


def _refresh_chain(ctx: Context, conn: Connection, first: Tokens) -> Op:
    """Each worker follows its own rotating chain: every use returns the next token."""
    current = [first.refresh_token or ""]

    async def refresh() -> None:
        body = form(
            {
                "grant_type": "refresh_token",
                "client_id": ctx.variant.client_id,
                "refresh_token": current[0],
            }
        )
        response = await conn.request("POST", ctx.endpoints.token, FORM_HEADERS, body)
        tokens = check_token_response(
            response.status, response.body, nonce=None, want_refresh=True, want_id=True
        )
        if tokens.refresh_token == current[0]:
            raise CheckError("refresh token was not rotated")
        current[0] = tokens.refresh_token or ""

    return refresh


def _client_credentials(ctx: Context, conn: Connection) -> Op:
    headers = {
        **FORM_HEADERS,
        "Authorization": basic_auth(ctx.target.machine_client_id, ctx.target.machine_client_secret),
    }
    params = {
        "grant_type": "client_credentials",
        ctx.target.audience_param: ctx.variant.audience,
        "scope": API_SCOPE,
    }

    async def client_credentials() -> None:
        response = await conn.request("POST", ctx.endpoints.token, headers, form(params))
        check_token_response(
            response.status, response.body, nonce=None, want_refresh=False, want_id=False
        )

    return client_credentials


def _userinfo(ctx: Context, conn: Connection, access_token: str) -> Op:
    headers = {"Authorization": f"Bearer {access_token}"}

    async def userinfo() -> None:
        response = await conn.request("GET", ctx.endpoints.userinfo, headers)
        if response.status != 200 or "sub" not in json.loads(response.body):
            raise CheckError(f"userinfo answered {response.status}")

    return userinfo
