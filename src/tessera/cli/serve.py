"""`tessera serve`: run the authorization server with uvicorn."""

from __future__ import annotations

import asyncio
import atexit
import copy
import logging
import logging.config
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
import uvicorn
import uvicorn.config

from tessera.cli.common import fail, settings, warn
from tessera.cli.startup import address_warnings, banner
from tessera.core.models import StoredKey
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.crypto.keys import KeyDecryptionError
from tessera.settings import Settings
from tessera.store.errors import SchemaOutOfDateError, StoreUnavailableError
from tessera.web.app import OTLP_ENDPOINT, create_app, open_runtime, tracing_wanted
from tessera.web.endpoints.metrics import MULTIPROC_ENV


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

    verify_metrics_address(config, port)
    verify_tracing_installed()
    try:
        keys = asyncio.run(check())
    except (
        StoreUnavailableError,
        SchemaOutOfDateError,
        KeyDecryptionError,
        AlgorithmNotEnabledError,
    ) as exc:
        fail(str(exc))
    logging_config = log_config(config.log_level, config.log_format)
    if config.log_format == "json":
        # The start-up lines are log lines too, so that every line of output is JSON.
        logging.config.dictConfig(logging_config)
        start_up = logging.getLogger("tessera.serve")
        for line in address_warnings(config, host=host, port=port):
            start_up.warning(line)
        for line in banner(config, keys, host=host, port=port):
            start_up.info(" ".join(line.split()))
    else:
        for line in address_warnings(config, host=host, port=port):
            warn(line)
        for line in banner(config, keys, host=host, port=port):
            typer.echo(line)
    options = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": config.log_level,
        "log_config": logging_config,
        "server_header": False,
        # Behind a proxy, client IPs (login throttling, audit) come from X-Forwarded-For,
        # believed only from the proxies the operator lists.
        "proxy_headers": bool(config.trusted_proxies),
        "forwarded_allow_ips": config.trusted_proxies or None,
    }
    if config.metrics_enabled:
        atexit.register(prepare_multiprocess_dir())
    if workers == 1:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]
    else:
        uvicorn.run("tessera.web.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def verify_metrics_address(config: Settings, port: int) -> None:
    """Exit with one line unless the metrics listener can have its address."""
    if config.metrics_port is None:
        return
    where = f"{config.metrics_host}:{config.metrics_port}"
    if config.metrics_port == port:
        fail(f"TESSERA_METRICS_PORT: {port} is the port tessera serves on; choose another")
    try:
        family = socket.AF_INET6 if ":" in config.metrics_host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.bind((config.metrics_host, config.metrics_port))
    except OSError as exc:
        fail(f"TESSERA_METRICS_PORT: cannot listen on {where}: {exc.strerror or exc}")


def verify_tracing_installed() -> None:
    """Exit with one line when tracing is asked for but the otel extra is missing: an
    operator who named an OTLP endpoint wants traces, not a node that runs without."""
    if not tracing_wanted():
        return
    try:
        import tessera.web.tracing  # noqa: F401
    except ImportError as exc:
        fail(
            f"{OTLP_ENDPOINT} is set, but tracing needs tessera's otel extra "
            f"(pip install 'tessera[otel]'): {exc}"
        )


def prepare_multiprocess_dir() -> Callable[[], None]:
    """Give this node's workers a directory for their counts, empty at start: the one
    `PROMETHEUS_MULTIPROC_DIR` names (emptied: an earlier run's counts would be added
    to this one's), or a new private one. Returns what removes the directory tessera
    made. It must run before prometheus_client is imported (which reads the variable
    then), and it does: only web.metrics imports it, when an app is created."""
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        directory = Path(named)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return lambda: None
    made = tempfile.mkdtemp(prefix="tessera-metrics-")
    os.environ[MULTIPROC_ENV] = made
    return lambda: shutil.rmtree(made, ignore_errors=True)


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging plus tessera's own loggers at the configured level, every line
    one JSON object in the json format (web.logs).

    Without an entry of their own, tessera's records reach only Python's last-resort
    handler, which drops everything below WARNING: refusals would never be seen.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    if log_format == "json":
        for name in ("default", "access"):
            config["formatters"][name] = {"()": "tessera.web.logs.JSONFormatter"}
    config["loggers"]["tessera"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
