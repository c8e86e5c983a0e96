"""The token endpoint's use case (RFC 6749 3.2): authenticate the client, count the
request, run the grant.

The two are steps (core.ports.Steps): the rate-limit counters' rows must not stay
locked while the grant signs tokens, for another request of the same client or address
would wait on it. A step's writes are kept whatever the next one does, so a request the
grant refuses is still counted.
"""

from __future__ import annotations

from typing import Protocol

from tessera.core.client_auth import ClientRequest
from tessera.core.grants import TokenRequest, exchange, parse_grant_type
from tessera.core.grants.base import GrantRepos
from tessera.core.keyring import KeyRing
from tessera.core.models import Timestamp
from tessera.core.outcomes import settle
from tessera.core.ports import Transactions
from tessera.core.rate_limits import AdmissionRepos, RateLimits, authenticate_and_count
from tessera.core.tokens import TokenPolicy, TokenResponse


class TokenEndpointRepos(AdmissionRepos, GrantRepos, Protocol):
    """What a token request touches: the client and the counters, then the grant's."""


async def answer_token_request(
    store: Transactions[TokenEndpointRepos],
    request: ClientRequest,
    *,
    keyring: KeyRing,
    tokens: TokenPolicy,
    limits: RateLimits,
    now: Timestamp,
) -> TokenResponse:
    """The tokens the grant issues to the authenticated client.

    Raises:
        InvalidRequestError, UnsupportedGrantTypeError: no or an unknown grant_type
            (nothing is counted).
        SlowDownError, InvalidClientError: see `authenticate_and_count`.
        OAuthError: whatever the grant refuses (core.grants), once what it must keep of
            the refusal is committed.
    """
    grant_type = parse_grant_type(request.params)
    async with store.steps() as steps:
        client = await authenticate_and_count(steps, request, limits, now)
        async with steps.step() as tx:
            issued = await exchange(
                grant_type,
                TokenRequest(
                    client=client,
                    params=request.params,
                    now=now,
                    repos=tx,
                    keyring=keyring,
                    policy=tokens,
                    client_ip=request.client_ip,
                ),
            )
    return settle(issued)
