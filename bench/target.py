"""What the driver knows about a running provider: where it is and who to be.

Both servers are provisioned alike (bench/servers/): one user, one API per signing
algorithm, one public first-party client per algorithm, one machine client.
"""

from __future__ import annotations

from dataclasses import dataclass

USERNAME = "bench"
PASSWORD = "bench-password-not-secret"
REDIRECT_URI = "https://app.bench.test/callback"
API_SCOPE = "read:bench"
FLOW_SCOPE = f"openid profile offline_access {API_SCOPE}"
USERINFO_SCOPE = "openid profile"
ALGORITHMS = ("RS256", "ES256")


def api_identifier(alg: str) -> str:
    """One API per algorithm, so an access token's alg follows from its audience."""
    return "https://api.bench.test" if alg == "RS256" else f"https://api-{alg.lower()}.bench.test"


@dataclass(frozen=True)
class Variant:
    """The client and API that make every token of a run use one algorithm."""

    alg: str
    client_id: str  # public, PKCE only, consent remembered or skipped
    audience: str


@dataclass(frozen=True)
class Target:
    name: str
    version: str
    issuer: str
    pid: int
    audience_param: str  # "audience" (the seed's) or RFC 8707 "resource"
    variants: dict[str, Variant]
    machine_client_id: str
    machine_client_secret: str

    @property
    def origin(self) -> str:
        return self.issuer.rstrip("/")
