"""`tessera login` as a person runs it: a subprocess against a real `tessera serve`.

The command prints the authorization URL (`--no-browser`); this test plays the browser:
it signs in and answers the consent page through the real forms, then follows the
redirect to the command's loopback listener (RFC 8252 7.3), as the browser would. The
command then redeems the code and prints, or writes, the tokens. Failures must end the
command with a non-zero exit and one line on stderr, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.native_app import (
    API,
    NativeApp,
    answer_in_browser,
    register_native_app,
    register_native_client,
)
from tests.support.postgres import free_port
from tests.support.server import TESSERA, TesseraServer

pytestmark = pytest.mark.integration

SCOPE = "openid profile email offline_access read:x"
STEP_TIMEOUT = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    # One server for the module: each test signs in afresh with a client of its own.
    instance = TesseraServer(
        tmp_path_factory.mktemp("login") / "data", TESSERA_SECRET_KEY=TEST_SECRET_KEY
    )
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def first_app(server: TesseraServer) -> NativeApp:
    return register_native_app(server)


@pytest.fixture
def app(server: TesseraServer, first_app: NativeApp) -> NativeApp:
    """A client of its own for each test, so alice is asked for consent every time."""
    return NativeApp(client_id=register_native_client(server), user_id=first_app.user_id)


class Login:
    """A running `tessera login`: its URL, then its outcome."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.stderr_lines: list[str] = []

    async def authorization_url(self, issuer: str) -> str:
        """Read stderr up to the printed URL."""
        assert self.process.stderr is not None
        while True:
            line = await asyncio.wait_for(self.process.stderr.readline(), STEP_TIMEOUT)
            assert line, f"tessera login printed no URL: {self.stderr_lines}"
            text = line.decode().rstrip("\n")
            self.stderr_lines.append(text)
            if text.startswith(f"{issuer}/authorize?"):
                return text

    async def outcome(self) -> tuple[int, str, list[str]]:
        """Exit code, stdout, and the stderr lines printed after the URL."""
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), STEP_TIMEOUT)
        return self.process.returncode or 0, stdout.decode(), stderr.decode().splitlines()


async def start_login(issuer: str, client_id: str, *extra: str) -> Login:
    process = await asyncio.create_subprocess_exec(
        *TESSERA, "login", "--issuer", issuer, "--client-id", client_id, "--no-browser",
        "--audience", API, "--scope", SCOPE, "--timeout", str(STEP_TIMEOUT), *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={name: value for name, value in os.environ.items() if not name.startswith("TESSERA_")},
    )  # fmt: skip
    return Login(process)


def loopback_redirect_uri(authorization_url: str) -> str:
    redirect_uri = dict(parse_qsl(urlsplit(authorization_url).query))["redirect_uri"]
    parts = urlsplit(redirect_uri)
    assert (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", "/callback")
    assert parts.port and parts.port > 1024
    return redirect_uri


async def deliver(landed: str) -> httpx.Response:
    """The browser following the redirect to the command's loopback listener."""
    async with httpx.AsyncClient(timeout=10) as browser:
        return await browser.get(landed)


async def sign_in_through(server: TesseraServer, app: NativeApp, *extra: str) -> Login:
    """Start the command, sign in and allow, and deliver the redirect; the command."""
    login = await start_login(server.issuer, app.client_id, *extra)
    url = await login.authorization_url(server.issuer)
    landed = await answer_in_browser(server.issuer, url)
    assert landed.startswith(loopback_redirect_uri(url) + "?")
    page = await deliver(landed)
    assert page.status_code == 200 and "terminal" in page.text
    return login


def assert_usable(server: TesseraServer, app: NativeApp, tokens: dict[str, Any]) -> None:
    assert tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"].startswith("tsr_rt_") and tokens["id_token"]
    userinfo = httpx.get(
        f"{server.issuer}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == app.user_id


def assert_one_error_line(lines: list[str], expected: str) -> None:
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and expected in lines[0], lines


async def test_login_prints_the_tokens_after_sign_in_and_consent(
    server: TesseraServer, app: NativeApp
) -> None:
    login = await sign_in_through(server, app)
    code, stdout, stderr = await login.outcome()
    assert code == 0, stderr
    assert_usable(server, app, json.loads(stdout))


async def test_login_writes_the_tokens_to_a_file_only_the_owner_can_read(
    server: TesseraServer, app: NativeApp, tmp_path: Path
) -> None:
    output = tmp_path / "tokens.json"
    output.write_text("{}")
    output.chmod(0o644)  # A file left readable by others is tightened, not reused as is.
    login = await sign_in_through(server, app, "--output", str(output))
    code, stdout, stderr = await login.outcome()
    assert code == 0, stderr
    assert stdout == "" and stderr == [f"tokens written to {output}"]
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert_usable(server, app, json.loads(output.read_text()))


async def test_denied_consent_ends_the_command_with_one_line(
    server: TesseraServer, app: NativeApp
) -> None:
    login = await start_login(server.issuer, app.client_id)
    url = await login.authorization_url(server.issuer)
    landed = await answer_in_browser(server.issuer, url, decision="deny")
    page = await deliver(landed)
    assert page.status_code == 200 and "Signed in" not in page.text
    code, stdout, stderr = await login.outcome()
    assert code != 0 and stdout == ""
    assert_one_error_line(stderr, "access_denied")


async def test_a_forged_callback_neither_ends_nor_aborts_the_sign_in(
    server: TesseraServer, app: NativeApp
) -> None:
    login = await start_login(server.issuer, app.client_id)
    url = await login.authorization_url(server.issuer)
    redirect_uri = loopback_redirect_uri(url)
    # Any program on the machine can reach the port; without the state it is turned away.
    for forged in (
        f"{redirect_uri}?error=access_denied",
        f"{redirect_uri}?code=tsr_ac_forged&state=forged&iss={server.issuer}",
    ):
        page = await deliver(forged)
        assert page.status_code == 400 and "still waiting" in page.text
    page = await deliver(await answer_in_browser(server.issuer, url))
    assert page.status_code == 200 and "terminal" in page.text
    code, stdout, stderr = await login.outcome()
    assert code == 0, stderr
    assert_usable(server, app, json.loads(stdout))


async def test_an_unreachable_issuer_is_one_line() -> None:
    login = await start_login(f"http://127.0.0.1:{free_port()}", "any-client")
    code, stdout, stderr = await login.outcome()
    assert code != 0 and stdout == ""
    assert_one_error_line(stderr, "openid-configuration failed")
