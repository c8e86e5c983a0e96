"""The authorization code grant at the token endpoint: RFC 6749 4.1.3 with PKCE (RFC 7636 4.6).

The code is consumed first, in one atomic statement, and only then checked against the
client, the redirect URI and the verifier: a failed check still burns the code, so a
stolen code cannot be tried twice. A code presented again is refused, and its grant
(every token it produced) is revoked: RFC 6749 4.1.2, "If an authorization code is used
more than once, the authorization server MUST deny the request and SHOULD revoke (when
possible) all tokens previously issued based on that authorization code."
"""

from __future__ import annotations

from tessera.core.errors import InvalidGrantError
from tessera.core.grants.base import TokenRequest, issue_user_tokens, revoke_family
from tessera.core.models import Grant
from tessera.core.params import require
from tessera.core.pkce import verify_code_verifier
from tessera.core.ports import CodeReusedError, UnknownCodeError
from tessera.core.tokens import TokenResponse
from tessera.crypto.tokens import digest

CODE_REUSED_EVENT = "code.reused"


async def exchange(request: TokenRequest) -> TokenResponse:
    """Redeem a code for tokens.

    Raises:
        InvalidRequestError: code, redirect_uri or code_verifier is missing.
        InvalidGrantError: unknown, expired or reused code; another client's code; a
            different redirect URI; a verifier that does not match the challenge.
    """
    code = require(request.params, "code")
    redirect_uri = require(request.params, "redirect_uri")
    verifier = require(request.params, "code_verifier")
    grant = await _consume(request, code)
    if grant.client_id != request.client.client_id:
        raise InvalidGrantError(detail="code issued to another client")
    if grant.redirect_uri != redirect_uri:
        raise InvalidGrantError(detail="redirect_uri differs from the authorization request")
    verify_code_verifier(verifier, grant.code_challenge)
    return await issue_user_tokens(
        request, grant, scope=grant.scope, refresh_scope=grant.scope, nonce=grant.nonce
    )


async def _consume(request: TokenRequest, code: str) -> Grant:
    try:
        return await request.repos.grants.consume_code(digest(code), request.now)
    except UnknownCodeError:
        raise InvalidGrantError(detail="unknown or expired code") from None
    except CodeReusedError as reused:
        grant = reused.grant
        await revoke_family(request, CODE_REUSED_EVENT, grant_id=grant.id, user_id=grant.user_id)
        raise InvalidGrantError(detail=f"code of grant {grant.id} reused") from None
