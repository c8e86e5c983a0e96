"""`tessera login`: a native-app sign-in from the terminal (RFC 8252), like `gh auth login`.

It listens on 127.0.0.1 on a random port, opens the browser (or prints the URL), receives
the code on the loopback redirect, checks `state` and `iss`, exchanges the code with its
PKCE verifier as a public client, validates the id_token, and prints the tokens.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import typer

from tessera.cli.common import fail, print_json
from tessera.crypto.jwt import JWTError, build_key_set, verify_id_token
from tessera.crypto.tokens import s256

_PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
    b"Cache-Control: no-store\r\n\r\n<!doctype html><title>tessera login</title>"
    b"<p>Signed in. You can close this window and return to the terminal.</p>"
)


class LoginError(Exception):
    """The sign-in failed; the message is one line for the person at the terminal."""


@dataclass(frozen=True, slots=True)
class LoginRequest:
    verifier: str
    state: str
    nonce: str
    redirect_uri: str


async def _receive_callback(server_ready: asyncio.Future[int], timeout: float) -> dict[str, str]:
    """Serve one GET on 127.0.0.1:<random port> and return its query parameters."""
    received: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.split(" ")
            if len(parts) == 3 and parts[0] == "GET" and urlsplit(parts[1]).path == "/callback":
                writer.write(_PAGE)
                if not received.done():
                    received.set_result(dict(parse_qsl(urlsplit(parts[1]).query)))
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server_ready.set_result(server.sockets[0].getsockname()[1])
    try:
        return await asyncio.wait_for(received, timeout)
    except TimeoutError:
        raise LoginError(f"no answer from the browser within {timeout:.0f} s") from None
    finally:
        server.close()


def _authorize_url(
    metadata: dict[str, Any],
    client_id: str,
    scope: str,
    audience: str | None,
    request: LoginRequest,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": request.redirect_uri,
        "scope": scope,
        "state": request.state,
        "nonce": request.nonce,
        "code_challenge": s256(request.verifier),
        "code_challenge_method": "S256",
    }
    if audience:
        params["audience"] = audience
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


def _check_callback(params: dict[str, str], issuer: str, request: LoginRequest) -> str:
    if params.get("iss") not in (None, issuer):
        raise LoginError("the authorization response came from another issuer (mix-up)")
    if not secrets.compare_digest(params.get("state", ""), request.state):
        raise LoginError("the state in the response does not match")
    if "error" in params:
        raise LoginError(f"{params['error']}: {params.get('error_description', '')}".strip(": "))
    code = params.get("code")
    if not code:
        raise LoginError("the response carries no code")
    return code


async def _exchange(
    http: httpx.AsyncClient,
    metadata: dict[str, Any],
    issuer: str,
    client_id: str,
    code: str,
    request: LoginRequest,
) -> dict[str, Any]:
    response = await http.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "client_id": client_id,
            "code_verifier": request.verifier,
        },
    )
    tokens: dict[str, Any] = response.json()
    if response.status_code != 200:
        raise LoginError(
            f"token request refused: {tokens.get('error')}: {tokens.get('error_description')}"
        )
    if "id_token" in tokens:
        jwks = (await http.get(metadata["jwks_uri"])).json()["keys"]
        try:
            verify_id_token(
                tokens["id_token"],
                build_key_set(jwks),
                issuer=issuer,
                client_id=client_id,
                nonce=request.nonce,
                access_token=tokens.get("access_token"),
                now=int(time.time()),
            )
        except JWTError as exc:
            raise LoginError(f"the id_token is not valid: {exc}") from None
    return tokens


async def run_login(
    issuer: str,
    client_id: str,
    scope: str,
    audience: str | None,
    open_browser: bool,
    timeout: float,
) -> dict[str, Any]:
    """The whole native-app flow; returns the token response."""
    issuer = issuer.rstrip("/")
    async with httpx.AsyncClient(timeout=10) as http:
        try:
            metadata = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LoginError(
                f"cannot read {issuer}/.well-known/openid-configuration: {exc}"
            ) from None
        if metadata.get("issuer") != issuer:
            raise LoginError("the discovery document names another issuer")
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        waiting = asyncio.create_task(_receive_callback(ready, timeout))
        port = await ready
        request = LoginRequest(
            verifier=secrets.token_urlsafe(48),
            state=secrets.token_urlsafe(16),
            nonce=secrets.token_urlsafe(16),
            redirect_uri=f"http://127.0.0.1:{port}/callback",
        )
        url = _authorize_url(metadata, client_id, scope, audience, request)
        typer.echo(f"Open this URL to sign in:\n{url}", err=True)
        if open_browser:
            webbrowser.open(url)
        code = _check_callback(await waiting, issuer, request)
        return await _exchange(http, metadata, issuer, client_id, code, request)


def login(
    issuer: str = typer.Option(..., "--issuer", help="e.g. http://localhost:8000"),
    client_id: str = typer.Option(
        ..., "--client-id", help="A public client with http://127.0.0.1/callback."
    ),
    audience: str | None = typer.Option(None, "--audience", help="The API to get a token for."),
    scope: str = typer.Option("openid profile email", "--scope"),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the URL."),
    output: Path | None = typer.Option(
        None, "--output", help="Write the tokens to this JSON file."
    ),
    timeout: float = typer.Option(300, "--timeout", min=1, help="Seconds to wait for the browser."),
) -> None:
    """Sign in from the terminal and print the tokens (RFC 8252 loopback redirect)."""
    try:
        tokens = asyncio.run(run_login(issuer, client_id, scope, audience, not no_browser, timeout))
    except LoginError as exc:
        fail(str(exc))
    if output is None:
        print_json(tokens)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2)
    typer.echo(f"tokens written to {output}", err=True)
