"""Security rule: every page has a CSP without inline script, cannot be framed, leaks no
referrer and is not cached; the templates hold no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.support.authorize import (
    add_app,
    add_person,
    follow,
    request_params,
    sign_in,
    sign_in_and_consent,
    submit,
)
from tests.support.grants import add_api
from tests.support.pages import parse_page

TEMPLATES = Path(__file__).parents[2] / "src" / "tessera" / "web" / "templates"


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_api(rt.store)
    await add_person(rt.store)
    return await add_app(rt.store)


async def every_page(http: httpx.AsyncClient, app_client: Client) -> dict[str, httpx.Response]:
    login = await follow(
        http, await http.get("/authorize", params=request_params(app_client.client_id))
    )
    failed = await sign_in(http, login, password="wrong")
    consent = await follow(http, await sign_in(http, failed))
    form_post = request_params(app_client.client_id, response_mode="form_post")
    await submit(http, consent, decision="allow")
    posted = await http.get("/authorize", params=form_post)
    return {
        "login": login,
        "login-failed": failed,
        "consent": consent,
        "form_post": posted,
        "error": await http.get("/authorize"),
        "expired": await http.get("/u/login?interaction=tsr_ix_gone"),
        "logout": await http.get("/logout"),
        "logged-out": await submit(http, await http.get("/logout")),
    }


async def test_every_page_sends_the_security_headers(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    for name, page in (await every_page(client, app_client)).items():
        assert page.headers["content-type"].startswith("text/html"), name
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, name
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, name
        assert "default-src 'none'" in policy and "base-uri 'none'" in policy, name
        assert re.search(r"form-action 'self'( https://app\.test)?;", policy), name
        assert page.headers["x-frame-options"] == "DENY", name
        assert page.headers["referrer-policy"] == "no-referrer", name
        assert page.headers["cache-control"] == "no-store", name
        assert page.headers["x-content-type-options"] == "nosniff", name
        assert all(script.get("src") for script in parse_page(page.text).scripts), name


@pytest.mark.parametrize("template", sorted(path.name for path in TEMPLATES.glob("*.html")))
def test_templates_hold_no_inline_script_style_or_handlers(template: str) -> None:
    html = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, re.IGNORECASE)
    assert not re.search(r"https?://", html)  # No external assets.


async def test_a_consented_redirect_page_names_only_the_clients_origin(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id, scope="openid"))
    consent = await follow(
        client, await client.get("/authorize", params=request_params(app_client.client_id))
    )
    policy = consent.headers["content-security-policy"]
    assert "form-action 'self' https://app.test;" in policy
