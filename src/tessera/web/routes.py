"""The whole route table: the external contract (DESIGN.md) in one screen."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tessera.web.admin import apis, audit, clients, keys, openapi, users
from tessera.web.cors import preflight, public_preflight
from tessera.web.endpoints import (
    authorize,
    discovery,
    introspection,
    logout,
    metrics,
    probes,
    revocation,
    token,
    userinfo,
)
from tessera.web.ui import code, consent, enrolment, login

STATIC_DIR = Path(__file__).parent / "static"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

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
    Route("/u/login/code", code.submit_code, methods=["POST"]),
    Route("/u/login/enrol", enrolment.submit_enrolment, methods=["POST"]),
    Route("/u/login/continue", enrolment.continue_sign_in, methods=["POST"]),
    Route("/u/consent", consent.consent_page, methods=["GET"]),
    Route("/u/consent", consent.submit_consent, methods=["POST"]),
    Route("/logout", logout.logout, methods=["GET", "POST"]),
    Route("/oauth/revoke", revocation.revoke, methods=["POST"]),
    Route("/oauth/introspect", introspection.introspect, methods=["POST"]),
    Route("/admin/v1/openapi.json", openapi.openapi, methods=["GET"]),
    Route("/admin/v1/clients", clients.list_clients, methods=["GET"]),
    Route("/admin/v1/clients", clients.create_client, methods=["POST"]),
    Route("/admin/v1/clients/{id}", clients.show_client, methods=["GET"]),
    Route("/admin/v1/clients/{id}", clients.update_client, methods=["PATCH"]),
    Route("/admin/v1/clients/{id}", clients.delete_client, methods=["DELETE"]),
    Route("/admin/v1/clients/{id}/secret", clients.rotate_secret, methods=["POST"]),
    Route("/admin/v1/users", users.list_users, methods=["GET"]),
    Route("/admin/v1/users", users.create_user, methods=["POST"]),
    Route("/admin/v1/users/{id}", users.show_user, methods=["GET"]),
    Route("/admin/v1/users/{id}", users.update_user, methods=["PATCH"]),
    Route("/admin/v1/users/{id}", users.delete_user, methods=["DELETE"]),
    Route("/admin/v1/users/{id}/password", users.set_password, methods=["POST"]),
    Route("/admin/v1/users/{id}/disable", users.disable_user, methods=["POST"]),
    Route("/admin/v1/users/{id}/enable", users.enable_user, methods=["POST"]),
    Route("/admin/v1/users/{id}/unlock", users.unlock_user, methods=["POST"]),
    Route("/admin/v1/users/{id}/logout", users.sign_out_user, methods=["POST"]),
    Route("/admin/v1/users/{id}/sessions", users.list_sessions, methods=["GET"]),
    Route("/admin/v1/users/{id}/consents", users.list_consents, methods=["GET"]),
    Route("/admin/v1/users/{id}/consents/{client_id}", users.revoke_consent, methods=["DELETE"]),
    Route("/admin/v1/apis", apis.list_apis, methods=["GET"]),
    Route("/admin/v1/apis", apis.create_api, methods=["POST"]),
    Route("/admin/v1/apis/{id}", apis.show_api, methods=["GET"]),
    Route("/admin/v1/apis/{id}", apis.update_api, methods=["PATCH"]),
    Route("/admin/v1/apis/{id}", apis.delete_api, methods=["DELETE"]),
    Route("/admin/v1/keys", keys.list_keys, methods=["GET"]),
    Route("/admin/v1/keys/rotate", keys.rotate, methods=["POST"]),
    Route("/admin/v1/keys/{kid}/retire", keys.retire, methods=["POST"]),
    Route("/admin/v1/audit", audit.list_events, methods=["GET"]),
    Route("/admin/v1/{rest:path}", openapi.unknown, methods=ALL_METHODS),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
# Only with TESSERA_METRICS=1: otherwise /metrics is a 404 like any unknown path.
metrics_route = Route("/metrics", metrics.metrics, methods=["GET"])
