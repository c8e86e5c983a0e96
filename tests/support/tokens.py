"""Reading what the token endpoint answered: verified claims, headers, Basic credentials."""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any
from urllib.parse import quote_plus

from joserfc.jwk import KeySet

from tessera.crypto.jwt import verify_jwt
from tessera.crypto.keys import decode_b64url


def header_of(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(decode_b64url(token.split(".")[0]))
    return header


def claims_of(token: str, keys: KeySet, issuer: str, now: float, typ: str | None = None) -> Any:
    """The claims of a token tessera signed, checked against its published keys."""
    return verify_jwt(token, keys, issuer=issuer, audience=None, typ=typ, now=int(now))


def basic(client_id: str, secret: str) -> dict[str, str]:
    """An RFC 6749 2.3.1 Authorization header (both parts form-urlencoded first)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + b64encode(raw).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
