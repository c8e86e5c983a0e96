"""A minimal HTTP/1.1 keep-alive client on an asyncio Protocol: the driver's wire.

The driver must cost the machine far less than the servers it measures, so it speaks
just the HTTP/1.1 a loopback benchmark needs (one connection per concurrent worker,
Content-Length or chunked bodies, no redirects followed) instead of a general client,
and parses a response from the bytes received in one pass instead of awaiting a
stream per line. `python -m bench.clientcost` measures it against httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
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
    """Status code and headers of a response head (without the final CRLF CRLF)."""
    status_line, _, rest = head.decode("latin-1").partition("\r\n")
    version, _, status = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not status[:3].isdigit():
        raise HTTPError(f"bad status line {status_line!r}")
    lines = (line.partition(":") for line in rest.split("\r\n")) if rest else ()
    return int(status[:3]), [(name.lower(), value.strip()) for name, _, value in lines]


def parse_response(data: bytes) -> tuple[Response, int] | None:
    """The first complete response in `data` and how many bytes it took, or None if
    more bytes are needed. Raises HTTPError on what HTTP/1.1 does not allow."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > MAX_HEAD:
            raise HTTPError("response head too large")
        return None
    status, headers = parse_head(data[:end])
    start = end + 4
    length = next((value for name, value in headers if name == "content-length"), None)
    if length is not None:
        if int(length) > MAX_BODY:
            raise HTTPError("response body too large")
        stop = start + int(length)
        return (Response(status, headers, data[start:stop]), stop) if len(data) >= stop else None
    if any(name == "transfer-encoding" and "chunked" in value for name, value in headers):
        return _parse_chunked(data, start, status, headers)
    return Response(status, headers, b""), start


def _parse_chunked(
    data: bytes, position: int, status: int, headers: list[tuple[str, str]]
) -> tuple[Response, int] | None:
    parts: list[bytes] = []
    total = 0
    for _ in range(MAX_CHUNKS):
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(data[position:line_end].split(b";")[0], 16)
        position = line_end + 2
        if size == 0:  # no trailers expected on loopback
            return (
                (Response(status, headers, b"".join(parts)), position + 2)
                if len(data) >= position + 2
                else None
            )
        total += size
        if total > MAX_BODY:
            raise HTTPError("response body too large")
        if len(data) < position + size + 2:
            return None
        parts.append(data[position : position + size])
        position += size + 2
    raise HTTPError("too many chunks")


class _ClientProtocol(asyncio.Protocol):
    """Buffers what arrives and completes the waiting request once a response is whole."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[Response] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = parse_response(self.buffer)
        except (HTTPError, ValueError) as exc:
            waiter.set_exception(HTTPError(str(exc)))
            return
        if parsed is not None:
            response, used = parsed
            self.buffer = self.buffer[used:]
            waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HTTPError("connection closed before a whole response"))


class RawConnection:
    """One keep-alive HTTP/1.1 connection, opened on first use and again after the
    server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._host_header = f"Host: {host}:{port}\r\n"
        self._protocol: _ClientProtocol | None = None

    async def _connected(self) -> tuple[_ClientProtocol, asyncio.Transport]:
        protocol = self._protocol
        if protocol is None or protocol.transport is None or protocol.transport.is_closing():
            loop = asyncio.get_running_loop()
            _, protocol = await loop.create_connection(_ClientProtocol, self.host, self.port)
            self._protocol = protocol
        if protocol.transport is None:
            raise HTTPError("connection closed")
        return protocol, protocol.transport

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        protocol, transport = await self._connected()
        lines = [f"{method} {target} HTTP/1.1\r\n", self._host_header]
        if headers:
            lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append("\r\n")
        protocol.buffer = b""
        protocol.waiter = asyncio.get_running_loop().create_future()
        transport.write("".join(lines).encode("latin-1") + body)
        response = await protocol.waiter
        if response.header("connection") == "close":
            await self.close()
        return response

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
