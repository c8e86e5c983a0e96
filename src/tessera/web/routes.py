"""The whole route table: the external contract (DESIGN.md) in one screen."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tessera.web.endpoints import discovery, introspection, revocation, token, userinfo

STATIC_DIR = Path(__file__).parent / "static"

routes = [
    Route("/.well-known/openid-configuration", discovery.openid_configuration, methods=["GET"]),
    Route(
        "/.well-known/oauth-authorization-server",
        discovery.oauth_authorization_server,
        methods=["GET"],
    ),
    Route("/.well-known/jwks.json", discovery.jwks, methods=["GET"]),
    Route("/healthz", discovery.healthz, methods=["GET"]),
    Route("/oauth/token", token.token, methods=["POST"]),
    Route("/oauth/revoke", revocation.revoke, methods=["POST"]),
    Route("/oauth/introspect", introspection.introspect, methods=["POST"]),
    Route("/userinfo", userinfo.userinfo, methods=["GET", "POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
