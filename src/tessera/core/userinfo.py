"""The UserInfo endpoint's answer: OIDC Core 5.3 (claims by granted scope, 5.4).

The access token must carry `openid`; tessera only adds the userinfo URL to `aud`
when it does, so the scope check covers the audience too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tessera.core.access_tokens import RevocationListRepos, verify_access_token
from tessera.core.errors import InsufficientScopeError, InvalidTokenError
from tessera.core.models import Timestamp
from tessera.core.ports import Transactions, UserRepo
from tessera.core.tokens import Claims, build_profile_claims
from tessera.crypto.jws import JWSVerifier

USERINFO_SCOPE = "openid"


class UserinfoRepos(RevocationListRepos, Protocol):
    """What userinfo reads: whether the token is live, then its user."""

    @property
    def users(self) -> UserRepo: ...


@dataclass(frozen=True, slots=True)
class Userinfo:
    """The claims, and the client the access token was issued to (whose web origins
    may read them)."""

    claims: Claims
    client_id: str


async def answer_userinfo_request(
    store: Transactions[UserinfoRepos],
    token: str,
    *,
    keys: JWSVerifier,
    issuer: str,
    now: Timestamp,
) -> Userinfo:
    """`build_userinfo` in a transaction that only reads.

    Raises:
        InvalidTokenError, InsufficientScopeError: see build_userinfo.
    """
    async with store.read_transaction() as tx:
        return await build_userinfo(token, keys, issuer=issuer, now=now, repos=tx)


async def build_userinfo(
    token: str, keys: JWSVerifier, *, issuer: str, now: Timestamp, repos: UserinfoRepos
) -> Userinfo:
    """`sub` and the profile/email claims the token's scope releases.

    Raises:
        InvalidTokenError: the token is invalid, expired or revoked, or its user is gone.
        InsufficientScopeError: the token lacks `openid`.
    """
    access = await verify_access_token(token, keys, issuer=issuer, now=now, repos=repos)
    if USERINFO_SCOPE not in access.scope:
        raise InsufficientScopeError(detail="userinfo needs the openid scope")
    user = await repos.users.get(access.subject)
    if user is None:
        raise InvalidTokenError(detail="the user of the token no longer exists")
    claims = {"sub": user.id, **build_profile_claims(user, access.scope)}
    return Userinfo(claims, access.client_id)
