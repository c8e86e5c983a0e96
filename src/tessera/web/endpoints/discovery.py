"""Discovery (OpenID Connect Discovery 1.0, RFC 8414), JWKS (RFC 7517) and health.

The documents are public: any page may read them (web.cors.PUBLIC), a browser app's
first call being the discovery document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.metadata import build_authorization_server_metadata, build_openid_configuration
from tessera.web.cors import PUBLIC
from tessera.web.responses import json_response
from tessera.web.runtime import runtime

# Keys can change at rotation; resource servers refetch on an unknown kid anyway.
_CACHEABLE = {"Cache-Control": "public, max-age=300", **PUBLIC}


async def openid_configuration(request: Request) -> Response:
    settings = runtime(request).settings
    return json_response(
        build_openid_configuration(settings.issuer, settings.enabled_algorithms),
        headers=_CACHEABLE,
    )


async def oauth_authorization_server(request: Request) -> Response:
    return json_response(
        build_authorization_server_metadata(runtime(request).settings.issuer),
        headers=_CACHEABLE,
    )


async def jwks(request: Request) -> Response:
    keyring = await runtime(request).fresh_keyring()
    return Response(
        keyring.jwks_json,
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=60", **PUBLIC},
    )


async def healthz(request: Request) -> Response:
    """Ready when the database answers; load balancers poll this. A read transaction:
    another process holding SQLite's write lock does not make a node unready."""
    async with runtime(request).store.read_transaction() as tx:
        await tx.conn.fetch_one("SELECT 1")
    return json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})
