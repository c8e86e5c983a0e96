"""Client authentication at the token, revocation and introspection endpoints.

RFC 6749 2.3.1: `client_secret_basic` (the id and secret, each form-urlencoded, inside
HTTP Basic) and `client_secret_post` (both in the body); RFC 7591 2: `none`, a public
client that only names itself, PKCE being its proof at the token endpoint. A client may
use only the method it registered (either secret method when it pinned none: see
`Client.auth_methods`), and one method per request (RFC 6749 2.3). Secrets are
compared as SHA-256 digests, in constant time.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from tessera.core.errors import InvalidClientError, InvalidRequestError
from tessera.core.models import AuthMethod, Client, Timestamp
from tessera.core.ports import ClientRepo
from tessera.crypto.tokens import constant_time_equals, digest

MAX_AUTHORIZATION_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """Who the request says the client is, and how it proves it."""

    client_id: str
    method: AuthMethod
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A request a client authenticates (token, revocation, introspection): its form
    parameters, the credentials they or the Basic header carry, and its address."""

    params: Mapping[str, str]
    credentials: ClientCredentials
    client_ip: str


def parse_client_credentials(
    authorization: str | None, params: Mapping[str, str]
) -> ClientCredentials:
    """Read the client's credentials from the Authorization header or the body.

    An Authorization header with another scheme than Basic is not client
    authentication and is ignored here.

    Raises:
        InvalidClientError: a malformed Basic header (with `basic`), or no client_id.
        InvalidRequestError: Basic and a body secret together, or a body client_id
            that is not the one inside Basic.
    """
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "basic":
        client_id, secret = _decode_basic(value.strip())
        if "client_secret" in params:
            raise InvalidRequestError("Use one client authentication method, not two.")
        if params.get("client_id", client_id) != client_id:
            raise InvalidRequestError("The client_id does not match the Basic credentials.")
        return ClientCredentials(client_id, AuthMethod.CLIENT_SECRET_BASIC, secret)
    named = params.get("client_id")
    if named is None:
        raise InvalidClientError(detail="no client_id and no Basic credentials")
    posted = params.get("client_secret")
    if posted is None:
        return ClientCredentials(named, AuthMethod.NONE)
    return ClientCredentials(named, AuthMethod.CLIENT_SECRET_POST, posted)


def _decode_basic(value: str) -> tuple[str, str]:
    """RFC 7617 user-pass, whose parts RFC 6749 2.3.1 form-urlencodes."""
    if len(value) > MAX_AUTHORIZATION_LENGTH:
        raise InvalidClientError(detail="Basic credentials too long", basic=True)
    try:
        # A header may carry any octet (read as latin-1). Base64 is ASCII: encoding first
        # refuses the rest, on which b64decode would raise a bare ValueError.
        decoded = b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise InvalidClientError(
            detail="Basic credentials are not base64 UTF-8", basic=True
        ) from None
    raw_id, colon, raw_secret = decoded.partition(":")
    client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if not colon or not client_id or not secret:
        raise InvalidClientError(detail="Basic credentials lack an id or a secret", basic=True)
    return client_id, secret


def verify_client(
    credentials: ClientCredentials, client: Client | None, *, now: Timestamp
) -> Client:
    """Check the credentials against the registered client.

    The presented secret is digested before anything is looked at, so an unknown
    client, a wrong method and a wrong secret cost the same. A secret replaced by a
    rotation still matches until its overlap ends; both are compared every time.

    Raises:
        InvalidClientError: unknown client, not a method it registered (the description
            names the registered ones, so that a misconfigured client can be fixed), or
            a wrong secret; `basic` is set when Basic was tried (the answer then carries
            WWW-Authenticate).
    """
    presented = digest(credentials.secret or "")
    basic = credentials.method is AuthMethod.CLIENT_SECRET_BASIC
    if client is None:
        raise InvalidClientError(detail="unknown client", basic=basic)
    if credentials.method not in client.auth_methods:
        registered = " or ".join(client.auth_methods)
        raise InvalidClientError(
            f"Client authentication failed: the client is registered for {registered}.",
            detail=f"client registered {registered}, used {credentials.method}",
            basic=basic,
        )
    if client.auth_method is not AuthMethod.NONE and not _matches(client, presented, now):
        raise InvalidClientError(detail="wrong client secret", basic=basic)
    return client


def _matches(client: Client, presented: bytes, now: Timestamp) -> bool:
    """The presented digest is the secret's, or the rotated one's during its overlap
    (an absent hash matches nothing: it compares against b"")."""
    current = constant_time_equals(presented, client.secret_hash or b"")
    previous = constant_time_equals(presented, client.previous_secret_hash or b"")
    overlapping = (client.previous_secret_expires_at or 0) > now
    return current or (previous and overlapping)


async def authenticate_client(
    credentials: ClientCredentials, clients: ClientRepo, *, now: Timestamp
) -> Client:
    """The registered client the credentials prove (see verify_client for what raises)."""
    return verify_client(credentials, await clients.get(credentials.client_id), now=now)
