"""Signed-in browsers: server-side sessions behind a random cookie value.

Only the digest of the cookie value is stored. `sid` is the public id (ID token `sid`,
logout). A login always starts a new session and ends the one the browser had, so a
session id planted before login is worthless after it (session fixation, OWASP).
"""

from __future__ import annotations

from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.models import AMR, PASSWORD_ONLY, Session, Timestamp, User
from tessera.core.ports import AuditRepo, SessionRepo
from tessera.crypto.tokens import SecretKind, digest, new_id, new_secret

MAX_COOKIE_LENGTH = 64


class EndSessionRepos(Protocol):
    """What ending a session touches: it, and the audit log."""

    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


async def load_session(sessions: SessionRepo, cookie: str | None, now: Timestamp) -> Session | None:
    """The live session a cookie value names, or None."""
    if not cookie or len(cookie) > MAX_COOKIE_LENGTH:
        return None
    if not cookie.startswith(SecretKind.SESSION.value):
        return None
    return await sessions.get(digest(cookie), now)


async def start_session(
    sessions: SessionRepo,
    user: User,
    *,
    now: Timestamp,
    lifetime: int,
    replacing: Session | None,
    amr: tuple[AMR, ...] = PASSWORD_ONLY,
) -> tuple[str, Session]:
    """A new session for a person who just signed in by the methods `amr`; the cookie
    value and the session."""
    if replacing is not None:
        await sessions.delete(replacing.sid)
    cookie = new_secret(SecretKind.SESSION)
    session = Session(
        sid=new_id(),
        user_id=user.id,
        auth_time=now,
        created_at=now,
        expires_at=now + lifetime,
        amr=amr,
    )
    await sessions.add(digest(cookie), session)
    return cookie, session


async def end_session(
    repos: EndSessionRepos, session: Session, *, now: Timestamp, client_id: str | None
) -> None:
    """Sign the browser out (RP-initiated or at the person's request), audited."""
    await repos.sessions.delete(session.sid)
    await repos.audit.record(
        Event.LOGOUT, now, user_id=session.user_id, client_id=client_id, detail={"sid": session.sid}
    )
