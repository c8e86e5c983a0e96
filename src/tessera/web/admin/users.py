"""/admin/v1/users: the people who sign in (core.admin.users); `password` is write-only."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.admin import users
from tessera.core.admin.access import AdminCaller
from tessera.core.models import User
from tessera.web.admin.common import admin_endpoint, answer, page_answer, page_request, read_json
from tessera.web.runtime import runtime


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "created_at": user.created_at,
    }


@admin_endpoint(changes=False)
async def list_users(request: Request, caller: AdminCaller) -> Response:
    page = await users.list_users(runtime(request).store, page_request(request))
    return page_answer(page, user_view)


@admin_endpoint(changes=True)
async def create_user(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    body = await read_json(request)
    # Hashing the password (argon2id) takes tens of milliseconds: off the event loop.
    user = await asyncio.to_thread(users.parse_new_user, body, now=rt.now())
    await users.create_user(rt.store, user, actor=caller.actor, now=rt.now())
    response = answer(user_view(user), status_code=201, etag_of=user)
    response.headers["Location"] = f"/admin/v1/users/{user.id}"
    return response


@admin_endpoint(changes=False)
async def show_user(request: Request, caller: AdminCaller) -> Response:
    user = await users.show_user(runtime(request).store, request.path_params["id"])
    return answer(user_view(user), etag_of=user)
