"""CSRF protection for every form tessera serves (login, consent, logout).

Three checks, any of which stops a cross-site POST on its own:
- a double-submit token: a random value in a cookie that must equal the form's hidden
  field, compared in constant time. Another site can neither read the cookie nor, with
  `__Host-` under https, set it;
- the cookie is SameSite=Lax, so a cross-site POST does not carry it at all;
- the browser's own word: a `Sec-Fetch-Site` other than same-origin, or an `Origin`
  other than the issuer's, is refused. `Origin: null` is accepted, since our
  `Referrer-Policy: no-referrer` makes browsers send it for our own forms.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import InvalidRequestError
from tessera.crypto.tokens import constant_time_equals
from tessera.settings import Settings
from tessera.web.cookies import CSRF, read_cookie, set_cookie

FIELD = "csrf_token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})


class CSRFError(InvalidRequestError):
    """A form came without a valid token or from another site: shown, never redirected."""

    status_code = 403
    redirectable = False
    default_description = (
        "This form has expired or was sent from another site. "
        "Go back, reload the page and try again."
    )


def csrf_token(request: Request, settings: Settings) -> str:
    """The browser's token, or a new one if it has none (see `remember_token`)."""
    token = read_cookie(request, CSRF, settings)
    return token if token and _TOKEN.fullmatch(token) else secrets.token_urlsafe(32)


def remember_token(response: Response, token: str, settings: Settings) -> None:
    set_cookie(response, CSRF, token, settings)


def verify_csrf(request: Request, form: Mapping[str, str], settings: Settings) -> None:
    """Accept a form only if it came from one of our own pages in this browser.

    Raises:
        CSRFError: see the module docstring.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAME_ORIGIN_FETCHES:
        raise CSRFError(detail=f"Sec-Fetch-Site {fetch_site}")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null" and origin != issuer_origin(settings):
        raise CSRFError(detail="Origin is not the issuer's")
    cookie = read_cookie(request, CSRF, settings)
    sent = form.get(FIELD)
    if not cookie or not sent or not constant_time_equals(cookie, sent):
        raise CSRFError(detail="CSRF token missing or different from the cookie")


def issuer_origin(settings: Settings) -> str:
    parts = urlsplit(settings.issuer)
    return f"{parts.scheme}://{parts.netloc}"
