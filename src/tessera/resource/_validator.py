"""BearerTokenValidator: a JWT access token checked against one issuer and one API (RFC 9068 4)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Iterable
from types import TracebackType
from typing import Any

import httpx

from tessera.crypto.jws import JWSVerifier, UnknownKeyError, check_algorithms
from tessera.crypto.jwt import ALLOWED_ALGORITHMS, JWTError, validate_claims
from tessera.resource._bearer import parse_authorization
from tessera.resource._errors import BearerTokenError, InsufficientScopeError, InvalidTokenError
from tessera.resource._introspection import Introspection, Introspector
from tessera.resource._issuer import IssuerMetadata
from tessera.resource._jwks import JWKSCache
from tessera.resource._token import AccessToken, build_access_token, parse_scope_names

logger = logging.getLogger("tessera.resource")

# RFC 9068 4: typ "at+jwt" or "application/at+jwt"; media types compare case-insensitively.
_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


class BearerTokenValidator:
    """Checks bearer tokens for one API: signature by the issuer's published keys (found
    through its discovery document), `typ`, `iss`, `aud`, times, and scopes; optionally
    asks the issuer whether the token is still active (strict mode).

    One instance per API process: it holds the key cache. Use it as an async context
    manager, or call `aclose()`, to close the HTTP client it made.

        validator = BearerTokenValidator("https://auth.example.com", "https://api.example.com")
        token = await validator.authenticate(authorization_header, scopes=["read:messages"])
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        required_scopes: Iterable[str] = (),
        leeway: int = 30,
        algorithms: Collection[str] = ALLOWED_ALGORITHMS,
        jwks_uri: str | None = None,
        cache_ttl: float = 300.0,
        min_refresh_interval: float = 10.0,
        introspection: Introspection | None = None,
        http_client: httpx.AsyncClient | None = None,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`leeway` (seconds) absorbs clock skew on exp, nbf and iat. `cache_ttl` is how
        long fetched keys are used before a refetch; `min_refresh_interval` bounds how
        often the JWKS is fetched whatever asks for it (an unknown kid, an expired cache,
        a retry after an outage). `http_client` is used as given and not closed here.

        Raises:
            ValueError: a non-https issuer or URL (http only to localhost unless
                `allow_insecure_http`), an algorithm outside RS256/ES256/EdDSA, a bad
                scope name, an empty audience or a negative leeway.
        """
        if leeway < 0:
            raise ValueError("leeway must not be negative")
        if not audience:
            raise ValueError("audience must name the API")
        self.issuer = issuer
        self.audience = audience
        self.required_scopes = parse_scope_names(required_scopes)
        self._leeway = leeway
        self._clock = clock
        self._http = http_client or httpx.AsyncClient(timeout=5.0)
        self._owns_http = http_client is None
        metadata = IssuerMetadata(issuer, self._http, allow_insecure_http=allow_insecure_http)
        self._keys = JWKSCache(
            metadata,
            jwks_uri=metadata.check_url(jwks_uri) if jwks_uri else None,
            algorithms=check_algorithms(algorithms),
            ttl=cache_ttl,
            min_refresh_interval=min_refresh_interval,
            clock=clock,
        )
        self._introspector = Introspector(introspection, metadata, clock) if introspection else None

    async def authenticate(
        self, authorization: str | None, *, scopes: Iterable[str] = ()
    ) -> AccessToken:
        """Check a request's Authorization header value (None when absent); return the
        verified token.

        Raises:
            BearerTokenError: a subclass per RFC 6750 3.1 outcome; see `verify`.
        """
        token = parse_authorization(() if authorization is None else (authorization,))
        return await self.verify(token, scopes=scopes)

    async def verify(self, token: str, *, scopes: Iterable[str] = ()) -> AccessToken:
        """Check a bearer token; `scopes` are needed on top of `required_scopes`.

        Raises:
            InvalidTokenError: bad signature, unknown key, wrong typ/iss/aud, expired,
                not yet valid, a required claim missing, or inactive (strict mode).
            InsufficientScopeError: valid, but without every scope needed.
            TemporarilyUnavailableError: no keys yet, or strict mode cannot ask.
        """
        needed = (
            self.required_scopes + parse_scope_names(scopes) if scopes else self.required_scopes
        )
        try:
            keys = self._keys.fresh() or await self._keys.current()
            try:
                header, payload = keys.verify(token)
            except UnknownKeyError:
                header, payload = await self._verify_with_newer_keys(token, keys)
            except JWTError as exc:
                raise InvalidTokenError(str(exc)) from None
            access = self._access_token(header, payload)
            if self._introspector is not None:
                await self._introspector.verify_active(token, access)
            if needed and not access.has_scopes(needed):
                raise InsufficientScopeError(needed, f"granted {' '.join(access.scopes)!r}")
        except BearerTokenError as error:
            logger.debug("bearer token refused (%s): %s", error.error, error.detail)
            raise
        return access

    async def _verify_with_newer_keys(
        self, token: str, seen: JWSVerifier
    ) -> tuple[dict[str, Any], bytes]:
        """One more try after `seen` lacked the token's kid: the issuer may have rotated."""
        newer = await self._keys.refreshed(seen)
        if newer is None:
            raise InvalidTokenError("unknown kid")
        try:
            return newer.verify(token)
        except JWTError as exc:
            raise InvalidTokenError(str(exc)) from None

    def _access_token(self, header: dict[str, Any], payload: bytes) -> AccessToken:
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
            raise InvalidTokenError("typ is not at+jwt")
        try:
            # RFC 7519 7.2: the claims set is UTF-8 JSON.
            claims = json.loads(payload.decode("utf-8"))
        except ValueError:
            raise InvalidTokenError("payload is not UTF-8 JSON") from None
        if not isinstance(claims, dict):
            raise InvalidTokenError("payload is not a JSON object")
        try:
            validate_claims(
                claims,
                issuer=self.issuer,
                audience=self.audience,
                now=int(self._clock()),
                leeway=self._leeway,
            )
        except JWTError as exc:
            raise InvalidTokenError(str(exc)) from None
        return build_access_token(claims)

    async def aclose(self) -> None:
        """Close the HTTP client this validator made (not one passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> BearerTokenValidator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
