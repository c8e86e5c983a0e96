"""GET /admin/v1/openapi.json, the admin API's OpenAPI 3.1 document, written by hand and
shipped in the package beside this module; tests/integration/test_admin_openapi.py runs
schemathesis against a live server with it, so it stays true."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from tessera.web.admin.problems import problem

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def _document() -> bytes:
    return DOCUMENT.read_bytes()


async def openapi(request: Request) -> Response:
    return Response(_document(), media_type="application/json")


async def unknown(request: Request) -> Response:
    """Any other path under /admin/v1/ answers a problem too, not the router's text."""
    return problem(404, f"no admin resource {request.url.path!r} (see /admin/v1/openapi.json)")
