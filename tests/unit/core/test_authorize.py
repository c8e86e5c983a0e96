"""Every validation branch of the authorization request (RFC 6749 4.1.2.1 order).

`build_target` decides what may be redirected: its errors never are. Everything
`validate_authorization_request` raises is redirectable to the target it was given.
"""

from __future__ import annotations

import pytest

from tessera.core.authorize import (
    AuthorizationRequest,
    ResponseTarget,
    build_target,
    parse_max_age,
    parse_prompt,
    validate_authorization_request,
    validate_scope,
)
from tessera.core.errors import (
    InvalidRedirectURIError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTargetError,
    OAuthError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
    UnauthorizedClientError,
    UnknownClientError,
    UnsupportedResponseTypeError,
)
from tessera.core.id_token_hint import IdTokenHint
from tessera.core.models import Api, ApiScope, AuthMethod, Client, GrantType, Prompt, ResponseMode
from tessera.crypto.tokens import s256

REDIRECT = "https://app.test/callback"
CHALLENGE = s256("v" * 43)
API = Api(
    id="api-1",
    identifier="https://api.test",
    name="Orders",
    scopes=(ApiScope(name="read:x", description="Read x"), ApiScope(name="write:x")),
)
CONFIDENTIAL = Client(
    client_id="web",
    name="Web",
    redirect_uris=(REDIRECT, "http://127.0.0.1:8080/cb"),
    auth_method=AuthMethod.CLIENT_SECRET_BASIC,
)
NATIVE = Client(client_id="native", name="Native", redirect_uris=("http://127.0.0.1/cb",))


def pairs(**params: str) -> list[tuple[str, str]]:
    base = {"client_id": "web", "redirect_uri": REDIRECT}
    return list({**base, **params}.items())


def target(
    client: Client = CONFIDENTIAL,
    *,
    state: str | None = "s",
    response_mode: ResponseMode = ResponseMode.QUERY,
) -> ResponseTarget:
    return ResponseTarget(
        client=client, redirect_uri=REDIRECT, response_mode=response_mode, state=state
    )


def valid(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": REDIRECT,
        "scope": "openid read:x",
        "audience": API.identifier,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: value for name, value in params.items() if value is not None}


def validate(
    client: Client = CONFIDENTIAL, api: Api | None = API, **overrides: str | None
) -> AuthorizationRequest:
    return validate_authorization_request(target(client), valid(**overrides), api)


# --- build_target: never redirected -----------------------------------------------------


def test_a_registered_redirect_uri_gives_a_target_with_state_and_mode() -> None:
    found = build_target(CONFIDENTIAL, pairs(state="xyz", response_mode="form_post"))
    assert found == target(state="xyz", response_mode=ResponseMode.FORM_POST)


def test_unknown_or_missing_client_is_not_redirectable() -> None:
    with pytest.raises(UnknownClientError) as raised:
        build_target(None, pairs())
    assert raised.value.redirectable is False


@pytest.mark.parametrize(
    "redirect_pairs",
    [
        [("client_id", "web")],
        [("client_id", "web"), ("redirect_uri", "https://evil.test/callback")],
        [("client_id", "web"), ("redirect_uri", REDIRECT + "/more")],
        [("client_id", "web"), ("redirect_uri", REDIRECT + "?x=1")],
        [("client_id", "web"), ("redirect_uri", "https://APP.test/callback")],
        [("client_id", "web"), ("redirect_uri", REDIRECT), ("redirect_uri", REDIRECT)],
        [("client_id", "web"), ("redirect_uri", "http://127.0.0.1:9999/cb")],
        [("client_id", "web"), ("redirect_uri", REDIRECT + "x" * 2100)],
    ],
    ids=[
        "missing",
        "other-host",
        "longer-path",
        "added-query",
        "case-differs",
        "repeated",
        "confidential-loopback-other-port",
        "oversized",
    ],
)
def test_redirect_uri_not_registered_is_not_redirectable(
    redirect_pairs: list[tuple[str, str]],
) -> None:
    with pytest.raises(InvalidRedirectURIError) as raised:
        build_target(CONFIDENTIAL, redirect_pairs)
    assert raised.value.redirectable is False


