"""A fake issuer on httpx.MockTransport: discovery, a JWKS it can rotate or lose, and an
introspection endpoint; plus tokens signed the way tessera signs access tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tessera.crypto.jwt import _signature, sign_jwt
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key
from tessera.crypto.tokens import b64url
from tessera.resource import BearerTokenValidator
from tests.conftest import Clock

ISSUER = "https://as.test"
AUDIENCE = "https://api.test"
JWKS_URI = f"{ISSUER}/.well-known/jwks.json"
INTROSPECTION_URI = f"{ISSUER}/oauth/introspect"


def sign_compact(key: SigningKey, header: bytes, payload: bytes) -> str:
    """A compact JWS of arbitrary header and payload bytes, signed as tessera signs."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    return f"{signing_input}.{b64url(_signature(key, signing_input.encode()))}"


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, SigningKey]:
    """One key per algorithm, and a second RS256 key to rotate to."""
    keys = {alg.value: build_signing_key(generate_private_key(alg), alg) for alg in Algorithm}
    keys["RS256-next"] = build_signing_key(generate_private_key(Algorithm.RS256), Algorithm.RS256)
    return keys


@dataclass
class FakeIssuer:
    """What the resource server talks to; `paths` records every request it made."""

    keys: list[SigningKey]
    clock: Clock
    down: bool = False
    discovery: dict[str, Any] = field(
        default_factory=lambda: {
            "issuer": ISSUER,
            "jwks_uri": JWKS_URI,
            "introspection_endpoint": INTROSPECTION_URI,
        }
    )
    jwks_body: str | None = None
    active: Callable[[str], Any] = lambda token: True
    paths: list[str] = field(default_factory=list)
    introspection_requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.down:
            return httpx.Response(503)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery)
        if request.url.path == "/.well-known/jwks.json":
            body = self.jwks_body or json.dumps({"keys": [key.public_jwk for key in self.keys]})
            return httpx.Response(200, text=body)
        if request.url.path == "/oauth/introspect":
            self.introspection_requests.append(request)
            token = dict(httpx.QueryParams(request.content.decode()))["token"]
            return httpx.Response(200, json={"active": self.active(token)})
        return httpx.Response(404)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims = {
            "iss": ISSUER,
            "sub": "user-1",
            "aud": [AUDIENCE, f"{ISSUER}/userinfo"],
            "client_id": "client-1",
            "scope": "openid read:messages",
            "iat": now,
            "exp": now + 600,
            "jti": "jti-1",
            "auth_time": now - 5,
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(self, key: SigningKey | None = None, *, typ: str = "at+jwt", **changes: Any) -> str:
        """An access token signed with `key` (default: the first published key)."""
        return sign_jwt(self.claims(**changes), key or self.keys[0], typ=typ)

    def fetches(self, path: str = "/.well-known/jwks.json") -> int:
        return self.paths.count(path)


@pytest.fixture
def issuer(signing_keys: dict[str, SigningKey], clock: Clock) -> FakeIssuer:
    return FakeIssuer(
        keys=[signing_keys["RS256"], signing_keys["ES256"], signing_keys["EdDSA"]], clock=clock
    )


ValidatorFactory = Callable[..., BearerTokenValidator]


@pytest.fixture
async def make_validator(issuer: FakeIssuer, clock: Clock) -> AsyncIterator[ValidatorFactory]:
    """Validators on the fake issuer's transport and the test clock; closed afterwards."""
    http = issuer.client()

    def make(**options: Any) -> BearerTokenValidator:
        options.setdefault("clock", clock)
        return BearerTokenValidator(ISSUER, AUDIENCE, http_client=http, **options)

    yield make
    await http.aclose()


@pytest.fixture
def validator(make_validator: ValidatorFactory) -> BearerTokenValidator:
    return make_validator()
