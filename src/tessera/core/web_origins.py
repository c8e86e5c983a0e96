"""Web origins: the browser origins (RFC 6454) whose scripts may call tessera for a client.

A browser app's token, revocation and userinfo calls are cross-origin requests; the
Fetch standard's CORS protocol lets the page read the answer only if the server names
its origin. tessera names it only for the client the request is for, so an origin is
registered per client (`--web-origin`) and, when none is, taken from the client's
redirect URIs (as Keycloak's `+`). What is decided here the web layer renders as
headers (web.cors).

An origin is registered as a browser serialises it in the `Origin` header (RFC 6454
6.2): scheme, host and a port other than the scheme's default, lower case, nothing
else; https except on loopback, as for redirect URIs (RFC 9700 2.6).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from tessera.core.models import Client
from tessera.core.ports import ClientRepo, Transactions
from tessera.core.redirect_uri import LOOPBACK_HOSTS

MAX_ORIGIN_LENGTH = 300
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidWebOriginError(ValueError):
    """A web origin cannot be registered; the message says why, for a person."""


def parse_web_origin(value: str) -> str:
    """The origin as a browser sends it: lower case, without the default port.

    Raises:
        InvalidWebOriginError: too long, not ASCII, has spaces, a wildcard, user
            information, a path, query or fragment, no host, a bad port, a scheme other
            than http(s), or http on a host other than loopback.
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        raise InvalidWebOriginError(f"web origin is longer than {MAX_ORIGIN_LENGTH}")
    if not value.isascii() or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidWebOriginError(
            f"web origin {value!r} must be ASCII without spaces (write a host in punycode)"
        )
    if "*" in value:
        raise InvalidWebOriginError(
            f"web origin {value!r} has a wildcard: register each origin exactly"
        )
    parts = _split(value)
    if parts is None or parts.scheme.lower() not in DEFAULT_PORTS or not parts.netloc:
        raise InvalidWebOriginError(
            f"web origin {value!r} must be scheme://host[:port], such as https://app.example.com"
        )
    if parts.path or "?" in value or "#" in value:
        raise InvalidWebOriginError(
            f"web origin {value!r} must not have a path, query or fragment (not even a final /)"
        )
    if "@" in parts.netloc or not parts.hostname:
        raise InvalidWebOriginError(f"web origin {value!r} must name a host and nothing else")
    origin = _serialise(parts)
    if origin is None:
        raise InvalidWebOriginError(f"web origin {value!r} has an invalid port")
    if origin.startswith("http:") and parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidWebOriginError(
            f"web origin {value!r} uses http on a non-loopback host; use https "
            "(plain http is for 127.0.0.1, [::1] and localhost only)"
        )
    return origin


def parse_web_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Each origin parsed (`parse_web_origin`), duplicates dropped, order kept."""
    return tuple(dict.fromkeys(parse_web_origin(value) for value in values))


def origin_of(uri: str) -> str | None:
    """The web origin of an http(s) URI such as a redirect URI; None for any other
    (a private-use scheme has no web origin) or for a URI that does not parse."""
    parts = _split(uri)
    if parts is None or parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    return _serialise(parts)


def allowed_origins(client: Client) -> tuple[str, ...]:
    """The origins whose scripts may call the token, revocation and userinfo endpoints
    for this client: the registered ones, or else the origins of its redirect URIs."""
    if client.web_origins is not None:
        return client.web_origins
    found = (origin_of(uri) for uri in client.redirect_uris)
    return tuple(dict.fromkeys(origin for origin in found if origin is not None))


def is_origin_allowed(client: Client, origin: str) -> bool:
    """True if a page of `origin` (the request's `Origin` header, as sent) may read
    answers given for this client. The header is compared as written: browsers send it
    serialised, and anything else (`null`, a path) matches nothing registered."""
    return origin in allowed_origins(client)


class WebOriginRepos(Protocol):
    """What the origin check reads: the clients and the origins they allow."""

    @property
    def clients(self) -> ClientRepo: ...


async def answer_origin_check(
    store: Transactions[WebOriginRepos], origin: str, *, client_id: str | None
) -> bool:
    """Whether a page of `origin` may read an answer given for `client_id`: one of the
    client's allowed origins. A request that names no client (a preflight, or a request
    refused before a client could be read from it) may be read by the origins some
    client allows, which is all a browser app needs to see its own error; the check is
    one indexed lookup, and its answer names no client.
    """
    async with store.read_transaction() as tx:
        if client_id is None:
            return await tx.clients.is_allowed_anywhere(origin)
        client = await tx.clients.get(client_id)
        return client is not None and is_origin_allowed(client, origin)


def _split(value: str) -> SplitResult | None:
    try:
        return urlsplit(value)
    except ValueError:
        return None


def _serialise(parts: SplitResult) -> str | None:
    """scheme://host[:port] in lower case, the default port dropped; None for a port
    that is not 1 to 65535."""
    try:
        port = parts.port
    except ValueError:
        return None
    if port == 0:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
