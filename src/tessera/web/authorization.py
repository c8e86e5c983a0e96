"""How /authorize, the login page and the consent page deliver what core decided
(core.authorization): a code or an error to the client, by redirect or by a page that
posts it; a redirect to the page the person must see next; or an error page."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tessera.core.authorization.advance import (
    AuthorizationAnswer,
    CodeIssued,
    NeedsPage,
    RefusedToClient,
)
from tessera.core.authorization_response import AuthorizationResponse
from tessera.core.errors import OAuthError
from tessera.core.models import Prompt, ResponseMode
from tessera.web.csp import origin_source, page_csp
from tessera.web.runtime import runtime
from tessera.web.templating import error_page, render

log = logging.getLogger("tessera.authorize")

PAGES = {Prompt.LOGIN: "/u/login", Prompt.CONSENT: "/u/consent"}


def respond(request: Request, answer: AuthorizationAnswer) -> Response:
    """Send the person to the page they must see, or deliver the client's answer."""
    if isinstance(answer, NeedsPage):
        return redirect(request, interaction_url(PAGES[answer.page], answer.interaction_id))
    if isinstance(answer, RefusedToClient):
        _log_refusal(request, answer.error)
    elif not isinstance(answer, CodeIssued):
        raise TypeError(f"no way to deliver {answer!r}")
    return deliver(request, answer.response)


def interaction_url(page: str, interaction_id: str) -> str:
    return f"{page}?{urlencode({'interaction': interaction_id})}"


def redirect(request: Request, url: str) -> RedirectResponse:
    """302 after a GET; 303 after a POST, so the browser follows with a GET and never
    resends a form (RFC 9700 4.12)."""
    return RedirectResponse(url, status_code=303 if request.method == "POST" else 302)


def deliver(request: Request, response: AuthorizationResponse) -> Response:
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


def refuse(request: Request, err: OAuthError) -> Response:
    """Show the error to the person (core decided it may not go to the client)."""
    _log_refusal(request, err)
    return error_page(runtime(request).templates, err, getattr(request.state, "request_id", None))


def _log_refusal(request: Request, err: OAuthError) -> None:
    request_id = getattr(request.state, "request_id", None)
    log.info(
        "%s refused: %s (%s) request_id=%s", request.url.path, err.error, err.detail, request_id
    )
