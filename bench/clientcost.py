"""`python -m bench.clientcost`: what the driver's HTTP client costs, raw vs httpx.

The driver shares the machine with the server it measures, so its client must be cheap;
this runs the same load against the peer with each client and each event loop, and
compares the driver's own CPU per operation. Writes bench/results/clientcost.md.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import httpx
import uvloop

from bench.cli import RESULTS
from bench.driver import LoadSpec, RunResult, run_load
from bench.http import Connection, RawConnection, Response, origin_of
from bench.ops import Context, Mode, prepare
from bench.runner import CACHE, attach, pin_driver
from bench.servers import peer
from bench.target import Target


class HttpxConnection:
    """httpx.AsyncClient held to one HTTP/1.1 keep-alive connection, like RawConnection."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            http1=True,
            http2=False,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        answer = await self._client.request(method, target, headers=headers, content=body or None)
        raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in answer.headers.raw]
        return Response(answer.status_code, raw, answer.content)

    async def close(self) -> None:
        await self._client.aclose()


CLIENTS: dict[str, Callable[[Target], Callable[[], Connection]]] = {
    "raw asyncio Protocol": lambda t: lambda: RawConnection(*origin_of(t.issuer)),
    "httpx (HTTP/1.1)": lambda t: lambda: HttpxConnection(t.issuer),
}
# No cookies involved: httpx's cookie jar would otherwise add its own.
MODES = (Mode.USERINFO, Mode.CLIENT_CREDENTIALS)


async def _measure(target: Target, loop_name: str, spec: LoadSpec) -> list[str]:
    live = await attach(target, ["ES256"])
    ctx = Context(target, target.variants["ES256"], live.endpoints, live.sessions["ES256"])
    rows = []
    for mode in MODES:
        for name, client in CLIENTS.items():
            result: RunResult = await run_load(
                spec, client(target), partial(prepare, mode, ctx), live.tree
            )
            rows.append(
                f"| {mode.value} | {name} | {loop_name} | {result.driver_cpu_us:.0f} "
                f"| {result.driver_util:.2f} | {result.server_cpu_us:.0f} "
                f"| {result.ops_per_s:.0f} | {result.errors} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    spec = LoadSpec(args.concurrency, 1.0, args.duration, 1_000_000)
    pinning = pin_driver()
    server, target = peer.start(CACHE / "logs", pinning["server_core"])
    try:
        rows = asyncio.run(_measure(target, "asyncio", spec))
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            rows += runner.run(_measure(target, "uvloop", spec))
    finally:
        server.stop()
    table = "\n".join(
        [
            "# The driver's HTTP client: its own CPU per operation",
            "",
            f"Against {target.version}, c={args.concurrency}, {args.duration:g} s per row,",
            f"driver pinned to core {pinning['driver_core']}, server to core "
            f"{pinning['server_core']}. Lower driver µs/op is better.",
            "",
            "| mode | client | loop | driver CPU µs/op | driver util | server CPU µs/op "
            "| ops/s | errors |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    path = Path(RESULTS) / "clientcost.md"
    path.write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
