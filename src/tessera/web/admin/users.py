"""/admin/v1/users: the people who sign in (core.admin.users); `password` is write-only."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.core import accounts
from tessera.core.accounts import SignedOut
from tessera.core.admin import users
from tessera.core.admin.access import AdminCaller
from tessera.core.models import Consent, Session, User
from tessera.core.scopes import format_scope
from tessera.web.admin.common import (
    admin_endpoint,
    answer,
    if_match,
    page_answer,
    page_request,
    query,
    read_json,
)
from tessera.web.runtime import runtime


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "created_at": user.created_at,
        "disabled_at": user.disabled_at,
    }


def signed_out_view(ended: SignedOut) -> dict[str, Any]:
    return {"sessions_ended": ended.sessions, "grants_revoked": ended.grants}


def consent_view(consent: Consent) -> dict[str, Any]:
    return {
        "client_id": consent.client_id,
        "audience": consent.audience or None,
        "scope": format_scope(consent.scope),
        "updated_at": consent.updated_at,
    }


@admin_endpoint(changes=False)
async def list_users(request: Request, caller: AdminCaller) -> Response:
    search = query(request).get("search")
    page = await users.list_users(runtime(request).store, page_request(request), search=search)
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


@admin_endpoint(changes=True)
async def update_user(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    change = users.parse_profile_change(await read_json(request))
    user = await users.change_user(
        rt.store,
        request.path_params["id"],
        change,
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
    )
    return answer(user_view(user), etag_of=user)


async def _operate(request: Request, caller: AdminCaller, use_case: Any, *args: object) -> Any:
    """A core.accounts use case on the user of the path, as this caller, now."""
    rt = runtime(request)
    return await users.operate(
        rt.store,
        request.path_params["id"],
        use_case,
        *args,
        if_match=if_match(request),
        actor=caller.actor,
        now=rt.now(),
    )


@admin_endpoint(changes=True)
async def set_password(request: Request, caller: AdminCaller) -> Response:
    password = users.parse_password(await read_json(request))
    user = await _operate(request, caller, accounts.set_password, password)
    return answer(user_view(user), etag_of=user)


@admin_endpoint(changes=True)
async def disable_user(request: Request, caller: AdminCaller) -> Response:
    return answer(signed_out_view(await _operate(request, caller, accounts.disable_user)))


@admin_endpoint(changes=True)
async def enable_user(request: Request, caller: AdminCaller) -> Response:
    user = await _operate(request, caller, accounts.enable_user)
    return answer(user_view(user), etag_of=user)


@admin_endpoint(changes=True)
async def unlock_user(request: Request, caller: AdminCaller) -> Response:
    cleared = await _operate(request, caller, accounts.unlock_user)
    return answer({"throttle_keys_cleared": cleared})


@admin_endpoint(changes=True)
async def sign_out_user(request: Request, caller: AdminCaller) -> Response:
    return answer(signed_out_view(await _operate(request, caller, accounts.sign_out_everywhere)))


@admin_endpoint(changes=True)
async def delete_user(request: Request, caller: AdminCaller) -> Response:
    await _operate(request, caller, accounts.delete_user)
    return Response(status_code=204)


def session_view(session: Session) -> dict[str, Any]:
    return {
        "sid": session.sid,
        "auth_time": session.auth_time,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "amr": [method.value for method in session.amr],
    }


@admin_endpoint(changes=False)
async def list_sessions(request: Request, caller: AdminCaller) -> Response:
    rt = runtime(request)
    sessions = await users.list_user_sessions(rt.store, request.path_params["id"], rt.now())
    return answer({"items": [session_view(s) for s in sessions], "next_cursor": None})


@admin_endpoint(changes=False)
async def list_consents(request: Request, caller: AdminCaller) -> Response:
    consents = await users.list_user_consents(runtime(request).store, request.path_params["id"])
    return answer({"items": [consent_view(c) for c in consents], "next_cursor": None})


@admin_endpoint(changes=True)
async def revoke_consent(request: Request, caller: AdminCaller) -> Response:
    revoked = await _operate(
        request, caller, accounts.revoke_consent, request.path_params["client_id"]
    )
    return answer({"grants_revoked": revoked})
