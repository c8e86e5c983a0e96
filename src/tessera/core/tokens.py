"""What tokens say: RFC 9068 access tokens, OIDC ID tokens, and the token response.

Access token: a JWT with header `typ: at+jwt` and iss, sub, aud, client_id, scope, iat,
exp, jti and (when a person signed in) auth_time and acr (RFC 9068 2.2). ID token: OIDC
Core 2 and 3.1.3.6 (iss, sub, aud = azp = client_id, exp, iat, auth_time, amr (RFC 8176),
acr, nonce, at_hash, sid) with the profile and email claims of 5.4 by scope. Token
response: RFC 6749 5.1. Only pure builders live here; grants.base issues and stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tessera.core.models import ACR, Client, Grant, Timestamp, User, acr_of
from tessera.core.scopes import format_scope

Claims = dict[str, Any]
ACCESS_TOKEN_TYPE = "at+jwt"
# jti of a token minted from a grant: "<grant id>.<random>", so that userinfo and
# introspection find the grant (and see it revoked) without storing every access token.
JTI_SEPARATOR = "."


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshLifetimes:
    """A refresh token ends `sliding` seconds after it was issued unless it is used (and
    rotated) before; a grant's refresh tokens all end `absolute` seconds after it was
    made."""

    sliding: int
    absolute: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshPolicy:
    """The server's refresh lifetimes, for confidential and for public clients.

    A public client's are shorter (OAuth 2.0 for Browser-Based Apps: a refresh token
    kept by a page or an app has no secret behind it, so its lifetime bounds what a
    stolen one is worth); a client may have its own (`clients create|update
    --refresh-sliding-lifetime / --refresh-absolute-lifetime`).
    """

    confidential: RefreshLifetimes
    public: RefreshLifetimes

    def for_client(self, client: Client) -> RefreshLifetimes:
        """The client's own lifetimes where it has them, else its kind's."""
        kind = self.public if client.is_public else self.confidential
        sliding, absolute = client.refresh_sliding_lifetime, client.refresh_absolute_lifetime
        return RefreshLifetimes(
            sliding=kind.sliding if sliding is None else sliding,
            absolute=kind.absolute if absolute is None else absolute,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPolicy:
    """The configured lifetimes, passed in from settings."""

    issuer: str
    access_token_lifetime: int
    id_token_lifetime: int
    refresh: RefreshPolicy

    @property
    def userinfo_url(self) -> str:
        return f"{self.issuer}/userinfo"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenResponse:
    """RFC 6749 5.1 success body; the tokens are kept out of repr (and so out of logs).

    `grant_id`, `user_id` and `audience` (the API) are not sent: they say what was
    issued, for the audit log.
    """

    access_token: str = field(repr=False)
    expires_in: int
    scope: frozenset[str]
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    grant_id: str | None = None
    user_id: str | None = None
    audience: str | None = None

    def body(self) -> dict[str, str | int]:
        body: dict[str, str | int] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": format_scope(self.scope),
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return body


def build_jti(grant_id: str | None, random_part: str) -> str:
    """A token id that names its grant, or only random for grant-less tokens."""
    return random_part if grant_id is None else f"{grant_id}{JTI_SEPARATOR}{random_part}"


def grant_id_of(jti: str) -> str | None:
    """The grant a jti names, or None for a client_credentials token."""
    grant_id, separator, _ = jti.partition(JTI_SEPARATOR)
    return grant_id if separator else None


def build_access_token_claims(
    *,
    policy: TokenPolicy,
    subject: str,
    client_id: str,
    audience: str | Sequence[str],
    scope: frozenset[str],
    now: Timestamp,
    lifetime: int,
    jti: str,
    auth_time: Timestamp | None,
    acr: ACR | None = None,
) -> Claims:
    """RFC 9068 2.2 claims; `sub` is the user, or the client itself when no one signed
    in. A person's token also says how strongly they signed in (`acr`, RFC 9068 2.2.1),
    so an API can ask for two factors."""
    claims: Claims = {
        "iss": policy.issuer,
        "sub": subject,
        "aud": audience,
        "client_id": client_id,
        "scope": format_scope(scope),
        "iat": now,
        "exp": now + lifetime,
        "jti": jti,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if acr is not None:
        claims["acr"] = acr.value
    return claims


def build_profile_claims(user: User, scope: frozenset[str]) -> Claims:
    """OIDC Core 5.4: what the `profile` and `email` scopes release about the user."""
    claims: Claims = {}
    if "profile" in scope:
        claims["preferred_username"] = user.username
        if user.name:
            claims["name"] = user.name
    if "email" in scope and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims


def build_id_token_claims(
    *,
    policy: TokenPolicy,
    grant: Grant,
    client: Client,
    user: User,
    scope: frozenset[str],
    now: Timestamp,
    at_hash: str,
    nonce: str | None,
) -> Claims:
    """OIDC Core 3.1.3.6 / 12.2 claims.

    `nonce` is the authorization request's on code redemption and None on refresh: a
    refresh is not an authentication, so its ID token repeats no nonce.
    """
    claims: Claims = {
        "iss": policy.issuer,
        "sub": user.id,
        "aud": client.client_id,
        "azp": client.client_id,
        "exp": now + policy.id_token_lifetime,
        "iat": now,
        "auth_time": grant.auth_time,
        "amr": [method.value for method in grant.amr],
        "acr": acr_of(grant.amr).value,
        "at_hash": at_hash,
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if grant.session_id is not None:
        claims["sid"] = grant.session_id
    claims.update(build_profile_claims(user, scope))
    return claims
