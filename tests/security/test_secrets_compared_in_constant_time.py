"""Security rule: client secrets and PKCE verifiers are compared in constant time.

Behaviour: the comparisons go through `constant_time_equals` (hmac.compare_digest).
Source: no `==` or `!=` in core or web has a secret, verifier or challenge on either side.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx
import pytest

import tessera
from tessera.core import client_auth, pkce
from tessera.core.models import AuthMethod
from tessera.crypto.tokens import constant_time_equals, digest
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_user, obtain_tokens

SECRET_WORDS = ("secret", "verifier", "challenge", "password")
PACKAGE = Path(tessera.__file__).parent


async def test_secret_and_verifier_checks_use_constant_time_equals(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, Any]] = []

    def spy(left: str | bytes, right: str | bytes) -> bool:
        seen.append((left, right))
        return constant_time_equals(left, right)

    monkeypatch.setattr(client_auth, "constant_time_equals", spy)
    monkeypatch.setattr(pkce, "constant_time_equals", spy)
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    await obtain_tokens(client, rt.store, app, now=int(clock.now))
    assert app.secret is not None
    # The secret is compared with the current one and with the rotated one (none here).
    (secret_digest, registered), (again, no_rotated), (verifier_hash, challenge) = seen
    assert (secret_digest, registered) == (digest(app.secret), app.client.secret_hash)
    assert (again, no_rotated) == (secret_digest, b"")
    assert verifier_hash == challenge and len(challenge) == 43


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id.lower())
        elif isinstance(child, ast.Attribute):
            found.add(child.attr.lower())
    return found


@pytest.mark.parametrize("layer", ["core", "web"])
def test_no_plain_equality_on_secrets(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
            ):
                names = _names(node)
                if any(word in name for name in names for word in SECRET_WORDS):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
