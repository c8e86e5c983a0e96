"""Server-side sessions for the demo client: the browser holds only a random id.

Tokens must never reach the browser. Starlette's SessionMiddleware signs but does not
hide its cookie, so the demo client keeps session data in process memory instead; one
process serves the demo. A handler sets `scope["rotate_session"]` when the person signs
in, so an id planted in the browser before the login never carries the tokens.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "demo_client_session"


class ServerSideSessionMiddleware:
    """Gives every request `scope["session"]`, a dict kept in memory per cookie id."""

    def __init__(self, app: ASGIApp, *, max_sessions: int = 10_000) -> None:
        self.app = app
        self.max_sessions = max_sessions
        self.sessions: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session_id = _cookie(scope, COOKIE)
        if session_id is None or session_id not in self.sessions:
            session_id = None
        data = self.sessions.get(session_id, {}) if session_id else {}
        scope["session"] = data

        async def send_with_cookie(message: Message) -> None:
            nonlocal session_id
            if message["type"] == "http.response.start":
                if data and session_id is not None and scope.get("rotate_session"):
                    self.sessions.pop(session_id, None)
                    session_id = None
                if data and session_id is None:
                    if len(self.sessions) >= self.max_sessions:
                        self.sessions.pop(next(iter(self.sessions)))
                    session_id = secrets.token_urlsafe(32)
                    self.sessions[session_id] = data
                    message["headers"] = [*message.get("headers", []), _set_cookie(session_id)]
                elif not data and session_id is not None:
                    self.sessions.pop(session_id, None)
                    message["headers"] = [*message.get("headers", []), _set_cookie("", 0)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if name in jar:
                return jar[name].value
    return None


def _set_cookie(value: str, max_age: int | None = None) -> tuple[bytes, bytes]:
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return b"set-cookie", "; ".join(parts).encode("latin-1")
