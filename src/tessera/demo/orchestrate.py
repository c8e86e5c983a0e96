"""`tessera demo`: the seed's four participants on localhost, in one process.

The authorization server (8000), the sample API (8001) and the demo client (8002) run
as three uvicorn servers on one event loop; the User is the person at the browser (or,
with `--trace`, a scripted user agent). Ctrl-C stops all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from tessera.demo.api import create_api_app
from tessera.demo.client_app import DemoClientConfig, create_client_app
from tessera.demo.provision import DemoSetup, provision
from tessera.settings import Settings
from tessera.web.app import create_app


@dataclass(frozen=True, slots=True)
class DemoPorts:
    server: int = 8000
    api: int = 8001
    client: int = 8002

    def urls(self) -> tuple[str, str, str]:
        return (
            f"http://localhost:{self.server}",
            f"http://localhost:{self.api}/api",
            f"http://localhost:{self.client}",
        )


class PortTakenError(Exception):
    """A demo port is in use; the message names it and the flag to change it."""


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the demo, which stops all three."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def check_ports_free(ports: DemoPorts) -> None:
    """Raises PortTakenError for the first port something else listens on."""
    for port, flag in (
        (ports.server, "--port"),
        (ports.api, "--api-port"),
        (ports.client, "--client-port"),
    ):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise PortTakenError(
                    f"port {port} is already in use: choose another with {flag}"
                ) from None


def _server(app: ASGIApp, port: int) -> _QuietServer:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    return _QuietServer(config)


async def run_demo(
    settings: Settings,
    ports: DemoPorts,
    *,
    on_ready: Callable[[DemoSetup], Awaitable[int]] | None = None,
) -> int:
    """Provision, start the three servers, and run until Ctrl-C (or until `on_ready`
    returns, whose result becomes the exit code: that is how `--trace` runs)."""
    issuer, api_url, client_url = ports.urls()
    setup = await provision(settings, api_url=api_url, client_url=client_url, now=int(time.time()))
    servers = [
        _server(create_app(settings), ports.server),
        _server(create_api_app(issuer=issuer, audience=api_url), ports.api),
        _server(
            create_client_app(
                DemoClientConfig(
                    issuer=issuer,
                    client_id=setup.client_id,
                    client_secret=setup.client_secret,
                    audience=api_url,
                    api_url=api_url,
                    base_url=client_url,
                )
            ),
            ports.client,
        ),
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            return 1
        await asyncio.sleep(0.05)
    code = 0
    try:
        if on_ready is None:
            print_welcome(ports, setup)
            await asyncio.gather(*tasks)
        else:
            code = await on_ready(setup)
    finally:
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return code


def print_welcome(ports: DemoPorts, setup: DemoSetup) -> None:
    issuer, api_url, client_url = ports.urls()
    print(
        "\n".join(
            [
                "",
                "tessera demo is running:",
                f"  Authorization Server  {issuer}",
                f"  Resource Server (API) {api_url}",
                f"  Client (demo app)     {client_url}",
                "",
                f"Open {client_url} and sign in as {setup.username} / {setup.password}",
                "Press Ctrl-C to stop.",
            ]
        ),
        flush=True,
    )
