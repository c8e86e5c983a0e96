"""`tessera db`: schema migrations and pruning expired rows."""

from __future__ import annotations

import typer

from tessera.cli.common import JSON_OPTION, fail, now, print_json, run, settings
from tessera.store import migrate
from tessera.store.errors import StoreUnavailableError
from tessera.store.prune import prune as prune_rows
from tessera.web.app import open_store, provision, prune_policy

app = typer.Typer(help="Database schema migrations and upkeep.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (safe to run again); creates the embedded database."""
    config = settings(create=True)
    try:
        revision = migrate.upgrade(config.resolved_database_url)
    except StoreUnavailableError as exc:
        fail(str(exc))

    async def work() -> None:
        store = await open_store(
            config.model_copy(update={"db_pool_min_size": 1}), migrate_embedded=False
        )
        try:
            await provision(store, config)
        finally:
            await store.close()

    run(work)
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
    """Delete expired sessions, sign-ins, revocation entries, throttle counters, spent
    grants with their refresh tokens, and audit events past the retention.

    Nothing that could change an answer is deleted, in short batches. `tessera serve`
    does the same by itself every TESSERA_PRUNE_INTERVAL seconds; this is for cron.
    """
    config = settings()

    async def work() -> dict[str, int]:
        store = await open_store(config.model_copy(update={"db_pool_min_size": 1}))
        try:
            return await prune_rows(store.database, now(), prune_policy(config))
        finally:
            await store.close()

    deleted = run(work)
    if as_json:
        print_json(deleted)
        return
    typer.echo(" ".join(f"{table}={count}" for table, count in deleted.items()))
