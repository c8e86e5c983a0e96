"""What core needs from storage, as Protocols; the docstrings are the contract.

`store` implements every repository with plain SQL, inside a transaction a use case
opened through `Transactions`; no repository commits or rolls back. One-time use and
rotation are single conditional statements, so they are exactly-once even across
processes and nodes. Each use case declares, beside itself, the few repositories it
touches as a Protocol of its own (`store.SQLRepos` fits them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from tessera.core.audit_events import Event
from tessera.core.models import (
    Api,
    AuditEvent,
    AuditQuery,
    Client,
    Consent,
    Factor,
    Grant,
    KeySwitch,
    RefreshToken,
    Session,
    StoredKey,
    Timestamp,
    User,
    WindowCount,
)
from tessera.crypto.keys import Algorithm


class CodeReusedError(Exception):
    """The authorization code was already redeemed; carries the grant so it can be revoked."""

    def __init__(self, grant: Grant) -> None:
        super().__init__(f"code of grant {grant.id} reused")
        self.grant = grant


class UnknownCodeError(Exception):
    """No grant has this code, or the code has expired."""


class RefreshReusedError(Exception):
    """The refresh token was already rotated; carries it (with `rotated_at`) for the caller."""

    def __init__(self, token: RefreshToken) -> None:
        super().__init__(f"refresh token of grant {token.grant_id} reused")
        self.token = token


class UnknownRefreshTokenError(Exception):
    """No such refresh token, or it has expired."""


class ForeignRefreshTokenError(Exception):
    """The refresh token is of another client's grant; carries it and that client's id."""

    def __init__(self, token: RefreshToken, owner: str) -> None:
        super().__init__(f"refresh token of grant {token.grant_id} presented by another client")
        self.token = token
        self.owner = owner


class ClientRepo(Protocol):
    async def get(self, client_id: str) -> Client | None:
        """The client with its API access (`apis`, `resource_server_for`), or None."""

    async def add(self, client: Client) -> None:
        """Insert a client with its API access.

        Raises:
            DuplicateError: the id exists.
            UnknownAPIError: `apis` or `resource_server_for` names an API that does not
                exist (nothing of the client is then kept: the caller rolls back).
        """

    async def update(self, client: Client) -> bool:
        """Write every field of the client with this id but its creation time, its web
        origins and API access included; False if there is none. Raises UnknownAPIError
        (store) when it names an API that does not exist."""

    async def is_allowed_anywhere(self, origin: str) -> bool:
        """True if some client allows this web origin (core.web_origins), found in one
        indexed lookup whatever the number of clients."""

    async def list(self) -> Sequence[Client]:
        """All clients with their API access, oldest first."""

    async def page(self, after: tuple[int, str] | None, limit: int) -> Sequence[Client]:
        """At most `limit` clients after the (created_at, client_id) key `after` (None:
        from the first), oldest first, with their API access."""

    async def delete(self, client_id: str) -> bool:
        """Delete a client and (by cascade) its grants, consents and API access; False
        if absent."""


class UserRepo(Protocol):
    async def get(self, user_id: str) -> User | None:
        """The user with this subject id, or None."""

    async def find_by_login(self, login: str) -> User | None:
        """The user whose username or email equals `login`, case-insensitively."""

    async def add(self, user: User) -> None:
        """Insert a user. Raises DuplicateError if the username or email is taken."""

    async def list(self) -> Sequence[User]:
        """All users, oldest first."""

    async def page(
        self, after: tuple[int, str] | None, limit: int, *, search: str | None = None
    ) -> Sequence[User]:
        """At most `limit` users after the (created_at, id) key `after` (None: from the
        first), oldest first; with `search`, only those whose username or email starts
        with it, case-insensitively."""

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace a password hash (rehash on login, or an operator's new password)."""

    async def update_profile(self, user: User) -> bool:
        """Store the user's email, email_verified and name; False if there is no such
        user. Raises DuplicateError if the email is another user's."""

    async def set_disabled(self, user_id: str, disabled_at: Timestamp | None) -> bool:
        """Disable the user from `disabled_at`, or enable them (None); False if there is
        no such user."""

    async def delete(self, user_id: str) -> bool:
        """Delete the user with their sessions, grants (and so their refresh tokens) and
        consents; False if there was no such user."""


