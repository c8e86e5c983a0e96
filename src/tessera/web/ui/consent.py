"""/u/consent: the person allows or denies what the client asks for.

The page names the client, the API and each scope with its description. Allow remembers
the consent (per person, client, audience; scopes accumulate) and issues the code; Deny
sends access_denied to the client. The form carries the session's public id, so a
sign-in as someone else in another tab cannot turn into consent by the wrong person.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.approval import deny_consent, grant_consent
from tessera.core.authorize import AuthorizationRequest, ResponseTarget
from tessera.core.errors import OAuthError
from tessera.core.models import OIDC_SCOPES, Session, User
from tessera.core.pending import PendingRequest, finish, load_pending
from tessera.web.authorization import (
    approve,
    hint_verifier,
    interaction_url,
    redirect,
    refuse,
    signed_in_session,
)
from tessera.web.pages import read_page_form, render_form_page
from tessera.web.runtime import runtime


async def consent_page(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        hints = await hint_verifier(request)
        async with rt.store.transaction() as tx:
            interaction_id = request.query_params.get("interaction")
            pending = await load_pending(tx, interaction_id, now, hints)
            session = await signed_in_session(request, tx, pending, now)
            if session is None:
                return redirect(request, interaction_url("/u/login", pending.interaction_id))
            user = await tx.users.get(session.user_id)
    except OAuthError as err:
        return refuse(request, err, None)
    return consent_form(request, pending, session, user)


async def submit_consent(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    target: ResponseTarget | None = None
    try:
        form = await read_page_form(request)
        hints = await hint_verifier(request)
        async with rt.store.transaction() as tx:
            pending = await load_pending(tx, form.get("interaction"), now, hints)
            target = pending.request.target
            session = await signed_in_session(request, tx, pending, now)
            if session is None or form.get("sid") != session.sid:
                return redirect(request, interaction_url("/u/consent", pending.interaction_id))
            await finish(tx, pending)
            if form.get("decision") == "allow":
                await grant_consent(tx, pending.request, session.user_id, now)
                return await approve(request, tx, pending.request, session, now=now)
            await deny_consent(tx, pending.request, session.user_id, now)
    except OAuthError as err:
        return refuse(request, err, target)


def consent_form(
    request: Request, pending: PendingRequest, session: Session, user: User | None
) -> Response:
    auth = pending.request
    return render_form_page(
        request,
        "consent.html",
        {
            "client_name": auth.client.name,
            "scopes": describe_scopes(auth),
            "user": user,
            "sid": session.sid,
            "interaction": pending.interaction_id,
            "switch_account": interaction_url("/u/login", pending.interaction_id),
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
