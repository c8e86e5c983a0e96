"""The seed sequence in headless Chromium, through `tessera demo` as a person runs it.

Steps 1-12 of the seed's diagram happen for real: the person clicks Log in on the demo
app (1-4: the app makes the verifier, challenge, state and nonce and redirects), signs in
and allows (5-6), lands back with a code (7), the app exchanges it (8-10) and calls the
sample API with the access token (11-12), showing the protected resource. Then Refresh
(a rotated refresh token) and Log out (RP-initiated). A screenshot of each screen goes
to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tessera.demo.provision import DEMO_PASSWORD, DEMO_USERNAME
from tests.support.demo import DemoProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    """A demo of its own per test: a consent given in one test would skip another's page."""
    process = DemoProcess(tmp_path / "data").start()
    yield process
    assert process.interrupt() == 0, process.output()


def _sign_in(page: Page, demo: DemoProcess) -> None:
    page.goto(demo.client_url)
    page.click("#login")
    page.wait_for_url(re.compile(re.escape(f"{demo.issuer}/u/login?")))
    page.fill("#username", DEMO_USERNAME)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_the_seed_sequence_then_refresh_and_log_out(
    demo: DemoProcess, page: Page, artifacts: Path
) -> None:
    page.goto(demo.client_url)
    page.screenshot(path=artifacts / "demo-1-home.png", full_page=True)
    page.click("#login")
    page.wait_for_url(re.compile(re.escape(f"{demo.issuer}/u/login?")))
    expect(page.locator("h1")).to_have_text("Sign in")
    page.screenshot(path=artifacts / "demo-2-login.png", full_page=True)
    page.fill("#username", DEMO_USERNAME)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_url(re.compile(re.escape(f"{demo.issuer}/u/consent?")))
    expect(page.locator("body")).to_contain_text("Read your messages")
    page.screenshot(path=artifacts / "demo-3-consent.png", full_page=True)
    page.click("button[value=allow]")

    page.wait_for_url(f"{demo.client_url}/")
    resource = page.locator("#resource pre.ok")
    expect(resource).to_contain_text("this came from the protected API")
    expect(resource).to_contain_text("read:messages")
    expect(page.locator("h1")).to_have_text("Hello, Alice Example")
    page.screenshot(path=artifacts / "demo-4-signed-in.png", full_page=True)

    first_refresh_token = page.inner_text("#refresh-token")
    page.click("#refresh")
    expect(page.locator(".notice")).to_have_text("Tokens refreshed; the refresh token was rotated.")
    assert page.inner_text("#refresh-token") != first_refresh_token
    expect(page.locator("#resource pre.ok")).to_contain_text("this came from the protected API")
    page.screenshot(path=artifacts / "demo-5-refreshed.png", full_page=True)

    page.click("#logout")
    page.wait_for_url(f"{demo.client_url}/logged-out?*")
    expect(page.locator("h1")).to_have_text("You are logged out")
    page.screenshot(path=artifacts / "demo-6-logged-out.png", full_page=True)

    # Signed out at tessera too: logging in again asks for the password.
    page.click("#home")
    page.click("#login")
    page.wait_for_url(re.compile(re.escape(f"{demo.issuer}/u/login?")))


def test_a_person_who_denies_sees_it_plainly_in_the_app(
    demo: DemoProcess, page: Page, artifacts: Path
) -> None:
    _sign_in(page, demo)
    page.wait_for_url(re.compile(re.escape(f"{demo.issuer}/u/consent?")))
    page.click("button[value=deny]")
    page.wait_for_url(re.compile(re.escape(f"{demo.client_url}/callback?")))
    expect(page.locator("[role=alert]")).to_contain_text("access_denied")
    page.screenshot(path=artifacts / "demo-denied.png", full_page=True)