class ApiRepo(Protocol):
    async def get_by_identifier(self, identifier: str) -> Api | None:
        """The API whose identifier (audience) is exactly `identifier`, or None."""

    async def get(self, api_id: str) -> Api | None:
        """The API with this id (not its identifier), or None."""

    async def add(self, api: Api) -> None:
        """Insert an API. Raises DuplicateError if the identifier exists."""

    async def list(self) -> Sequence[Api]:
        """All APIs, oldest first."""

    async def page(self, after: tuple[int, str] | None, limit: int) -> Sequence[Api]:
        """At most `limit` APIs after the (created_at, id) key `after` (None: from the
        first), oldest first."""

    async def update(self, api: Api) -> bool:
        """Write the name, scopes, access token lifetime and signing algorithm of the API
        with this identifier; False if there is none."""

    async def delete(self, identifier: str) -> bool:
        """Delete an API and (by cascade) every client's access to it; False if absent.
        What users granted for it is the caller's to revoke (core.api_deletion)."""


class KeyRepo(Protocol):
    """Signing keys. Every state change is one conditional statement, so that when
    several nodes attempt the same change, exactly one makes it and learns so from the
    return value; the others get None, False, 0 or nothing."""

    async def list(self, *, include_retired: bool = False) -> Sequence[StoredKey]:
        """Keys, newest first; retired ones only when asked."""

    async def add(self, key: StoredKey) -> bool:
        """Insert a key as it is; False (nothing written) if its algorithm already has a
        key in that state (`current` or `next`): another node added one first."""

    async def activate_due(
        self, alg: Algorithm, now: Timestamp, retires_at: Timestamp
    ) -> KeySwitch | None:
        """Make the next key of `alg` current if its `activates_at` is at or before
        `now`; the current key becomes `published` until `retires_at`. None if no next
        key is due (or another node switched first)."""

    async def stop_signing(self, alg: Algorithm, retires_at: Timestamp) -> StoredKey | None:
        """Make the current key of `alg` `published` until `retires_at`; None if none."""

    async def date_retirements(self, retires_at: Timestamp) -> int:
        """Give published keys without a retirement time (rotated out before keys had
        one) `retires_at`; how many there were."""

    async def retire_due(self, now: Timestamp) -> Sequence[StoredKey]:
        """Retire the published keys whose `retires_at` is at or before `now`."""

    async def retire(self, kid: str, now: Timestamp) -> StoredKey | None:
        """Stop publishing a published or next key; None if absent, current or already
        retired."""


class GrantRepo(Protocol):
    async def add(self, grant: Grant, code_hash: bytes) -> None:
        """Insert a grant with the digest of its authorization code."""

    async def consume_code(self, code_hash: bytes, now: Timestamp) -> Grant:
        """Mark the code redeemed and return its grant, in one atomic statement.

        Raises:
            CodeReusedError: the code was redeemed before (carries the grant).
            UnknownCodeError: no such code, or it expired at or before `now`.
        """

    async def get(self, grant_id: str) -> Grant | None:
        """The grant, revoked or not, or None."""

    async def revoke(self, grant_id: str, now: Timestamp) -> None:
        """Mark the grant revoked at `now` (an already revoked one keeps its time); its
        rows and its tokens' rows stay. Readers treat a revoked grant's refresh and
        access tokens as inactive (core.grants.refresh_token, core.access_tokens)."""

    async def revoke_for_audience(self, audience: str, now: Timestamp) -> int:
        """Revoke every unrevoked grant for this audience, in one statement; how many."""

    async def revoke_for_user(
        self, user_id: str, now: Timestamp, *, client_id: str | None = None
    ) -> int:
        """Revoke every unrevoked grant of the user (to one client, if named), in one
        statement; how many."""


