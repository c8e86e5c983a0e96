"""Discovery documents: OpenID Connect Discovery 1.0 section 3 and RFC 8414.

They advertise exactly what tessera implements; tests compare them with behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tessera.core.grants import GRANTS
from tessera.core.models import ACR, OIDC_SCOPES, AuthMethod, Prompt, ResponseMode
from tessera.crypto.keys import Algorithm

TOKEN_ENDPOINT_AUTH_METHODS = [method.value for method in AuthMethod]


def build_authorization_server_metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 2 metadata, shared by both discovery documents."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "response_types_supported": ["code"],
        "response_modes_supported": [mode.value for mode in ResponseMode],
        "grant_types_supported": [grant.value for grant in GRANTS],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": TOKEN_ENDPOINT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": TOKEN_ENDPOINT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": [
            AuthMethod.CLIENT_SECRET_BASIC.value,
            AuthMethod.CLIENT_SECRET_POST.value,
        ],
        "scopes_supported": list(OIDC_SCOPES),
        "authorization_response_iss_parameter_supported": True,
    }


def build_openid_configuration(issuer: str, algorithms: Iterable[Algorithm]) -> dict[str, Any]:
    """OpenID Provider metadata (Discovery 1.0 section 3); `algorithms` are the enabled
    signing algorithms (core.signing_algorithms), the only ones a client may choose."""
    return {
        **build_authorization_server_metadata(issuer),
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/logout",
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg.value for alg in algorithms],
        "prompt_values_supported": [prompt.value for prompt in Prompt],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "amr",
            "acr",
            "nonce",
            "at_hash",
            "sid",
            "azp",
            "name",
            "preferred_username",
            "email",
            "email_verified",
        ],
        "acr_values_supported": [acr.value for acr in ACR],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }
