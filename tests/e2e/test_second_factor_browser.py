"""TOTP in headless Chromium against a real `tessera serve` with `TESSERA_MFA=required`:
a person without a factor enrols from the QR page's key, saves their recovery codes and
signs in; at the next sign-in the code is asked for, a replayed one refused. Screenshots
go to test-artifacts/; a CSP violation fails the test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page

from tests.e2e.test_sign_in_browser import PASSWORD, callback, register  # noqa: F401
from tests.support.server import TesseraServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("e2e-mfa") / "data", TESSERA_MFA="required")
    instance.start()
    instance.cli("users", "create", "--username", "bob", input=f"{PASSWORD}\n")
    instance.cli(
        "apis", "create", "--identifier", "https://api.example.test", "--name", "Orders API",
        "--scope", "read:orders=Read your orders",
    )  # fmt: skip
    yield instance
    instance.stop()


def _password(page: Page) -> None:
    page.get_by_label("Username or email").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_person_enrols_totp_then_signs_in_with_it(
    server: TesseraServer,
    page: Page,
    callback: tuple[str, list[dict[str, str]]],  # noqa: F811
    artifacts: Path,
) -> None:
    app = register(server, "Acme Orders", callback)
    page.goto(app.authorization_url(server.issuer))
    _password(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-step sign-in"
    assert page.locator("figure.qr svg").is_visible()
    page.screenshot(path=artifacts / "mfa-enrol.png", full_page=True)
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    code = page.get_by_label("Code", exact=True)
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("inputmode") == "numeric"
    enrolled_at = time.time()
    enrolled_with = totp.at(enrolled_at)
    code.fill(enrolled_with)
    page.get_by_role("button", name="Turn on").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Save your recovery codes"
    assert page.locator("#recovery-codes li").count() == 10
    page.screenshot(path=artifacts / "mfa-recovery-codes.png", full_page=True)
    page.get_by_role("button", name="I have saved them, continue").click()
    page.wait_for_url(f"{server.issuer}/u/consent?*")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{app.redirect_uri}?*")
    assert app.received[-1]["code"].startswith("tsr_ac_")

    page.goto(app.authorization_url(server.issuer, prompt="login"))
    _password(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Verify it's you"
    page.screenshot(path=artifacts / "mfa-code.png", full_page=True)
    page.get_by_label("Code", exact=True).fill(enrolled_with)  # Spent at enrolment.
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").inner_text() == "That code is not right, or was used already."
    # The step after the spent one: within the server's window for the next minute.
    page.get_by_label("Code", exact=True).fill(totp.at((enrolled_at // 30 + 1) * 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{server.issuer}/u/consent?*")  # A loopback app asks every time.
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{app.redirect_uri}?*")
    assert app.received[-1]["code"].startswith("tsr_ac_")
