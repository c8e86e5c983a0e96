"""`tessera users mfa`: an operator's view of a user's second factors, for support and
migrations: list them, enrol a TOTP factor for the user, reset them after a lost phone."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    TAKES_AN_ID,
    YES_OPTION,
    confirm,
    fail,
    iso_time,
    print_json,
    print_table,
    settings,
)
from tessera.cli.users import USER_ARGUMENT, by_operator, operate_on_user
from tessera.core import mfa
from tessera.core.models import Factor
from tessera.crypto.otp import TOTPSecretError

app = typer.Typer(help="A user's second factors (TOTP).", no_args_is_help=True)


def factor_view(factor: Factor) -> dict[str, Any]:
    """A factor as operators see it: never its secret."""
    return {
        "id": factor.id,
        "kind": factor.kind.value,
        "name": factor.name,
        "created_at": iso_time(factor.created_at),
        "confirmed_at": iso_time(factor.confirmed_at),
    }


@app.command("add-totp", context_settings=TAKES_AN_ID)
def add_totp(
    user: str = USER_ARGUMENT,
    secret: str | None = typer.Option(
        None, "--secret", metavar="BASE32", help="Import this secret; omit to make a new one."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a user a TOTP factor, active at once; prints its secret and otpauth URI once."""
    config = settings()
    use_case = by_operator(mfa.add_totp, secret, secret_key=config.secret_key, issuer=config.issuer)
    try:
        enrolment = operate_on_user(user, use_case, config)
    except TOTPSecretError as exc:
        fail(str(exc), 2)
    if as_json:
        print_json({"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri})
    else:
        typer.echo(f"secret: {enrolment.secret}\notpauth_uri: {enrolment.otpauth_uri}")


@app.command("list", context_settings=TAKES_AN_ID)
def list_factors(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """List a user's second factors and how many recovery codes they have left."""
    status = operate_on_user(user, mfa.mfa_status)
    views = [factor_view(factor) for factor in status.factors]
    if as_json:
        print_json({"factors": views, "recovery_codes_left": status.recovery_codes_left})
    else:
        print_table(views, ["id", "kind", "name", "created_at"])
        typer.echo(f"recovery codes left: {status.recovery_codes_left}")


@app.command(context_settings=TAKES_AN_ID)
def reset(user: str = USER_ARGUMENT, yes: bool = YES_OPTION) -> None:
    """Remove every second factor and recovery code of a user."""
    config = settings()
    confirm(f"Remove every second factor of user {user}?", yes)
    removed = operate_on_user(user, by_operator(mfa.reset_factors), config)
    typer.echo(f"removed {removed} factor(s) of {user}")
