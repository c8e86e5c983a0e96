"""The protocol side of the driver: discovery, PKCE, authorization URLs, token checks.

Everything here is plain computation on strings and bytes, so the driver's own cost per
flow stays small and the checks are unit-tested without a server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.http import Connection


class CheckError(Exception):
    """A response was not what a correct provider returns; the operation failed."""


@dataclass(frozen=True)
class Endpoints:
    """What the driver needs from a provider's discovery document."""

    issuer: str
    authorization: str  # path on the issuer's origin
    token: str
    userinfo: str

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Endpoints:
        issuer = metadata["issuer"]
        origin = urlsplit(issuer)._replace(path="", query="", fragment="").geturl()

        def path(url: str) -> str:
            if not url.startswith(origin + "/"):
                raise CheckError(f"{url} is not on the issuer's origin {origin}")
            return url[len(origin) :]

        return cls(
            issuer=issuer,
            authorization=path(metadata["authorization_endpoint"]),
            token=path(metadata["token_endpoint"]),
            userinfo=path(metadata["userinfo_endpoint"]),
        )


async def discover(conn: Connection, issuer: str) -> Endpoints:
    """Read /.well-known/openid-configuration (OpenID Connect Discovery 1.0 section 4)."""
    path = urlsplit(issuer).path.rstrip("/") + "/.well-known/openid-configuration"
    response = await conn.request("GET", path)
    if response.status != 200:
        raise CheckError(f"discovery answered {response.status}")
    endpoints = Endpoints.from_metadata(json.loads(response.body))
    if endpoints.issuer != issuer:
        raise CheckError(f"discovery names issuer {endpoints.issuer}, expected {issuer}")
    return endpoints


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_pkce() -> tuple[str, str]:
    """A fresh code_verifier and its S256 code_challenge (RFC 7636 4.1, 4.2)."""
    verifier = secrets.token_urlsafe(32)
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization request's secrets, kept to check and redeem its response."""

    target: str  # path?query for GET /authorize
    state: str
    nonce: str
    verifier: str


def authorization_request(
    endpoint: str,
    client_id: str,
    redirect_uri: str,
    scope: str,
    extra: dict[str, str],
) -> AuthorizationRequest:
    """A code + PKCE request with fresh state, nonce and verifier (the seed's GET)."""
    verifier, challenge = new_pkce()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            **extra,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return AuthorizationRequest(f"{endpoint}?{query}", state, nonce, verifier)


def code_from_redirect(location: str, redirect_uri: str, state: str, issuer: str) -> str:
    """The code from an authorization response, checking state and RFC 9207 `iss`."""
    base, _, query = location.partition("?")
    if base != redirect_uri:
        raise CheckError(f"redirected to {base}, not to the client")
    params = parse_qs(query)
    if "error" in params:
        raise CheckError(f"authorization error {params['error'][0]}")
    if params.get("state") != [state]:
        raise CheckError("state does not match")
    if params.get("iss") != [issuer]:
        raise CheckError("iss missing or wrong (RFC 9207)")
    codes = params.get("code")
    if not codes:
        raise CheckError("no code in the authorization response")
    return codes[0]


def jwt_payload(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified: the driver checks content, the signature is the
    resource server's business (and would cost the driver more than the server)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise CheckError("not a JWT") from exc
    if not isinstance(claims, dict):
        raise CheckError("JWT payload is not an object")
    return claims


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None


def check_token_response(
    status: int, body: bytes, *, nonce: str | None, want_refresh: bool, want_id: bool
) -> Tokens:
    """Parse a token response and insist on what the request must have produced."""
    if status != 200:
        raise CheckError(f"token endpoint answered {status}: {body[:200]!r}")
    data = json.loads(body)
    access = data.get("access_token")
    if not isinstance(access, str) or str(data.get("token_type", "")).lower() != "bearer":
        raise CheckError("no bearer access_token")
    refresh, id_token = data.get("refresh_token"), data.get("id_token")
    if want_refresh and not isinstance(refresh, str):
        raise CheckError("no refresh_token")
    if want_id:
        if not isinstance(id_token, str):
            raise CheckError("no id_token")
        if nonce is not None and jwt_payload(id_token).get("nonce") != nonce:
            raise CheckError("id_token nonce does not match")
    return Tokens(access, refresh, id_token)


def form(params: dict[str, str]) -> bytes:
    return urlencode(params).encode("ascii")


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def basic_auth(client_id: str, client_secret: str) -> str:
    """RFC 6749 2.3.1: both parts form-encoded before base64."""
    pair = urlencode({"": client_id})[1:] + ":" + urlencode({"": client_secret})[1:]
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")
