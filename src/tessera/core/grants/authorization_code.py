"""The authorization code grant at the token endpoint: RFC 6749 4.1.3 with PKCE (RFC 7636 4.6).

The code is consumed first, in one atomic statement, and only then checked against the
client, the redirect URI and the verifier: a refusal after the consumption keeps it
(it is returned as `Refused`, core.outcomes), so a stolen code cannot be tried twice.
A code presented again is refused, and its grant (every token it produced) is revoked:
RFC 6749 4.1.2, "If an authorization code is used more than once, the authorization
server MUST deny the request and SHOULD revoke (when possible) all tokens previously
issued based on that authorization code."
"""

from __future__ import annotations

from tessera.core.audit_events import Event
from tessera.core.errors import InvalidGrantError
from tessera.core.grants.base import TokenRequest, issue_user_tokens, revoke_family
from tessera.core.models import Client, Grant
from tessera.core.outcomes import Refused
from tessera.core.params import require
from tessera.core.pkce import verify_code_verifier
from tessera.core.ports import CodeReusedError, UnknownCodeError
from tessera.core.tokens import TokenResponse
from tessera.crypto.tokens import digest


async def exchange(request: TokenRequest) -> TokenResponse | Refused:
    """Redeem a code for tokens.

    Raises:
        InvalidRequestError: code, redirect_uri or code_verifier is missing.
        InvalidGrantError: unknown or expired code.

    Refused (the code stays spent; a reused one's grant is revoked):
        InvalidGrantError: a reused code, another client's code, a different redirect
            URI, a verifier that does not match the challenge, a grant whose user or
            API is gone.
    """
    code = require(request.params, "code")
    redirect_uri = require(request.params, "redirect_uri")
    verifier = require(request.params, "code_verifier")
    grant = await _consume(request, code)
    if isinstance(grant, Refused):
        return grant
    try:
        verify_redemption(grant, request.client, redirect_uri, verifier)
        return await issue_user_tokens(
            request, grant, scope=grant.scope, refresh_scope=grant.scope, nonce=grant.nonce
        )
    except InvalidGrantError as failed:
        return Refused(failed)  # The code stays spent: it had its one try.


def verify_redemption(grant: Grant, client: Client, redirect_uri: str, verifier: str) -> None:
    """The code was issued to this client, for this redirect URI, and the verifier
    matches its challenge (RFC 6749 4.1.3, RFC 7636 4.6).

    Raises:
        InvalidGrantError: any of them fails.
    """
    if grant.client_id != client.client_id:
        raise InvalidGrantError(detail="code issued to another client")
    if grant.redirect_uri != redirect_uri:
        raise InvalidGrantError(detail="redirect_uri differs from the authorization request")
    verify_code_verifier(verifier, grant.code_challenge)


async def _consume(request: TokenRequest, code: str) -> Grant | Refused:
    """The code's grant, consumed now; a reused code revokes the grant and is refused.

    Raises:
        InvalidGrantError: no such code, or it expired (nothing is written).
    """
    try:
        return await request.repos.grants.consume_code(digest(code), request.now)
    except UnknownCodeError:
        raise InvalidGrantError(detail="unknown or expired code") from None
    except CodeReusedError as reused:
        grant = reused.grant
        await revoke_family(request, Event.CODE_REUSED, grant_id=grant.id, user_id=grant.user_id)
        return Refused(InvalidGrantError(detail=f"code of grant {grant.id} reused"))
