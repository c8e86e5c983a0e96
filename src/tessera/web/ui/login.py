"""/u/login: the person signs in with a username or email and a password.

GET shows the form for a parked authorization request. POST runs core.login's three
steps: the password is checked between two transactions, in a worker thread, so that
argon2 holds neither a database connection nor the event loop, and only while one of
the process's password check slots is free or comes free within a moment
(web.password_checks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.login import (
    LoginAttempt,
    VerifiedPassword,
    begin_attempt,
    check_password,
    record_failure,
    record_success,
)
from tessera.core.models import Timestamp
from tessera.core.pending import PendingRequest, finish, load_pending
from tessera.core.ports import Repos
from tessera.core.sessions import load_session
from tessera.web.authorization import hint_verifier, proceed, refuse
from tessera.web.cookies import SESSION, read_cookie, set_cookie
from tessera.web.forms import client_ip
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime

FAILED = "Incorrect username or password."
BUSY = "Too many people are signing in right now. Please try again in a moment."
BUSY_RETRY_AFTER = 1
# How long a sign-in waits, and how often it looks, while its login name is checked.
LEASE_WAIT = 2.0
LEASE_PAUSE = 0.05


async def login_page(request: Request) -> Response:
    rt = runtime(request)
    try:
        hints = await hint_verifier(request)
        async with rt.store.transaction() as tx:
            interaction_id = request.query_params.get("interaction")
            pending = await load_pending(tx, interaction_id, rt.now(), hints)
    except OAuthError as err:
        return refuse(request, err, None)
    return login_form(request, pending, login=pending.request.login_hint or "")


async def submit_login(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        form = await read_page_form(request)
        login = form.get("username", "")
        hints = await hint_verifier(request)
        async with rt.password_checks.slot() as free:
            if not free:
                async with rt.store.read_transaction() as tx:
                    pending = await load_pending(tx, form.get("interaction"), now, hints)
                return busy_form(request, pending, login=login)
            pending, attempt = await begin(request, form, hints)
            if attempt.retry_after:
                return login_form(request, pending, login=login, retry_after=attempt.retry_after)
            password = form.get("password", "")
            check = await run_in_threadpool(check_password, attempt.user, password)
            async with rt.store.transaction() as tx:
                if check is None:
                    wait = await record_failure(tx, attempt, now)
                    return login_form(request, pending, login=login, failed=True, retry_after=wait)
                return await signed_in(request, tx, pending, attempt, check, now)
    except OAuthError as err:
        return refuse(request, err, None)


async def begin(
    request: Request, form: Mapping[str, str], hints: HintVerifier
) -> tuple[PendingRequest, LoginAttempt]:
    """Pick the parked request up and begin the attempt (core.login), one transaction.

    While another request checks a password for the same login name (a double submit,
    two devices at once), try again after short pauses, LEASE_WAIT seconds at most: the
    person waits a moment instead of reading that they are throttled.
    """
    rt = runtime(request)
    deadline = time.monotonic() + LEASE_WAIT
    while True:
        async with rt.store.transaction() as tx:
            pending = await load_pending(tx, form.get("interaction"), rt.now(), hints)
            attempt = await begin_attempt(
                tx,
                form.get("username", ""),
                client_ip=client_ip(request),
                client_id=pending.request.client.client_id,
                now=rt.now(),
            )
        if not attempt.checking_elsewhere or time.monotonic() >= deadline:
            return pending, attempt
        await asyncio.sleep(LEASE_PAUSE)


async def signed_in(
    request: Request,
    repos: Repos,
    pending: PendingRequest,
    attempt: LoginAttempt,
    check: VerifiedPassword,
    now: Timestamp,
) -> Response:
    """Finish the interaction, replace the browser's session, carry on with the request."""
    settings = runtime(request).settings
    await finish(repos, pending)
    previous = await load_session(repos.sessions, read_cookie(request, SESSION, settings), now)
    cookie, session = await record_success(
        repos,
        attempt,
        check,
        now=now,
        session_lifetime=settings.session_lifetime,
        replacing=previous,
    )
    response = await proceed(
        request, repos, pending.request, session, now=now, login_sid=session.sid
    )
    set_cookie(response, SESSION, cookie, settings, max_age=settings.session_lifetime)
    return response


def login_form(
    request: Request,
    pending: PendingRequest,
    *,
    login: str,
    failed: bool = False,
    retry_after: int = 0,
) -> Response:
    """The sign-in form; after a failure, one message whatever went wrong, and a 429
    with Retry-After while the throttle holds."""
    message: str | None = FAILED if failed else None
    if retry_after:
        wait = f"Too many failed attempts. Try again in {describe_wait(retry_after)}."
        message = f"{FAILED} {wait}" if failed else wait
    status = 429 if retry_after else (401 if failed else 200)
    return _form_page(request, pending, login, message, status, retry_after)


def busy_form(request: Request, pending: PendingRequest, *, login: str) -> Response:
    """The sign-in form again, 503 with Retry-After: every password check slot of this
    process is taken, and the person may simply send the form again in a moment."""
    return _form_page(request, pending, login, BUSY, 503, BUSY_RETRY_AFTER)


def _form_page(
    request: Request,
    pending: PendingRequest,
    login: str,
    message: str | None,
    status: int,
    retry_after: int,
) -> Response:
    return render_form_page(
        request,
        "login.html",
        {
            "client_name": pending.request.client.name,
            "interaction": pending.interaction_id,
            "login": login,
            "error": message,
        },
        leads_to=pending.request.target.redirect_uri,
        status_code=status,
        headers={"Retry-After": str(retry_after)} if retry_after else None,
    )


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
