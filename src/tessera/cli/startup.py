"""What `tessera serve` says before it answers: what it serves, and addresses that disagree.

The issuer is the URL every token, discovery document and redirect names; the address
uvicorn listens on is chosen separately with `--host` and `--port`. When tessera is
reached directly (a plain-http issuer with no trusted proxy in front) the two must
agree, or clients are sent to a port or a host where nothing answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from tessera import __version__
from tessera.core.models import StoredKey
from tessera.settings import LOOPBACK_HOSTS, Settings


def without_password(url: str) -> str:
    """The database URL with its password (if any) left out, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def banner(config: Settings, keys: Iterable[StoredKey], *, host: str, port: int) -> list[str]:
    """The lines `tessera serve` prints at start-up; no secret is among them."""
    return [
        f"tessera {__version__}",
        f"  issuer:     {config.issuer}",
        f"  database:   {without_password(config.resolved_database_url)}",
        f"  data dir:   {config.data_dir.absolute()}",
        "  keys:",
        *(f"    {key.alg.value:<6} {key.kid}  {key.state.value}" for key in keys),
        f"  listening:  http://{_url_host(host)}:{port}",
        *(f"  metrics:    {where}" for where in _metrics_addresses(config, host, port)),
        f"  open:       {config.url('/.well-known/openid-configuration')}",
    ]


def _metrics_addresses(config: Settings, host: str, port: int) -> list[str]:
    addresses = [f"http://{_url_host(host)}:{port}/metrics"] if config.metrics else []
    if config.metrics_port is not None:
        addresses.append(f"http://{_url_host(config.metrics_host)}:{config.metrics_port}/metrics")
    return addresses


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def address_warnings(config: Settings, *, host: str, port: int) -> list[str]:
    """Where `--host` / `--port` and the issuer disagree, one line each.

    Behind a proxy (an https issuer, since tessera itself speaks plain HTTP, or
    TESSERA_TRUSTED_PROXIES set) the issuer is the proxy's address: nothing to compare.
    """
    issuer = urlsplit(config.issuer)
    if issuer.scheme != "http" or config.trusted_proxies:
        return []
    warnings = []
    issuer_port = issuer.port or 80
    if port != issuer_port:
        warnings.append(
            f"serving on port {port}, but TESSERA_ISSUER is {config.issuer}: discovery, "
            f"tokens and redirects name port {issuer_port}; set TESSERA_ISSUER to "
            f"{_with_port(config.issuer, port)} or serve on --port {issuer_port}"
        )
    issuer_is_local = issuer.hostname in LOOPBACK_HOSTS
    host_is_local = host in LOOPBACK_HOSTS or host.startswith("127.")
    if issuer_is_local and not host_is_local:
        warnings.append(
            f"--host {host} accepts other machines, but TESSERA_ISSUER is {config.issuer}: "
            "their clients would be sent to their own loopback; set TESSERA_ISSUER to the "
            "name they reach this machine by"
        )
    elif host_is_local and not issuer_is_local:
        warnings.append(
            f"--host {host} accepts this machine only, but TESSERA_ISSUER is {config.issuer}: "
            "serve on an address other machines reach (e.g. --host 0.0.0.0)"
        )
    return warnings


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if parts.port is not None:
        host = host.rpartition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))
