"""`tessera login`: a native-app sign-in from the terminal (RFC 8252), like `gh auth login`.

It listens on 127.0.0.1 on a random port (RFC 8252 7.3), opens the browser (or prints the
URL), waits for the redirect there that carries its `state` (any program on the machine
can reach the port, so nothing else ends the wait), checks `iss` (RFC 9207), exchanges the
code with its PKCE verifier as a public client (RFC 7636), validates the id_token (OIDC
Core 3.1.3.7), and prints the tokens or writes them to a file only the owner can read.
Every failure is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import secrets
import time
import webbrowser
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import typer

from tessera.cli.common import fail, print_json
from tessera.crypto.jwt import JWTError, build_key_set, verify_id_token
from tessera.crypto.tokens import s256
from tessera.relying_party import (
    AuthorizationResponseError,
    StateMismatchError,
    oauth_error_message,
    verify_authorization_response,
)

REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")
REQUEST_READ_TIMEOUT = 10
MAX_MESSAGE_LENGTH = 300
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
NOT_THIS_SIGN_IN = (
    "This is not the answer to the sign-in in progress (its state does not match). "
    "The terminal is still waiting."
)


class LoginError(Exception):
    """The sign-in failed; the message is for the person at the terminal."""


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """What this sign-in sent, to check what comes back against."""

    issuer: str
    client_id: str
    scope: str
    verifier: str
    state: str
    nonce: str
    redirect_uri: str


def one_line(text: str) -> str:
    """Printable ASCII only, shortened: a message may quote the redirect's query, which
    anyone who can reach the loopback port writes, so it must not move the terminal's
    cursor, colour it, or spread over lines."""
    printable = "".join(c if " " <= c <= "~" else "?" for c in text)
    return printable[:MAX_MESSAGE_LENGTH]


def _page(message: str, status: str = "200 OK") -> bytes:
    body = (
        "<!doctype html><meta charset=utf-8><title>tessera login</title>"
        f"<p>{html.escape(message)}</p>"
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _request_target(reader: asyncio.StreamReader) -> str | None:
    """The target of a GET request line (its headers are read and ignored), else None."""
    line = (await reader.readline()).decode("latin-1")
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    method, _, rest = line.partition(" ")
    target, _, version = rest.partition(" ")
    return target if method == "GET" and version.startswith("HTTP/") else None


@asynccontextmanager
async def listen_for_redirect(
    check: Callable[[dict[str, str]], str],
) -> AsyncIterator[tuple[int, asyncio.Future[str]]]:
    """Listen on 127.0.0.1:<random port> for the redirect to /callback; yield the port and
    the code that `check` takes from it (or the error it raised). Only a redirect that
    `check` does not refuse with StateMismatchError ends the wait: any local program can
    send one, and must not be able to end the sign-in. The browser is told the outcome,
    so a refusal never reads as a success there."""
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target = await asyncio.wait_for(_request_target(reader), REQUEST_READ_TIMEOUT)
            if target is None or urlsplit(target).path != "/callback" or answer.done():
                writer.write(_NOT_FOUND)
            else:
                try:
                    answer.set_result(check(dict(parse_qsl(urlsplit(target).query))))
                    writer.write(_page("Signed in. Return to the terminal."))
                except StateMismatchError:
                    writer.write(_page(NOT_THIS_SIGN_IN, "400 Bad Request"))
                except (LoginError, AuthorizationResponseError) as exc:
                    answer.set_exception(exc)
                    writer.write(_page(f"Sign-in failed: {one_line(str(exc))}"))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass  # A slow, broken or oversized request: the browser's real one may follow.
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], answer
    finally:
        server.close()


def build_authorize_url(
    metadata: dict[str, Any], request: LoginRequest, audience: str | None
) -> str:
    params = {
        "response_type": "code",
        "client_id": request.client_id,
        "redirect_uri": request.redirect_uri,
        "scope": request.scope,
        "state": request.state,
        "nonce": request.nonce,
        "code_challenge": s256(request.verifier),
        "code_challenge_method": "S256",
    }
    if audience:
        params["audience"] = audience
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


async def _request_json(
    http: httpx.AsyncClient, what: str, method: str, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    """Status and JSON object of a response; LoginError if there is neither."""
    try:
        response = await http.request(method, url, **kwargs)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise LoginError(f"{what} failed: {str(exc) or type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise LoginError(f"{what} failed: HTTP {response.status_code}, not a JSON object")
    return response.status_code, body


async def discover(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    """The issuer's OpenID discovery document, checked for what the flow needs."""
    url = f"{issuer}/.well-known/openid-configuration"
    status, metadata = await _request_json(http, f"reading {url}", "GET", url)
    if status != 200:
        raise LoginError(f"reading {url} failed: HTTP {status}")
    if metadata.get("issuer") != issuer:
        raise LoginError("the discovery document names another issuer")
    missing = [name for name in REQUIRED_METADATA if not isinstance(metadata.get(name), str)]
    if missing:
        raise LoginError(f"the discovery document has no {', '.join(missing)}")
    return metadata


