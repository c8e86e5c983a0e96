"""Strict mode: ask the issuer whether a token is still active (RFC 7662) before trusting it.

A JWT access token stays valid until it expires; an API that must see a revocation at
once asks the introspection endpoint too. Answers are cached for a few seconds per
token digest (a bounded map), so a busy client costs the issuer one request per token
per `cache_ttl`. Only tokens that passed every local check are asked about, so forged
ones never reach the issuer or the cache. It fails closed: when the endpoint cannot
answer, the request is refused with 503.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from tessera.crypto.tokens import digest
from tessera.resource._errors import InvalidTokenError, TemporarilyUnavailableError
from tessera.resource._issuer import FetchError, IssuerMetadata, fetch_json
from tessera.resource._token import AccessToken

logger = logging.getLogger("tessera.resource")


@dataclass(frozen=True, slots=True)
class Introspection:
    """Strict mode settings: the resource server's own client credentials at the issuer
    (sent as client_secret_basic), and how long an answer may be reused.

    tessera answers only a client registered as the API's back end
    (`tessera clients create --resource-server API_IDENTIFIER`); to any other client
    every token of the API is inactive.
    """

    client_id: str
    client_secret: str = field(repr=False)
    endpoint: str | None = None
    """Defaults to the discovery document's introspection_endpoint."""
    cache_ttl: float = 5.0
    max_cached: int = 10_000


def _basic_credentials(client_id: str, client_secret: str) -> str:
    # RFC 6749 2.3.1: both parts form-urlencoded before they are joined and encoded.
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


class Introspector:
    """Asks the introspection endpoint about verified tokens, with a short cache."""

    def __init__(
        self, settings: Introspection, metadata: IssuerMetadata, clock: Callable[[], float]
    ) -> None:
        self._settings = settings
        self._metadata = metadata
        self._clock = clock
        if settings.max_cached < 1:
            raise ValueError("max_cached must be at least 1")
        if settings.endpoint is not None:
            metadata.check_url(settings.endpoint)
        self._authorization = _basic_credentials(settings.client_id, settings.client_secret)
        self._answers: dict[bytes, tuple[bool, float]] = {}

    async def verify_active(self, token: str, access: AccessToken) -> None:
        """Raises:
        InvalidTokenError: the issuer says the token is not active (revoked, or unknown).
        TemporarilyUnavailableError: the endpoint cannot be asked or answered badly.
        """
        key, now = digest(token), self._clock()
        cached = self._answers.pop(key, None)
        if cached is not None and 0 <= cached[1] - now <= self._settings.cache_ttl:
            active = cached[0]
        else:
            active = await self._ask(token)
        if len(self._answers) >= self._settings.max_cached:
            del self._answers[next(iter(self._answers))]
        self._answers[key] = (active, min(now + self._settings.cache_ttl, access.expires_at))
        if not active:
            raise InvalidTokenError("not active at the introspection endpoint")

    async def _ask(self, token: str) -> bool:
        try:
            url = self._settings.endpoint or await self._metadata.endpoint("introspection_endpoint")
            http = self._metadata.http
            request = http.build_request(
                "POST",
                url,
                data={"token": token, "token_type_hint": "access_token"},
                headers={"Authorization": self._authorization, "Accept": "application/json"},
            )
            answer = await fetch_json(http, request)
        except FetchError as exc:
            logger.warning("token introspection failed: %s", exc)
            raise TemporarilyUnavailableError(str(exc)) from None
        # RFC 7662 2.2: "active" is a required boolean; anything else is not a yes.
        return answer.get("active") is True
