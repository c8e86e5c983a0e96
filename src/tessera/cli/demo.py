"""`tessera demo`: the whole seed sequence on localhost, on the embedded defaults."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import typer

from tessera.cli.common import fail, warn
from tessera.crypto.keys import KeyDecryptionError
from tessera.demo.orchestrate import DemoPorts, PortTakenError, check_ports_free, run_demo
from tessera.demo.trace import trace_seed_sequence
from tessera.settings import SettingsError, ensure_secret_key, load_settings, unknown_settings
from tessera.store.errors import StoreUnavailableError


def demo(
    trace: bool = typer.Option(
        False, "--trace", help="Run the seed sequence headless and print every step."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Authorization server."),
    api_port: int = typer.Option(8001, "--api-port", min=1, max=65535, help="Sample API."),
    client_port: int = typer.Option(8002, "--client-port", min=1, max=65535, help="Demo app."),
    data_dir: Path = typer.Option(Path("var/demo"), "--data-dir", help="The demo's own data."),
) -> None:
    """Start the authorization server, the sample API and the demo app (Ctrl-C stops)."""
    ports = DemoPorts(server=port, api=api_port, client=client_port)
    if len({port, api_port, client_port}) != 3:
        fail("the three ports must differ", 2)
    try:
        check_ports_free(ports)  # First, before anything is written to the data dir.
        for line in unknown_settings():
            warn(line)
        settings = ensure_secret_key(
            load_settings(
                issuer=f"http://localhost:{port}",
                data_dir=data_dir,
                database_url=f"sqlite:///{data_dir / 'tessera.db'}",
            )
        )
    except (SettingsError, PortTakenError) as exc:
        fail(str(exc), 2)
    on_ready = partial(trace_seed_sequence, ports) if trace else None
    try:
        code = asyncio.run(run_demo(settings, ports, on_ready=on_ready))
    except (StoreUnavailableError, KeyDecryptionError) as exc:
        fail(str(exc))
    raise typer.Exit(code)
