"""`python -m bench.profile`: where tessera's server CPU goes in one benchmark mode.

Starts tessera alone on core 0, drives one mode from core 1, and has py-spy sample the
server from outside meanwhile (no instrumentation inside the process being measured;
idle time in the event loop's poll is not sampled, so samples are CPU). Each sample is
attributed to a component by its innermost frame that belongs to one, so a signature
computed in C counts for the JWT code that called it, and a SQLite statement for the
store. Writes the collapsed stacks (flame-graph input) to bench/.cache/ and the summary
to bench/results/profile-MODE-ALG.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import uvloop

from bench.cli import RESULTS
from bench.driver import LoadSpec, RunResult, run_load
from bench.environment import describe
from bench.ops import Mode, prepare
from bench.runner import CACHE, connector, tessera_alone

# Innermost matching frame wins; patterns are tried in order against "path:function".
COMPONENTS: list[tuple[str, re.Pattern[str]]] = [
    ("password hashing", re.compile(r"argon2")),
    ("JWT signing and keys (tessera.crypto, joserfc, cryptography)",
     re.compile(r"tessera/crypto/|/joserfc/|/cryptography/")),
    ("JSON encode/decode", re.compile(r"/json/")),
    ("database (tessera.store, sqlite3, asyncpg)", re.compile(r"tessera/store/|sqlite3|asyncpg")),
    ("protocol logic (tessera.core)", re.compile(r"tessera/core/")),
    ("web layer (tessera.web)", re.compile(r"tessera/web/")),
    ("Starlette", re.compile(r"/starlette/")),
    ("uvicorn + httptools", re.compile(r"/uvicorn/|httptools")),
    ("form and URL parsing (urllib, multipart)", re.compile(r"urllib/|multipart")),
    ("event loop (asyncio, uvloop)", re.compile(r"asyncio/|uvloop")),
]  # fmt: skip
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*?)(?::(?P<line>\d+))?\)$")
SAMPLING_GRACE = 30.0


@dataclass(frozen=True)
class Frame:
    function: str
    path: str

    @property
    def label(self) -> str:
        return f"{self.function} ({shorten(self.path)})"


def shorten(path: str) -> str:
    """The part of a source path a reader recognises: from the package directory on."""
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1].removeprefix(".11/")
    return path


def parse_collapsed(lines: Iterable[str]) -> list[tuple[list[Frame], int]]:
    """py-spy's raw output: `frame;frame;...;innermost COUNT` per line."""
    stacks = []
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for text in stack.split(";"):
            match = FRAME.match(text)
            if match:
                frames.append(Frame(match["function"], match["path"]))
            else:  # a thread or process name, or a native frame without a path
                frames.append(Frame(text, ""))
        stacks.append((frames, int(count)))
    return stacks


def component(frames: list[Frame]) -> str:
    for frame in reversed(frames):
        where = f"{frame.path}:{frame.function}"
        for name, pattern in COMPONENTS:
            if pattern.search(where):
                return name
    return "other"


@dataclass(frozen=True)
class Profile:
    total: int
    components: Counter[str]
    own: Counter[str]
    inclusive: Counter[str]


def summarise(stacks: list[tuple[list[Frame], int]]) -> Profile:
    components: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        components[component(frames)] += count
        real = [f for f in frames if f.path]
        if real:
            own[real[-1].label] += count
        for label in {f.label for f in real if "tessera/" in f.path}:
            inclusive[label] += count
    return Profile(sum(components.values()), components, own, inclusive)


def render(profile: Profile, result: RunResult, title: str, meta: str, top: int = 15) -> str:
    """Shares of samples, turned into µs per operation with the run's measured CPU."""
    per_sample = result.server_cpu_us / profile.total if profile.total else 0.0

    def rows(counter: Counter[str]) -> list[str]:
        return [
            f"| {name} | {100 * n / profile.total:.1f} % | {n * per_sample:.0f} |"
            for name, n in counter.most_common(top)
        ]

    header = ["| | share of samples | ≈ µs per op |", "|---|---|---|"]
    return "\n".join(
        [
            f"# {title}",
            "",
            meta,
            "",
            f"{result.ops_per_s:.0f} ops/s, {result.server_cpu_us:.0f} µs of server CPU per op "
            f"(util {result.server_util:.2f}), {profile.total} samples. µs per op = the "
            "share of samples times the measured CPU per op.",
            "",
            "## By component (innermost frame that belongs to one)",
            "",
            *header,
            *rows(profile.components),
            "",
            "## Functions by own time (innermost Python frame)",
            "",
            *header,
            *rows(profile.own),
            "",
            "## tessera functions by inclusive time",
            "",
            *header,
            *rows(profile.inclusive),
            "",
        ]
    )


async def _drive(
    mode: Mode, alg: str, spec: LoadSpec, stacks_path: Path, seconds: float
) -> RunResult:
    async with tessera_alone(alg, "profile-") as (live, ctx):
        spy = subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(live.target.pid),
             "--duration", str(int(seconds)), "--rate", "250", "--nonblocking",
             "--format", "raw", "--output", str(stacks_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            load = partial(prepare, mode, ctx)
            return await run_load(spec, connector(live.target), load, live.tree)
        finally:
            spy.wait(SAMPLING_GRACE + seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.FLOW.value)
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    mode = Mode(args.mode)
    collapsed = CACHE / f"profile-{mode.value}-{args.alg}.collapsed"
    spec = LoadSpec(args.concurrency, 1.0, args.duration, 10_000_000)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(_drive(mode, args.alg, spec, collapsed, args.duration + 1))
    profile = summarise(parse_collapsed(collapsed.read_text().splitlines()))
    title = f"tessera server profile: {mode.value}, {args.alg}, c={args.concurrency}"
    env = describe({}, {})
    calibration = env["machine"]["calibration"]
    meta = (
        f"{env['date']}, tessera {env['tessera_revision']}, py-spy at 250 Hz; on this machine "
        f"one RSA-2048 / P-256 signature costs {calibration['rs256_sign_us']:.0f} / "
        f"{calibration['es256_sign_us']:.0f} µs CPU."
    )
    text = render(profile, result, title, meta)
    path = RESULTS / f"profile-{mode.value}-{args.alg}.md"
    path.write_text(text)
    print(text)
    print(f"written: {path}; stacks: {collapsed}")


if __name__ == "__main__":
    main()
