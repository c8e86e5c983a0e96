"""A native app on a running `tessera serve`, and a person who signs in to it.

The app, its user and its API are registered through the real CLI, as an operator
would; the person signs in and answers the consent page over HTTP through the real
forms, as a browser would, and the redirect back to the app is returned unfollowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support.authorize import PASSWORD, follow, location, sign_in, submit
from tests.support.server import TesseraServer

API = "https://api.example.test"
LOOPBACK_REDIRECT_URI = "http://127.0.0.1/callback"


@dataclass(frozen=True)
class NativeApp:
    client_id: str
    user_id: str
    id_token_alg: str = "RS256"


def register_native_client(server: TesseraServer, *options: str) -> str:
    """A public client with the RFC 8252 loopback redirect (any port) and these
    `clients create` options; its id. Consent is remembered per client, so a new one
    asks alice again."""
    client = server.cli_json(
        "clients", "create", "--name", "Native App", "--public",
        "--redirect-uri", LOOPBACK_REDIRECT_URI, *options,
    )  # fmt: skip
    return str(client["client_id"])


def register_native_app(server: TesseraServer) -> NativeApp:
    """A native client, alice, and the API she may grant it access to."""
    user = server.cli_json(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--name", "Alice", input=f"{PASSWORD}\n",
    )  # fmt: skip
    server.cli("apis", "create", "--identifier", API, "--scope", "read:x")
    return NativeApp(client_id=register_native_client(server), user_id=str(user["id"]))


async def answer_in_browser(issuer: str, authorization_url: str, decision: str = "allow") -> str:
    """Open the URL, sign in as alice, press `decision` on the consent page; the
    URL the browser is then sent to (the app's redirect URI with the response)."""
    async with httpx.AsyncClient(base_url=issuer, timeout=10) as browser:
        start = await browser.get(authorization_url)
        consent = await follow(browser, await sign_in(browser, await follow(browser, start)))
        return location(await submit(browser, consent, decision=decision))
