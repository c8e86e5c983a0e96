"""/u/login/code: the second factor's page, after the right password
(core.authorization.second_factor): a TOTP code or a recovery code finishes the
sign-in; a wrong one shows the form again, as the login form does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization import second_factor
from tessera.core.authorization.second_factor import CodeRequest
from tessera.core.authorization.sign_in import CodeForm
from tessera.core.errors import OAuthError
from tessera.web.authorization import refuse
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.forms import client_ip
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime
from tessera.web.ui.signing import code_message, signed_in


async def submit_code(request: Request) -> Response:
    rt = runtime(request)
    try:
        form = await read_page_form(request)
        answer = await second_factor.submit_code(
            rt.store,
            CodeRequest(
                interaction_id=form.get("interaction"),
                code=form.get("code", ""),
                client_ip=client_ip(request),
                session_cookie=read_cookie(request, SESSION, rt.settings),
            ),
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            clock=rt.now,
        )
    except OAuthError as err:
        return refuse(request, err)
    if isinstance(answer, CodeForm):
        return code_form(request, answer)
    return signed_in(request, answer)


def code_form(request: Request, form: CodeForm) -> Response:
    """The second factor's form: one message for a wrong, replayed or spent code, and a
    429 with Retry-After while the throttle holds, as the login form does."""
    message, status = code_message(form.failed, form.retry_after)
    pending = form.pending
    return render_form_page(
        request,
        "code.html",
        {
            "client_name": pending.request.client.name,
            "interaction": pending.interaction_id,
            "error": message,
        },
        leads_to=pending.request.target.redirect_uri,
        status_code=status,
        headers={"Retry-After": str(form.retry_after)} if form.retry_after else None,
    )
