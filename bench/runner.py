"""One benchmark run: both servers up, users signed in, cases interleaved, results kept.

Cases run round-robin over repetitions in shuffled order, and the two servers in
shuffled order within each case, so a noisy phase of the machine hits both alike; the
ratios are then taken within this one run. The servers share one core (they take turns;
an idle server costs nothing) and the driver has the other.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench.driver import LoadSpec, RunResult, run_load
from bench.http import Connection, RawConnection, origin_of
from bench.login import sign_in
from bench.oidc import CheckError, Endpoints, authorization_request, discover
from bench.ops import Context, Mode, prepare
from bench.procstat import ProcessTree
from bench.servers import peer, tessera
from bench.servers.process import ServerError, ServerProcess
from bench.target import FLOW_SCOPE, PASSWORD, REDIRECT_URI, USERNAME, Target

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"


@dataclass(frozen=True)
class Case:
    mode: Mode
    alg: str
    concurrency: int


@dataclass(frozen=True)
class Record:
    """One run of one case against one target, or why it could not run."""

    target: str
    case: Case
    rep: int
    result: RunResult | None
    unavailable: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.case.mode.value,
            "alg": self.case.alg,
            "concurrency": self.case.concurrency,
            "rep": self.rep,
            "result": None if self.result is None else self.result.as_dict(),
            "unavailable": self.unavailable,
        }


@dataclass(frozen=True)
class Unstarted:
    """A server that did not start: every case against it is reported unavailable."""

    name: str
    reason: str


@dataclass
class Live:
    """A running target with what the driver learnt about it."""

    target: Target
    tree: ProcessTree
    endpoints: Endpoints
    sessions: dict[str, str | None]  # by algorithm; None when signing in failed
    sign_in_error: str | None


def pin_driver() -> dict[str, int | None]:
    """Pin this process to the second allowed core and leave the first to the servers."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print("warning: fewer than 2 cores; nothing pinned, driver and server compete")
        return {"server_core": None, "driver_core": None}
    os.sched_setaffinity(0, {cores[1]})
    return {"server_core": cores[0], "driver_core": cores[1]}


def connector(target: Target) -> Callable[[], Connection]:
    host, port = origin_of(target.issuer)
    return lambda: RawConnection(host, port)


async def session_cookie(conn: Connection, target: Target, endpoints: Endpoints, alg: str) -> str:
    """Sign the bench user in and consent for the variant's client; the session cookie."""
    variant = target.variants[alg]
    start = authorization_request(
        endpoints.authorization,
        variant.client_id,
        REDIRECT_URI,
        FLOW_SCOPE,
        {target.audience_param: variant.audience},
    )
    return await sign_in(conn, target.origin, start.target, REDIRECT_URI, USERNAME, PASSWORD)


async def _session(target: Target, endpoints: Endpoints, alg: str) -> str:
    conn = connector(target)()
    try:
        return await session_cookie(conn, target, endpoints, alg)
    finally:
        await conn.close()


async def attach(target: Target, algs: Sequence[str]) -> Live:
    """Discover the target's endpoints and sign in once per algorithm's client."""
    conn = connector(target)()
    try:
        endpoints = await discover(conn, target.issuer)
    finally:
        await conn.close()
    sessions: dict[str, str | None] = {}
    error = None
    for alg in algs:
        try:
            sessions[alg] = await _session(target, endpoints, alg)
        except CheckError as exc:
            sessions[alg], error = None, f"needs a signed-in session; signing in failed: {exc}"
    return Live(target, ProcessTree(target.pid), endpoints, sessions, error)


async def run_case(live: Live, case: Case, spec: LoadSpec, rep: int) -> Record:
    name = live.target.name
    session = live.sessions.get(case.alg)
    if case.mode.needs_session and session is None:
        return Record(name, case, rep, None, live.sign_in_error)
    ctx = Context(live.target, live.target.variants[case.alg], live.endpoints, session)
    try:
        result = await run_load(
            spec, connector(live.target), partial(prepare, case.mode, ctx), live.tree
        )
    except CheckError as exc:  # the unmeasured setup failed: the mode does not work
        return Record(name, case, rep, None, f"setup failed: {exc}")
    return Record(name, case, rep, result)


async def execute(
    targets: Sequence[Target | Unstarted],
    cases: Sequence[Case],
    reps: int,
    spec: Callable[[Case], LoadSpec],
    progress: Callable[[Record], None],
) -> list[Record]:
    """Every case against every target, `reps` times, interleaved (module docstring)."""
    algs = sorted({case.alg for case in cases})
    lives = [
        target if isinstance(target, Unstarted) else await attach(target, algs)
        for target in targets
    ]
    records = []
    shuffle = random.Random()
    for rep in range(reps):
        for case in shuffle.sample(list(cases), len(cases)):
            for live in shuffle.sample(lives, len(lives)):
                if isinstance(live, Unstarted):
                    record = Record(live.name, case, rep, None, live.reason)
                else:
                    record = await run_case(live, case, spec(case), rep)
                progress(record)
                records.append(record)
    return records


@contextmanager
def servers(core: int | None) -> Iterator[list[Target | Unstarted]]:
    """Start tessera and the peer on `core`; stop both whatever happens. A server that
    fails to start is reported, not fatal: the other one still gets measured."""
    logs = CACHE / "logs"
    with ExitStack() as stack:
        CACHE.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
        stack.callback(shutil.rmtree, workdir, True)
        starters: list[tuple[str, Callable[[], tuple[ServerProcess, Target]]]] = [
            ("tessera", partial(tessera.start, workdir / "tessera", logs, core)),
            ("node-oidc-provider", partial(peer.start, logs, core)),
        ]
        targets: list[Target | Unstarted] = []
        for name, start in starters:
            try:
                server, target = start()
            except ServerError as exc:
                targets.append(Unstarted(name, f"did not start: {exc}"))
                continue
            stack.callback(server.stop)
            targets.append(target)
        yield targets


@asynccontextmanager
async def tessera_alone(alg: str, prefix: str) -> AsyncIterator[tuple[Live, Context]]:
    """tessera started by itself on the server core and signed in for `alg`'s client, for
    the tools that study tessera alone (bench.profile, bench.memory); stopped after."""
    server_core = pin_driver()["server_core"]
    data_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=CACHE))
    server, target = tessera.start(data_dir, CACHE / "logs", server_core)
    try:
        live = await attach(target, [alg])
        yield live, Context(target, target.variants[alg], live.endpoints, live.sessions[alg])
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
