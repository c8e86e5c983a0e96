"""`tessera serve`: run the authorization server with uvicorn."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import typer
import uvicorn
import uvicorn.config

from tessera.cli.common import fail, settings, warn
from tessera.cli.startup import address_warnings, banner
from tessera.core.models import StoredKey
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.crypto.keys import KeyDecryptionError
from tessera.store.errors import SchemaOutOfDateError, StoreUnavailableError
from tessera.web.app import create_app, open_runtime


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, max=64),
) -> None:
    """Serve the authorization server (schema and signing keys are checked first)."""
    config = settings(create=True)

    async def check() -> list[StoredKey]:
        # One event loop for both: an asyncpg pool cannot be closed from another loop.
        runtime = await open_runtime(config)
        try:
            async with runtime.store.read_transaction() as tx:
                return list(await tx.keys.list())
        finally:
            await runtime.store.close()

    try:
        keys = asyncio.run(check())
    except (
        StoreUnavailableError,
        SchemaOutOfDateError,
        KeyDecryptionError,
        AlgorithmNotEnabledError,
    ) as exc:
        fail(str(exc))
    for line in address_warnings(config, host=host, port=port):
        warn(line)
    for line in banner(config, keys, host=host, port=port):
        typer.echo(line)
    options = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": config.log_level,
        "log_config": log_config(config.log_level),
        "server_header": False,
        # Behind a proxy, client IPs (login throttling, audit) come from X-Forwarded-For,
        # believed only from the proxies the operator lists.
        "proxy_headers": bool(config.trusted_proxies),
        "forwarded_allow_ips": config.trusted_proxies or None,
    }
    if workers == 1:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]
    else:
        uvicorn.run("tessera.web.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging plus tessera's own loggers at the configured level.

    Without an entry of their own, tessera's records reach only Python's last-resort
    handler, which drops everything below WARNING: refusals would never be seen.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["tessera"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
