"""Authorization requests waiting for the person while they sign in or consent.

A request is parked as the parameters it was made with, under the digest of a random
id; the id travels in the page URLs and forms, so a database dump reveals no usable one.
Picking it up validates it again, so a client, redirect URI, API or scope removed in the
meantime fails as it would have at /authorize, and its id_token_hint is verified again.

A parked request is a row that anybody can make tessera write, signed in or not, with
one GET. So each client address may park at most `InteractionPolicy.per_ip` requests per
window, counted in the throttles table (every worker and node counts into the same
window, as core.rate_limits does for the token endpoint). The returning, consented user
parks nothing, so the limit costs that request no statement.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.authorize import AuthorizationRequest, parse_authorization_request, resolve_target
from tessera.core.errors import SignInLimitError, UnknownInteractionError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.models import Timestamp
from tessera.core.outcomes import Refused
from tessera.core.ports import ApiRepo, ClientRepo, InteractionRepo
from tessera.core.rate_limits import CountingRepos, count_requests
from tessera.crypto.tokens import SecretKind, digest, new_secret

MAX_ID_LENGTH = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionPolicy:
    """A parked request waits `lifetime` seconds at most; at most `per_ip` are parked per
    client address each `window` seconds (0 is no limit)."""

    lifetime: int
    window: int
    per_ip: int


class ParkingRepos(CountingRepos, Protocol):
    """What parking touches: the address's counter, then the parked request."""

    @property
    def interactions(self) -> InteractionRepo: ...


class PendingRepos(Protocol):
    """What picking a parked request up touches: it, and the client and API it names."""

    @property
    def interactions(self) -> InteractionRepo: ...
    @property
    def clients(self) -> ClientRepo: ...
    @property
    def apis(self) -> ApiRepo: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordVerified:
    """A sign-in half done: `user_id`'s password was right, typed as `login` (the name
    whose throttle keys the second factor's attempts count on too), and the second
    factor is awaited; or, while the person enrols one, the factor being enrolled
    (`enrolling`), and then that it was (`enrolled`: the sign-in is two factors)."""

    user_id: str
    login: str = field(repr=False)
    enrolling: str | None = None
    enrolled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRequest:
    """A parked request; `login_sid` is the session signed in while it waited, and
    `verified` a password checked for it that awaits its second factor."""

    interaction_id: str
    request: AuthorizationRequest
    login_sid: str | None = None
    verified: PasswordVerified | None = None


def build_params(request: AuthorizationRequest) -> dict[str, str]:
    """The parameters that, parsed again, give back the same request."""
    target = request.target
    optional = {
        "state": target.state,
        "audience": request.audience,
        "scope": " ".join(request.scope) or None,
        "nonce": request.nonce,
        "prompt": " ".join(sorted(request.prompt)) or None,
        "max_age": None if request.max_age is None else str(request.max_age),
        "login_hint": request.login_hint,
        "id_token_hint": request.id_token_hint.token if request.id_token_hint else None,
        "acr_values": " ".join(request.acr_values) or None,
    }
    return {
        "response_type": "code",
        "client_id": target.client.client_id,
        "redirect_uri": target.redirect_uri,
        "response_mode": target.response_mode.value,
        "code_challenge": request.code_challenge,
        "code_challenge_method": "S256",
        **{name: value for name, value in optional.items() if value is not None},
    }


async def park(
    repos: ParkingRepos,
    request: AuthorizationRequest,
    *,
    now: Timestamp,
    policy: InteractionPolicy,
    client_ip: str,
    login_sid: str | None = None,
) -> str | Refused:
    """Count the request against its address, store it, and return the id that picks
    it up again.

    Refused (the count kept, nothing stored):
        SignInLimitError: the address is over its limit.
    """
    key = (f"authorize-ip:{client_ip}", policy.per_ip)
    over = await count_requests(
        repos, [key], policy.window, now, client_ip=client_ip, event=Event.AUTHORIZE_RATE_LIMITED
    )
    if over is not None:
        return Refused(SignInLimitError(detail=over.detail, retry_after=over.retry_after))
    interaction_id = new_secret(SecretKind.INTERACTION)
    payload = json.dumps({"params": build_params(request), "login_sid": login_sid})
    await repos.interactions.add(digest(interaction_id), payload, now, now + policy.lifetime)
    return interaction_id


async def await_second_factor(
    interactions: InteractionRepo, pending: PendingRequest, verified: PasswordVerified
) -> None:
    """Keep, with the parked request, that its person's password was right, so that the
    second factor's page can finish the sign-in (and nothing else can).

    Raises:
        UnknownInteractionError: the interaction was finished meanwhile.
    """
    payload = {
        "params": build_params(pending.request),
        "login_sid": pending.login_sid,
        "verified": asdict(verified),
    }
    if not await interactions.update(digest(pending.interaction_id), json.dumps(payload)):
        raise UnknownInteractionError(detail="interaction finished concurrently")


async def load_pending(
    repos: PendingRepos, interaction_id: str | None, now: Timestamp, hints: HintVerifier
) -> PendingRequest:
    """The unexpired request parked under this id, validated again.

    Raises:
        UnknownInteractionError: no such id, or it expired or was finished.
        OAuthError: the request no longer validates (see core.authorize).
    """
    if not interaction_id or len(interaction_id) > MAX_ID_LENGTH:
        raise UnknownInteractionError(detail="missing or malformed interaction id")
    payload = await repos.interactions.get(digest(interaction_id), now)
    if payload is None:
        raise UnknownInteractionError(detail="interaction expired or finished")
    stored = json.loads(payload)
    pairs = list(stored["params"].items())
    target = await resolve_target(pairs, repos.clients)
    verified = stored.get("verified")
    return PendingRequest(
        interaction_id=interaction_id,
        request=await parse_authorization_request(target, pairs, repos.apis, hints, now=now),
        login_sid=stored["login_sid"],
        verified=None if verified is None else PasswordVerified(**verified),
    )


async def finish_interaction(interactions: InteractionRepo, pending: PendingRequest) -> None:
    """End the interaction, exactly once: a second submit of the same page fails.

    Raises:
        UnknownInteractionError: another request finished it first.
    """
    if not await interactions.delete(digest(pending.interaction_id)):
        raise UnknownInteractionError(detail="interaction finished concurrently")
