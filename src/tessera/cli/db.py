"""`tessera db`: schema migrations and pruning expired rows."""

from __future__ import annotations

import typer

from tessera.cli.common import JSON_OPTION, fail, now, print_json, run, settings, transaction
from tessera.store import migrate
from tessera.store.errors import StoreUnavailableError
from tessera.store.prune import prune_expired

app = typer.Typer(help="Database schema migrations and upkeep.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (safe to run again); creates the embedded database."""
    config = settings(create=True)
    try:
        revision = migrate.upgrade(config.resolved_database_url)
    except StoreUnavailableError as exc:
        fail(str(exc))
    typer.echo(f"database schema at {revision}")


@app.command()
def current() -> None:
    """Print the schema revision and whether it is up to date."""
    config = settings()
    try:
        revision = migrate.current_revision(config.resolved_database_url)
    except StoreUnavailableError as exc:
        fail(str(exc))
    head = migrate.head_revision()
    state = "up to date" if revision == head else f"needs upgrade to {head}"
    typer.echo(f"{revision or 'empty'} ({state})")


@app.command()
def prune(as_json: bool = JSON_OPTION) -> None:
    """Delete expired sessions, sign-ins, revocation entries and throttle counters.

    Nothing that could change an answer is deleted; run it from cron, hourly or daily.
    """
    config = settings()

    async def work() -> dict[str, int]:
        async with transaction(config) as tx:
            return await prune_expired(tx.conn, now())

    deleted = run(work)
    if as_json:
        print_json(deleted)
        return
    typer.echo(" ".join(f"{table}={count}" for table, count in deleted.items()))
