"""`tessera apis`: the resource servers tokens are minted for (the `audience`)."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    YES_OPTION,
    cli_actor,
    confirm,
    fail,
    iso_time,
    now,
    print_json,
    print_table,
    run,
    settings,
    transaction,
)
from tessera.core.api_deletion import DeletedApi, delete_api
from tessera.core.api_updates import ApiChange, UnknownApiError, update_api
from tessera.core.audit_events import Event
from tessera.core.models import Api
from tessera.core.registration import RegistrationError, build_api
from tessera.crypto.keys import Algorithm
from tessera.store.errors import DuplicateError

app = typer.Typer(help="Register and inspect APIs (resource servers).", no_args_is_help=True)


def api_view(api: Api) -> dict[str, Any]:
    return {
        "identifier": api.identifier,
        "name": api.name,
        "scopes": [{"name": s.name, "description": s.description} for s in api.scopes],
        "access_token_lifetime": api.access_token_lifetime,
        "signing_alg": api.signing_alg.value,
        "created_at": iso_time(api.created_at),
    }


def _scope_pair(value: str) -> tuple[str, str]:
    name, _, description = value.partition("=")
    return name.strip(), description.strip()


@app.command()
def create(
    identifier: str = typer.Option(
        ..., "--identifier", help="The audience, e.g. https://api.example.com"
    ),
    scope: list[str] = typer.Option(
        [], "--scope", help="NAME or NAME=DESCRIPTION; repeat for several."
    ),
    name: str | None = typer.Option(None, "--name", help="Shown on the consent page."),
    lifetime: int = typer.Option(86400, "--access-token-lifetime", help="Seconds."),
    alg: Algorithm = typer.Option(
        Algorithm.RS256, "--signing-alg", help="One of TESSERA_SIGNING_ALGORITHMS."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register an API and the scopes clients may ask for."""
    config = settings()
    try:
        api = build_api(
            identifier=identifier,
            now=now(),
            name=name,
            scopes=[_scope_pair(value) for value in scope],
            access_token_lifetime=lifetime,
            signing_alg=alg,
            algorithms=config.enabled_algorithms,
        )
    except RegistrationError as exc:
        fail(str(exc), 2)

    async def work() -> None:
        async with transaction(config) as tx:
            await tx.apis.add(api)
            await tx.audit.record(
                Event.API_CREATED, now(), detail={"identifier": identifier, "actor": cli_actor()}
            )

    try:
        run(work)
    except DuplicateError:
        fail(f"an API with identifier {identifier!r} already exists")
    if as_json:
        print_json(api_view(api))
    else:
        typer.echo(f"created API {api.identifier}")


@app.command()
def update(
    identifier: str,
    scope: list[str] = typer.Option(
        [], "--scope", help="Replaces the scopes: NAME or NAME=DESCRIPTION; repeat."
    ),
    name: str | None = typer.Option(None, "--name", help="Shown on the consent page."),
    lifetime: int | None = typer.Option(None, "--access-token-lifetime", help="Seconds."),
    alg: Algorithm | None = typer.Option(
        None, "--signing-alg", help="One of TESSERA_SIGNING_ALGORITHMS."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an API's name, scopes, token lifetime or algorithm; what is not given stays
    (tokens already issued keep their terms)."""
    config = settings()
    change = ApiChange(
        name=name,
        scopes=[_scope_pair(value) for value in scope] or None,
        access_token_lifetime=lifetime,
        signing_alg=alg,
    )

    async def work() -> Api:
        async with transaction(config) as tx:
            return await update_api(
                tx,
                identifier,
                change,
                algorithms=config.enabled_algorithms,
                actor=cli_actor(),
                now=now(),
            )

    try:
        api = run(work)
    except UnknownApiError as exc:
        fail(str(exc))
    except RegistrationError as exc:
        fail(str(exc), 2)
    if as_json:
        print_json(api_view(api))
    else:
        typer.echo(f"updated API {api.identifier}")


@app.command("list")
def list_apis(as_json: bool = JSON_OPTION) -> None:
    """List every API."""
    config = settings()

    async def work() -> list[Api]:
        async with transaction(config) as tx:
            return list(await tx.apis.list())

    views = [api_view(api) for api in run(work)]
    if as_json:
        print_json(views)
        return
    for view in views:
        view["scopes"] = " ".join(s["name"] for s in view["scopes"])
    print_table(views, ["identifier", "name", "scopes", "signing_alg"])


@app.command()
def delete(identifier: str, yes: bool = YES_OPTION) -> None:
    """Delete an API: revoke the grants and forget the consents given for it, and take
    every client's access to it away."""
    config = settings()
    confirm(f"Delete API {identifier} and revoke what was granted for it?", yes)

    async def work() -> DeletedApi | None:
        async with transaction(config) as tx:
            return await delete_api(tx, identifier, now=now(), actor=cli_actor())

    deleted = run(work)
    if deleted is None:
        fail(f"no API {identifier!r}")
    typer.echo(
        f"deleted API {identifier}: revoked {deleted.grants_revoked} grant(s), "
        f"forgot {deleted.consents_deleted} consent(s)"
    )
