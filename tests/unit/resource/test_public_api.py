"""The public surface of tessera.resource, and what importing it loads."""

from __future__ import annotations

import json
import subprocess
import sys

import tessera.resource


def test_all_names_the_public_api_exactly() -> None:
    public = {name for name in dir(tessera.resource) if not name.startswith("_")}
    assert (
        set(tessera.resource.__all__)
        == public
        == {
            "AccessToken",
            "BearerAuthMiddleware",
            "BearerTokenError",
            "BearerTokenValidator",
            "InsufficientScopeError",
            "Introspection",
            "InvalidRequestError",
            "InvalidTokenError",
            "MissingTokenError",
            "TemporarilyUnavailableError",
            "require_scopes",
        }
    )
    for name in tessera.resource.__all__:
        assert getattr(tessera.resource, name).__module__.startswith("tessera.resource._")


def test_importing_it_loads_no_fastapi_sqlalchemy_or_server_module() -> None:
    script = "import sys, json, tessera.resource; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    loaded = json.loads(result.stdout)
    forbidden_roots = ("fastapi", "sqlalchemy", "tessera.store", "tessera.web", "tessera.core")
    for forbidden in (*forbidden_roots, "tessera.settings", "tessera.cli", "tessera.demo"):
        assert not [m for m in loaded if m == forbidden or m.startswith(forbidden + ".")]
