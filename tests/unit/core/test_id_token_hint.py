"""The id_token_hint, read the same way at /authorize and /logout: an ID token tessera
issued, expired ones included for a session's lifetime."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidRequestError
from tessera.core.id_token_hint import IdTokenHint
from tests.support.hints import HINTS, NOW, SESSION_LIFETIME, id_token, new_key


def test_a_hint_gives_the_person_the_client_and_the_session() -> None:
    token = id_token()
    assert HINTS.verify(token, NOW) == IdTokenHint(
        token=token, subject="alice", client_id="app", sid="sid-1"
    )


def test_a_hint_expired_within_a_session_lifetime_is_accepted() -> None:
    token = id_token(exp=NOW - SESSION_LIFETIME + 1)
    assert HINTS.verify(token, NOW).subject == "alice"


@pytest.mark.parametrize(
    "token",
    [
        id_token(new_key()),
        id_token(iss="https://other.test"),
        id_token(typ="at+jwt"),
        id_token(exp=NOW - SESSION_LIFETIME),
        id_token(sub=None),
        id_token(sub=42),
        "not.a.jwt",
    ],
    ids=[
        "other-signer",
        "other-issuer",
        "access-token",
        "expired-too-long-ago",
        "no-subject",
        "subject-not-a-string",
        "garbage",
    ],
)
def test_anything_but_an_id_token_tessera_issued_is_invalid_request(token: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        HINTS.verify(token, NOW)
    assert raised.value.description == "The id_token_hint is not valid."
    assert raised.value.redirectable
