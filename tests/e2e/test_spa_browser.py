"""The single-page app example (examples/spa, oidc-client-ts) in headless Chromium.

Three origins, as in production: tessera, the app's static files and the sample API,
each on its own loopback port, so every call the app makes is cross-origin and works
only because tessera and the API answer CORS for it. The app signs in (PKCE and
`audience`), loads userinfo, calls the API, refreshes, calls it again with the new token
and signs out (revoking its tokens). The same page served from an origin the client did
not register signs in at tessera, but the browser keeps the token response from it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.support.node import npm_ci
from tests.support.postgres import free_port
from tests.support.server import TesseraServer

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spa"
LIBRARY = EXAMPLE / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
PASSWORD = "correct horse battery staple"
START_TIMEOUT = 30


@dataclass(frozen=True)
class Site:
    """One `examples/spa/serve.py`: the app's origin and its API's."""

    origin: str
    api: str
    process: subprocess.Popen[bytes]


def start_site(
    server: TesseraServer, client_id: str, port: int, api_port: int, audience: str, log: Path
) -> Site:
    """serve.py on these ports, once it answers on both; what it prints goes to `log`."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE / "serve.py"), "--issuer", server.issuer,
             f"--client-id={client_id}", "--port", str(port), "--api-port", str(api_port),
             "--audience", audience],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    site = Site(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{api_port}", process)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve.py exited: {log.read_text()}")
        try:
            httpx.get(f"{site.origin}/config.json", timeout=1)
            httpx.get(f"{site.api}/api", timeout=1)
            return site
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("serve.py did not start")


def stop_site(site: Site) -> None:
    site.process.terminate()
    try:
        site.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        site.process.kill()
        site.process.wait()


@pytest.fixture(scope="module")
def example() -> Path:
    """The example with its npm dependencies, installed from its lockfile if missing."""
    return npm_ci(EXAMPLE, LIBRARY)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("spa") / "data")
    instance.start()
    instance.cli(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--name", "Alice Liddell", input=f"{PASSWORD}\n",
    )  # fmt: skip
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def sites(
    example: Path, server: TesseraServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, Site]]:
    """The app on the origin its client registered, and the same app on another one."""
    port, api_port = free_port(), free_port()
    origin, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{api_port}"
    server.cli(
        "apis", "create", "--identifier", api, "--name", "Messages API",
        "--scope", "read:messages=Read your messages",
    )  # fmt: skip
    client = server.cli_json(
        "clients", "create", "--name", "Single-page app", "--public",
        "--redirect-uri", f"{origin}/callback",
        "--post-logout-redirect-uri", f"{origin}/signed-out", "--web-origin", origin,
    )  # fmt: skip
    logs = tmp_path_factory.mktemp("spa-sites")
    allowed = start_site(server, client["client_id"], port, api_port, api, logs / "allowed.log")
    # Loopback redirect URIs match on any port (RFC 8252 7.3), so the code reaches this
    # page too; its origin is not the client's, so its token request must not be read.
    elsewhere = start_site(
        server, client["client_id"], free_port(), free_port(), api, logs / "elsewhere.log"
    )
    yield allowed, elsewhere
    stop_site(allowed)
    stop_site(elsewhere)


def sign_in_and_allow(page: Page) -> None:
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()


def test_the_app_signs_in_loads_userinfo_calls_the_api_refreshes_and_signs_out(
    page: Page, server: TesseraServer, sites: tuple[Site, Site], artifacts: Path
) -> None:
    allowed, _ = sites
    page.goto(allowed.origin)
    expect(page.locator("#status")).to_have_text("Signed out")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.issuer}/u/login?*")
    sign_in_and_allow(page)
    page.wait_for_url(f"{allowed.origin}/")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Signed in as \S+$"))
    expect(page.locator("#userinfo")).to_contain_text('"preferred_username": "alice"')
    expect(page.locator("#userinfo")).to_contain_text('"email": "alice@example.test"')
    expect(page.locator("#tokens")).to_contain_text('"has_refresh_token": true')

    page.get_by_role("button", name="Call the API").click()
    expect(page.locator("#api")).to_contain_text("this came from the protected API")
    expect(page.locator("#api")).to_contain_text('"read:messages"')
    first_api_answer = page.locator("#api").inner_text()

    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^Refreshed: signed in as \S+$"))
    page.locator("#api").evaluate("node => { node.textContent = '' }")
    page.get_by_role("button", name="Call the API").click()
    expect(page.locator("#api")).to_contain_text("this came from the protected API")
    assert page.locator("#api").inner_text() == first_api_answer
    expect(page.locator("#error")).to_have_text("")
    page.screenshot(path=artifacts / "spa-signed-in.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{allowed.origin}/")
    expect(page.locator("#status")).to_have_text("Signed out")
    expect(page.locator("#error")).to_have_text("")
    events = [event["event"] for event in server.cli_json("audit", "tail", "-n", "10")]
    # The app revoked its refresh token before it left for tessera's logout.
    assert "grant.revoked" in events and events[-1] == "logout"


def test_the_same_app_on_an_origin_its_client_did_not_register_is_blocked(
    page: Page, server: TesseraServer, sites: tuple[Site, Site]
) -> None:
    _, elsewhere = sites
    blocked: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "blocked by CORS policy" in message.text:
            blocked.append(message.text)

    page.on("console", on_console)
    page.goto(elsewhere.origin)
    # Discovery is public: the page loads it and starts the sign-in.
    expect(page.locator("#status")).to_have_text("Signed out")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.issuer}/u/login?*")
    sign_in_and_allow(page)
    page.wait_for_url(f"{elsewhere.origin}/callback?*")
    expect(page.locator("#status")).to_have_text("Failed")
    assert any(f"{server.issuer}/oauth/token" in text for text in blocked), blocked
    assert all(elsewhere.origin in text for text in blocked)
