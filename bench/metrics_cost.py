"""`python -m bench.metrics_cost`: what Prometheus metrics cost per operation.

The same operations as bench.inprocess (tessera's ASGI app called directly, CPU time
per operation) with metrics off and on (`TESSERA_METRICS=1`, in prometheus_client's
multiprocess mode as `tessera serve` runs it), the two sides interleaved round by
round in one run so that a busy machine slows both alike; the median of each side and
their ratio, per mode; and, first, what the metrics middleware adds to one request on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass

import uvloop
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.inprocess import measure
from bench.ops import Mode
from bench.runner import CACHE
from tessera.web.endpoints.metrics import MULTIPROC_ENV


@dataclass(frozen=True)
class Cost:
    mode: Mode
    off_us: list[float]
    on_us: list[float]

    @property
    def ratio(self) -> float:
        """Median CPU per operation with metrics over the median without."""
        return statistics.median(self.on_us) / statistics.median(self.off_us)


def render(costs: list[Cost], alg: str, ops: int) -> str:
    """A Markdown table: one row per mode, medians in µs and the on/off ratio."""
    rounds = len(costs[0].off_us) if costs else 0
    lines = [
        f"Metrics off vs on, {alg}, {ops} operations x {rounds} rounds each, interleaved; "
        "CPU µs per operation (median), in process:",
        "",
        "| mode | off | on | on / off |",
        "|---|---:|---:|---:|",
    ]
    for cost in costs:
        off, on = statistics.median(cost.off_us), statistics.median(cost.on_us)
        lines.append(f"| {cost.mode.value} | {off:.0f} | {on:.0f} | {cost.ratio:.3f} |")
    return "\n".join(lines)


def run(modes: list[Mode], alg: str, ops: int, rounds: int) -> list[Cost]:
    """Each round measures each mode off and on, the order swapped every other round
    (off-on, on-off, ...) so that a drift of the machine falls on both sides."""
    costs = {mode: Cost(mode, [], []) for mode in modes}
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        for round_number in range(rounds):
            for mode in modes:
                sides = [(False, costs[mode].off_us), (True, costs[mode].on_us)]
                for metrics_on, side in sides[:: 1 if round_number % 2 == 0 else -1]:
                    if metrics_on:
                        os.environ["TESSERA_METRICS"] = "1"
                    else:
                        os.environ.pop("TESSERA_METRICS", None)
                    side.append(runner.run(measure(mode, alg, ops, profile=False)))
    return list(costs.values())


async def middleware_us(requests: int) -> float:
    """CPU µs the metrics add to one request, measured at the middleware alone: a
    trivial app called through MetricsMiddleware, less the same app called directly,
    plus counting one committed `token.issued` event."""
    # Imported here, once main has named the multiprocess directory: prometheus_client
    # picks its mode when first imported.
    from tessera.core.audit_events import Event
    from tessera.store.audit import Recorded
    from tessera.web.metrics import Metrics, MetricsMiddleware

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    metrics = Metrics(clock=time.time)
    counted = MetricsMiddleware(app, metrics=metrics)
    issued = Recorded(Event.TOKEN_ISSUED, "app", {"grant_type": "client_credentials"})
    scope: Scope = {"type": "http", "method": "POST", "path": "/oauth/token", "state": {}}

    async def timed(target: ASGIApp, audit: bool) -> float:
        started = time.process_time()
        for _ in range(requests):
            await target(dict(scope), receive, send)
            if audit:
                metrics.on_audit(issued)
        return (time.process_time() - started) / requests * 1e6

    plain = [await timed(app, False) for _ in range(3)]
    with_metrics = [await timed(counted, True) for _ in range(3)]
    return statistics.median(with_metrics) - statistics.median(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--mode",
        action="append",
        choices=[m.value for m in Mode],
        help="repeatable; default: client_credentials and flow",
    )
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="ES256")
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=20000, help="for the middleware alone")
    args = parser.parse_args()
    modes = [Mode(m) for m in args.mode or (Mode.CLIENT_CREDENTIALS.value, Mode.FLOW.value)]
    CACHE.mkdir(parents=True, exist_ok=True)
    # As `tessera serve` does before prometheus_client is first imported.
    counts = tempfile.mkdtemp(prefix="metrics-cost-", dir=CACHE)
    os.environ[MULTIPROC_ENV] = counts
    try:
        per_request = asyncio.run(middleware_us(args.requests))
        print(f"Metrics add {per_request:.1f} µs of CPU per request (middleware and one audit")
        print(f"event counted, {args.requests} requests, multiprocess mode).\n")
        print(render(run(modes, args.alg, args.ops, args.rounds), args.alg, args.ops))
    finally:
        shutil.rmtree(counts, ignore_errors=True)


if __name__ == "__main__":
    main()
