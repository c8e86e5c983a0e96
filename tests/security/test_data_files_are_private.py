"""Security rule: the embedded defaults are the owner's alone. The data dir is created
0700; the SQLite database, its -wal and -shm files and the generated secret key 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.settings import ensure_secret_key, load_settings
from tessera.web.app import open_runtime


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most accounts have (0022), which alone would leave files world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
async def test_the_data_dir_database_and_secret_key_are_created_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "var"
    settings = ensure_secret_key(load_settings(data_dir=data_dir))
    runtime = await open_runtime(settings)  # Migrates and writes the signing keys.
    try:
        files = {path.name: mode(path) for path in data_dir.iterdir()}
    finally:
        await runtime.store.close()
    assert mode(data_dir) == 0o700
    assert files == {
        "secret.key": 0o600,
        "tessera.db": 0o600,
        "tessera.db-wal": 0o600,
        "tessera.db-shm": 0o600,
    }


@pytest.mark.usefixtures("usual_umask")
async def test_a_database_named_by_url_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "auth.db"
    settings = load_settings(
        data_dir=tmp_path / "unused",
        database_url=f"sqlite:///{path}",
        secret_key="a-secret-key-of-more-than-32-bytes",
    )
    runtime = await open_runtime(settings)
    await runtime.store.close()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
