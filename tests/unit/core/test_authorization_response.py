"""The authorization response: code or error, always with iss (RFC 9207) and state."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from tessera.core.authorization_response import build_code_response, build_error_response
from tessera.core.authorize import ResponseTarget
from tessera.core.errors import AccessDeniedError
from tessera.core.models import Client, ResponseMode

ISSUER = "https://as.test"
CLIENT = Client(client_id="app", name="App", redirect_uris=("https://app.test/cb?tenant=1",))


def target(state: str | None = "s&t=1", mode: ResponseMode = ResponseMode.QUERY) -> ResponseTarget:
    return ResponseTarget(
        client=CLIENT, redirect_uri="https://app.test/cb?tenant=1", response_mode=mode, state=state
    )


def test_a_code_response_keeps_the_redirect_query_and_adds_code_state_iss() -> None:
    location = build_code_response(target(), "tsr_ac_x", ISSUER).location()
    parts = urlsplit(location)
    assert location.startswith("https://app.test/cb?tenant=1&")
    assert parse_qsl(parts.query) == [
        ("tenant", "1"),
        ("code", "tsr_ac_x"),
        ("state", "s&t=1"),
        ("iss", ISSUER),
    ]


def test_an_error_response_carries_error_description_state_and_iss() -> None:
    response = build_error_response(target(state=None), AccessDeniedError(), ISSUER)
    assert response.params == (
        ("error", "access_denied"),
        ("error_description", "The user denied the request."),
        ("iss", ISSUER),
    )


def test_form_post_responses_keep_their_mode_and_parameters() -> None:
    response = build_code_response(target(mode=ResponseMode.FORM_POST), "c", ISSUER)
    assert response.response_mode is ResponseMode.FORM_POST
    assert response.redirect_uri == "https://app.test/cb?tenant=1"
    assert dict(response.params) == {"code": "c", "state": "s&t=1", "iss": ISSUER}
