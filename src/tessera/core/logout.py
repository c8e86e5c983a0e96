"""RP-initiated logout: OpenID Connect RP-Initiated Logout 1.0, sections 2 and 3.

The client is known from the `id_token_hint` (its `aud`) or from `client_id`; a
`post_logout_redirect_uri` is followed only when that client registered exactly that
URI, so the endpoint is never an open redirect. The hint is read as at /authorize
(core.id_token_hint), expired ones included. Anyone can make a browser send a logout
request, so the person is asked to confirm unless the hint names their own session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from tessera.core.errors import InvalidRequestError
from tessera.core.id_token_hint import HintVerifier, IdTokenHint
from tessera.core.models import Client, Session, Timestamp
from tessera.core.ports import ClientRepo, Transactions
from tessera.core.redirect_uri import add_query
from tessera.core.sessions import EndSessionRepos, end_session, load_session


@dataclass(frozen=True, slots=True, kw_only=True)
class LogoutRequest:
    client: Client | None = None
    redirect_uri: str | None = None
    state: str | None = None
    hint: IdTokenHint | None = None

    def location(self) -> str | None:
        """Where to send the browser once signed out (with `state`), or None."""
        if self.redirect_uri is None:
            return None
        return add_query(self.redirect_uri, [("state", self.state)] if self.state else [])


@dataclass(frozen=True, slots=True)
class ConfirmLogout:
    """The person must confirm first: nothing in the request proves it comes from an
    app that knows their session."""

    request: LogoutRequest


@dataclass(frozen=True, slots=True)
class SignedOut:
    """The browser is signed out (it may not have been signed in); `request` says where
    it goes next."""

    request: LogoutRequest


class LogoutRepos(EndSessionRepos, Protocol):
    """What logging out touches: the client named, the session, and the audit log."""

    @property
    def clients(self) -> ClientRepo: ...


async def answer_logout_request(
    store: Transactions[LogoutRepos],
    params: Mapping[str, str],
    *,
    confirmed: bool,
    session_cookie: str | None,
    hints: HintVerifier,
    now: Timestamp,
) -> ConfirmLogout | SignedOut:
    """End the browser's session once the person confirmed (`confirmed`, on our page)
    or the hint names it.

    Raises:
        InvalidRequestError: see parse_logout_request.
    """
    async with store.transaction() as tx:
        request = await parse_logout_request(params, tx.clients, hints, now=now)
        session = await load_session(tx.sessions, session_cookie, now)
        if session is None:
            return SignedOut(request)
        if not (confirmed or is_confirmed_by_hint(request, session)):
            return ConfirmLogout(request)
        client_id = request.client.client_id if request.client else None
        await end_session(tx, session, now=now, client_id=client_id)
    return SignedOut(request)


async def parse_logout_request(
    params: Mapping[str, str],
    clients: ClientRepo,
    hints: HintVerifier,
    *,
    now: Timestamp,
) -> LogoutRequest:
    """Validate a logout request; its errors are shown as a page, never redirected.

    Raises:
        InvalidRequestError: a hint tessera did not sign, a client_id that contradicts
            it or is unknown, or a post_logout_redirect_uri not registered for the client.
    """
    token = params.get("id_token_hint")
    hint = hints.verify(token, now) if token is not None else None
    hinted = hint.client_id if hint else None
    client_id = params.get("client_id")
    if client_id and hinted and client_id != hinted:
        raise InvalidRequestError("client_id does not match the id_token_hint.")
    client_id = client_id or hinted
    client = await clients.get(client_id) if client_id else None
    if client_id and client is None:
        raise InvalidRequestError("The client is unknown.")
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None:
        if client is None:
            raise InvalidRequestError("post_logout_redirect_uri needs id_token_hint or client_id.")
        if redirect_uri not in client.post_logout_redirect_uris:
            raise InvalidRequestError("post_logout_redirect_uri is not registered for the client.")
    return LogoutRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=params.get("state"),
        hint=hint,
    )


def is_confirmed_by_hint(request: LogoutRequest, session: Session | None) -> bool:
    """True when the hint names the browser's own session: the client then proves it
    knows the person, and they are signed out without being asked again."""
    hint = request.hint
    if session is None or hint is None or hint.subject != session.user_id:
        return False
    return hint.sid is None or hint.sid == session.sid
