"""tessera's browser cookies: the session and the CSRF token.

Both are HttpOnly, SameSite=Lax and Path=/. Under an https issuer they are also Secure
and carry the `__Host-` prefix, which makes the browser refuse them from a sibling
subdomain or over plain http (RFC 6265bis 4.1.3.2), so nobody else can plant one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.settings import Settings

SESSION = "tessera_session"
CSRF = "tessera_csrf"


def cookie_name(base: str, settings: Settings) -> str:
    return f"__Host-{base}" if settings.is_https else base


def read_cookie(request: Request, base: str, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(base, settings))


def set_cookie(
    response: Response, base: str, value: str, settings: Settings, *, max_age: int | None = None
) -> None:
    response.set_cookie(
        cookie_name(base, settings),
        value,
        max_age=max_age,
        path="/",
        secure=settings.is_https,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, base: str, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(base, settings),
        path="/",
        secure=settings.is_https,
        httponly=True,
        samesite="lax",
    )
