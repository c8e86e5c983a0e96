"""Closed-loop load: N workers, each with its own keep-alive connection, for a bounded time.

A run is warm-up, then a measured window. Within the window the driver counts
completed operations and their latencies, and samples CPU time twice: the server's
process tree (from /proc) and its own process. Dividing both by the operations gives
the cost per operation of each side; the driver's utilisation shows it had headroom.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench.http import Connection, HTTPError
from bench.oidc import CheckError
from bench.ops import Op
from bench.procstat import ProcessTree
from bench.stats import percentile

MAX_ERRORS = 200  # a run that fails this often is broken, not slow: stop it
DRAIN_TIMEOUT = 10.0


@dataclass(frozen=True)
class LoadSpec:
    concurrency: int
    warmup_s: float
    duration_s: float
    max_ops: int  # an upper bound on operations per run, warm-up included


@dataclass(frozen=True)
class RunResult:
    ops: int  # completed successfully in the measured window
    errors: int
    first_error: str | None
    wall_s: float
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float  # server CPU time per completed operation
    server_util: float  # server CPU seconds per wall second (1.0 = a whole core)
    driver_cpu_us: float
    driver_util: float
    server_rss_mib: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Window:
    """Shared by the workers: whether to record, and what was recorded."""

    def __init__(self) -> None:
        self.measuring = False
        self.stopping = False
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None

    def fail(self, exc: Exception) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {exc}"
        if self.errors >= MAX_ERRORS:
            self.stopping = True


async def _worker(op: Op, window: _Window, budget: int) -> None:
    for _ in range(budget):
        if window.stopping:
            return
        started = time.perf_counter()
        try:
            await op()
        except (CheckError, HTTPError, OSError, ValueError) as exc:
            if window.measuring:
                window.fail(exc)
            continue
        if window.measuring:
            window.latencies.append(time.perf_counter() - started)


async def run_load(
    spec: LoadSpec,
    connect: Callable[[], Connection],
    prepare: Callable[[Connection], Awaitable[Op]],
    server: ProcessTree,
) -> RunResult:
    """Run one closed-loop load and measure it (see the module docstring)."""
    connections = [connect() for _ in range(spec.concurrency)]
    try:
        ops = [await prepare(conn) for conn in connections]
        window = _Window()
        budget = math.ceil(spec.max_ops / spec.concurrency)
        tasks = [asyncio.create_task(_worker(op, window, budget)) for op in ops]
        await asyncio.wait(tasks, timeout=spec.warmup_s)
        cpu0, own0, wall0 = server.cpu_seconds(), time.process_time(), time.perf_counter()
        window.measuring = True
        await asyncio.wait(tasks, timeout=spec.duration_s)
        window.measuring = False
        cpu1, own1, wall1 = server.cpu_seconds(), time.process_time(), time.perf_counter()
        window.stopping = True
        await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT)
        for task in tasks:
            task.cancel()
    finally:
        for conn in connections:
            await conn.close()
    return _summarise(window, wall1 - wall0, cpu1 - cpu0, own1 - own0, server.rss_mib())


def _summarise(
    window: _Window, wall: float, server_cpu: float, driver_cpu: float, rss: float
) -> RunResult:
    latencies = sorted(window.latencies)
    ops = len(latencies)
    per_op = 1e6 / ops if ops else math.nan
    return RunResult(
        ops=ops,
        errors=window.errors,
        first_error=window.first_error,
        wall_s=wall,
        ops_per_s=ops / wall,
        p50_ms=percentile(latencies, 0.50) * 1e3 if ops else math.nan,
        p99_ms=percentile(latencies, 0.99) * 1e3 if ops else math.nan,
        server_cpu_us=server_cpu * per_op,
        server_util=server_cpu / wall,
        driver_cpu_us=driver_cpu * per_op,
        driver_util=driver_cpu / wall,
        server_rss_mib=rss,
    )
