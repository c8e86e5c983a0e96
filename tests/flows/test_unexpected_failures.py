"""A request that fails inside the app (a bug: 500; the database unreachable or locked:
503 with Retry-After) is answered without a stack trace and with its request id: on the
pages a person reads (`/u/...`, `/logout`) as the error page, everywhere else as
RFC 6749 5.2 JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tessera.settings import Settings
from tessera.store.engine import Connection
from tessera.store.errors import StoreUnavailableError
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock

PAGES = ["/u/login?interaction=tsr_ix_x", "/u/consent?interaction=tsr_ix_x", "/logout"]
FAILURES = {
    500: (RuntimeError("a bug"), "server_error", "The server encountered an unexpected error."),
    503: (
        StoreUnavailableError("database unavailable: gone"),
        "temporarily_unavailable",
        "The service is temporarily unavailable.",
    ),
}


def break_the_store(monkeypatch: pytest.MonkeyPatch, rt: Runtime, exc: Exception) -> None:
    """Every transaction the app opens from now on fails with `exc`, however the store
    groups them (one each, or steps sharing one)."""

    def failing() -> AbstractAsyncContextManager[Connection]:
        raise exc

    monkeypatch.setattr(rt.store.database, "transaction", failing)
    monkeypatch.setattr(rt.store.database, "read_transaction", failing)


@pytest.mark.parametrize("status", sorted(FAILURES))
@pytest.mark.parametrize("path", PAGES)
async def test_a_failure_on_a_page_a_person_reads_is_the_error_page_with_the_request_id(
    client: httpx.AsyncClient,
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    status: int,
) -> None:
    exc, error, description = FAILURES[status]
    break_the_store(monkeypatch, rt, exc)
    page = await client.get(path)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert description in page.text and error in page.text
    assert page.headers["x-request-id"] in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers.get("retry-after") == ("1" if status == 503 else None)
    assert "Traceback" not in page.text and "a bug" not in page.text


@pytest.mark.parametrize("status", sorted(FAILURES))
async def test_a_failure_at_a_protocol_endpoint_is_json_with_the_request_id(
    client: httpx.AsyncClient,
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    exc, error, description = FAILURES[status]
    break_the_store(monkeypatch, rt, exc)
    refresh = {"grant_type": "refresh_token", "refresh_token": "tsr_rt_x", "client_id": "app"}
    answer = await client.post("/oauth/token", data=refresh)
    assert answer.status_code == status
    assert answer.json() == {
        "error": error,
        "error_description": description,
        "request_id": answer.headers["x-request-id"],
    }
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers.get("retry-after") == ("1" if status == 503 else None)


@pytest.fixture
async def broken_error_page(
    settings: Settings, clock: Clock, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """A server whose templates directory holds an error page that cannot be rendered."""
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "error.html").write_text("{{ missing() }}")
    app: Starlette = create_app(
        settings.model_copy(update={"templates_dir": tmp_path / "brand"}), clock=clock
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            yield http, app.state.runtime


async def test_an_error_page_that_cannot_be_rendered_leaves_the_json_answer(
    broken_error_page: tuple[httpx.AsyncClient, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, rt = broken_error_page
    break_the_store(monkeypatch, rt, RuntimeError("a bug"))
    answer = await http.get("/u/login?interaction=tsr_ix_x")
    assert answer.status_code == 500
    assert answer.json()["error"] == "server_error"
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
