"""/u/login: the person signs in with a username or email and a password.

GET shows the form for a parked authorization request; POST runs the sign-in
(core.authorization.sign_in) and shows what it answers: the form again, with one
message whatever went wrong, the second factor's form (web.ui.code) or its enrolment
(web.ui.enrolment), or the next step with the new session's cookie.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization.sign_in import (
    CodeForm,
    EnrolForm,
    SignInForm,
    SignInRequest,
    show_sign_in,
    sign_in,
)
from tessera.core.errors import OAuthError
from tessera.web.authorization import refuse
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.forms import client_ip
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime
from tessera.web.ui.code import code_form
from tessera.web.ui.enrolment import enrolment_form
from tessera.web.ui.signing import describe_wait, signed_in

FAILED = "Incorrect username or password."
BUSY = "Too many people are signing in right now. Please try again in a moment."
DISABLED = "This account is disabled. Ask your administrator to enable it."


async def login_page(request: Request) -> Response:
    rt = runtime(request)
    try:
        form = await show_sign_in(
            rt.store,
            request.query_params.get("interaction"),
            hints=await rt.hint_verifier(),
            now=rt.now(),
        )
    except OAuthError as err:
        return refuse(request, err)
    return login_form(request, form)


async def submit_login(request: Request) -> Response:
    rt = runtime(request)
    try:
        form = await read_page_form(request)
        answer = await sign_in(
            rt.store,
            SignInRequest(
                interaction_id=form.get("interaction"),
                login=form.get("username", ""),
                password=form.get("password", ""),
                client_ip=client_ip(request),
                session_cookie=read_cookie(request, SESSION, rt.settings),
            ),
            checks=rt.password_checks,
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            clock=rt.now,
        )
    except OAuthError as err:
        return refuse(request, err)
    if isinstance(answer, SignInForm):
        return login_form(request, answer)
    if isinstance(answer, CodeForm):
        return code_form(request, answer)
    if isinstance(answer, EnrolForm):
        return enrolment_form(request, answer)
    return signed_in(request, answer)


def login_form(request: Request, form: SignInForm) -> Response:
    """The sign-in form: after a failure one message whatever went wrong, a 429 with
    Retry-After while the throttle holds, and a 503 with Retry-After when every
    password check slot was taken (the person may simply send the form again)."""
    message: str | None = FAILED if form.failed else None
    if form.busy:
        message, status = BUSY, 503
    elif form.disabled:
        message, status = DISABLED, 403
    elif form.retry_after:
        wait = f"Too many failed attempts. Try again in {describe_wait(form.retry_after)}."
        message, status = (f"{FAILED} {wait}" if form.failed else wait), 429
    else:
        status = 401 if form.failed else 200
    pending = form.pending
    return render_form_page(
        request,
        "login.html",
        {
            "client_name": pending.request.client.name,
            "interaction": pending.interaction_id,
            "login": form.login,
            "error": message,
        },
        leads_to=pending.request.target.redirect_uri,
        status_code=status,
        headers={"Retry-After": str(form.retry_after)} if form.retry_after else None,
    )