def test_a_native_clients_loopback_redirect_matches_on_any_port() -> None:
    found = build_target(NATIVE, [("redirect_uri", "http://127.0.0.1:51234/cb")])
    assert found.redirect_uri == "http://127.0.0.1:51234/cb"


@pytest.mark.parametrize(
    "extra",
    [
        [("response_mode", "fragment")],
        [("response_mode", "query"), ("response_mode", "form_post")],
    ],
    ids=["unsupported", "repeated"],
)
def test_a_bad_response_mode_still_gives_a_query_target(extra: list[tuple[str, str]]) -> None:
    assert build_target(CONFIDENTIAL, pairs() + extra).response_mode is ResponseMode.QUERY


def test_a_repeated_state_is_not_echoed() -> None:
    found = build_target(CONFIDENTIAL, [*pairs(), ("state", "a"), ("state", "b")])
    assert found.state is None


# --- validate_authorization_request: every error redirectable ---------------------------


def test_the_seed_request_validates() -> None:
    request = validate(nonce="n", prompt="login consent", max_age="0", login_hint="alice")
    assert request.client is CONFIDENTIAL and request.api is API
    assert request.audience == API.identifier
    assert request.scope == ("openid", "read:x")
    assert request.code_challenge == CHALLENGE and request.nonce == "n"
    assert request.prompt == {Prompt.LOGIN, Prompt.CONSENT}
    assert request.max_age == 0 and request.login_hint == "alice"


def test_a_verified_id_token_hint_is_kept_with_the_request() -> None:
    hint = IdTokenHint(token="h.e.s", subject="alice")
    request = validate_authorization_request(target(), valid(id_token_hint=hint.token), API, hint)
    assert request.id_token_hint == hint
    with pytest.raises(InvalidRequestError):  # A hint the request did not send.
        validate_authorization_request(target(), valid(), API, hint)


def test_resource_names_the_api_like_audience() -> None:
    assert validate(audience=None, resource=API.identifier).audience == API.identifier


def test_without_an_api_the_token_is_for_userinfo_only() -> None:
    request = validate(api=None, audience=None, scope="openid email")
    assert request.audience is None and request.scope == ("openid", "email")


@pytest.mark.parametrize(
    ("overrides", "api", "error"),
    [
        ({"request": "eyJ..."}, API, RequestNotSupportedError),
        ({"request_uri": "https://app.test/r"}, API, RequestURINotSupportedError),
        ({"response_mode": "fragment"}, API, InvalidRequestError),
        ({"response_type": None}, API, InvalidRequestError),
        ({"response_type": "token"}, API, UnsupportedResponseTypeError),
        ({"response_type": "code id_token"}, API, UnsupportedResponseTypeError),
        ({"code_challenge": None}, API, InvalidRequestError),
        ({"code_challenge_method": None}, API, InvalidRequestError),
        ({"code_challenge_method": "plain"}, API, InvalidRequestError),
        ({"code_challenge": "short"}, API, InvalidRequestError),
        ({"audience": "https://unknown.test"}, None, InvalidTargetError),
        ({"audience": None, "resource": "https://unknown.test"}, None, InvalidTargetError),
        ({"resource": "https://other.test"}, API, InvalidRequestError),
        ({"scope": "openid admin"}, API, InvalidScopeError),
        ({"scope": 'openid "x'}, API, InvalidScopeError),
        ({"scope": "openid  read:x"}, API, InvalidScopeError),
        ({"scope": None, "audience": None}, None, InvalidScopeError),
        ({"scope": "profile", "audience": None}, None, InvalidScopeError),
        ({"scope": "openid read:x", "audience": None}, None, InvalidScopeError),
        ({"prompt": "select_account"}, API, InvalidRequestError),
        ({"prompt": "none login"}, API, InvalidRequestError),
        ({"max_age": "-1"}, API, InvalidRequestError),
        ({"max_age": "soon"}, API, InvalidRequestError),
        ({"id_token_hint": "h.e.s"}, API, InvalidRequestError),
    ],
    ids=[
        "request-object",
        "request-uri",
        "response-mode",
        "no-response-type",
        "token-response-type",
        "hybrid-response-type",
        "no-challenge",
        "no-challenge-method",
        "plain-pkce",
        "malformed-challenge",
        "unknown-audience",
        "unknown-resource",
        "audience-and-resource-differ",
        "undefined-scope",
        "malformed-scope",
        "double-spaced-scope",
        "neither-openid-nor-audience",
        "no-openid-no-audience",
        "api-scope-without-api",
        "unsupported-prompt",
        "prompt-none-combined",
        "negative-max-age",
        "non-numeric-max-age",
        "unverified-id-token-hint",
    ],
)
def test_invalid_requests_raise_a_redirectable_error(
    overrides: dict[str, str | None], api: Api | None, error: type[OAuthError]
) -> None:
    with pytest.raises(error) as raised:
        validate_authorization_request(target(CONFIDENTIAL), valid(**overrides), api)
    assert raised.value.redirectable is True


