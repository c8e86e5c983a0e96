"""Domain values passed between core, store and web: frozen dataclasses and wire enums.

Times are integer seconds since the epoch (UTC): they go into JWTs and SQL as they are,
and nothing in core needs calendar arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tessera.crypto.keys import Algorithm

Timestamp = int


class GrantType(StrEnum):
    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


class AuthMethod(StrEnum):
    """Token endpoint client authentication methods (RFC 7591 2)."""

    NONE = "none"
    CLIENT_SECRET_BASIC = "client_secret_basic"
    CLIENT_SECRET_POST = "client_secret_post"


class Prompt(StrEnum):
    NONE = "none"
    LOGIN = "login"
    CONSENT = "consent"


class ResponseMode(StrEnum):
    QUERY = "query"
    FORM_POST = "form_post"


class KeyState(StrEnum):
    """A signing key's life: published ahead as `next`, signs while `current`, is only
    published once rotated out, and leaves the JWKS when `retired`."""

    NEXT = "next"
    CURRENT = "current"
    PUBLISHED = "published"
    RETIRED = "retired"


OIDC_SCOPES: dict[str, str] = {
    "openid": "Sign you in and know who you are",
    "profile": "Your name and profile",
    "email": "Your email address",
    "offline_access": "Stay signed in to this app (refresh tokens)",
}


SECRET_AUTH_METHODS = (AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST)


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A registered client.

    `auth_method` is its RFC 7591 `token_endpoint_auth_method`. A confidential client
    registered without naming one has it unpinned: either secret method is accepted
    (`auth_methods`), `client_secret_basic` being the one stored and shown.

    `apis` are the identifiers (audiences) of the APIs it may get client_credentials
    tokens for (deny by default); `resource_server_for` those whose access tokens it
    may introspect, as that API's back end.

    `web_origins` are the browser origins its scripts may call tessera from; None means
    the origins of its redirect URIs (core.web_origins.allowed_origins). The refresh
    lifetimes override the server's for its kind of client; None keeps the server's.
    A rotated secret (`previous_secret_hash`) keeps working until
    `previous_secret_expires_at` (core.client_secrets).
    """

    client_id: str
    name: str
    secret_hash: bytes | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: frozenset[GrantType] = frozenset(
        {GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN}
    )
    auth_method: AuthMethod = AuthMethod.NONE
    auth_method_pinned: bool = True
    first_party: bool = False
    allowed_scopes: frozenset[str] | None = None
    id_token_alg: Algorithm = Algorithm.RS256
    refresh_grace_seconds: int = 0
    created_at: Timestamp = 0
    apis: frozenset[str] = frozenset()
    resource_server_for: frozenset[str] = frozenset()
    web_origins: tuple[str, ...] | None = None
    refresh_sliding_lifetime: int | None = None
    refresh_absolute_lifetime: int | None = None
    previous_secret_hash: bytes | None = field(default=None, repr=False)
    previous_secret_expires_at: Timestamp | None = None

    @property
    def is_public(self) -> bool:
        return self.auth_method is AuthMethod.NONE

    @property
    def auth_methods(self) -> tuple[AuthMethod, ...]:
        """The methods the client may authenticate with, the registered one first."""
        if self.auth_method_pinned or self.is_public:
            return (self.auth_method,)
        return SECRET_AUTH_METHODS


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: str
    username: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    password_hash: str = field(default="", repr=False)
    created_at: Timestamp = 0
    disabled_at: Timestamp | None = None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiScope:
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    """A resource server; its `identifier` is the `audience` clients ask for."""

    id: str
    identifier: str
    name: str
    scopes: tuple[ApiScope, ...] = ()
    access_token_lifetime: int = 86400
    signing_alg: Algorithm = Algorithm.RS256
    created_at: Timestamp = 0

    def scope_names(self) -> frozenset[str]:
        return frozenset(scope.name for scope in self.scopes)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """A signing key as stored: the private part still sealed."""

    kid: str
    alg: Algorithm
    sealed_private_key: bytes = field(repr=False)
    public_jwk: dict[str, str]
    state: KeyState
    created_at: Timestamp
    # When a next key starts (or a current key started) signing; None for keys made
    # current before keys were published ahead.
    activates_at: Timestamp | None = None
    # When a published key leaves the JWKS: every token it signed has expired by then.
    retires_at: Timestamp | None = None
    retired_at: Timestamp | None = None

    @property
    def signs_from(self) -> Timestamp:
        """When a next key starts signing, or a current key started."""
        return self.created_at if self.activates_at is None else self.activates_at


@dataclass(frozen=True, slots=True, kw_only=True)
class KeySwitch:
    """A next key that became current, and the current key it replaced (if any)."""

    activated: StoredKey
    replaced: StoredKey | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One authorization by a user for a client; the code is its one-time handle.

    Refresh tokens hang off the grant, so revoking the grant revokes the whole family.
    """

    id: str
    client_id: str
    user_id: str
    session_id: str | None
    redirect_uri: str
    scope: frozenset[str]
    audience: str | None
    code_challenge: str
    nonce: str | None
    auth_time: Timestamp
    created_at: Timestamp
    code_expires_at: Timestamp
    expires_at: Timestamp
    redeemed_at: Timestamp | None = None
    revoked_at: Timestamp | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshToken:
    token_hash: bytes = field(repr=False)
    grant_id: str
    scope: frozenset[str]
    created_at: Timestamp
    expires_at: Timestamp
    rotated_at: Timestamp | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A signed-in browser; `sid` is its public id (id_token `sid`, logout)."""

    sid: str
    user_id: str
    auth_time: Timestamp
    created_at: Timestamp
    expires_at: Timestamp


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    user_id: str
    client_id: str
    audience: str
    scope: frozenset[str]
    updated_at: Timestamp


@dataclass(frozen=True, slots=True)
class WindowCount:
    """How many events one throttle key has counted in its current fixed window."""

    key: str
    hits: int
    window_started_at: Timestamp


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    id: int
    at: Timestamp
    event: str
    user_id: str | None = None
    client_id: str | None = None
    ip: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Which audit events to read: each field given narrows the query; `since` is
    inclusive, `until` exclusive."""

    since: Timestamp | None = None
    until: Timestamp | None = None
    event: str | None = None
    user_id: str | None = None
    client_id: str | None = None
