"""The `tessera` command: one entry point, a sub-command per concern."""

from __future__ import annotations

import typer

from tessera.cli import apis, audit, clients, db, keys, users
from tessera.cli.demo import demo
from tessera.cli.login import login
from tessera.cli.serve import serve

app = typer.Typer(
    name="tessera",
    help="tessera: an OAuth 2.1 / OpenID Connect authorization server.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(demo)
app.command()(login)
app.add_typer(clients.app, name="clients")
app.add_typer(users.app, name="users")
app.add_typer(apis.app, name="apis")
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
