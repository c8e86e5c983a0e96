"""Does an authorization request need the person: to sign in, to consent, or neither?

The policy is a short list of named checks, and the login and consent pages only carry
out what it decides. Login comes first: with no session there is nobody to ask for
consent. OIDC Core 3.1.2.1 for `prompt`, `max_age` and `id_token_hint`; under
`prompt=none` a needed interaction becomes the error the client asked for
(login_required, consent_required) instead of a page. RFC 8252 8.6 for native apps,
whose consent is never taken as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.core.authorize import AuthorizationRequest
from tessera.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
    UnmetAuthenticationRequirementsError,
)
from tessera.core.models import AMR, Consent, Prompt, Session, Timestamp
from tessera.core.redirect_uri import is_native_redirect_uri


@dataclass(frozen=True, slots=True)
class Interaction:
    """What to ask the person (LOGIN or CONSENT), and the check that asked for it."""

    prompt: Prompt
    reason: str


def login_reason(
    request: AuthorizationRequest,
    session: Session | None,
    *,
    now: Timestamp,
    login_sid: str | None = None,
) -> str | None:
    """Why the person must sign in, or None.

    A request whose id_token_hint names someone else than the signed-in person asks for
    a sign-in, even right after one: the code must not go to another person than the
    client asked about (OIDC Core 3.1.2.2). `login_sid` is the session signed in while
    handling this very request: it satisfies `prompt=login` and `max_age`, which would
    otherwise ask again and again.
    """
    if session is None:
        return "no_session"
    hint = request.id_token_hint
    if hint is not None and hint.subject != session.user_id:
        return "id_token_hint_names_another_user"
    if session.sid == login_sid:
        return None
    if request.wants_two_factors and AMR.MFA not in session.amr:
        return "acr_values"
    if Prompt.LOGIN in request.prompt:
        return "prompt_login"
    # OIDC Core 3.1.2.1: re-authenticate when more than max_age seconds have passed;
    # "max_age=0 is equivalent to prompt=login", even within the same second.
    max_age = request.max_age
    if max_age is not None and (max_age == 0 or now - session.auth_time > max_age):
        return "max_age"
    return None


def verify_authentication(request: AuthorizationRequest, session: Session) -> None:
    """Check that the sign-in just made for the request is what it asked for.

    Raises:
        UnmetAuthenticationRequirementsError: two factors were asked (`acr_values`) and
            the person signed in with one, as under `TESSERA_MFA=off`.
    """
    if request.wants_two_factors and AMR.MFA not in session.amr:
        raise UnmetAuthenticationRequirementsError(detail="acr_values asked for two factors")


def consent_reason(request: AuthorizationRequest, consent: Consent | None) -> str | None:
    """Why the person must consent, or None.

    A public client answered on a loopback or private-use-scheme URI asks every time,
    even a first-party one: any app on the device can send its client_id and receive
    that redirect, so neither an earlier consent nor the operator's trust in the real
    app says who is asking now. Other first-party clients are the operator's own apps
    and never ask. Otherwise a remembered consent for this client and audience must
    cover every requested scope.
    """
    # RFC 8252 8.6: "unless the identity of the client can be proven, the request SHOULD
    # be processed as if no previous request had been approved."
    if request.client.is_public and is_native_redirect_uri(request.target.redirect_uri):
        return "native_client"
    if request.client.first_party:
        return None
    if Prompt.CONSENT in request.prompt:
        return "prompt_consent"
    if consent is None or not consent.scope.issuperset(request.scope):
        return "scope_not_granted"
    return None


def required_interaction(
    request: AuthorizationRequest,
    session: Session | None,
    consent: Consent | None,
    *,
    now: Timestamp,
    login_sid: str | None = None,
) -> Interaction | None:
    """The interaction the request needs next, or None when a code can be issued.

    Raises:
        LoginRequiredError: prompt=none and the person must sign in.
        ConsentRequiredError: prompt=none and the person must consent.
        UnmetAuthenticationRequirementsError: see `verify_authentication`.
    """
    silent = Prompt.NONE in request.prompt
    if session is not None and session.sid == login_sid:
        verify_authentication(request, session)
    reason = login_reason(request, session, now=now, login_sid=login_sid)
    if reason is not None:
        if silent:
            raise LoginRequiredError(detail=reason)
        return Interaction(Prompt.LOGIN, reason)
    reason = consent_reason(request, consent)
    if reason is not None:
        if silent:
            raise ConsentRequiredError(detail=reason)
        return Interaction(Prompt.CONSENT, reason)
    return None
