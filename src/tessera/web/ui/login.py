"""/u/login: the person signs in with a username or email and a password, then, if
they have a second factor, a code on /u/login/code.

GET shows the form for a parked authorization request; POST runs the sign-in
(core.authorization.sign_in) and shows what it answers: the form again, with one
message whatever went wrong, the code's form, or the next step with the new session's
cookie. The code's POST (core.authorization.second_factor) answers the same way.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization import second_factor
from tessera.core.authorization.second_factor import CodeRequest
from tessera.core.authorization.sign_in import (
    CodeForm,
    SignedIn,
    SignInForm,
    SignInRequest,
    show_sign_in,
    sign_in,
)
from tessera.core.errors import OAuthError
from tessera.web.authorization import refuse, respond
from tessera.web.cookies import SESSION, read_cookie, set_cookie
from tessera.web.forms import client_ip
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime

FAILED = "Incorrect username or password."
BUSY = "Too many people are signing in right now. Please try again in a moment."
DISABLED = "This account is disabled. Ask your administrator to enable it."
WRONG_CODE = "That code is not right, or was used already."


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
    return signed_in(request, answer)


def signed_in(request: Request, answer: SignedIn) -> Response:
    """The next step of the request, with the new session's cookie."""
    rt = runtime(request)
    response = respond(request, answer.next)
    lifetime = rt.policy.authorization.session_lifetime
    set_cookie(response, SESSION, answer.session_cookie, rt.settings, max_age=lifetime)
    return response


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
    message: str | None = WRONG_CODE if form.failed else None
    status = 401 if form.failed else 200
    if form.retry_after:
        wait = f"Too many failed attempts. Try again in {describe_wait(form.retry_after)}."
        message, status = (f"{WRONG_CODE} {wait}" if form.failed else wait), 429
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


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
