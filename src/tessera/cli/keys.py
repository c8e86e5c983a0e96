"""`tessera keys`: signing keys and their rotation (core.key_rotation)."""

from __future__ import annotations

from typing import Any

import typer

from tessera.cli.common import (
    JSON_OPTION,
    TAKES_AN_ID,
    cli_actor,
    fail,
    iso_time,
    now,
    print_json,
    print_table,
    run,
    settings,
    transaction,
)
from tessera.core.key_rotation import (
    KeyRotationError,
    RotationPendingError,
    retire_key,
    rotate_now,
    schedule_rotation,
)
from tessera.core.keyring import ensure_current_keys
from tessera.core.models import KeyState, KeySwitch, StoredKey
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.crypto.keys import Algorithm
from tessera.web.runtime import build_key_policy

app = typer.Typer(help="List, rotate and retire signing keys.", no_args_is_help=True)


def key_view(key: StoredKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg.value,
        "state": key.state.value,
        "created_at": iso_time(key.created_at),
        "activates_at": iso_time(key.activates_at),
        "retires_at": iso_time(key.retires_at),
        "retired_at": iso_time(key.retired_at),
    }


@app.command("list")
def list_keys(
    all_keys: bool = typer.Option(False, "--all", help="Include retired keys."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List keys: `next` is published and signs from ACTIVATES_AT, `current` signs,
    `published` still verifies until RETIRES_AT, `retired` is gone."""
    config = settings()

    async def work() -> list[StoredKey]:
        async with transaction(config) as tx:
            await ensure_current_keys(tx.keys, config.enabled_algorithms, config.secret_key, now())
            return list(await tx.keys.list(include_retired=all_keys))

    views = [key_view(key) for key in run(work)]
    if as_json:
        print_json(views)
        return
    columns = ["kid", "alg", "state", "created_at", "activates_at", "retires_at"]
    if all_keys:
        columns.append("retired_at")
    print_table([{k: "" if v is None else v for k, v in view.items()} for view in views], columns)


@app.command()
def rotate(
    alg: Algorithm = typer.Option(Algorithm.RS256, "--alg"),
    at_once: bool = typer.Option(
        False, "--now", help="Sign with the new key at once (when a key may have leaked)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish a next key that signs TESSERA_KEY_PUBLISH_AHEAD seconds from now; the
    current key stays published until every token it signed has expired."""
    config = settings()
    policy = build_key_policy(config)

    async def work() -> KeySwitch | StoredKey:
        async with transaction(config) as tx:
            if at_once:
                return await rotate_now(
                    tx, policy, alg, config.secret_key, now(), actor=cli_actor()
                )
            return await schedule_rotation(
                tx, policy, alg, config.secret_key, now(), actor=cli_actor()
            )

    try:
        result = run(work)
    except RotationPendingError as exc:
        fail(
            f"{exc} and signs from {exc.pending.signs_from}: wait, retire it "
            "(tessera keys retire KID) or rotate --now"
        )
    except (AlgorithmNotEnabledError, KeyRotationError) as exc:
        fail(str(exc))
    if isinstance(result, KeySwitch):
        _print_switch(result, as_json)
    elif as_json:
        print_json(key_view(result))
    elif result.state is KeyState.NEXT:
        typer.echo(
            f"next {alg.value} key {result.kid} is published; it signs from {result.signs_from}"
        )
    else:
        typer.echo(f"new current {alg.value} key {result.kid}")


def _print_switch(switch: KeySwitch, as_json: bool) -> None:
    key, replaced = switch.activated, switch.replaced
    if as_json:
        print_json({**key_view(key), "replaced": None if replaced is None else key_view(replaced)})
        return
    typer.echo(f"new current {key.alg.value} key {key.kid}")
    if replaced is not None:
        typer.echo(f"{replaced.kid} stays published until {replaced.retires_at}")


@app.command(context_settings=TAKES_AN_ID)
def retire(kid: str) -> None:
    """Stop publishing a rotated-out key (tokens it signed stop verifying) or a next key
    (it never signed)."""
    config = settings()

    async def work() -> StoredKey | None:
        async with transaction(config) as tx:
            return await retire_key(tx, kid, now(), actor=cli_actor())

    if run(work) is None:
        fail(f"no published or next key {kid!r} (a current key cannot be retired: rotate first)")
    typer.echo(f"retired key {kid}")