def test_a_client_without_the_code_grant_is_unauthorized() -> None:
    machine = Client(
        client_id="web",
        name="Machine",
        redirect_uris=(REDIRECT,),
        grant_types=frozenset({GrantType.CLIENT_CREDENTIALS}),
        auth_method=AuthMethod.CLIENT_SECRET_BASIC,
    )
    with pytest.raises(UnauthorizedClientError):
        validate(client=machine)


def test_an_unsupported_response_type_is_reported_before_pkce() -> None:
    with pytest.raises(UnsupportedResponseTypeError):
        validate(response_type="token", code_challenge=None)


# --- scopes, prompt, max_age ------------------------------------------------------------


def test_scopes_keep_request_order_without_repeats() -> None:
    assert validate_scope("read:x openid read:x email", CONFIDENTIAL, API) == (
        "read:x",
        "openid",
        "email",
    )


def test_an_audience_alone_needs_no_scope() -> None:
    assert validate_scope(None, CONFIDENTIAL, API) == ()


def test_scopes_outside_the_clients_allowance_are_refused() -> None:
    limited = Client(
        client_id="web",
        name="Web",
        redirect_uris=(REDIRECT,),
        allowed_scopes=frozenset({"openid", "read:x"}),
    )
    assert validate_scope("openid read:x", limited, API) == ("openid", "read:x")
    with pytest.raises(InvalidScopeError) as raised:
        validate_scope("openid write:x", limited, API)
    assert "write:x" in raised.value.description


def test_another_apis_scopes_are_not_defined() -> None:
    with pytest.raises(InvalidScopeError):
        validate_scope("openid read:y", CONFIDENTIAL, API)


def test_an_undefined_scope_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidScopeError) as raised:
        validate_scope("openid Call_0800_to_unlock", CONFIDENTIAL, API)
    assert raised.value.description == "A requested scope is not defined."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, frozenset()),
        ("none", {Prompt.NONE}),
        ("login", {Prompt.LOGIN}),
        ("consent login", {Prompt.LOGIN, Prompt.CONSENT}),
    ],
)
def test_prompt_values(raw: str | None, expected: frozenset[Prompt]) -> None:
    assert parse_prompt(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("0", 0), ("3600", 3600)])
def test_max_age_values(raw: str | None, expected: int | None) -> None:
    assert parse_max_age(raw) == expected


@pytest.mark.parametrize("raw", ["1e3", "3.5", "٣", "99999999999"])
def test_max_age_must_be_plain_bounded_digits(raw: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_max_age(raw)
