"""`tessera keys`: signing keys and their rotation."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    TAKES_AN_ID,
    fail,
    iso_time,
    now,
    print_json,
    print_table,
    run,
    settings,
    transaction,
)
from tessera.core.keyring import ensure_current_keys, new_stored_key
from tessera.core.models import StoredKey
from tessera.crypto.keys import Algorithm

app = typer.Typer(help="List, rotate and retire signing keys.", no_args_is_help=True)


def key_view(key: StoredKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg.value,
        "state": key.state.value,
        "created_at": iso_time(key.created_at),
        "retired_at": iso_time(key.retired_at),
    }


@app.command("list")
def list_keys(
    all_keys: bool = typer.Option(False, "--all", help="Include retired keys."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List keys: `current` signs, `published` still verifies, `retired` is gone."""
    config = settings()

    async def work() -> list[StoredKey]:
        async with transaction(config) as tx:
            await ensure_current_keys(tx.keys, Algorithm, config.secret_key, now())
            return list(await tx.keys.list(include_retired=all_keys))

    views = [key_view(key) for key in run(work)]
    if as_json:
        print_json(views)
    else:
        print_table(views, ["kid", "alg", "state", "created_at"])


@app.command()
def rotate(
    alg: Algorithm = typer.Option(Algorithm.RS256, "--alg"), as_json: bool = JSON_OPTION
) -> None:
    """Make a new current key; the old one stays published until retired."""
    config = settings()

    async def work() -> StoredKey:
        async with transaction(config) as tx:
            key = new_stored_key(alg, config.secret_key, now())
            await tx.keys.add(key)
            await tx.audit.record("key.rotated", now(), detail={"kid": key.kid, "alg": alg.value})
            return key

    key = run(work)
    if as_json:
        print_json(key_view(key))
    else:
        typer.echo(f"new current {alg.value} key {key.kid}")


@app.command(context_settings=TAKES_AN_ID)
def retire(kid: str) -> None:
    """Stop publishing a rotated-out key (tokens it signed stop verifying)."""
    config = settings()

    async def work() -> StoredKey | None:
        async with transaction(config) as tx:
            key = await tx.keys.retire(kid, now())
            if key is not None:
                await tx.audit.record("key.retired", now(), detail={"kid": kid})
            return key

    if run(work) is None:
        fail(f"no published key {kid!r} (a current key cannot be retired: rotate first)")
    typer.echo(f"retired key {kid}")
