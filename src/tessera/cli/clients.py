"""`tessera clients`: register and inspect OAuth clients."""

from __future__ import annotations

from typing import Any

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
    run,
    settings,
    transaction,
)
from tessera.core.audit_events import Event
from tessera.core.client_secrets import ClientNotFoundError, RotatedSecret, rotate_secret
from tessera.core.models import AuthMethod, Client, GrantType
from tessera.core.registration import RegistrationError, build_client, update_client
from tessera.core.web_origins import allowed_origins
from tessera.crypto.keys import Algorithm
from tessera.store.errors import DuplicateError, UnknownAPIError

app = typer.Typer(help="Register and inspect clients (applications).", no_args_is_help=True)

WEB_ORIGIN_HELP = (
    "Browser origin (https://app.example[:port]) whose scripts may call the token, "
    "revocation and userinfo endpoints; repeat. Default: the redirect URIs' origins."
)
SLIDING_HELP = (
    "Seconds a refresh token lives unused. Default: the server's setting for public or "
    "confidential clients."
)
ABSOLUTE_HELP = (
    "Seconds a sign-in can be refreshed in all. Default: the server's setting for public or "
    "confidential clients."
)


def client_view(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.is_public,
        "first_party": client.first_party,
        "token_endpoint_auth_method": client.auth_method.value,
        "accepted_auth_methods": [method.value for method in client.auth_methods],
        "grant_types": sorted(grant.value for grant in client.grant_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "allowed_scopes": None if client.allowed_scopes is None else sorted(client.allowed_scopes),
        "apis": sorted(client.apis),
        "resource_server_for": sorted(client.resource_server_for),
        "id_token_signed_response_alg": client.id_token_alg.value,
        "refresh_grace_seconds": client.refresh_grace_seconds,
        "web_origins": list(allowed_origins(client)),
        "web_origins_from_redirect_uris": client.web_origins is None,
        "refresh_sliding_lifetime": client.refresh_sliding_lifetime,
        "refresh_absolute_lifetime": client.refresh_absolute_lifetime,
        "previous_secret_expires_at": iso_time(client.previous_secret_expires_at),
        "created_at": iso_time(client.created_at),
    }


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="Shown to users on the consent page."),
    redirect_uri: list[str] = typer.Option([], "--redirect-uri", help="Repeat for several."),
    public: bool = typer.Option(False, "--public", help="No secret (SPA, native); PKCE only."),
    first_party: bool = typer.Option(
        False, "--first-party", help="Skip the consent page (native apps still see it)."
    ),
    auth_method: AuthMethod | None = typer.Option(
        None,
        "--token-endpoint-auth-method",
        help="Pin one method. Default: none for --public, else client_secret_basic "
        "or client_secret_post.",
    ),
    grant_type: list[GrantType] = typer.Option(
        [],
        "--grant-type",
        help="Default: authorization_code and refresh_token (none for a client that is "
        "only a --resource-server).",
    ),
    post_logout_redirect_uri: list[str] = typer.Option([], "--post-logout-redirect-uri"),
    scope: list[str] = typer.Option(
        [], "--allowed-scope", help="Restrict API scopes the client may ask for."
    ),
    api: list[str] = typer.Option(
        [],
        "--api",
        help="API identifier the client may get client_credentials tokens for; repeat.",
    ),
    resource_server: list[str] = typer.Option(
        [],
        "--resource-server",
        help="API identifier whose tokens the client may introspect (it is that API's "
        "back end); repeat.",
    ),
    id_token_alg: Algorithm = typer.Option(
        Algorithm.RS256, "--id-token-alg", help="One of TESSERA_SIGNING_ALGORITHMS."
    ),
    refresh_grace: int = typer.Option(
        0, "--refresh-grace", help="Seconds a just-rotated refresh token still works (max 60)."
    ),
    web_origin: list[str] = typer.Option([], "--web-origin", help=WEB_ORIGIN_HELP),
    refresh_sliding: int | None = typer.Option(
        None, "--refresh-sliding-lifetime", help=SLIDING_HELP
    ),
    refresh_absolute: int | None = typer.Option(
        None, "--refresh-absolute-lifetime", help=ABSOLUTE_HELP
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a client; a confidential client's secret is printed once, never stored."""
    config = settings()
    try:
        new = build_client(
            name=name,
            redirect_uris=redirect_uri,
            now=now(),
            public=public,
            first_party=first_party,
            auth_method=auth_method,
            grant_types=grant_type or None,
            post_logout_redirect_uris=post_logout_redirect_uri,
            allowed_scopes=scope or None,
            id_token_alg=id_token_alg,
            refresh_grace_seconds=refresh_grace,
            apis=api,
            resource_server_for=resource_server,
            web_origins=web_origin or None,
            refresh_sliding_lifetime=refresh_sliding,
            refresh_absolute_lifetime=refresh_absolute,
            algorithms=config.enabled_algorithms,
        )
    except RegistrationError as exc:
        fail(str(exc), 2)

    async def work() -> None:
        async with transaction(config) as tx:
            await tx.clients.add(new.client)
            await tx.audit.record(
                Event.CLIENT_CREATED,
                now(),
                client_id=new.client.client_id,
                detail={"actor": cli_actor()},
            )

    try:
        run(work)
    except DuplicateError:
        fail("a client with that id already exists; try again")
    except UnknownAPIError as exc:
        fail(f"no API {str(exc)!r}: create it first with `tessera apis create`")
    for warning in new.warnings:
        typer.echo(f"warning: {warning}", err=True)
    view = client_view(new.client)
    if new.secret:
        view["client_secret"] = new.secret
    if as_json:
        print_json(view)
        return
    typer.echo(f"client_id:     {new.client.client_id}")
    if new.secret:
        typer.echo(f"client_secret: {new.secret}")
        typer.echo("Store the secret now: tessera keeps only its digest.")


@app.command("list")
def list_clients(as_json: bool = JSON_OPTION) -> None:
    """List every client."""
    config = settings()

    async def work() -> list[Client]:
        async with transaction(config) as tx:
            return list(await tx.clients.list())

    views = [client_view(client) for client in run(work)]
    if as_json:
        print_json(views)
        return
    for view in views:
        view["type"] = "public" if view["public"] else "confidential"
        view["redirect_uris"] = " ".join(view["redirect_uris"])
    print_table(views, ["client_id", "name", "type", "redirect_uris"])


@app.command(context_settings=TAKES_AN_ID)
def show(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one client."""
    config = settings()

    async def work() -> Client | None:
        async with transaction(config) as tx:
            return await tx.clients.get(client_id)

    client = run(work)
    if client is None:
        fail(f"no client {client_id!r}")
    view = client_view(client)
    if as_json:
        print_json(view)
        return
    print_fields(view)


@app.command(context_settings=TAKES_AN_ID)
def update(
    client_id: str,
    web_origin: list[str] = typer.Option(
        [], "--web-origin", help="Replaces the client's web origins; repeat."
    ),
    origins_from_redirect_uris: bool = typer.Option(
        False,
        "--web-origins-from-redirect-uris",
        help="Drop the registered web origins: allow the redirect URIs' origins.",
    ),
    refresh_sliding: int | None = typer.Option(
        None, "--refresh-sliding-lifetime", help=SLIDING_HELP
    ),
    refresh_absolute: int | None = typer.Option(
        None, "--refresh-absolute-lifetime", help=ABSOLUTE_HELP
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a client's web origins or refresh lifetimes; what is not given stays."""
    config = settings()

    async def work() -> Client | None:
        async with transaction(config) as tx:
            client = await tx.clients.get(client_id)
            if client is None:
                return None
            changed = update_client(
                client,
                web_origins=web_origin or None,
                origins_from_redirect_uris=origins_from_redirect_uris,
                refresh_sliding_lifetime=refresh_sliding,
                refresh_absolute_lifetime=refresh_absolute,
            )
            await tx.clients.update(changed)
            await tx.audit.record(
                Event.CLIENT_UPDATED, now(), client_id=client_id, detail={"actor": cli_actor()}
            )
            return changed

    try:
        client = run(work)
    except RegistrationError as exc:
        fail(str(exc), 2)
    if client is None:
        fail(f"no client {client_id!r}")
    view = client_view(client)
    if as_json:
        print_json(view)
        return
    print_fields(view)


@app.command("rotate-secret", context_settings=TAKES_AN_ID)
def rotate_secret_command(
    client_id: str,
    overlap: int = typer.Option(
        0, "--overlap", help="Seconds the old secret keeps working (default: it stops now)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a confidential client a new secret, printed once."""
    config = settings()

    async def work() -> RotatedSecret:
        async with transaction(config) as tx:
            return await rotate_secret(tx, client_id, overlap=overlap, actor=cli_actor(), now=now())

    try:
        rotated = run(work)
    except ClientNotFoundError as exc:
        fail(str(exc))
    except RegistrationError as exc:
        fail(str(exc), 2)
    expires = iso_time(rotated.client.previous_secret_expires_at)
    if as_json:
        print_json(
            {
                "client_id": client_id,
                "client_secret": rotated.secret,
                "previous_secret_expires_at": expires,
            }
        )
        return
    typer.echo(f"client_secret: {rotated.secret}")
    typer.echo(f"the old secret {'stopped now' if expires is None else 'works until ' + expires}")


@app.command(context_settings=TAKES_AN_ID)
def delete(client_id: str, yes: bool = YES_OPTION) -> None:
    """Delete a client, its grants and its consents."""
    config = settings()
    confirm(f"Delete client {client_id} with its grants and consents?", yes)

    async def work() -> bool:
        async with transaction(config) as tx:
            deleted = await tx.clients.delete(client_id)
            if deleted:
                await tx.audit.record(
                    Event.CLIENT_DELETED, now(), client_id=client_id, detail={"actor": cli_actor()}
                )
            return deleted

    if not run(work):
        fail(f"no client {client_id!r}")
    typer.echo(f"deleted client {client_id}")
