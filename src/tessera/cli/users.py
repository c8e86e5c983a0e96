"""`tessera users`: the people who sign in, and what an operator does to their accounts.

A user is named by id (the `sub` of their tokens), username or email. Each change is a
use case of core.accounts, audited with the OS user as the actor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from tessera.cli.common import (
    JSON_OPTION,
    TAKES_AN_ID,
    YES_OPTION,
    cli_actor,
    confirm,
    fail,
    iso_time,
    now,
    print_fields,
    print_json,
    print_table,
    read_secret_input,
    run,
    settings,
    transaction,
)
from tessera.core import accounts
from tessera.core.accounts import ProfileChange, SignedOut, UnknownUserError
from tessera.core.audit_events import Event
from tessera.core.models import User
from tessera.core.registration import RegistrationError, build_user
from tessera.settings import Settings
from tessera.store import SQLRepos
from tessera.store.errors import DuplicateError

T = TypeVar("T")

app = typer.Typer(help="Create, list and operate user accounts.", no_args_is_help=True)
USER_ARGUMENT = typer.Argument(..., metavar="USER", help="The user's id, username or email.")


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "created_at": iso_time(user.created_at),
        "disabled_at": iso_time(user.disabled_at),
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


async def _user_id(tx: SQLRepos, ref: str) -> str:
    """The id of the user `ref` names (id first, then username or email)."""
    user = await tx.users.get(ref) or await tx.users.find_by_login(ref)
    if user is None:
        raise UnknownUserError(f"no user {ref!r}")
    return user.id


def operate_on_user(
    ref: str, change: Callable[[SQLRepos, str], Awaitable[T]], config: Settings | None = None
) -> T:
    """Run `change` on the user `ref` names, in one transaction; a bad reference or
    value is one line on stderr and a non-zero exit."""
    config = config or settings()

    async def work() -> T:
        async with transaction(config) as tx:
            return await change(tx, await _user_id(tx, ref))

    try:
        return run(work)
    except UnknownUserError as exc:
        fail(str(exc))
    except RegistrationError as exc:
        fail(str(exc), 2)
    except DuplicateError:
        fail("that email is already taken")


def by_operator(
    use_case: Callable[..., Awaitable[T]], *args: object, **options: object
) -> Callable[[SQLRepos, str], Awaitable[T]]:
    """A core use case on a user, with `args` after the user's id, `options`, the CLI's
    actor and the time now."""
    return lambda tx, user_id: use_case(tx, user_id, *args, **options, actor=cli_actor(), now=now())


def _print_user(user: User, as_json: bool, done: str) -> None:
    if as_json:
        print_json(user_view(user))
    else:
        typer.echo(f"{done} user {user.username} (sub {user.id})")


def _print_signed_out(ref: str, ended: SignedOut, as_json: bool, done: str) -> None:
    if as_json:
        print_json({"user": ref, "sessions_ended": ended.sessions, "grants_revoked": ended.grants})
    else:
        typer.echo(
            f"{done} {ref}: ended {ended.sessions} session(s), revoked {ended.grants} grant(s)"
        )


@app.command(context_settings=TAKES_AN_ID)
def show(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Show one user."""
    found = operate_on_user(user, accounts.get_user)
    if as_json:
        print_json(user_view(found))
    else:
        print_fields(user_view(found))


@app.command(context_settings=TAKES_AN_ID)
def update(
    user: str = USER_ARGUMENT,
    email: str | None = typer.Option(None, "--email", help="A new address (unverified)."),
    clear_email: bool = typer.Option(False, "--clear-email", help="Remove the address."),
    email_verified: bool | None = typer.Option(
        None, "--email-verified/--email-unverified", help="Whether the address is verified."
    ),
    name: str | None = typer.Option(None, "--name", help="Full name; empty removes it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a user's email, its verification, or their name."""
    change = ProfileChange(
        email=email, clear_email=clear_email, email_verified=email_verified, name=name
    )
    updated = operate_on_user(user, by_operator(accounts.update_profile, change))
    _print_user(updated, as_json, "updated")


@app.command("set-password", context_settings=TAKES_AN_ID)
def set_password(
    user: str = USER_ARGUMENT,
    password: str | None = typer.Option(
        None, "--password", help="Omit to type it (hidden) or pipe it on stdin."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a user a new password (their sessions stay: see `users logout`)."""
    secret = password if password is not None else read_secret_input("Password")
    updated = operate_on_user(user, by_operator(accounts.set_password, secret))
    _print_user(updated, as_json, "set the password of")


@app.command(context_settings=TAKES_AN_ID)
def disable(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Disable a user: no more sign-ins, and every session and grant ends now."""
    ended = operate_on_user(user, by_operator(accounts.disable_user))
    _print_signed_out(user, ended, as_json, "disabled")


@app.command(context_settings=TAKES_AN_ID)
def enable(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Let a disabled user sign in again."""
    enabled = operate_on_user(user, by_operator(accounts.enable_user))
    _print_user(enabled, as_json, "enabled")


@app.command(context_settings=TAKES_AN_ID)
def unlock(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Clear the sign-in throttle of a user's username and email, from every address."""
    cleared = operate_on_user(user, by_operator(accounts.unlock_user))
    if as_json:
        print_json({"user": user, "throttle_keys_cleared": cleared})
    else:
        typer.echo(f"unlocked {user}: cleared {cleared} throttle key(s)")


@app.command(context_settings=TAKES_AN_ID)
def logout(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Sign a user out everywhere: end every session and revoke every grant."""
    ended = operate_on_user(user, by_operator(accounts.sign_out_everywhere))
    _print_signed_out(user, ended, as_json, "signed out")


@app.command(context_settings=TAKES_AN_ID)
def delete(user: str = USER_ARGUMENT, yes: bool = YES_OPTION) -> None:
    """Delete a user with their sessions, grants, tokens and consents."""
    config = settings()
    confirm(f"Delete user {user} and everything granted to them?", yes)
    operate_on_user(user, by_operator(accounts.delete_user), config)
    typer.echo(f"deleted user {user}")


@app.command(context_settings=TAKES_AN_ID)
def sessions(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Where a user is signed in now: their unexpired sessions, newest first."""
    found = operate_on_user(user, lambda tx, user_id: accounts.list_sessions(tx, user_id, now()))
    views = [
        {
            "sid": s.sid,
            "auth_time": iso_time(s.auth_time),
            "created_at": iso_time(s.created_at),
            "expires_at": iso_time(s.expires_at),
            "amr": [method.value for method in s.amr],
        }
        for s in found
    ]
    if as_json:
        print_json(views)
    else:
        print_table(views, ["sid", "auth_time", "expires_at", "amr"])
