"""`tessera audit`: read the audit log."""

from __future__ import annotations

import typer

from tessera.cli.common import JSON_OPTION, iso_time, print_json, run, settings, transaction
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
                    "at": iso_time(e.at),
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
        extras = " ".join(
            f"{k}={v}"
            for k, v in {"user": e.user_id, "client": e.client_id, "ip": e.ip, **e.detail}.items()
            if v
        )
        typer.echo(f"{iso_time(e.at)} {e.event} {extras}".rstrip())
