"""Kubernetes-style probes: `/livez` (the process answers) and `/readyz` (it can serve).

A liveness probe that touched the database would have every node restarted when the
database stalls, which cures nothing; so `/livez` reads nothing. `/readyz` answers 503
while the node cannot serve a flow, so that a load balancer sends requests elsewhere:
the database does not answer within `READINESS_TIMEOUT`, its schema is not the one this
version needs, or an enabled algorithm has no signing key. `/healthz` (the database
answers) stays for the load balancers already configured with it.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response

from tessera.store.errors import StoreUnavailableError
from tessera.store.migrate import head_revision
from tessera.web.middleware import DATABASE_FAILED
from tessera.web.responses import json_response
from tessera.web.runtime import Runtime, runtime

log = logging.getLogger("tessera.web")

# Kubernetes' default probe timeout is one second: an answer within it, 503 or not,
# tells the kubelet more than a probe that times out.
READINESS_TIMEOUT = 0.8
_NO_STORE = {"Cache-Control": "no-store"}


async def livez(request: Request) -> Response:
    return json_response({"status": "ok"}, headers=_NO_STORE)


async def readyz(request: Request) -> Response:
    failed = await failed_check(runtime(request))
    if failed == "database":
        request.scope["state"][DATABASE_FAILED] = True
    if failed is None:
        return json_response({"status": "ok"}, headers=_NO_STORE)
    return json_response(
        {"status": "unavailable", "failed": failed}, status_code=503, headers=_NO_STORE
    )


async def failed_check(rt: Runtime) -> str | None:
    """The name of the first readiness check that fails (`database`, `schema`, `keys`),
    or None. Why it failed is logged, not answered: the probe may be public."""
    try:
        revision = await asyncio.wait_for(
            rt.store.database.schema_revision(), timeout=READINESS_TIMEOUT
        )
    except (StoreUnavailableError, TimeoutError) as exc:
        log.warning("not ready: database: %s", exc or f"no answer in {READINESS_TIMEOUT} s")
        return "database"
    if revision != head_revision():
        log.warning("not ready: schema: at %s, this version needs %s", revision, head_revision())
        return "schema"
    unsigned = rt.keyring.unsigned_algorithms()
    if unsigned:
        names = ", ".join(alg.value for alg in unsigned)
        log.warning("not ready: keys: no current signing key for %s", names)
        return "keys"
    return None
