"""The interaction policy: when the person must sign in or consent, and prompt=none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tessera.core.authorization.interaction import Interaction, required_interaction
from tessera.core.authorize import AuthorizationRequest, ResponseTarget
from tessera.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
    UnmetAuthenticationRequirementsError,
)
from tessera.core.id_token_hint import IdTokenHint
from tessera.core.models import (
    TWO_FACTORS,
    AuthMethod,
    Client,
    Consent,
    Prompt,
    ResponseMode,
    Session,
)

NOW = 1_800_000_000
CLIENT = Client(client_id="app", name="App", redirect_uris=("https://app.test/cb",))
SESSION = Session(
    sid="sid-1", user_id="u1", auth_time=NOW - 600, created_at=NOW - 600, expires_at=NOW + 3600
)
REQUEST = AuthorizationRequest(
    target=ResponseTarget(
        client=CLIENT,
        redirect_uri="https://app.test/cb",
        response_mode=ResponseMode.QUERY,
        state=None,
    ),
    api=None,
    scope=("openid", "email"),
    code_challenge="c" * 43,
)
CONSENT = Consent(
    user_id="u1",
    client_id="app",
    audience="",
    scope=frozenset({"openid", "email", "profile"}),
    updated_at=NOW - 600,
)
FIRST_PARTY = replace(
    REQUEST, target=replace(REQUEST.target, client=replace(CLIENT, first_party=True))
)


def ask(
    request: AuthorizationRequest = REQUEST,
    session: Session | None = SESSION,
    consent: Consent | None = CONSENT,
    *,
    prompt: set[Prompt] | None = None,
    max_age: int | None = None,
    login_sid: str | None = None,
) -> Interaction | None:
    if prompt is not None or max_age is not None:
        request = replace(request, prompt=frozenset(prompt or ()), max_age=max_age)
    return required_interaction(request, session, consent, now=NOW, login_sid=login_sid)


def test_a_signed_in_person_who_consented_needs_nothing() -> None:
    assert ask() is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"session": None}, Interaction(Prompt.LOGIN, "no_session")),
        ({"prompt": {Prompt.LOGIN}}, Interaction(Prompt.LOGIN, "prompt_login")),
        ({"max_age": 599}, Interaction(Prompt.LOGIN, "max_age")),
        ({"max_age": 0}, Interaction(Prompt.LOGIN, "max_age")),
        ({"consent": None}, Interaction(Prompt.CONSENT, "scope_not_granted")),
        ({"prompt": {Prompt.CONSENT}}, Interaction(Prompt.CONSENT, "prompt_consent")),
        (
            {"consent": replace(CONSENT, scope=frozenset({"openid"}))},
            Interaction(Prompt.CONSENT, "scope_not_granted"),
        ),
    ],
    ids=[
        "no-session",
        "prompt-login",
        "max-age-elapsed",
        "max-age-zero",
        "no-consent",
        "prompt-consent",
        "new-scope",
    ],
)
def test_what_is_asked_and_why(kwargs: dict[str, Any], expected: Interaction) -> None:
    assert ask(**kwargs) == expected


def test_login_comes_before_consent() -> None:
    assert ask(session=None, consent=None) == Interaction(Prompt.LOGIN, "no_session")


def test_max_age_not_yet_elapsed_needs_no_login() -> None:
    assert ask(max_age=600) is None


def test_a_login_during_this_request_satisfies_prompt_login_and_max_age() -> None:
    assert ask(prompt={Prompt.LOGIN}, max_age=0, login_sid=SESSION.sid) is None


def test_a_login_in_another_session_does_not_count() -> None:
    assert ask(prompt={Prompt.LOGIN}, login_sid="other")


def test_first_party_clients_never_ask_for_consent() -> None:
    assert ask(FIRST_PARTY, consent=None) is None
    assert ask(FIRST_PARTY, consent=None, prompt={Prompt.CONSENT}) is None
    assert ask(FIRST_PARTY, session=None) == Interaction(Prompt.LOGIN, "no_session")


def test_prompt_none_without_a_session_is_login_required() -> None:
    with pytest.raises(LoginRequiredError) as raised:
        ask(session=None, prompt={Prompt.NONE})
    assert raised.value.redirectable


def test_prompt_none_past_max_age_is_login_required() -> None:
    with pytest.raises(LoginRequiredError):
        ask(prompt={Prompt.NONE}, max_age=10)


def test_prompt_none_without_consent_is_consent_required() -> None:
    with pytest.raises(ConsentRequiredError) as raised:
        ask(consent=None, prompt={Prompt.NONE})
    assert raised.value.redirectable


def test_prompt_none_with_session_and_consent_needs_nothing() -> None:
    assert ask(prompt={Prompt.NONE}) is None


def test_max_age_zero_asks_even_within_the_second_of_the_last_login() -> None:
    just_now = replace(SESSION, auth_time=NOW)
    assert ask(session=just_now, max_age=0) == Interaction(Prompt.LOGIN, "max_age")
    assert ask(session=just_now, max_age=1) is None


def native(redirect_uri: str, **client: Any) -> AuthorizationRequest:
    """REQUEST from a public client answered on `redirect_uri`."""
    app = replace(CLIENT, redirect_uris=(redirect_uri,), **client)
    return replace(REQUEST, target=replace(REQUEST.target, client=app, redirect_uri=redirect_uri))


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:51234/cb", "http://[::1]:8080/cb", "http://localhost/cb", "com.example:/cb"],
    ids=["ipv4-loopback", "ipv6-loopback", "localhost", "private-use-scheme"],
)
def test_a_native_public_client_asks_for_consent_every_time(redirect_uri: str) -> None:
    asked = Interaction(Prompt.CONSENT, "native_client")
    assert ask(native(redirect_uri)) == asked
    # The operator's trust in the real app says nothing about the app now asking.
    assert ask(native(redirect_uri, first_party=True)) == asked
    with pytest.raises(ConsentRequiredError):
        ask(native(redirect_uri), prompt={Prompt.NONE})


def test_remembered_consent_holds_where_the_redirect_identifies_the_client() -> None:
    assert ask(native("https://app.test/cb")) is None
    # A confidential client proves who it is when it redeems the code.
    assert (
        ask(native("http://127.0.0.1:51234/cb", auth_method=AuthMethod.CLIENT_SECRET_BASIC)) is None
    )


def hinted(subject: str) -> AuthorizationRequest:
    return replace(REQUEST, id_token_hint=IdTokenHint(token="h.e.s", subject=subject))


def test_a_hint_for_the_signed_in_person_needs_nothing() -> None:
    assert ask(hinted("u1")) is None
    assert ask(hinted("u1"), prompt={Prompt.NONE}) is None


def test_a_hint_for_someone_else_asks_for_a_sign_in_even_right_after_one() -> None:
    asked = Interaction(Prompt.LOGIN, "id_token_hint_names_another_user")
    assert ask(hinted("u2")) == asked
    assert ask(hinted("u2"), login_sid=SESSION.sid) == asked
    with pytest.raises(LoginRequiredError):
        ask(hinted("u2"), prompt={Prompt.NONE})


STEP_UP = replace(REQUEST, acr_values=("urn:tessera:acr:pwd", "urn:tessera:acr:mfa"))


def test_acr_values_asking_two_factors_signs_a_one_factor_session_in_again() -> None:
    assert ask(STEP_UP) == Interaction(Prompt.LOGIN, "acr_values")
    assert ask(replace(REQUEST, acr_values=("urn:tessera:acr:pwd",))) is None
    assert ask(STEP_UP, replace(SESSION, amr=TWO_FACTORS)) is None
    with pytest.raises(LoginRequiredError):
        ask(STEP_UP, prompt={Prompt.NONE})


def test_a_sign_in_weaker_than_acr_values_asked_is_unmet() -> None:
    with pytest.raises(UnmetAuthenticationRequirementsError):
        ask(STEP_UP, login_sid=SESSION.sid)
    strong = replace(SESSION, amr=TWO_FACTORS)
    assert ask(STEP_UP, strong, login_sid=SESSION.sid) is None
