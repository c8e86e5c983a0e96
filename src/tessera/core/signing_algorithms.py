"""The JWS algorithms tessera signs with: those the operator enables, RS256 always.

Only enabled algorithms get keys, appear in discovery and may be chosen by a client
(ID tokens) or an API (access tokens). Some relying-party libraries warn about, or
cannot parse, an OKP (EdDSA) key in the JWKS, so EdDSA is enabled only on request.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Protocol

from tessera.core.ports import ApiRepo, ClientRepo
from tessera.crypto.keys import Algorithm

SHOWN_USERS = 3


class AlgorithmNotEnabledError(Exception):
    """A client or API signs with an algorithm that is not enabled; one line for a person."""


class SignerRepos(Protocol):
    """Where the algorithms in use are registered: clients (ID tokens), APIs (access tokens)."""

    @property
    def clients(self) -> ClientRepo: ...
    @property
    def apis(self) -> ApiRepo: ...


def describe(algorithms: Iterable[Algorithm]) -> str:
    return ", ".join(alg.value for alg in algorithms)


def not_enabled(alg: Algorithm, enabled: Collection[Algorithm]) -> str:
    """The one line that says an algorithm is off and how to turn it on."""
    return (
        f"{alg.value} is not enabled: add it to TESSERA_SIGNING_ALGORITHMS "
        f"(now {describe(enabled)})"
    )


def verify_enabled(alg: Algorithm, enabled: Collection[Algorithm]) -> None:
    """Raises:
    AlgorithmNotEnabledError: `alg` is not one of `enabled`.
    """
    if alg not in enabled:
        raise AlgorithmNotEnabledError(not_enabled(alg, enabled))


async def verify_algorithms_in_use(repos: SignerRepos, enabled: Collection[Algorithm]) -> None:
    """Refuse to start when a registered client or API signs with a disabled algorithm.

    Signing its tokens with another algorithm would break a relying party that checks
    the `alg` it registered; failing every one of its token requests would break it
    later and quietly. So the server does not start, and says which ones and why.

    Raises:
        AlgorithmNotEnabledError: names the first few such clients and APIs.
    """
    users = [
        (client.id_token_alg, f"client {client.client_id}")
        for client in await repos.clients.list()
        if client.id_token_alg not in enabled
    ]
    users += [
        (api.signing_alg, f"API {api.identifier}")
        for api in await repos.apis.list()
        if api.signing_alg not in enabled
    ]
    if not users:
        return
    algorithms = sorted({alg for alg, _ in users})
    named = ", ".join(name for _, name in users[:SHOWN_USERS])
    more = f" and {len(users) - SHOWN_USERS} more" if len(users) > SHOWN_USERS else ""
    raise AlgorithmNotEnabledError(
        f"TESSERA_SIGNING_ALGORITHMS (now {describe(enabled)}) leaves out "
        f"{describe(algorithms)}, used by {named}{more}: add it, or delete what uses it"
    )
