"""A relying party driving a real `tessera serve` over HTTP, as the OpenID Foundation's
conformance suite does: discovery, an authorization request with PKCE, a person signing
in through an httpx cookie jar, the code redeemed with client_secret_basic or
client_secret_post, and the ID token checked (OIDC Core 3.1.3.7) with joserfc against
the published JWKS, independently of tessera's own JWT code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tessera.crypto.tokens import b64url, s256
from tests.support.pages import form_of
from tests.support.server import TesseraServer

REDIRECT_URI = "https://rp.example.test/cb"
REDIRECT_URI_WITH_QUERY = "https://rp.example.test/cb?env=test"
USERNAME = "alice"
PASSWORD = "correct horse battery staple"
CLOCK_SKEW = 5


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str = field(repr=False)
    auth_method: str


@dataclass(frozen=True)
class OpenIDProvider:
    """The server under test, what it advertises, and the clients registered with it."""

    server: TesseraServer
    metadata: dict[str, Any]
    user_id: str
    clients: dict[str, RegisteredClient]

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(httpx.get(self.metadata["jwks_uri"]).json())


def provision(server: TesseraServer) -> OpenIDProvider:
    """One person and one first-party client per authentication method, through the CLI."""
    user = server.cli_json(
        "users", "create", "--username", USERNAME, "--email", "alice@example.test",
        "--name", "Alice Liddell", input=f"{PASSWORD}\n",
    )  # fmt: skip
    clients = {}
    for method in ("client_secret_basic", "client_secret_post"):
        created = server.cli_json(
            "clients", "create", "--name", f"RP {method}", "--first-party",
            "--token-endpoint-auth-method", method,
            "--redirect-uri", REDIRECT_URI, "--redirect-uri", REDIRECT_URI_WITH_QUERY,
        )  # fmt: skip
        clients[method] = RegisteredClient(created["client_id"], created["client_secret"], method)
    metadata = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    return OpenIDProvider(server, metadata, user["id"], clients)


@dataclass(frozen=True)
class AuthRequest:
    """One authorization request's parameters and the secrets the RP keeps back."""

    params: dict[str, str]
    verifier: str = field(repr=False)

    @property
    def redirect_uri(self) -> str:
        return self.params["redirect_uri"]


class RelyingParty:
    """One registered client and one browser (cookie jar) against the provider."""

    def __init__(self, op: OpenIDProvider, client: RegisteredClient, browser: httpx.Client):
        self.op = op
        self.client = client
        self.browser = browser

    def request(self, **overrides: str | None) -> AuthRequest:
        """The suite's default request (code, openid, state, nonce) plus PKCE S256, which
        tessera requires of every client; a None override drops a parameter."""
        verifier = secrets.token_urlsafe(48)
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
            **overrides,
        }
        return AuthRequest({k: v for k, v in params.items() if v is not None}, verifier)

    def start(self, request: AuthRequest, *, method: str = "GET") -> httpx.Response:
        endpoint = self.op.metadata["authorization_endpoint"]
        if method == "POST":
            return self.browser.post(endpoint, data=request.params)
        return self.browser.get(endpoint, params=request.params)

    def is_login_page(self, response: httpx.Response) -> bool:
        return response.status_code in (302, 303) and response.headers["location"].startswith(
            "/u/login"
        )

    def sign_in(self, response: httpx.Response, password: str = PASSWORD) -> httpx.Response:
        """Follow the redirect to the login page and submit the person's credentials."""
        assert self.is_login_page(response), (response.status_code, response.text[:300])
        page = self.browser.get(response.headers["location"])
        form = form_of(page.text)
        return self.browser.post(
            form.action, data={**form.fields, "username": USERNAME, "password": password}
        )

    def callback(self, response: httpx.Response, request: AuthRequest) -> dict[str, str]:
        """The authorization response at the redirect URI; state and iss are checked."""
        assert response.status_code in (302, 303), (response.status_code, response.text[:300])
        target = response.headers["location"]
        base, _, query = request.redirect_uri.partition("?")
        location = urlsplit(target)
        assert f"{location.scheme}://{location.netloc}{location.path}" == base, target
        answer = dict(parse_qsl(location.query))
        for name, value in parse_qsl(query):
            assert answer.pop(name) == value  # A registered query component is kept.
        assert answer.get("state") == request.params.get("state")
        assert answer["iss"] == self.op.metadata["issuer"]  # RFC 9207
        return answer

    def authorize(self, request: AuthRequest, *, method: str = "GET") -> dict[str, str]:
        """The whole front channel: signing in only if the provider asks for it."""
        response = self.start(request, method=method)
        if self.is_login_page(response):
            response = self.sign_in(response)
        return self.callback(response, request)

    def token_request(self, form: dict[str, str]) -> httpx.Response:
        """POST to the token endpoint, authenticated the way the client registered."""
        client = self.client
        if client.auth_method == "client_secret_post":
            form = {**form, "client_id": client.client_id, "client_secret": client.client_secret}
            return httpx.post(self.op.metadata["token_endpoint"], data=form)
        auth = httpx.BasicAuth(client.client_id, client.client_secret)
        return httpx.post(self.op.metadata["token_endpoint"], data=form, auth=auth)

    def redeem(self, code: str, request: AuthRequest) -> httpx.Response:
        return self.token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "code_verifier": request.verifier,
            }
        )

    def tokens(self, request: AuthRequest | None = None) -> tuple[dict[str, Any], AuthRequest]:
        """A completed code flow: the token response, its ID token verified."""
        request = request or self.request()
        response = self.redeem(self.authorize(request)["code"], request)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.verify_id_token(body["id_token"], request, body["access_token"])
        return body, request

    def verify_id_token(
        self,
        id_token: str,
        request: AuthRequest,
        access_token: str | None = None,
        *,
        refreshed: bool = False,
    ) -> dict[str, Any]:
        """OIDC Core 3.1.3.7 and 3.3.2.11, as an RP must check them; after a refresh
        the nonce SHOULD be absent, and if present be the original one (12.2)."""
        token = jwt.decode(
            id_token,
            self.op.jwks(),
            algorithms=self.op.metadata["id_token_signing_alg_values_supported"],
        )
        assert token.header.get("kid") in {key.kid for key in self.op.jwks()}
        claims: dict[str, Any] = token.claims
        now = int(time.time())
        assert claims["iss"] == self.op.metadata["issuer"]
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert self.client.client_id in audiences
        if len(audiences) > 1:
            assert claims["azp"] == self.client.client_id
        assert claims["iat"] <= now + CLOCK_SKEW and now < claims["exp"]
        assert claims["sub"] == self.op.user_id
        nonce = claims.get("nonce")
        if not (refreshed and nonce is None):
            assert nonce == request.params.get("nonce")
        if access_token is not None and "at_hash" in claims:
            left = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
            assert claims["at_hash"] == b64url(left)
        return claims

    def userinfo(self, access_token: str, how: str = "GET") -> httpx.Response:
        """UserInfo by GET or POST with the header, or POST with a form body (RFC 6750 2)."""
        url = self.op.metadata["userinfo_endpoint"]
        header = {"Authorization": f"Bearer {access_token}"}
        if how == "GET":
            return httpx.get(url, headers=header)
        if how == "POST":
            return httpx.post(url, headers=header)
        return httpx.post(url, data={"access_token": access_token})