async def exchange_code(
    http: httpx.AsyncClient, metadata: dict[str, Any], request: LoginRequest, code: str
) -> dict[str, Any]:
    """Redeem the code with the PKCE verifier and validate the id_token it brings.

    Raises:
        LoginError: the token endpoint refused, or the id_token is missing or invalid.
    """
    status, tokens = await _request_json(
        http,
        "the token request",
        "POST",
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "client_id": request.client_id,
            "code_verifier": request.verifier,
        },
    )
    if status != 200:
        error = oauth_error_message(
            tokens.get("error", f"HTTP {status}"), tokens.get("error_description")
        )
        raise LoginError(f"the token request was refused: {error}")
    if "id_token" not in tokens:
        if "openid" in request.scope.split():
            raise LoginError("the token response carries no id_token")
        return tokens
    _, jwks = await _request_json(http, "reading the JWKS", "GET", metadata["jwks_uri"])
    try:
        verify_id_token(
            str(tokens["id_token"]),
            build_key_set(jwks.get("keys", [])),
            issuer=request.issuer,
            client_id=request.client_id,
            nonce=request.nonce,
            access_token=tokens.get("access_token"),
            now=int(time.time()),
        )
    except (JWTError, ValueError) as exc:
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
        metadata = await discover(http, issuer)
        state = secrets.token_urlsafe(16)
        iss_required = metadata.get("authorization_response_iss_parameter_supported") is True
        check = partial(
            verify_authorization_response, issuer=issuer, state=state, iss_required=iss_required
        )
        async with listen_for_redirect(check) as (port, answer):
            request = LoginRequest(
                issuer=issuer,
                client_id=client_id,
                scope=scope,
                verifier=secrets.token_urlsafe(48),
                state=state,
                nonce=secrets.token_urlsafe(16),
                redirect_uri=f"http://127.0.0.1:{port}/callback",
            )
            url = build_authorize_url(metadata, request, audience)
            typer.echo(f"Open this URL to sign in:\n{url}", err=True)
            if open_browser:
                webbrowser.open(url)
            try:
                code = await asyncio.wait_for(answer, timeout)
            except TimeoutError:
                raise LoginError(f"no answer from the browser within {timeout:g} s") from None
        return await exchange_code(http, metadata, request, code)


def write_private_json(path: Path, value: Any) -> None:
    """Write JSON to a file only its owner can read or write. An existing file keeps its
    mode through O_TRUNC, so the mode is set again before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        json.dump(value, handle, indent=2)


def login(
    issuer: str = typer.Option(..., "--issuer", help="e.g. http://localhost:8000"),
    client_id: str = typer.Option(
        ..., "--client-id", help="A public client with http://127.0.0.1/callback."
    ),
    audience: str | None = typer.Option(None, "--audience", help="The API to get a token for."),
    scope: str = typer.Option("openid profile email", "--scope"),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the URL."),
    output: Path | None = typer.Option(
        None, "--output", help="Write the tokens to this JSON file (mode 0600)."
    ),
    timeout: float = typer.Option(300, "--timeout", min=1, help="Seconds to wait for the browser."),
) -> None:
    """Sign in from the terminal and print the tokens (RFC 8252 loopback redirect)."""
    try:
        tokens = asyncio.run(run_login(issuer, client_id, scope, audience, not no_browser, timeout))
    except (LoginError, AuthorizationResponseError) as exc:
        fail(one_line(str(exc)))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    if output is None:
        print_json(tokens)
        return
    try:
        write_private_json(output, tokens)
    except OSError as exc:
        fail(one_line(f"cannot write {output}: {exc.strerror}"))
    typer.echo(f"tokens written to {output}", err=True)
