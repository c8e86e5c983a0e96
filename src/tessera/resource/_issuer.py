"""What the resource server fetches from the issuer: its discovery document (OpenID
Connect Discovery 1.0 4, RFC 8414 3) and the endpoints it names."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class FetchError(Exception):
    """The issuer could not be reached, or answered with something unusable."""


def check_url(url: str, *, allow_insecure_http: bool) -> str:
    """Return `url` if keys and token answers can be trusted over it: https, or http to
    a loopback host (anyone on the path of plain HTTP elsewhere could swap the keys).

    Raises:
        ValueError: another scheme, no host, or http to a remote host without
            `allow_insecure_http`.
    """
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and (allow_insecure_http or parts.hostname in _LOOPBACK_HOSTS)
    )
    if not parts.hostname or not secure:
        raise ValueError(f"{url!r} must be an https URL (http only to localhost)")
    return url


async def fetch_json(http: httpx.AsyncClient, request: httpx.Request) -> dict[str, Any]:
    """Send `request`; return the JSON object of its 200 response.

    Raises:
        FetchError: a transport error, another status, or a body that is not a JSON object.
    """
    try:
        response = await http.send(request)
    except httpx.HTTPError as exc:
        raise FetchError(f"{request.url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise FetchError(f"{request.url}: HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        raise FetchError(f"{request.url}: not JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{request.url}: not a JSON object")
    return document


class IssuerMetadata:
    """The issuer's discovery document, fetched on first need and kept: its endpoints do
    not move while a resource server runs."""

    def __init__(self, issuer: str, http: httpx.AsyncClient, *, allow_insecure_http: bool) -> None:
        self.issuer = check_url(issuer, allow_insecure_http=allow_insecure_http)
        self.http = http
        self._allow_insecure_http = allow_insecure_http
        self._document: dict[str, Any] | None = None

    def check_url(self, url: str) -> str:
        """`check_url` under this issuer's policy."""
        return check_url(url, allow_insecure_http=self._allow_insecure_http)

    async def endpoint(self, name: str) -> str:
        """The URL the discovery document gives for `name` (jwks_uri, introspection_endpoint).

        Raises:
            FetchError: discovery failed, its issuer is another one (Discovery 4.3 says
                the two MUST be identical), or it names no usable URL for `name`.
        """
        if self._document is None:
            url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            document = await fetch_json(self.http, self.http.build_request("GET", url))
            if document.get("issuer") != self.issuer:
                raise FetchError(f"{url}: issuer does not match")
            self._document = document
        value = self._document.get(name)
        if not isinstance(value, str):
            raise FetchError(f"discovery document has no {name}")
        try:
            return self.check_url(value)
        except ValueError:
            raise FetchError(f"discovery document's {name} is not https") from None
