"""/admin/v1/clients: clients in RFC 7591 metadata names (core.admin.clients)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.admin import clients
from tessera.core.admin.access import AdminCaller
from tessera.core.models import Client
from tessera.core.web_origins import allowed_origins
from tessera.web.admin.common import (
    admin_endpoint,
    answer,
    if_match,
    page_answer,
    page_request,
    read_json,
)
from tessera.web.runtime import runtime


def client_view(client: Client) -> dict[str, Any]:
    """A client as RFC 7591 3.2.1 names its metadata, plus tessera's own fields."""
    return {
        "client_id": client.client_id,
        "client_name": client.name,
        "client_id_issued_at": client.created_at,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "grant_types": sorted(grant.value for grant in client.grant_types),
        "token_endpoint_auth_method": client.auth_method.value,
        "scope": None if client.allowed_scopes is None else " ".join(sorted(client.allowed_scopes)),
        "apis": sorted(client.apis),
        "resource_server_for": sorted(client.resource_server_for),
        "id_token_signed_response_alg": client.id_token_alg.value,
        "refresh_grace_seconds": client.refresh_grace_seconds,
        "web_origins": list(allowed_origins(client)),
        "web_origins_from_redirect_uris": client.web_origins is None,
        "first_party": client.first_party,
        "refresh_sliding_lifetime": client.refresh_sliding_lifetime,
        "refresh_absolute_lifetime": client.refresh_absolute_lifetime,
    }


@admin_endpoint(changes=False)
async def list_clients(request: Request, caller: AdminCaller) -> Response:
    page = await clients.list_clients(runtime(request).store, page_request(request))
    return page_answer(page, client_view)


@admin_endpoint(changes=True)
async def create_client(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    new = clients.parse_new_client(
        await read_json(request), now=rt.now(), algorithms=rt.settings.enabled_algorithms
    )
    client = await clients.create_client(rt.store, new, actor=caller.actor, now=rt.now())
    body = client_view(client)
    if new.secret is not None:
        body["client_secret"] = new.secret
        body["client_secret_expires_at"] = 0
    response = answer(body, status_code=201, etag_of=client)
    response.headers["Location"] = f"/admin/v1/clients/{client.client_id}"
    return response


@admin_endpoint(changes=False)
async def show_client(request: Request, caller: AdminCaller) -> Response:
    client = await clients.show_client(runtime(request).store, request.path_params["id"])
    return answer(client_view(client), etag_of=client)


@admin_endpoint(changes=True)
async def update_client(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    client = await clients.change_client(
        rt.store,
        request.path_params["id"],
        await read_json(request),
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
        algorithms=rt.settings.enabled_algorithms,
    )
    return answer(client_view(client), etag_of=client)


@admin_endpoint(changes=True)
async def delete_client(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    await clients.remove_client(
        rt.store,
        request.path_params["id"],
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
    )
    return Response(status_code=204)


@admin_endpoint(changes=True)
async def rotate_secret(request: Request, caller: AdminCaller) -> Response:
    """The client with its new secret, answered this once."""
    rt = runtime(request)
    rotated = await clients.rotate_client_secret(
        rt.store,
        request.path_params["id"],
        await read_json(request),
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
    )
    body = {**client_view(rotated.client), "client_secret": rotated.secret}
    return answer(body, etag_of=rotated.client)
