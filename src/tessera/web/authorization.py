"""The steps /authorize, the login page and the consent page share: carry on with a
request once something changed (a session, a consent), and answer the client."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tessera.core.approval import CodePolicy, find_consent, issue_code
from tessera.core.authorization_response import (
    AuthorizationResponse,
    build_code_response,
    build_error_response,
)
from tessera.core.authorize import AuthorizationRequest, ResponseTarget
from tessera.core.errors import OAuthError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.interaction import login_reason, required_interaction
from tessera.core.models import Prompt, ResponseMode, Session, Timestamp
from tessera.core.pending import PendingRequest, park
from tessera.core.ports import Repos
from tessera.core.sessions import load_session
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.csp import origin_source, page_csp
from tessera.web.forms import client_ip
from tessera.web.runtime import runtime
from tessera.web.templating import error_page, render

log = logging.getLogger("tessera.authorize")

PAGES = {Prompt.LOGIN: "/u/login", Prompt.CONSENT: "/u/consent"}


async def proceed(
    request: Request,
    repos: Repos,
    auth: AuthorizationRequest,
    session: Session | None,
    *,
    now: Timestamp,
    login_sid: str | None = None,
) -> Response:
    """Issue a code if the interaction policy allows it; otherwise park the request and
    send the person to the page the policy asks for.

    Raises:
        LoginRequiredError, ConsentRequiredError: prompt=none and a page is needed.
        SignInLimitError: the client address parked too many requests (core.pending).
    """
    settings = runtime(request).settings
    consent = await find_consent(repos.consents, auth, session)
    needed = required_interaction(auth, session, consent, now=now, login_sid=login_sid)
    if needed is None and session is not None:
        return await approve(request, repos, auth, session, now=now)
    interaction_id = await park(
        repos,
        auth,
        now=now,
        lifetime=settings.interaction_lifetime,
        client_ip=client_ip(request),
        limit=runtime(request).interaction_limit,
        login_sid=login_sid,
    )
    page = PAGES[needed.prompt if needed else Prompt.LOGIN]  # No session: a login.
    return redirect(request, interaction_url(page, interaction_id))


async def approve(
    request: Request,
    repos: Repos,
    auth: AuthorizationRequest,
    session: Session,
    *,
    now: Timestamp,
) -> Response:
    """Issue the code and send it to the client."""
    settings = runtime(request).settings
    policy = CodePolicy(
        code_lifetime=settings.code_lifetime,
        grant_lifetime=settings.refresh_token_absolute_lifetime,
    )
    code = await issue_code(repos.grants, auth, session, now=now, policy=policy)
    return answer(request, build_code_response(auth.target, code, settings.issuer))


async def signed_in_session(
    request: Request, repos: Repos, pending: PendingRequest, now: Timestamp
) -> Session | None:
    """The browser's session if it satisfies the parked request's login policy."""
    cookie = read_cookie(request, SESSION, runtime(request).settings)
    session = await load_session(repos.sessions, cookie, now)
    reason = login_reason(pending.request, session, now=now, login_sid=pending.login_sid)
    return session if reason is None else None


async def hint_verifier(request: Request) -> HintVerifier:
    """How this server checks an id_token_hint. Called before a transaction opens: the
    key ring may have to be reread in one of its own."""
    rt = runtime(request)
    return HintVerifier(
        keys=(await rt.fresh_keyring()).verification_keys,
        issuer=rt.settings.issuer,
        max_age=rt.settings.session_lifetime,
    )


def interaction_url(page: str, interaction_id: str) -> str:
    return f"{page}?{urlencode({'interaction': interaction_id})}"


def redirect(request: Request, url: str) -> RedirectResponse:
    """302 after a GET; 303 after a POST, so the browser follows with a GET and never
    resends a form (RFC 9700 4.12)."""
    return RedirectResponse(url, status_code=303 if request.method == "POST" else 302)


def answer(request: Request, response: AuthorizationResponse) -> Response:
    """Deliver an authorization response by redirect, or as a page that posts it."""
    if response.response_mode is ResponseMode.QUERY:
        return redirect(request, response.location())
    source = origin_source(response.redirect_uri)
    return render(
        runtime(request).templates,
        "form_post.html",
        {"action": response.redirect_uri, "params": response.params},
        headers={"Content-Security-Policy": page_csp(*filter(None, [source]))},
    )


def refuse(request: Request, err: OAuthError, target: ResponseTarget | None) -> Response:
    """Send the error to the client when its redirect URI is trusted and the error may
    go there; otherwise show it to the person."""
    request_id = getattr(request.state, "request_id", None)
    log.info(
        "%s refused: %s (%s) request_id=%s", request.url.path, err.error, err.detail, request_id
    )
    if target is not None and err.redirectable:
        issuer = runtime(request).settings.issuer
        return answer(request, build_error_response(target, err, issuer))
    return error_page(runtime(request).templates, err, request_id)
