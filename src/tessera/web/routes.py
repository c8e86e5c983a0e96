"""The whole route table: the external contract (DESIGN.md) in one screen."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tessera.web.cors import preflight, public_preflight
from tessera.web.endpoints import (
    authorize,
    discovery,
    introspection,
    logout,
    probes,
    revocation,
    token,
    userinfo,
)
from tessera.web.ui import consent, login

STATIC_DIR = Path(__file__).parent / "static"

# Starlette tries the routes in order, one regular expression each: the requests every
# flow makes come first. OPTIONS answers CORS preflights (web.cors), only where a
# browser app calls.
routes = [
    Route("/oauth/token", token.token, methods=["POST"]),
    Route("/authorize", authorize.authorize, methods=["GET", "POST"]),
    Route("/userinfo", userinfo.userinfo, methods=["GET", "POST"]),
    Route("/.well-known/openid-configuration", discovery.openid_configuration, methods=["GET"]),
    Route(
        "/.well-known/oauth-authorization-server",
        discovery.oauth_authorization_server,
        methods=["GET"],
    ),
    Route("/.well-known/jwks.json", discovery.jwks, methods=["GET"]),
    Route("/oauth/token", preflight("POST"), methods=["OPTIONS"]),
    Route("/userinfo", preflight("GET, POST"), methods=["OPTIONS"]),
    Route("/oauth/revoke", preflight("POST"), methods=["OPTIONS"]),
    Route("/.well-known/openid-configuration", public_preflight, methods=["OPTIONS"]),
    Route("/.well-known/oauth-authorization-server", public_preflight, methods=["OPTIONS"]),
    Route("/.well-known/jwks.json", public_preflight, methods=["OPTIONS"]),
    Route("/healthz", discovery.healthz, methods=["GET"]),
    Route("/livez", probes.livez, methods=["GET"]),
    Route("/readyz", probes.readyz, methods=["GET"]),
    Route("/u/login", login.login_page, methods=["GET"]),
    Route("/u/login", login.submit_login, methods=["POST"]),
    Route("/u/consent", consent.consent_page, methods=["GET"]),
    Route("/u/consent", consent.submit_consent, methods=["POST"]),
    Route("/logout", logout.logout, methods=["GET", "POST"]),
    Route("/oauth/revoke", revocation.revoke, methods=["POST"]),
    Route("/oauth/introspect", introspection.introspect, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
