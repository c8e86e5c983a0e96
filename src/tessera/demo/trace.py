"""`tessera demo --trace`: the seed's sequence diagram, run headless and printed step by step.

The Authorization Server and the Resource Server are the real ones the demo started. The
trace plays the other two participants over real HTTP: the Client (with the demo client's
registration: PKCE S256, `state`, `nonce`, `audience`, the code exchange with
client_secret_basic, the ID token checks, the Bearer call) and the User's browser (a
cookie-keeping user agent that reads and submits tessera's real login and consent forms).

Each step carries its number from the diagram, whose `autonumber` gives twelve messages,
and the request and response lines that carried it, with secrets shortened. The exit
code is 0 only if every step did what the diagram says, so the trace is also a check.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

from tessera.crypto.jwt import JWTError, build_key_set, verify_id_token
from tessera.crypto.tokens import s256
from tessera.demo.html_forms import Form, forms_of
from tessera.demo.orchestrate import DemoPorts
from tessera.demo.provision import DemoSetup
from tessera.relying_party import AuthorizationResponseError, verify_authorization_response

SCOPE = "openid profile email offline_access read:messages"
# Values shown shortened wherever they appear: in URLs, form bodies and JSON.
SECRET_NAMES = frozenset(
    {
        "code",
        "code_verifier",
        "password",
        "csrf_token",
        "interaction",
        "sid",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
    }
)
MAX_HOPS = 6  # Redirects the browser follows on the server's own pages before giving up.

# The diagram's twelve messages: (number, from, to, label).
STEPS: tuple[tuple[int, str, str, str], ...] = (
    (1, "User", "Client", "Initiate Authorization Request"),
    (2, "Client", "Client", "Generate cryptographically random code_verifier"),
    (3, "Client", "Client", "Generate code_challenge from code_verifier"),
    (4, "Client", "Authorization Server", "Redirect to Authorization Server"),
    (5, "Authorization Server", "User", "Authenticate User"),
    (6, "User", "Authorization Server", "Authorize Client"),
    (7, "Authorization Server", "Client", "Return Authorization Code"),
    (8, "Client", "Authorization Server", "Access Token Request with Authorization Code"),
    (
        9,
        "Authorization Server",
        "Authorization Server",
        "Validate code_verifier and code_challenge",
    ),
    (10, "Authorization Server", "Client", "Access Token Response"),
    (11, "Client", "Resource Server", "Request Resource"),
    (12, "Resource Server", "Client", "Protected Resource"),
)


class StepFailed(Exception):
    """A step did not do what the diagram says; the message says what happened instead."""


def shorten(value: str) -> str:
    """Enough of a secret to follow it from step to step, not enough to use it."""
    return value if len(value) <= 16 else f"{value[:10]}...{value[-4:]}"


def _shown(name: str, value: str) -> str:
    if name == "password":
        return "*" * 8
    return shorten(value) if name in SECRET_NAMES else value


def _shorten_pairs(pairs: list[tuple[str, str]]) -> str:
    return urlencode([(name, _shown(name, value)) for name, value in pairs], safe=":/ *")


def _shorten_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    return parts._replace(query=_shorten_pairs(parse_qsl(parts.query))).geturl()


def _shorten_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: shorten(item)
            if name in SECRET_NAMES and isinstance(item, str)
            else _shorten_json(item)
            for name, item in value.items()
        }
    return value


@dataclass
class Transcript:
    """Prints steps and the HTTP lines that carried them."""

    out: Callable[[str], None] = print
    done: list[int] = field(default_factory=list)

    def step(self, number: int) -> None:
        _, source, target, label = STEPS[number - 1]
        self.done.append(number)
        self.out(f"\n{number:>2}. {source} -> {target}: {label}")

    def say(self, text: str) -> None:
        self.out(f"      {text}")

    def exchange(self, response: httpx.Response, *, show_request_headers: bool = False) -> None:
        self.request(response.request, show_headers=show_request_headers)
        self.response(response)

    def request(self, request: httpx.Request, *, show_headers: bool = False) -> None:
        self.say(f"> {request.method} {_shorten_url(str(request.url))} HTTP/1.1")
        if show_headers:
            for name in ("authorization", "content-type"):
                value = request.headers.get(name)
                if value is not None:
                    scheme, _, credentials = value.partition(" ")
                    shown = f"{scheme} {shorten(credentials)}" if name == "authorization" else value
                    self.say(f">   {name}: {shown}")
        body = request.content.decode("utf-8", "replace")
        if body and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            self.say(f">   {_shorten_pairs(parse_qsl(body))}")

    def response(self, response: httpx.Response) -> None:
        self.say(f"< HTTP/1.1 {response.status_code} {response.reason_phrase}")
        if "location" in response.headers:
            self.say(f"<   location: {_shorten_url(response.headers['location'])}")
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            self.say(f"<   {json.dumps(_shorten_json(response.json()))}")
        elif content_type.startswith("text/html"):
            title = re.search(r"<title>(.*?)</title>", response.text, re.S)
            self.say(f"<   (HTML page: {title.group(1).strip() if title else 'untitled'})")


def _form(response: httpx.Response, action: str) -> Form:
    for form in forms_of(response.text):
        if form.action == action:
            return form
    raise StepFailed(f"expected a page with a form to {action}, got HTTP {response.status_code}")


@dataclass
class _Flow:
    """What the Client keeps between steps (in a real app, its server-side session)."""

    issuer: str
    setup: DemoSetup
    redirect_uri: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    verifier: str = ""
    challenge: str = ""
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    code: str = ""
    tokens: Mapping[str, Any] = field(default_factory=dict)
    id_claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _SeedSequence:
    """The steps, in the diagram's order; each raises StepFailed when it does not hold."""

    flow: _Flow
    api_url: str
    client: httpx.AsyncClient
    browser: httpx.AsyncClient
    log: Transcript

    async def run(self) -> None:
        await self.initiate()
        self.make_pkce()
        login_page = await self.authenticate(await self.redirect_to_server())
        self.return_code(await self.authorize(login_page))
        await self.exchange_code()
        await self.call_api()

    async def initiate(self) -> None:
        self.log.step(1)
        self.log.say("The user asks the client to sign in (the demo app's Log in button).")
        self.log.say("The client reads the server's metadata to find its endpoints:")
        response = await self.client.get(f"{self.flow.issuer}/.well-known/openid-configuration")
        self.log.exchange(response)
        if response.status_code != 200:
            raise StepFailed("the discovery document is not available")
        self.flow.metadata = response.json()
        if self.flow.metadata.get("issuer") != self.flow.issuer:
            raise StepFailed("the discovery document names another issuer")

    def make_pkce(self) -> None:
        self.log.step(2)
        self.flow.verifier = secrets.token_urlsafe(48)
        self.log.say(
            f"code_verifier = {shorten(self.flow.verifier)} "
            f"({len(self.flow.verifier)} characters, 384 random bits, kept by the client)"
        )
        self.log.step(3)
        self.flow.challenge = s256(self.flow.verifier)
        self.log.say(f"code_challenge = BASE64URL(SHA256(code_verifier)) = {self.flow.challenge}")
        self.log.say(f"state = {self.flow.state}, nonce = {self.flow.nonce}")

    async def redirect_to_server(self) -> httpx.Response:
        self.log.step(4)
        params = {
            "response_type": "code",
            "code_challenge": self.flow.challenge,
            "code_challenge_method": "S256",
            "client_id": self.flow.setup.client_id,
            "redirect_uri": self.flow.redirect_uri,
            "scope": SCOPE,
            "audience": self.flow.setup.api_identifier,
            "state": self.flow.state,
            "nonce": self.flow.nonce,
        }
        url = f"{self.flow.metadata['authorization_endpoint']}?{urlencode(params)}"
        self.log.say("The client redirects the browser; the browser follows:")
        response = await self.browser.get(url)
        self.log.exchange(response)
        target = response.headers.get("location", "")
        if response.status_code not in (302, 303) or target.startswith(self.flow.redirect_uri):
            raise StepFailed(f"/authorize did not ask the user to sign in: {_shorten_url(target)}")
        return response

    async def authenticate(self, redirect: httpx.Response) -> httpx.Response:
        self.log.step(5)
        response = await self.browser.get(urljoin(self.flow.issuer, redirect.headers["location"]))
        self.log.exchange(response)
        form = _form(response, "/u/login")
        self.log.say(f"The login form asks for: {', '.join(sorted(form.fields))}")
        return response

    async def authorize(self, login_page: httpx.Response) -> httpx.Response:
        """Signs in, then allows on the consent page; returns the redirect to the client."""
        self.log.step(6)
        self.log.say(f"The user signs in as {self.flow.setup.username}:")
        response = await self._submit(
            login_page,
            "/u/login",
            username=self.flow.setup.username,
            password=self.flow.setup.password,
        )
        consented = False
        for _ in range(MAX_HOPS):
            target = response.headers.get("location", "")
            if response.status_code in (302, 303) and target.startswith(self.flow.redirect_uri):
                if not consented:
                    self.log.say("(The user allowed these scopes before: no consent page.)")
                return response
            if response.status_code in (302, 303):
                response = await self.browser.get(urljoin(self.flow.issuer, target))
                self.log.exchange(response)
            elif any(form.action == "/u/consent" for form in forms_of(response.text)):
                self.log.say("The user reads what the client asks for and allows it:")
                response = await self._submit(response, "/u/consent", decision="allow")
                consented = True
            else:
                raise StepFailed(f"sign-in stopped at HTTP {response.status_code}")
        raise StepFailed(f"no redirect back to the client after {MAX_HOPS} pages")

    async def _submit(self, page: httpx.Response, action: str, **values: str) -> httpx.Response:
        form = _form(page, action)
        response = await self.browser.post(
            urljoin(self.flow.issuer, form.action), data={**form.fields, **values}
        )
        self.log.exchange(response)
        return response

    def return_code(self, redirect: httpx.Response) -> None:
        self.log.step(7)
        params = dict(parse_qsl(urlsplit(redirect.headers["location"]).query))
        self.log.say(f"The browser carries it to {self.flow.redirect_uri} with:")
        self.log.say(f"  {_shorten_pairs(sorted(params.items()))}")
        try:
            self.flow.code = verify_authorization_response(
                params, issuer=self.flow.issuer, state=self.flow.state, iss_required=True
            )
        except AuthorizationResponseError as exc:
            raise StepFailed(str(exc)) from None
        self.log.say("The client checks: state is the one it sent, iss is its server.")

    async def exchange_code(self) -> None:
        self.log.step(8)
        response = await self.client.post(
            self.flow.metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "client_id": self.flow.setup.client_id,
                "code_verifier": self.flow.verifier,
                "code": self.flow.code,
                "redirect_uri": self.flow.redirect_uri,
            },
            auth=(self.flow.setup.client_id, self.flow.setup.client_secret),
        )
        self.log.request(response.request, show_headers=True)
        self.log.step(9)
        self.log.say(
            "The server hashes the code_verifier and compares it, in constant time, with the "
            "code_challenge stored with the code;"
        )
        self.log.say(
            f"BASE64URL(SHA256(code_verifier)) = {s256(self.flow.verifier)}: "
            + ("a match, so it answers 200." if response.status_code == 200 else "refused.")
        )
        self.log.step(10)
        self.log.response(response)
        if response.status_code != 200:
            raise StepFailed(f"the token request was refused: {response.text[:200]}")
        self.flow.tokens = response.json()
        missing = {"access_token", "refresh_token", "id_token", "token_type", "expires_in"} - set(
            self.flow.tokens
        )
        if missing or self.flow.tokens["token_type"] != "Bearer":
            raise StepFailed(f"the token response lacks {sorted(missing) or 'token_type Bearer'}")
        await self._check_id_token()

    async def _check_id_token(self) -> None:
        response = await self.client.get(self.flow.metadata["jwks_uri"])
        self.log.say("The client checks the id_token against the server's published keys:")
        self.log.exchange(response)
        try:
            self.flow.id_claims = verify_id_token(
                self.flow.tokens["id_token"],
                build_key_set(response.json()["keys"]),
                issuer=self.flow.issuer,
                client_id=self.flow.setup.client_id,
                nonce=self.flow.nonce,
                access_token=self.flow.tokens["access_token"],
                now=int(time.time()),
            )
        except (JWTError, KeyError, ValueError) as exc:
            raise StepFailed(f"the id_token is not valid: {exc}") from None
        self.log.say(
            f"Signature, iss, aud, exp, nonce and at_hash all check: "
            f"sub={self.flow.id_claims['sub']}, name={self.flow.id_claims.get('name')!r}"
        )

    async def call_api(self) -> None:
        self.log.step(11)
        response = await self.client.get(
            self.api_url,
            headers={
                "Authorization": f"Bearer {self.flow.tokens['access_token']}",
                "Content-Type": "application/json",
            },
        )
        self.log.request(response.request, show_headers=True)
        self.log.step(12)
        self.log.response(response)
        if response.status_code != 200:
            challenge = response.headers.get("www-authenticate", "")
            raise StepFailed(f"the API refused the token: {response.status_code} {challenge}")
        body = response.json()
        if body.get("sub") != self.flow.id_claims["sub"]:
            raise StepFailed("the API names another caller than the signed-in user")
        self.log.say(f"The protected resource, for {body['sub']}: {body.get('message', '')}")


async def trace_seed_sequence(
    ports: DemoPorts, setup: DemoSetup, out: Callable[[str], None] = print
) -> int:
    """Run the seed sequence against the running demo; 0 only if every step succeeded."""
    issuer, api_url, client_url = ports.urls()
    log = Transcript(out)
    flow = _Flow(issuer=issuer, setup=setup, redirect_uri=f"{client_url}/callback")
    out(f"The seed sequence, traced against {issuer} (secrets shortened):")
    try:
        async with (
            httpx.AsyncClient(timeout=10) as client,
            httpx.AsyncClient(timeout=10) as browser,
        ):
            await _SeedSequence(flow, api_url, client, browser, log).run()
    except StepFailed as exc:
        out(f"\nStep {log.done[-1] if log.done else 1} FAILED: {exc}")
        return 1
    except httpx.HTTPError as exc:
        out(f"\nStep {log.done[-1] if log.done else 1} FAILED: HTTP error: {exc}")
        return 1
    out(f"\nAll {len(STEPS)} steps of the seed sequence succeeded.")
    return 0
