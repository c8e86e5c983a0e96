"""Jinja2 pages: autoescaped, overridable from `TESSERA_TEMPLATES_DIR` (branding)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from tessera.core.errors import OAuthError

_PACKAGE_TEMPLATES = PackageLoader("tessera.web", "templates")


def build_templates(override_dir: Path | None) -> Environment:
    """Templates from the override directory first, then tessera's own."""
    loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
    return Environment(
        loader=ChoiceLoader([*loaders, _PACKAGE_TEMPLATES]),
        autoescape=select_autoescape(default=True),
        enable_async=False,
        auto_reload=False,
    )


def render(
    templates: Environment,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page; security headers are added by the edge middleware."""
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def error_page(
    templates: Environment, err: OAuthError, request_id: str | None = None
) -> HTMLResponse:
    """The page a person sees when a request cannot be sent back to the app, with the
    headers the error asks for: a 429 or a 503 says when to try again (RFC 6585 4)."""
    return render(
        templates,
        "error.html",
        {"error": err.error, "description": err.description, "request_id": request_id},
        status_code=err.status_code if err.status_code >= 400 else 400,
        headers=err.headers(),
    )
