"""/admin/v1/keys: signing keys, their rotation and retirement (core.admin.keys)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.admin import keys
from tessera.core.admin.access import AdminCaller
from tessera.core.models import KeySwitch, StoredKey
from tessera.web.admin.common import admin_endpoint, answer, read_json
from tessera.web.runtime import runtime


def key_view(key: StoredKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg.value,
        "state": key.state.value,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "retires_at": key.retires_at,
        "retired_at": key.retired_at,
    }


@admin_endpoint(changes=False)
async def list_keys(request: Request, caller: AdminCaller) -> Response:
    stored = await keys.list_keys(runtime(request).store)
    return answer({"items": [key_view(key) for key in stored], "next_cursor": None})


@admin_endpoint(changes=True)
async def rotate(request: Request, caller: AdminCaller) -> Response:
    """The new key; after an immediate rotation also the key it replaced."""
    rt = runtime(request)
    result = await keys.rotate_keys(
        rt.store,
        await read_json(request),
        policy=rt.policy.keys,
        secret_key=rt.settings.secret_key,
        actor=caller.actor,
        now=rt.now(),
    )
    if isinstance(result, KeySwitch):
        replaced = None if result.replaced is None else key_view(result.replaced)
        return answer({"key": key_view(result.activated), "replaced": replaced}, status_code=201)
    return answer({"key": key_view(result), "replaced": None}, status_code=201)


@admin_endpoint(changes=True)
async def retire(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    key = await keys.retire(rt.store, request.path_params["kid"], actor=caller.actor, now=rt.now())
    return answer(key_view(key))
