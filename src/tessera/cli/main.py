"""The `tessera` command: one entry point, a sub-command per concern."""

from __future__ import annotations

import typer

from tessera import __version__
from tessera.cli import apis, audit, clients, consents, db, keys, mfa, users
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


def _print_version(wanted: bool) -> None:
    """`--version`: print the version and stop, before any setting or database is read."""
    if wanted:
        typer.echo(f"tessera {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_print_version,
        is_eager=True,
        help="Print tessera's version and exit.",
    ),
) -> None:
    """tessera: an OAuth 2.1 / OpenID Connect authorization server."""


app.command()(serve)
app.command()(demo)
app.command()(login)
app.add_typer(clients.app, name="clients")
users.app.add_typer(mfa.app, name="mfa")
app.add_typer(users.app, name="users")
app.add_typer(consents.app, name="consents")
app.add_typer(apis.app, name="apis")
app.add_typer(keys.app, name="keys")
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
