"""The server's policy: every rule core takes from the settings, built once at start-up.

Core never reads settings; the server derives this one frozen value from them when it
starts (web.runtime) and hands each use case the slice it applies: a grant its
`TokenPolicy`, the client endpoints their `RateLimits`, /authorize and its pages the
`AuthorizationPolicy`, key maintenance its `KeyPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.core.authorization.approval import CodePolicy
from tessera.core.authorization.pending import InteractionPolicy
from tessera.core.key_rotation import KeyPolicy
from tessera.core.mfa import MFAPolicy
from tessera.core.rate_limits import RateLimits
from tessera.core.tokens import TokenPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationPolicy:
    """What /authorize, the login page and the consent page apply: the issuer named in
    every response (RFC 9207), the code and grant lifetimes, how long and how often a
    request may wait for the person, how long a sign-in lasts, and when it asks for a
    second factor."""

    issuer: str
    codes: CodePolicy
    interactions: InteractionPolicy
    session_lifetime: int
    mfa: MFAPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerPolicy:
    """The whole policy; a use case is handed the field it applies, never all of it."""

    tokens: TokenPolicy
    client_limits: RateLimits  # The token, revocation and introspection endpoints'.
    authorization: AuthorizationPolicy
    keys: KeyPolicy
