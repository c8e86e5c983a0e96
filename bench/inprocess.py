"""`python -m bench.inprocess`: tessera's CPU per operation without sockets, for A/B tests.

The server benchmark (bench.full) is the figure to publish, but on a busy two-core
machine its runs move by 5-10 %, more than most single changes to the hot path. This
runs the same operations (bench.ops, with their checks) against tessera's ASGI app
called directly in this one process: no uvicorn, no loopback TCP, no second process.
What is measured is the process's CPU time per operation: tessera's own work plus the
driver's side of each operation, the same on both sides of a comparison. Interleave
the two sides a few times; to compare revisions, point PYTHONPATH at each one's src/
(`git archive REV src | tar -x -C DIR`). `--profile` prints cProfile's top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import uvloop
from starlette.types import ASGIApp, Message

import tessera
from bench.http import Response
from bench.oidc import discover
from bench.ops import Context, Mode, prepare
from bench.runner import CACHE, session_cookie
from bench.servers import tessera as provisioned
from tessera.web.app import app_from_env

ISSUER = "http://127.0.0.1:9"  # never listened on: requests go straight to the app
WARMUP_OPS = 200


class ASGIConnection:
    """bench.http.Connection over a direct call of the app, one request at a time."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        path, _, query = target.partition("?")
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        raw += [(b"host", b"127.0.0.1:9"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "headers": raw,
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 9),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status, response_headers, chunks = 0, [], []

        async def receive() -> Message:
            if messages:
                return messages.pop()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    (k.decode().lower(), v.decode()) for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app(scope, receive, send)
        return Response(status, response_headers, b"".join(chunks))

    async def close(self) -> None:
        return None


async def measure(mode: Mode, alg: str, ops: int, profile: bool) -> float:
    """CPU µs per operation of `ops` operations after a warm-up (see module docstring)."""
    data_dir = Path(tempfile.mkdtemp(prefix="inprocess-", dir=CACHE))
    try:
        env = provisioned.settings_env(data_dir, ISSUER)
        clients, machine_id, machine_secret = provisioned.provision(env)
        os.environ.update(env)  # the settings app_from_env reads
        app = app_from_env()
        async with app.router.lifespan_context(app):
            conn = ASGIConnection(app)
            target = provisioned.target_of(ISSUER, os.getpid(), clients, machine_id, machine_secret)
            endpoints = await discover(conn, ISSUER)
            cookie = await session_cookie(conn, target, endpoints, alg)
            ctx = Context(target, target.variants[alg], endpoints, cookie)
            op = await prepare(mode, ctx, conn)
            for _ in range(WARMUP_OPS):
                await op()
            profiler = cProfile.Profile() if profile else None
            started = time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(ops):
                await op()
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return (time.process_time() - started) / ops * 1e6
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.FLOW.value)
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="ES256")
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="cProfile (slows it down)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        cpu_us = runner.run(measure(Mode(args.mode), args.alg, args.ops, args.profile))
    source = Path(tessera.__file__).parent
    print(f"{args.mode} {args.alg}: {cpu_us:.0f} µs CPU per operation, in process ({source})")


if __name__ == "__main__":
    main()
