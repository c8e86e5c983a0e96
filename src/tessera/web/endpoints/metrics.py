"""`GET /metrics` on the main port, when `TESSERA_METRICS=1` (web.metrics has the rest)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

# Where prometheus_client's multiprocess mode keeps each worker's counts: named by
# `tessera serve` before prometheus_client is first imported (web.metrics).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


async def metrics(request: Request) -> Response:
    """Every worker's counts, in the Prometheus text format; not cached by anyone."""
    node = request.app.state.metrics
    return Response(
        node.exposition(),
        media_type=node.content_type,
        headers={"Cache-Control": "no-store"},
    )
