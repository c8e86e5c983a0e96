"""Pages with a form: the CSRF token in the form and its cookie, and a CSP naming where
the form may lead (csp.py explains why a redirect target must be named)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from tessera.core.params import parse_params
from tessera.web.csp import origin_source, page_csp
from tessera.web.csrf import csrf_token, remember_token, verify_csrf
from tessera.web.forms import form_pairs
from tessera.web.runtime import runtime
from tessera.web.templating import render


def render_form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    leads_to: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page whose form may end in a redirect to the URI `leads_to`."""
    rt = runtime(request)
    token = csrf_token(request, rt.settings)
    source = origin_source(leads_to) if leads_to else None
    response = render(
        rt.templates,
        template,
        {**context, "csrf_token": token},
        status_code=status_code,
        headers={"Content-Security-Policy": page_csp(*filter(None, [source])), **(headers or {})},
    )
    remember_token(response, token, rt.settings)
    return response


async def read_page_form(request: Request) -> Mapping[str, str]:
    """The parameters of a form one of our pages posted.

    Raises:
        InvalidRequestError: the body is malformed (core.params).
        CSRFError: the form did not come from our page in this browser.
    """
    form = parse_params(await form_pairs(request))
    verify_csrf(request, form, runtime(request).settings)
    return form
