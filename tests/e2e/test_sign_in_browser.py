"""A person signs in and consents in headless Chromium, against a real `tessera serve`.

The client's redirect URI is a small HTTP server in the test that records what the
browser brings it (query or form_post body). Screenshots of the login and consent pages go to
test-artifacts/ for people to look at; a CSP violation reported by the browser fails
the test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Page

from tessera.crypto.tokens import s256
from tests.support.server import TesseraServer

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("e2e") / "data")
    instance.start()
    instance.cli(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--name", "Alice Liddell", input=f"{PASSWORD}\n",
    )  # fmt: skip
    instance.cli(
        "apis", "create", "--identifier", "https://api.example.test", "--name", "Orders API",
        "--scope", "read:orders=Read your orders", "--scope", "write:orders=Place orders for you",
    )  # fmt: skip
    yield instance
    instance.stop()


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, str]]

    def do_GET(self) -> None:
        self._record(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        self._record(self.rfile.read(length).decode())

    def _record(self, query: str) -> None:
        if urlsplit(self.path).path != "/callback":  # The browser's favicon request.
            self.send_error(404)
            return
        self.received.append(dict(parse_qsl(query)))
        body = b"<!doctype html><title>App</title><h1>Back in the app</h1>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `received`."""


@pytest.fixture(scope="module")
def callback() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The client's redirect URI, and what arrived at it."""
    received: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/callback", received
    httpd.shutdown()
    httpd.server_close()


@dataclass(frozen=True)
class App:
    """A registered client whose redirect URI is the recording server."""

    client_id: str
    redirect_uri: str
    received: list[dict[str, str]]

    def authorization_url(self, issuer: str, **extra: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email offline_access read:orders",
            "audience": "https://api.example.test",
            "state": "state-e2e",
            "nonce": "nonce-e2e",
            "code_challenge": s256("v" * 64),
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{issuer}/authorize?{urlencode(query)}"


def register(server: TesseraServer, name: str, callback: tuple[str, list[dict[str, str]]]) -> App:
    redirect_uri, received = callback
    created = server.cli_json(
        "clients", "create", "--name", name, "--public", "--redirect-uri", redirect_uri
    )
    return App(str(created["client_id"]), redirect_uri, received)


def sign_in(page: Page) -> None:
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_person_signs_in_and_consents(
    server: TesseraServer,
    page: Page,
    callback: tuple[str, list[dict[str, str]]],
    artifacts: Path,
) -> None:
    app = register(server, "Acme Orders", callback)
    page.goto(app.authorization_url(server.issuer))
    assert page.url.startswith(f"{server.issuer}/u/login?")
    assert page.get_by_label("Username or email").evaluate("e => e === document.activeElement")
    page.screenshot(path=artifacts / "login.png", full_page=True)

    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == "Incorrect username or password."
    page.screenshot(path=artifacts / "login-failed.png", full_page=True)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.issuer}/u/consent?*")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Acme Orders wants to access your account"
    )
    for text in ("Alice Liddell", "Your email address", "Orders API", "Read your orders"):
        assert page.get_by_text(text).first.is_visible()
    page.screenshot(path=artifacts / "consent.png", full_page=True)

    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{app.redirect_uri}?*")
    assert app.received[-1]["code"].startswith("tsr_ac_")
    assert app.received[-1]["state"] == "state-e2e"
    assert app.received[-1]["iss"] == server.issuer


def test_on_a_phone_the_keyboard_alone_can_deny(
    server: TesseraServer,
    page: Page,
    callback: tuple[str, list[dict[str, str]]],
    artifacts: Path,
) -> None:
    app = register(server, "Pocket App", callback)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(app.authorization_url(server.issuer))
    page.screenshot(path=artifacts / "login-mobile.png", full_page=True)
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.issuer}/u/consent?*")
    page.screenshot(path=artifacts / "consent-mobile.png", full_page=True)
    page.get_by_role("button", name="Deny").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{app.redirect_uri}?*")
    assert app.received[-1]["error"] == "access_denied"
    assert app.received[-1]["iss"] == server.issuer


def test_form_post_submits_itself_under_the_csp(
    server: TesseraServer, page: Page, callback: tuple[str, list[dict[str, str]]]
) -> None:
    app = register(server, "Form Post App", callback)
    page.goto(app.authorization_url(server.issuer, response_mode="form_post"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(app.redirect_uri)
    assert app.received[-1]["code"].startswith("tsr_ac_")
    assert app.received[-1]["state"] == "state-e2e"
