"""The demo client: the seed's "Client", a small web app on Authlib's Starlette client.

It does what a real confidential web app does: a fresh PKCE verifier/S256 challenge,
`state` and `nonce` per login (Authlib makes them), the `audience` of the API, a check
of `iss` in the authorization response (RFC 9207, mix-up defence), the code exchange
with the verifier, id_token validation, tokens kept server-side, the Bearer call to the
API, refresh with rotation, and RP-initiated logout.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tessera.crypto.keys import decode_b64url
from tessera.crypto.tokens import constant_time_equals
from tessera.demo.sessions import ServerSideSessionMiddleware

HERE = Path(__file__).parent
_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True)
)


@dataclass(frozen=True, slots=True)
class DemoClientConfig:
    issuer: str
    client_id: str
    client_secret: str
    audience: str
    api_url: str
    base_url: str
    scope: str = "openid profile email offline_access read:messages"


def decode_jwt_unverified(token: str) -> dict[str, Any]:
    """Header and claims of a JWT, for display only (the API and Authlib verify them)."""
    try:
        header, payload, _ = token.split(".")
        return {
            "header": json.loads(decode_b64url(header)),
            "claims": json.loads(decode_b64url(payload)),
        }
    except ValueError:
        return {"error": "not a JWT"}


def content_security_policy(issuer: str) -> str:
    """No script at all; forms post to the app, whose Log out redirects on to the issuer
    (browsers apply `form-action` to the redirects that follow a form, too)."""
    return (
        f"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {issuer}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def create_client_app(config: DemoClientConfig) -> Starlette:
    """The demo client as an ASGI app."""
    oauth = OAuth()
    oauth.register(
        "tessera",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": config.scope, "code_challenge_method": "S256"},
    )
    remote = oauth.create_client("tessera")
    csp = content_security_policy(config.issuer)

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _templates.get_template(name).render(**context)
        headers = {"Content-Security-Policy": csp, "Cache-Control": "no-store"}
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def csrf_token(request: Request) -> str:
        token: str = request.session.setdefault("csrf", secrets.token_urlsafe(24))
        return token

    async def check_csrf(request: Request) -> bool:
        form = await request.form()
        sent = str(form.get("csrf", ""))
        return bool(sent) and constant_time_equals(sent, request.session.get("csrf", ""))

    async def call_api(access_token: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as http:
            try:
                response = await http.get(
                    config.api_url, headers={"Authorization": f"Bearer {access_token}"}
                )
            except httpx.HTTPError as exc:
                return {"status": 0, "body": None, "error": f"the API is unreachable: {exc}"}
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return {
            "status": response.status_code,
            "body": body,
            "challenge": response.headers.get("www-authenticate"),
        }

    async def home(request: Request) -> Response:
        tokens = request.session.get("tokens")
        if not tokens:
            return page("home.html", logged_in=False, error=request.session.pop("error", None))
        return page(
            "home.html",
            logged_in=True,
            csrf=csrf_token(request),
            user=tokens.get("userinfo", {}),
            api=await call_api(tokens["access_token"]),
            access=decode_jwt_unverified(tokens["access_token"]),
            id_token=decode_jwt_unverified(tokens.get("id_token", "")),
            refresh_token=tokens.get("refresh_token"),
            expires_in=tokens.get("expires_in"),
            notice=request.session.pop("notice", None),
        )

    async def login(request: Request) -> Response:
        """Seed steps 1-4: fresh verifier, challenge, state and nonce; redirect."""
        response: Response = await remote.authorize_redirect(
            request, f"{config.base_url}/callback", audience=config.audience
        )
        return response

    async def callback(request: Request) -> Response:
        """Seed steps 7-10: check iss and state, exchange the code with the verifier."""
        if request.query_params.get("iss") != config.issuer:  # RFC 9207: tessera always sends it.
            return page("error.html", 400, step="authorization response", error="issuer mismatch")
        try:
            token = await remote.authorize_access_token(request)
        except OAuthError as exc:
            return page(
                "error.html", 400, step="sign-in", error=exc.error, description=exc.description
            )
        request.session["tokens"] = dict(token)
        request.scope["rotate_session"] = True
        return RedirectResponse("/", status_code=303)

    async def refresh(request: Request) -> Response:
        tokens = request.session.get("tokens")
        if not tokens or not await check_csrf(request):
            return RedirectResponse("/", status_code=303)
        if not tokens.get("refresh_token"):
            request.session["notice"] = "No refresh token was issued (offline_access not granted)."
            return RedirectResponse("/", status_code=303)
        try:
            new = await remote.fetch_access_token(
                grant_type="refresh_token", refresh_token=tokens["refresh_token"]
            )
        except OAuthError as exc:
            return page(
                "error.html", 400, step="refresh", error=exc.error, description=exc.description
            )
        rotated = new.get("refresh_token") != tokens["refresh_token"]
        request.session["tokens"] = {**tokens, **dict(new)}
        request.session["notice"] = (
            "Tokens refreshed; the refresh token was rotated." if rotated else "Tokens refreshed."
        )
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        tokens = request.session.get("tokens") or {}
        if not await check_csrf(request):
            return RedirectResponse("/", status_code=303)
        request.session.pop("tokens", None)
        response: Response = await remote.logout_redirect(
            request,
            post_logout_redirect_uri=f"{config.base_url}/logged-out",
            id_token_hint=tokens.get("id_token"),
            state=secrets.token_urlsafe(16),
        )
        return response

    async def logged_out(request: Request) -> Response:
        try:
            await remote.validate_logout_response(request)
        except OAuthError as exc:
            return page(
                "error.html", 400, step="logout", error=exc.error, description=exc.description
            )
        request.session.clear()
        return page("logged_out.html")

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/callback", callback),
            Route("/refresh", refresh, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/logged-out", logged_out),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(ServerSideSessionMiddleware)],
    )
