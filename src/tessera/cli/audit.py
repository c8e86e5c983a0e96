"""`tessera audit`: read the audit log."""

from __future__ import annotations

import datetime as dt

import typer

from tessera.cli.common import JSON_OPTION, print_json, run, settings, transaction
from tessera.core.models import AuditEvent

app = typer.Typer(help="Read the audit log.", no_args_is_help=True)


@app.command()
def tail(
    lines: int = typer.Option(20, "-n", "--lines", min=1, max=10000), as_json: bool = JSON_OPTION
) -> None:
    """The most recent events, oldest first."""
    config = settings()

    async def work() -> list[AuditEvent]:
        async with transaction(config) as tx:
            return list(await tx.audit.tail(lines))

    events = run(work)
    if as_json:
        print_json(
            [
                {
                    "id": e.id,
                    "at": e.at,
                    "event": e.event,
                    "user_id": e.user_id,
                    "client_id": e.client_id,
                    "ip": e.ip,
                    "detail": e.detail,
                }
                for e in events
            ]
        )
        return
    for e in events:
        when = dt.datetime.fromtimestamp(e.at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        extras = " ".join(
            f"{k}={v}"
            for k, v in {"user": e.user_id, "client": e.client_id, "ip": e.ip, **e.detail}.items()
            if v
        )
        typer.echo(f"{when} {e.event} {extras}".rstrip())