class RefreshTokenRepo(Protocol):
    async def add(self, token: RefreshToken) -> None:
        """Insert a refresh token."""

    async def get(self, token_hash: bytes) -> RefreshToken | None:
        """The token, rotated or expired or not, or None (revocation, introspection)."""

    async def rotate(self, token_hash: bytes, client_id: str, now: Timestamp) -> RefreshToken:
        """Mark the token rotated and return it, in one atomic statement that matches only
        a token of a grant of `client_id`: another client's token is left as it was.

        Raises:
            ForeignRefreshTokenError: the token is of another client's grant, whether
                live, rotated or expired; it is left as it was.
            RefreshReusedError: it was rotated before (carries the token with rotated_at).
            UnknownRefreshTokenError: no such token, or it expired at or before `now`.
        """

    async def revoke_unrotated(self, grant_id: str, now: Timestamp) -> None:
        """Mark every live token of the grant rotated (the grace window's lost successor)."""


class AccessTokenRevocationRepo(Protocol):
    async def revoke(self, jti: str, expires_at: Timestamp) -> None:
        """Add an access token id to the revocation list (idempotent)."""

    async def is_revoked(self, jti: str) -> bool:
        """True if the access token id is on the revocation list."""


class SessionRepo(Protocol):
    async def add(self, id_hash: bytes, session: Session) -> None:
        """Insert a session under the digest of its cookie value."""

    async def get(self, id_hash: bytes, now: Timestamp) -> Session | None:
        """The unexpired session with this cookie digest, or None."""

    async def delete(self, sid: str) -> None:
        """End a session (logout)."""

    async def delete_for_user(self, user_id: str) -> int:
        """End every session of the user; how many there were."""

    async def list_for_user(self, user_id: str, now: Timestamp) -> Sequence[Session]:
        """The user's unexpired sessions, newest first."""


class FactorRepo(Protocol):
    """Second factors and recovery codes (core.mfa)."""

    async def add(self, factor: Factor) -> None:
        """Insert a factor."""

    async def list_for_user(self, user_id: str) -> Sequence[Factor]:
        """The user's factors, oldest first."""

    async def use_step(self, factor_id: str, step: int) -> bool:
        """Record that the TOTP code of time step `step` was used, in one conditional
        UPDATE that succeeds only if `step` is later than the last one used: False when
        it is not (a replay, or a parallel request that used it first)."""

    async def confirm(self, factor_id: str, step: int, now: Timestamp) -> bool:
        """Confirm an enrolment with the step of its first code, in one conditional
        UPDATE; False if it is gone or was confirmed already."""

    async def delete_unconfirmed(self, user_id: str) -> int:
        """Delete the user's enrolments that were never confirmed; how many."""

    async def delete_for_user(self, user_id: str) -> int:
        """Delete every factor and recovery code of the user; how many factors."""

    async def replace_recovery_codes(
        self, user_id: str, digests: Sequence[bytes], now: Timestamp
    ) -> None:
        """Store these recovery code digests as the user's only ones."""

    async def use_recovery_code(self, user_id: str, code_digest: bytes, now: Timestamp) -> bool:
        """Spend the user's unused recovery code with this digest, in one conditional
        UPDATE; False if there is none (unknown, or used already)."""

    async def count_recovery_codes(self, user_id: str) -> int:
        """How many unused recovery codes the user has."""


class ConsentRepo(Protocol):
    async def get(self, user_id: str, client_id: str, audience: str) -> Consent | None:
        """What the user has granted this client for this audience ('' for none)."""

    async def grant(self, consent: Consent) -> None:
        """Remember consent, adding its scopes to any already granted."""

    async def delete_for_audience(self, audience: str) -> int:
        """Forget every consent given for this audience; how many there were."""

    async def list_for_user(self, user_id: str) -> Sequence[Consent]:
        """Every consent the user has given, by client and audience."""

    async def delete_for_client(self, user_id: str, client_id: str) -> int:
        """Forget what the user consented to for this client (every audience); how many."""


class InteractionRepo(Protocol):
    async def add(
        self, id_hash: bytes, payload: str, created_at: Timestamp, expires_at: Timestamp
    ) -> None:
        """Park a validated authorization request while the user signs in or consents."""

    async def get(self, id_hash: bytes, now: Timestamp) -> str | None:
        """The payload of an unexpired interaction, or None."""

    async def update(self, id_hash: bytes, payload: str) -> bool:
        """Replace an interaction's payload (a step of the sign-in done); False if it is
        gone."""

    async def delete(self, id_hash: bytes) -> bool:
        """Finish an interaction so it cannot be replayed; True if this call removed it.

        One statement: of two concurrent calls for the same id, exactly one gets True.
        """


