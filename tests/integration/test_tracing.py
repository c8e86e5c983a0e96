"""OpenTelemetry tracing of a real `tessera serve`, received by a small OTLP/HTTP
collector: spans are named by route template (the raw path is only an attribute), and
no query string (a logout's id_token_hint) reaches them. Without OTEL_EXPORTER_OTLP_ENDPOINT no
OpenTelemetry module is loaded; with it but without the otel extra, serve exits with
one line."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import TEST_SECRET_KEY
from tests.support.server import TESSERA, TesseraServer

pytestmark = pytest.mark.integration

MARKER = "eyJhbGciOiJSUzI1NiJ9.not-a-real-id-token-hint"


class Collector(ThreadingHTTPServer):
    """Keeps the body of every export it receives at /v1/traces."""

    def __init__(self) -> None:
        self.exports: list[bytes] = []

        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if self.path == "/v1/traces":
                    collector.exports.append(body)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def span_names(self) -> set[str]:
        names: set[str] = set()
        for body in self.exports:
            request = ExportTraceServiceRequest.FromString(body)
            for resource in request.resource_spans:
                for scoped in resource.scope_spans:
                    names.update(span.name for span in scoped.spans)
        return names

    def services(self) -> set[str]:
        return {
            attribute.value.string_value
            for body in self.exports
            for resource in ExportTraceServiceRequest.FromString(body).resource_spans
            for attribute in resource.resource.attributes
            if attribute.key == "service.name"
        }


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_requests_are_traced_by_route_and_without_their_query(
    tmp_path: Path, collector: Collector
) -> None:
    node = TesseraServer(
        tmp_path / "data",
        TESSERA_SECRET_KEY=TEST_SECRET_KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_address[1]}",
        OTEL_BSP_SCHEDULE_DELAY="100",
    ).start()
    try:
        httpx.get(node.issuer + "/logout", params={"id_token_hint": MARKER})
        httpx.get(node.issuer + "/no/such/path")
        wanted = {"GET /healthz", "GET /logout", "GET unmatched"}
        deadline = time.monotonic() + 20
        while not wanted <= collector.span_names() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        node.stop()
    assert wanted <= collector.span_names(), collector.span_names()
    assert collector.services() == {"tessera"}
    sent = b"".join(collector.exports)
    assert MARKER.encode() not in sent and b"id_token_hint" not in sent


def test_without_an_endpoint_no_opentelemetry_module_is_loaded() -> None:
    script = (
        "import sys\n"
        "from tessera.settings import load_settings\n"
        "from tessera.web.app import create_app\n"
        "create_app(load_settings(secret_key='x' * 32, metrics=True))\n"
        "loaded = [name for name in sys.modules if name.startswith('opentelemetry')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_an_endpoint_without_the_otel_extra_is_one_line_and_no_server(tmp_path: Path) -> None:
    node = TesseraServer(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")
    # As if the extra were not installed: importing opentelemetry fails.
    script = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None\n"
        "from tessera.cli.main import app\n"
        f"sys.argv = ['tessera', 'serve', '--port', '{node.port}']\n"
        "app()\n"
    )
    assert TESSERA[-1] == "tessera.cli"
    result = subprocess.run(
        [sys.executable, "-c", script], env=node.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: OTEL_EXPORTER_OTLP_ENDPOINT is set, but tracing needs tessera's otel extra "
        "(pip install 'tessera[otel]'): "
    )
    assert len(result.stderr.splitlines()) == 1, result.stderr
