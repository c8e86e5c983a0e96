"""`tessera consents`: what a person allowed each client, and taking it back."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    TAKES_AN_ID,
    YES_OPTION,
    confirm,
    iso_time,
    print_json,
    print_table,
    settings,
)
from tessera.cli.users import USER_ARGUMENT, by_operator, operate_on_user
from tessera.core import accounts
from tessera.core.models import Consent
from tessera.core.scopes import format_scope

app = typer.Typer(help="List and revoke what users consented to.", no_args_is_help=True)


def consent_view(consent: Consent) -> dict[str, Any]:
    return {
        "client_id": consent.client_id,
        "audience": consent.audience or None,
        "scope": format_scope(consent.scope),
        "updated_at": iso_time(consent.updated_at),
    }


@app.command("list", context_settings=TAKES_AN_ID)
def list_consents(user: str = USER_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """What a user consented to, per client and API."""
    views = [consent_view(c) for c in operate_on_user(user, accounts.list_consents)]
    if as_json:
        print_json(views)
    else:
        print_table(views, ["client_id", "audience", "scope", "updated_at"])


@app.command(context_settings=TAKES_AN_ID)
def revoke(
    user: str = USER_ARGUMENT,
    client_id: str = typer.Argument(..., help="The client whose consent goes."),
    yes: bool = YES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Forget a user's consent to a client and revoke that client's grants for them
    (its refresh tokens stop working; the next sign-in asks again)."""
    config = settings()
    confirm(f"Revoke what {user} allowed {client_id}?", yes)
    revoked = operate_on_user(user, by_operator(accounts.revoke_consent, client_id), config)
    if as_json:
        print_json({"user": user, "client_id": client_id, "grants_revoked": revoked})
    else:
        typer.echo(f"revoked the consent of {user} to {client_id}: {revoked} grant(s) revoked")
