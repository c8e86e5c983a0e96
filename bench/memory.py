"""`python -m bench.memory`: tessera's resident memory over 100k full flows, one worker.

A server that keeps something per flow (a cache without a bound, a list of issued
tokens) shows it here long before production does. Starts tessera alone on one core,
runs full code+PKCE flows in bounded chunks from the other, and reads the worker's
RSS from /proc after each chunk; the verdict is the RSS at the end and its growth over
the last half of the flows. Writes bench/results/memory.md and memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from functools import partial

import uvloop

from bench.cli import RESULTS
from bench.driver import LoadSpec, run_load
from bench.environment import describe
from bench.ops import Mode, prepare
from bench.runner import connector, tessera_alone

CHUNK_TIMEOUT_S = 300.0  # a chunk that takes longer than this is cut short


@dataclass(frozen=True)
class Sample:
    flows: int  # completed so far
    rss_mib: float
    server_cpu_us: float  # CPU per flow within the chunk


async def _sample(alg: str, total: int, chunk: int, concurrency: int) -> list[Sample]:
    async with tessera_alone(alg, "memory-") as (live, ctx):
        samples = [Sample(0, live.tree.rss_mib(), 0.0)]
        load = partial(prepare, Mode.FLOW, ctx)
        while samples[-1].flows < total:
            spec = LoadSpec(concurrency, 0.0, CHUNK_TIMEOUT_S, chunk)
            result = await run_load(spec, connector(live.target), load, live.tree)
            if result.ops == 0:
                raise RuntimeError(f"no flow completed: {result.first_error}")
            flows = samples[-1].flows + result.ops
            samples.append(Sample(flows, result.server_rss_mib, result.server_cpu_us))
            print(
                f"{flows:>7} flows  RSS {result.server_rss_mib:6.1f} MiB  "
                f"{result.server_cpu_us:5.0f} µs/flow  errors {result.errors}",
                flush=True,
            )
        return samples


def growth_over_last_half(samples: list[Sample]) -> float:
    """RSS at the end minus RSS at the first sample past half of the flows, MiB."""
    half = samples[-1].flows / 2
    middle = next(s for s in samples if s.flows >= half)
    return samples[-1].rss_mib - middle.rss_mib


def render(samples: list[Sample], meta: str, alg: str) -> str:
    rows = [f"| {s.flows:,} | {s.rss_mib:.1f} | {s.server_cpu_us:.0f} |" for s in samples[1:]]
    return "\n".join(
        [
            f"# tessera memory over {samples[-1].flows:,} full flows ({alg}, one worker)",
            "",
            meta,
            "",
            f"RSS after the last flow: **{samples[-1].rss_mib:.1f} MiB** (at start, signed in: "
            f"{samples[0].rss_mib:.1f} MiB); growth over the last half of the flows: "
            f"**{growth_over_last_half(samples):+.1f} MiB**.",
            "",
            "| flows | worker RSS MiB | server CPU µs per flow in the chunk |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="ES256")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        samples = runner.run(_sample(args.alg, args.flows, args.chunk, args.concurrency))
    env = describe({}, {})
    meta = (
        f"{env['date']}, tessera {env['tessera_revision']}, Python {env['python']}, "
        f"c={args.concurrency}, chunks of {args.chunk:,} flows."
    )
    text = render(samples, meta, args.alg)
    (RESULTS / "memory.md").write_text(text)
    document = {"meta": env, "alg": args.alg, "samples": [s.__dict__ for s in samples]}
    (RESULTS / "memory.json").write_text(json.dumps(document, indent=1, default=str) + "\n")
    print(text)


if __name__ == "__main__":
    main()
