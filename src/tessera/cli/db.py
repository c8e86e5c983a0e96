"""`tessera db`: schema migrations."""

from __future__ import annotations

import typer

from tessera.cli.common import fail, settings
from tessera.store import migrate
from tessera.store.errors import StoreUnavailableError

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply pending migrations (safe to run again)."""
    config = settings()
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
