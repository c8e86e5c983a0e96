"""/admin/v1/apis: the resource servers tokens are minted for (core.admin.apis)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.admin import apis
from tessera.core.admin.access import AdminCaller
from tessera.core.models import Api
from tessera.web.admin.common import (
    admin_endpoint,
    answer,
    if_match,
    page_answer,
    page_request,
    read_json,
)
from tessera.web.runtime import runtime


def api_view(api: Api) -> dict[str, Any]:
    return {
        "id": api.id,
        "identifier": api.identifier,
        "name": api.name,
        "scopes": [{"name": s.name, "description": s.description} for s in api.scopes],
        "access_token_lifetime": api.access_token_lifetime,
        "signing_alg": api.signing_alg.value,
        "created_at": api.created_at,
    }


@admin_endpoint(changes=False)
async def list_apis(request: Request, caller: AdminCaller) -> Response:
    page = await apis.list_apis(runtime(request).store, page_request(request))
    return page_answer(page, api_view)


@admin_endpoint(changes=True)
async def create_api(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    api = apis.parse_new_api(
        await read_json(request), now=rt.now(), algorithms=rt.settings.enabled_algorithms
    )
    await apis.create_api(rt.store, api, actor=caller.actor, now=rt.now())
    response = answer(api_view(api), status_code=201, etag_of=api)
    response.headers["Location"] = f"/admin/v1/apis/{api.id}"
    return response


@admin_endpoint(changes=False)
async def show_api(request: Request, caller: AdminCaller) -> Response:
    api = await apis.show_api(runtime(request).store, request.path_params["id"])
    return answer(api_view(api), etag_of=api)


@admin_endpoint(changes=True)
async def delete_api(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    await apis.remove_api(
        rt.store,
        request.path_params["id"],
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
    )
    return Response(status_code=204)


@admin_endpoint(changes=True)
async def update_api(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    change = apis.parse_api_change(await read_json(request))
    api = await apis.change_api(
        rt.store,
        request.path_params["id"],
        change,
        if_match=if_match(request),
        algorithms=rt.settings.enabled_algorithms,
        actor=caller.actor,
        now=rt.now(),
    )
    return answer(api_view(api), etag_of=api)
