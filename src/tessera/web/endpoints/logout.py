"""GET|POST /logout: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0;
core.logout).

Anyone can make a browser GET this URL, so the person is asked to confirm unless the
client's id_token_hint names their own session; the confirmation is a CSRF-protected
POST from our page. Errors are shown as a page: logout never redirects to a URI the
client did not register.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.logout import ConfirmLogout, LogoutRequest, answer_logout_request
from tessera.core.params import parse_params
from tessera.web.authorization import redirect, refuse
from tessera.web.cookies import SESSION, clear_cookie, read_cookie
from tessera.web.csrf import FIELD, verify_csrf
from tessera.web.forms import form_pairs, query_pairs
from tessera.web.pages import render_form_page
from tessera.web.runtime import runtime
from tessera.web.templating import render

PASSED_ON = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


async def logout(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        params, confirmed = await read_logout_params(request)
        answer = await answer_logout_request(
            rt.store,
            params,
            confirmed=confirmed,
            session_cookie=read_cookie(request, SESSION, rt.settings),
            hints=await rt.hint_verifier(),
            now=now,
        )
    except OAuthError as err:
        return refuse(request, err)
    if isinstance(answer, ConfirmLogout):
        return confirm_page(request, params, answer.request)
    response = signed_out(request, answer.request)
    clear_cookie(response, SESSION, rt.settings)
    return response


async def read_logout_params(request: Request) -> tuple[Mapping[str, str], bool]:
    """The parameters, and whether the person confirmed on our page (a POST with a valid
    CSRF token; a client's own POST has none and is treated like a GET).

    Raises:
        InvalidRequestError: malformed parameters.
        CSRFError: a CSRF token was sent but is not this browser's.
    """
    if request.method == "GET":
        return parse_params(query_pairs(request)), False
    form = parse_params(await form_pairs(request))
    if FIELD not in form:
        return form, False
    verify_csrf(request, form, runtime(request).settings)
    return form, True


def confirm_page(request: Request, params: Mapping[str, str], logout: LogoutRequest) -> Response:
    return render_form_page(
        request,
        "logout.html",
        {
            "client_name": logout.client.name if logout.client else None,
            "params": [(name, params[name]) for name in PASSED_ON if name in params],
        },
        leads_to=logout.redirect_uri,
    )


def signed_out(request: Request, logout: LogoutRequest) -> Response:
    location = logout.location()
    if location is not None:
        return redirect(request, location)
    client_name = logout.client.name if logout.client else None
    return render(runtime(request).templates, "logged_out.html", {"client_name": client_name})
