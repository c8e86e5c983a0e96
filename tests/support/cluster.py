"""Several `tessera serve` nodes on one PostgreSQL database, reached as one issuer.

The nodes share the issuer, the secret key and the database, as production nodes behind
nginx do (docs/deployment.md). `RoundRobin` plays nginx: an httpx transport that sends
each request to the next node and, like `proxy_next_upstream error`, moves on to another
node only when one refuses the connection, never once a request was sent.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tessera.store import Store
from tests.conftest import TEST_SECRET_KEY
from tests.support.authorize import PKCE, add_person
from tests.support.grants import REDIRECT_URI, RegisteredClient, add_api, add_client, authenticate
from tests.support.postgres import free_port
from tests.support.server import TesseraServer


class Cluster:
    """`size` nodes on one database; `issuer` is the public address they all answer for."""

    def __init__(self, root: Path, database_url: str, size: int = 2, **env: str) -> None:
        self.database_url = database_url
        self.issuer = f"http://127.0.0.1:{free_port()}"
        self.nodes = [
            TesseraServer(
                root / f"node-{index}",
                database_url,
                TESSERA_ISSUER=self.issuer,
                TESSERA_SECRET_KEY=TEST_SECRET_KEY,
                **env,
            )
            for index in range(size)
        ]

    def start(self) -> Cluster:
        """Start every node at once (each waits for its own health check)."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(TesseraServer.start, self.nodes))
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def client(self, node: TesseraServer | None = None) -> httpx.AsyncClient:
        """A browser or app talking to one node, or (None) to all through `RoundRobin`."""
        if node is not None:
            return httpx.AsyncClient(base_url=node.issuer, timeout=30)
        return httpx.AsyncClient(base_url=self.issuer, transport=RoundRobin(self.nodes), timeout=30)


class RoundRobin(httpx.AsyncBaseTransport):
    """Each request to the next node; a refused connection tries the following one."""

    def __init__(self, nodes: Sequence[TesseraServer]) -> None:
        self._ports = [node.port for node in nodes]
        self._turn = itertools.count()
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in self._ports:
            port = self._ports[next(self._turn) % len(self._ports)]
            upstream = httpx.Request(
                request.method,
                request.url.copy_with(port=port),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
            try:
                return await self._inner.handle_async_request(upstream)
            except httpx.ConnectError:
                continue
        raise httpx.ConnectError("no node accepted the connection", request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def provision(database_url: str) -> RegisteredClient:
    """The person alice, the example API and a confidential web app, written directly."""
    store = await Store.open(database_url, min_size=1, max_size=1)
    try:
        await add_person(store)
        await add_api(store)
        return await add_client(store)
    finally:
        await store.close()


async def redeem_code(
    http: httpx.AsyncClient, client: RegisteredClient, code: str, pkce: PKCE
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": pkce.verifier,
    }
    return await http.post("/oauth/token", data=form, headers=authenticate(client, form))


def token_response(response: httpx.Response) -> dict[str, Any]:
    """The body of a successful token response."""
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def introspect(http: httpx.AsyncClient, client: RegisteredClient, token: str) -> Any:
    """RFC 7662's answer; the web app may ask about its own tokens."""
    form = {"token": token}
    response = await http.post("/oauth/introspect", data=form, headers=authenticate(client, form))
    assert response.status_code == 200, response.text
    return response.json()


async def query(database_url: str, sql: str) -> list[asyncpg.Record]:
    """Rows straight from the shared database, for checks no endpoint exposes."""
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
