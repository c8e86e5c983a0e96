"""A parked request comes back as the same request when its parameters are parsed again."""

from __future__ import annotations

import pytest

from tessera.core.authorization.pending import build_params
from tessera.core.authorize import build_target, validate_authorization_request
from tessera.core.id_token_hint import IdTokenHint
from tessera.core.models import Api, ApiScope, Client, Prompt, ResponseMode
from tessera.crypto.tokens import s256

CLIENT = Client(client_id="app", name="App", redirect_uris=("http://127.0.0.1/cb",))
API = Api(id="a", identifier="https://api.test", name="API", scopes=(ApiScope(name="read:x"),))


@pytest.mark.parametrize(
    "params",
    [
        {"scope": "openid"},
        {
            "scope": "read:x openid email",
            "audience": API.identifier,
            "state": "s",
            "nonce": "n",
            "prompt": "login consent",
            "max_age": "0",
            "login_hint": "alice@example.test",
            "response_mode": "form_post",
        },
        {"resource": API.identifier},
    ],
    ids=["minimal", "everything", "resource-only"],
)
def test_build_params_round_trips(params: dict[str, str]) -> None:
    sent = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": "http://127.0.0.1:5555/cb",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
        **params,
    }
    api = API if "audience" in params or "resource" in params else None
    request = validate_authorization_request(build_target(CLIENT, sent.items()), sent, api)
    rebuilt = build_params(request)
    again = validate_authorization_request(build_target(CLIENT, rebuilt.items()), rebuilt, api)
    assert again == request


def test_round_trip_keeps_prompt_and_mode() -> None:
    sent = {
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1/cb",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
        "scope": "openid",
        "prompt": "none",
        "response_mode": "form_post",
    }
    request = validate_authorization_request(build_target(CLIENT, sent.items()), sent, None)
    assert build_params(request)["prompt"] == "none"
    assert request.prompt == {Prompt.NONE}
    assert request.target.response_mode is ResponseMode.FORM_POST


def test_the_id_token_hint_is_parked_with_the_request() -> None:
    hint = IdTokenHint(token="h.e.s", subject="alice")
    sent = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": "http://127.0.0.1/cb",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
        "scope": "openid",
        "id_token_hint": hint.token,
    }
    request = validate_authorization_request(build_target(CLIENT, sent.items()), sent, None, hint)
    rebuilt = build_params(request)
    assert rebuilt["id_token_hint"] == hint.token
    again = validate_authorization_request(
        build_target(CLIENT, rebuilt.items()), rebuilt, None, hint
    )
    assert again == request
