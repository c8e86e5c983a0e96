"""The issuer's signing keys (RFC 7517 5), kept between fetches.

A fetch happens on first use, when the keys are older than `ttl`, and when a token
names a kid the cached set lacks (the issuer rotated). All three share one limit, at
most one fetch per `min_refresh_interval`, so a flood of tokens with made-up kids costs
the issuer one request per interval. A failed fetch keeps the cached keys: an outage of
the JWKS endpoint stops nothing that was working.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

from joserfc.jwk import KeySet

from tessera.crypto.jws import JWSVerifier
from tessera.resource._errors import TemporarilyUnavailableError
from tessera.resource._issuer import FetchError, IssuerMetadata, fetch_json

logger = logging.getLogger("tessera.resource")


class JWKSCache:
    """Signing keys of one issuer as a `JWSVerifier`, refreshed under a rate limit."""

    def __init__(
        self,
        metadata: IssuerMetadata,
        *,
        jwks_uri: str | None,
        algorithms: Collection[str],
        ttl: float,
        min_refresh_interval: float,
        clock: Callable[[], float],
    ) -> None:
        self._metadata = metadata
        self._jwks_uri = jwks_uri
        self._algorithms = algorithms
        self._ttl = ttl
        self._min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._lock = asyncio.Lock()
        self._verifier: JWSVerifier | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    def fresh(self) -> JWSVerifier | None:
        """The cached keys if younger than the TTL: the per-request path, with no await."""
        # Comparing both ends keeps the cache honest when the wall clock is set back.
        if 0 <= self._clock() - self._fetched_at < self._ttl:
            return self._verifier
        return None

    async def current(self) -> JWSVerifier:
        """The keys for a request that found `fresh()` empty: refetched if the rate limit
        allows (or after a fetch already under way), else the stale ones.

        Raises:
            TemporarilyUnavailableError: no keys were ever fetched and a fetch fails now
                (or failed less than `min_refresh_interval` ago).
        """
        await self._refresh()
        if self._verifier is None:
            raise TemporarilyUnavailableError("no signing keys from the issuer yet")
        return self._verifier

    async def refreshed(self, seen: JWSVerifier) -> JWSVerifier | None:
        """A newer key set than `seen`, which did not hold a token's kid; fetched now if
        the rate limit allows. None when there is nothing newer."""
        if self._verifier is seen:
            await self._refresh()
        return None if self._verifier is seen else self._verifier

    async def _refresh(self) -> None:
        # Requests that arrive during a fetch wait for it here, then find it too recent
        # to repeat: the first requests after a cold start get keys, not a 503.
        async with self._lock:
            now = self._clock()
            last = self._attempted_at
            if last is not None and abs(now - last) < self._min_refresh_interval:
                return
            self._attempted_at = now
            try:
                verifier = await self._fetch()
            except FetchError as exc:
                kept = "keeping the cached keys" if self._verifier else "no keys cached"
                logger.warning("fetching the issuer's signing keys failed: %s; %s", exc, kept)
                return
            self._verifier, self._fetched_at = verifier, now

    async def _fetch(self) -> JWSVerifier:
        http = self._metadata.http
        url = self._jwks_uri or await self._metadata.endpoint("jwks_uri")
        document = await fetch_json(http, http.build_request("GET", url))
        try:
            key_set = KeySet.import_key_set(document)  # type: ignore[arg-type]
        # joserfc reports a malformed JWK set with assorted exception types.
        except Exception as exc:
            raise FetchError(f"{url}: not a usable JWK set ({type(exc).__name__})") from None
        return JWSVerifier(key_set, self._algorithms)
