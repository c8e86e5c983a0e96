"""A minimal HTTP/1.1 keep-alive client on asyncio streams: the driver's wire.

The driver must cost the machine far less than the servers it measures, so it speaks
just the HTTP/1.1 a loopback benchmark needs (one connection per concurrent worker,
Content-Length or chunked bodies, no redirects followed) instead of a general client.
`python -m bench.clientcost` measures it against httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

MAX_BODY = 4 * 1024 * 1024
MAX_CHUNKS = 10_000


class HTTPError(Exception):
    """The server broke the protocol, or closed the connection mid-response."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]  # lower-case names, in order
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


class Connection(Protocol):
    """What the driver needs from an HTTP client: one request at a time, keep-alive."""

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response: ...

    async def close(self) -> None: ...


def origin_of(url: str) -> tuple[str, int]:
    """Host and port of an http:// URL (the benchmark runs on loopback, without TLS)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise ValueError(f"only http:// URLs on loopback are benchmarked: {url}")
    return parts.hostname, parts.port or 80


def parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Status code and headers of a response head (ending in CRLF CRLF)."""
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
        raise HTTPError(f"bad status line {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return int(status_line[1]), headers


class RawConnection:
    """One keep-alive HTTP/1.1 connection, opened on first use and again after the
    server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._host_header = f"Host: {host}:{port}\r\n"
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        if self._streams is None or self._streams[1].is_closing():
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1\r\n", self._host_header]
        if headers:
            lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append("\r\n")
        writer.write("".join(lines).encode("latin-1") + body)
        try:
            status, response_headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
            response = Response(
                status, response_headers, await _read_body(reader, response_headers)
            )
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self.close()
            raise HTTPError("connection closed or response head too large") from exc
        if response.header("connection") == "close":
            await self.close()
        return response

    async def close(self) -> None:
        streams, self._streams = self._streams, None
        if streams is not None:
            streams[1].close()
            with contextlib.suppress(OSError):
                await streams[1].wait_closed()


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    length = next((value for name, value in headers if name == "content-length"), None)
    if length is not None:
        if int(length) > MAX_BODY:
            raise HTTPError("response body too large")
        return await reader.readexactly(int(length))
    if any(name == "transfer-encoding" and "chunked" in value for name, value in headers):
        return await _read_chunked(reader)
    return b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    for _ in range(MAX_CHUNKS):
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected on loopback
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise HTTPError("response body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    raise HTTPError("too many chunks")
