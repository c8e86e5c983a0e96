"""Idempotent set-up of the demo: a user, the sample API and the demo client.

Run on every `tessera demo`: what exists is kept, so the demo client's secret (saved in
the data dir, mode 0600) and the user's consents survive restarts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from tessera.core.models import Client
from tessera.core.registration import build_api, build_client, build_user
from tessera.settings import Settings
from tessera.store import SQLRepos
from tessera.web.app import open_runtime

DEMO_USERNAME = "alice"
DEMO_PASSWORD = "tessera-demo"  # Printed for the person running the demo.
DEMO_EMAIL = "alice@example.com"
DEMO_SCOPES = (
    ("read:messages", "Read your messages"),
    ("write:messages", "Post messages on your behalf"),
)
CLIENT_FILE = "demo-client.json"


@dataclass(frozen=True, slots=True)
class DemoSetup:
    client_id: str
    client_secret: str
    api_identifier: str
    username: str
    password: str


def _read_saved_client(path: Path) -> dict[str, str] | None:
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def _save_client(path: Path, client_id: str, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": client_id, "client_secret": secret}, handle)


async def _ensure_client(tx: SQLRepos, path: Path, client_url: str, now: int) -> tuple[str, str]:
    redirect_uris = (f"{client_url}/callback",)
    saved = _read_saved_client(path)
    if saved:
        existing: Client | None = await tx.clients.get(saved.get("client_id", ""))
        if existing is not None and existing.redirect_uris == redirect_uris:
            return saved["client_id"], saved["client_secret"]
    new = build_client(
        name="Demo app",
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=[f"{client_url}/logged-out"],
        now=now,
    )
    assert new.secret is not None  # A confidential client always gets one.
    await tx.clients.add(new.client)
    _save_client(path, new.client.client_id, new.secret)
    return new.client.client_id, new.secret


async def provision(settings: Settings, *, api_url: str, client_url: str, now: int) -> DemoSetup:
    """Make sure the demo user, API and client exist; return what the demo needs.

    The server's runtime is opened here, before any server starts, so that a start-up
    error is one line rather than a failed lifespan inside uvicorn.

    Raises:
        KeyDecryptionError: the stored signing keys do not open with the secret key.
        StoreUnavailableError: the database cannot be reached.
    """
    store = (await open_runtime(settings)).store
    try:
        async with store.transaction() as tx:
            if await tx.users.find_by_login(DEMO_USERNAME) is None:
                await tx.users.add(
                    build_user(
                        username=DEMO_USERNAME,
                        password=DEMO_PASSWORD,
                        email=DEMO_EMAIL,
                        name="Alice Example",
                        email_verified=True,
                        now=now,
                    )
                )
            if await tx.apis.get_by_identifier(api_url) is None:
                await tx.apis.add(
                    build_api(identifier=api_url, name="Messages API", scopes=DEMO_SCOPES, now=now)
                )
            client_id, secret = await _ensure_client(
                tx, settings.data_dir / CLIENT_FILE, client_url, now
            )
    finally:
        await store.close()
    return DemoSetup(
        client_id=client_id,
        client_secret=secret,
        api_identifier=api_url,
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
    )
