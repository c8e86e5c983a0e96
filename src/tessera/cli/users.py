"""`tessera users`: the people who sign in."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    cli_actor,
    fail,
    iso_time,
    now,
    print_json,
    print_table,
    read_secret_input,
    run,
    settings,
    transaction,
)
from tessera.core.audit_events import Event
from tessera.core.models import User
from tessera.core.registration import RegistrationError, build_user
from tessera.store.errors import DuplicateError

app = typer.Typer(help="Create and list users.", no_args_is_help=True)


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "created_at": iso_time(user.created_at),
    }


@app.command()
def create(
    username: str = typer.Option(..., "--username"),
    password: str | None = typer.Option(
        None, "--password", help="Omit to type it (hidden) or pipe it on stdin."
    ),
    email: str | None = typer.Option(None, "--email"),
    name: str | None = typer.Option(None, "--name", help="Full name (the `name` claim)."),
    email_verified: bool = typer.Option(False, "--email-verified"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user; the password is stored as an argon2id hash."""
    config = settings()
    secret = password if password is not None else read_secret_input("Password")
    try:
        user = build_user(
            username=username,
            password=secret,
            now=now(),
            email=email,
            name=name,
            email_verified=email_verified,
        )
    except RegistrationError as exc:
        fail(str(exc), 2)

    async def work() -> None:
        async with transaction(config) as tx:
            await tx.users.add(user)
            await tx.audit.record(
                Event.USER_CREATED, now(), user_id=user.id, detail={"actor": cli_actor()}
            )

    try:
        run(work)
    except DuplicateError:
        fail("that username or email is already taken")
    if as_json:
        print_json(user_view(user))
    else:
        typer.echo(f"created user {user.username} (sub {user.id})")


@app.command("list")
def list_users(as_json: bool = JSON_OPTION) -> None:
    """List every user."""
    config = settings()

    async def work() -> list[User]:
        async with transaction(config) as tx:
            return list(await tx.users.list())

    views = [user_view(user) for user in run(work)]
    if as_json:
        print_json(views)
    else:
        print_table(views, ["id", "username", "email", "name"])
