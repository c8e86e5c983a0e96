"""/u/consent: the page where the person allows or denies what the client asks for
(core.authorization.consent).

The page names the client, the API and each scope with its description, and carries
the session's public id, which core checks against the session signed in for the
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization.consent import (
    ConsentDecision,
    ConsentForm,
    decide_consent,
    show_consent,
)
from tessera.core.authorize import AuthorizationRequest
from tessera.core.errors import OAuthError
from tessera.core.models import OIDC_SCOPES
from tessera.web.authorization import interaction_url, refuse, respond
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime


async def consent_page(request: Request) -> Response:
    rt = runtime(request)
    try:
        shown = await show_consent(
            rt.store,
            request.query_params.get("interaction"),
            session_cookie=read_cookie(request, SESSION, rt.settings),
            hints=await rt.hint_verifier(),
            now=rt.now(),
        )
    except OAuthError as err:
        return refuse(request, err)
    if isinstance(shown, ConsentForm):
        return consent_form(request, shown)
    return respond(request, shown)


async def submit_consent(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        form = await read_page_form(request)
        answer = await decide_consent(
            rt.store,
            ConsentDecision(
                interaction_id=form.get("interaction"),
                sid=form.get("sid"),
                allow=form.get("decision") == "allow",
                session_cookie=read_cookie(request, SESSION, rt.settings),
            ),
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            now=now,
        )
    except OAuthError as err:
        return refuse(request, err)
    return respond(request, answer)


def consent_form(request: Request, shown: ConsentForm) -> Response:
    auth = shown.pending.request
    interaction_id = shown.pending.interaction_id
    return render_form_page(
        request,
        "consent.html",
        {
            "client_name": auth.client.name,
            "scopes": describe_scopes(auth),
            "user": shown.user,
            "sid": shown.session.sid,
            "interaction": interaction_id,
            "switch_account": interaction_url("/u/login", interaction_id),
            "redirect_host": redirect_host(auth.target.redirect_uri),
        },
        leads_to=auth.target.redirect_uri,
    )


@dataclass(frozen=True, slots=True)
class ScopeGroup:
    """Permissions shown under one heading: the person's account, or one API."""

    title: str
    items: list[tuple[str, str]]


def describe_scopes(auth: AuthorizationRequest) -> list[ScopeGroup]:
    """Each requested scope with the sentence a person reads for it, grouped."""
    identity = [(name, OIDC_SCOPES[name]) for name in auth.scope if name in OIDC_SCOPES]
    groups = [ScopeGroup("Your account", identity)] if identity else []
    if auth.api is not None:
        defined = {scope.name: scope.description for scope in auth.api.scopes}
        items = [
            (name, defined[name] or name)
            for name in auth.scope
            if name in defined.keys() - OIDC_SCOPES.keys()
        ]
        generic = (auth.api.identifier, f"Use {auth.api.name} on your behalf")
        groups.append(ScopeGroup(auth.api.name, items or [generic]))
    return groups


def redirect_host(uri: str) -> str:
    """Where Allow or Deny sends the person, as they would recognise it."""
    parts = urlsplit(uri)
    return parts.netloc or f"{parts.scheme}:"
