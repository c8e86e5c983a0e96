"""The id_token_hint: an ID token tessera issued, which a client sends back to name a person.

At /authorize it names the person the client expects to be signed in (OIDC Core 3.1.2.1);
at /logout, the client and the session to end (OpenID Connect RP-Initiated Logout 1.0,
section 2). Both read it the same way: signed with one of tessera's keys, of type JWT,
from this issuer, with a subject. A hint whose `exp` has passed is still accepted, for as
long as a session could have lasted: the person it names may well still be signed in,
and logout section 2 asks for such hints to be accepted "even when the exp time has
passed". The audience is not checked, since the hint is addressed to a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from joserfc.jwk import KeySet

from tessera.core.errors import InvalidRequestError
from tessera.core.models import Timestamp
from tessera.crypto.jwt import JWTError, verify_jwt

ID_TOKEN_TYPE = "JWT"
INVALID_HINT = "The id_token_hint is not valid."


@dataclass(frozen=True, slots=True, kw_only=True)
class IdTokenHint:
    """A verified hint: the token as sent, the person (`sub`), and the client (`aud`) and
    session (`sid`) it was issued to."""

    token: str = field(repr=False)
    subject: str
    client_id: str | None = None
    sid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HintVerifier:
    """What checking a hint takes: the keys tessera publishes, its issuer, and how many
    seconds after its `exp` a hint is still accepted (a session's lifetime)."""

    keys: KeySet
    issuer: str
    max_age: int

    def verify(self, token: str, now: Timestamp) -> IdTokenHint:
        """The hint's claims, once it is known to be an ID token tessera issued.

        Raises:
            InvalidRequestError: another signer, type or issuer, expired for longer than
                `max_age`, or no subject.
        """
        try:
            claims = verify_jwt(
                token,
                self.keys,
                issuer=self.issuer,
                audience=None,
                typ=ID_TOKEN_TYPE,
                now=now,
                leeway=self.max_age,
            )
        except JWTError as exc:
            raise InvalidRequestError(INVALID_HINT, detail=f"id_token_hint: {exc}") from None
        subject = _string_claim(claims, "sub")
        if subject is None:
            raise InvalidRequestError(INVALID_HINT, detail="id_token_hint: no sub")
        return IdTokenHint(
            token=token,
            subject=subject,
            client_id=_string_claim(claims, "aud"),  # tessera's ID tokens name one client.
            sid=_string_claim(claims, "sid"),
        )


def _string_claim(claims: Mapping[str, object], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None