class ThrottleRepo(Protocol):
    async def blocked_until(self, key: str) -> Timestamp:
        """When the key is unblocked (0 if it never was)."""

    async def count_each(
        self, keys: Sequence[str], now: Timestamp, window: int
    ) -> Sequence[WindowCount]:
        """Count one event on every key, in one statement; each key's count in its
        current window and the start of that window, in no particular order.

        Windows are fixed: the first event after `window` seconds starts a new one at 1.
        One statement, so concurrent events on several nodes are all counted. Rows are
        locked in sorted key order, so concurrent callers cannot deadlock.
        """

    async def block(self, key: str, until: Timestamp) -> None:
        """Refuse a counted key until `until`; an existing longer block is kept."""

    async def reset(self, key: str) -> None:
        """Forget the key's count (a successful login clears its account counter)."""

    async def reset_matching(self, prefix: str, suffix: str) -> int:
        """Forget every key that starts with `prefix` and ends with `suffix` (neither
        holds `%` or `_`), counts and blocks alike; how many keys there were."""

    async def mark_refused(self, key: str, until: Timestamp) -> bool:
        """Note that the key's block ending at `until` has refused an event; True only
        for the first such note of that block.

        One conditional statement, so of concurrent callers on any node exactly one
        gets True (and reports the block once).
        """

    async def refund(
        self, key: str, window_started_at: Timestamp, blocked_until: Timestamp
    ) -> None:
        """Take back one event counted in the window that started at `window_started_at`
        (none if a new window has started since), and the block until `blocked_until`
        it caused (0: none) unless another event has set a different one since."""

    async def lease(self, key: str, now: Timestamp, until: Timestamp) -> bool:
        """Take the lease `key` until `until` unless another holder's is still running;
        True when taken.

        One conditional upsert, so of concurrent callers on any node exactly one gets
        True. A lease nobody releases (its process died) ends by itself at `until`.
        """

    async def release(self, key: str, until: Timestamp) -> None:
        """Give back the lease taken until `until`; a lease taken by someone else after
        it ended is left alone."""


class AuditRepo(Protocol):
    async def record(
        self,
        event: Event,
        now: Timestamp,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> None:
        """Append an audit event. Never pass a secret in `detail`."""

    async def tail(self, limit: int) -> Sequence[AuditEvent]:
        """The last `limit` events, oldest first."""

    async def query(self, query: AuditQuery, after: int | None, limit: int) -> Sequence[AuditEvent]:
        """At most `limit` events that match `query` with an id above `after` (None:
        from the first), oldest first."""


R = TypeVar("R", covariant=True)


class Steps(Protocol[R]):
    """Steps of one request that must not hold each other's locks where writers run in
    parallel, and gain nothing from being apart where one writer runs at a time.

    Each step is atomic: one that raises undoes its own writes and nothing else, and a
    step that ended stays done whatever happens after it, even when the request then
    fails. Steps run one after another, never inside each other.
    """

    def step(self, *, read_only: bool = False) -> AbstractAsyncContextManager[R]:
        """`async with steps.step() as tx`: the repositories of this step. A `read_only`
        step must not write (on PostgreSQL a write in it fails)."""
        ...


class Transactions(Protocol[R]):
    """How a use case opens transactions, each handing it the repositories `R`.

    A transaction commits when its block ends normally and rolls back when it ends in
    an exception, any exception. A refusal whose writes must outlive it is returned
    from the block, not raised (core.outcomes).
    """

    def transaction(self) -> AbstractAsyncContextManager[R]:
        """A read-write transaction."""
        ...

    def read_transaction(self) -> AbstractAsyncContextManager[R]:
        """A transaction that only reads: it takes no write lock (on SQLite, readers
        never queue behind the writer); a write in it fails on PostgreSQL."""
        ...

    def steps(self) -> AbstractAsyncContextManager[Steps[R]]:
        """`async with store.steps() as steps`: on PostgreSQL a transaction per step, so
        that one step's row locks end with it; on SQLite, whose single writer would make
        the next step wait for that commit anyway, one transaction for all of them."""
        ...
