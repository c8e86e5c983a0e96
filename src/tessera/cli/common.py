"""What every command shares: settings, the store, one-line errors, JSON output."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import typer

from tessera.crypto.keys import KeyDecryptionError
from tessera.settings import (
    Settings,
    SettingsError,
    ensure_secret_key,
    load_settings,
    unknown_settings,
)
from tessera.store import SQLRepos
from tessera.store.engine import sqlite_path
from tessera.store.errors import SchemaOutOfDateError, StoreUnavailableError
from tessera.web.app import open_store

T = TypeVar("T")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")
# Client ids and key ids are base64url, so one in 64 starts with "-": commands that take
# one as an argument read an unknown "option" as that argument, not as a usage error.
TAKES_AN_ID: dict[str, Any] = {"ignore_unknown_options": True}


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def cli_actor() -> str:
    """Who the audit log names for a change made with the CLI: the OS user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # No name for the uid (a bare container).
        return "cli"


def confirm(question: str, yes: bool) -> None:
    """Go on only if `--yes` was given or a person at a terminal agrees.

    Off a terminal (a script), a missing `--yes` is an error rather than a hanging prompt.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question} Pass --yes to confirm.", 2)
    if not typer.confirm(question):
        fail("nothing was changed")


# No short form: a client id may start with "-" and hold a "y" (see TAKES_AN_ID).
YES_OPTION = typer.Option(False, "--yes", help="Do not ask for confirmation.")


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def settings(*, create: bool = False) -> Settings:
    """Validated settings with a secret key; a bad value exits with one line.

    Unknown `TESSERA_*` variables and TOML keys are warned about, once. Only the
    commands that set an installation up (`serve`, `db upgrade`) pass `create`: the
    others never create the embedded database or the secret key, so a command run in
    the wrong directory says where it looked instead of starting an empty installation.
    """
    try:
        config = load_settings()
        for line in unknown_settings():
            warn(line)
        if not create:
            require_database(config)
        return ensure_secret_key(config, create=create)
    except SettingsError as exc:
        fail(str(exc), 2)


def require_database(config: Settings) -> None:
    """Exit with one line when the embedded database file does not exist."""
    if not config.is_embedded:
        return
    path = sqlite_path(config.resolved_database_url)
    if not path.is_file():
        fail(
            f"no database at {path.absolute()}: run tessera where its data dir is, or set "
            "TESSERA_DATA_DIR or TESSERA_DATABASE_URL (tessera serve and tessera db upgrade "
            "create one)"
        )


def now() -> int:
    return int(time.time())


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run an async command body; an unreachable or outdated database is one line."""
    try:
        return asyncio.run(_call(work))
    except (StoreUnavailableError, SchemaOutOfDateError, KeyDecryptionError) as exc:
        fail(str(exc))


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


@asynccontextmanager
async def transaction(config: Settings) -> AsyncIterator[SQLRepos]:
    """A transaction on an up-to-date schema; an outdated one, even the embedded
    database, is refused (`tessera db upgrade` migrates it)."""
    store = await open_store(
        config.model_copy(update={"db_pool_min_size": 1}), migrate_embedded=False
    )
    try:
        async with store.transaction() as tx:
            yield tx
    finally:
        await store.close()


def iso_time(timestamp: int | None) -> str | None:
    """A stored time (Unix seconds) as the CLI shows it, in text and JSON alike:
    ISO 8601 in UTC, `2026-01-31T12:00:00Z`."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_fields(view: dict[str, Any]) -> None:
    """One `name: value` line per field for people: lists space-separated, unset `-`."""
    for key, value in view.items():
        typer.echo(f"{key}: {_for_people(value)}")


def _for_people(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_for_people(item) for item in value) or "(none)"
    return str(value)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True))


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """A plain aligned table for people."""
    if not rows:
        typer.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in columns}
    typer.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        typer.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


def read_secret_input(prompt: str) -> str:
    """A password from a hidden prompt (twice) on a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        first = typer.prompt(prompt, hide_input=True)
        second = typer.prompt("Repeat " + prompt.lower(), hide_input=True)
        if first != second:
            fail("the two entries differ")
        return str(first)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail("no password given: pass --password or write it to stdin")
    return line
