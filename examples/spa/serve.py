"""Serve the single-page app example and the sample API it calls, each on its own origin.

    python examples/spa/serve.py --issuer http://localhost:8000 --client-id=ID

The app (static/, plus oidc-client-ts from node_modules after `npm ci`) is served on
--port; the sample API (tessera.demo.api, protected by tessera.resource) on --api-port,
answering CORS for the app's origin only. Both are plain loopback HTTP: this is an
example for a laptop, not a deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from tessera.demo.api import READ_SCOPE, create_api_app

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
LIBRARY = HERE / "node_modules" / "oidc-client-ts" / "dist" / "browser"
SCOPE = f"openid profile email offline_access {READ_SCOPE}"


def app_site(*, issuer: str, client_id: str, audience: str, api: str) -> Starlette:
    """The page, its script and style, the OIDC library, and the page's configuration.
    Every path that is not a file is the page (it reads /callback and /signed-out)."""
    if not (LIBRARY / "oidc-client-ts.min.js").exists():
        raise SystemExit(f"oidc-client-ts is not installed: run `npm ci` in {HERE}")
    config = {
        "issuer": issuer,
        "client_id": client_id,
        "audience": audience,
        "api": api,
        "scope": SCOPE,
    }
    # The page runs only its own scripts and talks only to tessera and the API.
    csp = f"default-src 'self'; connect-src 'self' {issuer} {api}; frame-ancestors 'none'"

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": csp})

    async def configuration(request: Request) -> Response:
        return Response(json.dumps(config), media_type="application/json")

    return Starlette(
        routes=[
            Route("/config.json", configuration),
            Route("/app.js", lambda request: FileResponse(STATIC / "app.js")),
            Route("/app.css", lambda request: FileResponse(STATIC / "app.css")),
            Mount("/vendor", StaticFiles(directory=LIBRARY)),
            Route("/{path:path}", page),
        ]
    )


def api_site(*, issuer: str, audience: str, allowed_origins: list[str]) -> ASGIApp:
    """The sample API with CORS for the app's origins: an API has one list of its own
    browser apps, so Starlette's middleware fits here (tessera's list is per client)."""
    return CORSMiddleware(
        create_api_app(issuer=issuer, audience=audience),
        allow_origins=allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )


async def serve(args: argparse.Namespace) -> None:
    origin = f"http://{args.host}:{args.port}"
    api = f"http://{args.host}:{args.api_port}"
    audience = args.audience or api
    sites = [
        (
            app_site(issuer=args.issuer, client_id=args.client_id, audience=audience, api=api),
            args.port,
        ),
        (api_site(issuer=args.issuer, audience=audience, allowed_origins=[origin]), args.api_port),
    ]
    servers = [
        uvicorn.Server(uvicorn.Config(site, host=args.host, port=port, log_level="warning"))
        for site, port in sites
    ]
    print(f"app on {origin}, API on {api}", flush=True)
    await asyncio.gather(*(server.serve() for server in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True, help="tessera's TESSERA_ISSUER")
    parser.add_argument(
        "--client-id",
        required=True,
        help="the public client registered for it; write --client-id=ID, as an id may start with -",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5173, help="the app's port")
    parser.add_argument("--api-port", type=int, default=5174, help="the sample API's port")
    parser.add_argument("--audience", help="the API's identifier (default: its URL)")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
