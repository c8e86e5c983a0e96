"""JSON answers: compact UTF-8 (RFC 8259 8.1), uncached when they carry tokens."""

from __future__ import annotations

import json

from tessera.web.responses import NO_STORE, json_response


def test_json_is_compact_utf8_and_round_trips() -> None:
    body = {"sub": "u1", "name": "Zoë Ångström 山田", "scope": ["openid", "profile"], "n": 3}
    response = json_response(body, headers=NO_STORE)
    assert (
        response.body
        == '{"sub":"u1","name":"Zoë Ångström 山田","scope":["openid","profile"],"n":3}'.encode()
    )
    assert json.loads(bytes(response.body)) == body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
