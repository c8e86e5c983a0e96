"""The command line shared by `python -m bench.quick` and `python -m bench.full`."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

import uvloop

from bench import report
from bench.driver import LoadSpec
from bench.environment import describe
from bench.ops import Mode
from bench.runner import Case, Record, Unstarted, execute, pin_driver, servers
from bench.target import ALGORITHMS

RESULTS = Path(__file__).resolve().parent / "results"
# Modes whose cost does not depend on the signing algorithm run with RS256 only.
ALG_INDEPENDENT = {Mode.AUTHORIZE, Mode.USERINFO}


@dataclass(frozen=True)
class Defaults:
    name: str  # results file name
    title: str
    concurrency: tuple[int, ...]
    reps: int
    warmup_s: float
    duration_s: float
    max_ops: int = 1_000_000


def _arguments(defaults: Defaults) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=defaults.title)
    parser.add_argument("--concurrency", type=int, nargs="+", default=defaults.concurrency)
    parser.add_argument("--reps", type=int, default=defaults.reps)
    parser.add_argument("--warmup", type=float, default=defaults.warmup_s, help="seconds")
    parser.add_argument("--duration", type=float, default=defaults.duration_s, help="seconds")
    parser.add_argument("--max-ops", type=int, default=defaults.max_ops, help="per run")
    parser.add_argument("--modes", nargs="+", choices=[m.value for m in Mode])
    parser.add_argument("--algs", nargs="+", choices=ALGORITHMS, default=ALGORITHMS)
    parser.add_argument("--name", default=defaults.name, help="results file name")
    return parser.parse_args()


def cases(modes: list[Mode], algs: list[str], concurrency: list[int]) -> list[Case]:
    return [
        Case(mode, alg, c)
        for c in concurrency
        for mode in modes
        for alg in algs
        if mode not in ALG_INDEPENDENT or alg == algs[0]
    ]


def _progress(record: Record) -> None:
    case = f"{record.target:<18} {record.case.mode.value:<18} {record.case.alg} "
    case += f"c={record.case.concurrency:<3} rep {record.rep}"
    result = record.result
    if result is None:
        print(f"{case}  n/a: {record.unavailable}", flush=True)
        return
    print(
        f"{case}  {result.ops_per_s:8.0f} ops/s  server {result.server_cpu_us:7.0f} µs/op "
        f"(util {result.server_util:.2f})  p99 {result.p99_ms:6.1f} ms  driver "
        f"{result.driver_cpu_us:5.0f} µs/op (util {result.driver_util:.2f})  "
        f"errors {result.errors}",
        flush=True,
    )


def main(defaults: Defaults) -> None:
    args = _arguments(defaults)
    modes = [Mode(m) for m in args.modes] if args.modes else list(Mode)
    plan = cases(modes, list(args.algs), list(args.concurrency))

    def spec(case: Case) -> LoadSpec:
        return LoadSpec(case.concurrency, args.warmup, args.duration, args.max_ops)

    pinning = pin_driver()
    with servers(pinning["server_core"]) as targets:
        versions = {
            t.name: t.version if not isinstance(t, Unstarted) else "did not start" for t in targets
        }
        meta = describe(versions, pinning)
        meta["settings"] = (
            f"warm-up {args.warmup:g} s, {args.duration:g} s measured, {args.reps} rep(s), "
            "one keep-alive connection per concurrent client"
        )
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            records = runner.run(execute(targets, plan, args.reps, spec, _progress))
    md_path, json_path = report.write(RESULTS, args.name, defaults.title, meta, records)
    print()
    print(md_path.read_text())
    print(f"written: {md_path}, {json_path}")
