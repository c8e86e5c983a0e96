"""Reading admin requests: pages and cursors, JSON fields, versions, audit filters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tessera.core.admin.audit import parse_audit_query
from tessera.core.admin.errors import InvalidQueryError, StaleVersionError
from tessera.core.admin.fields import (
    Field,
    FieldError,
    InvalidFieldsError,
    Kind,
    parse_choice,
    parse_fields,
)
from tessera.core.admin.pages import (
    DEFAULT_LIMIT,
    PageRequest,
    build_page,
    created_key,
    decode_cursor,
    encode_cursor,
    id_key,
    parse_page_request,
)
from tessera.core.admin.versions import verify_version, version_of
from tessera.core.models import AuditQuery, AuthMethod, Client, GrantType
from tessera.core.registration import RegistrationError, update_client
from tessera.crypto.keys import Algorithm

CLIENT = Client(
    client_id="c1",
    name="shop",
    redirect_uris=("https://shop.test/cb",),
    secret_hash=b"\x01",
    auth_method=AuthMethod.CLIENT_SECRET_BASIC,
)


def test_a_page_request_defaults_and_bounds_its_limit() -> None:
    assert parse_page_request(None, None) == PageRequest(DEFAULT_LIMIT)
    assert parse_page_request("200", None).limit == 200
    for bad in ("0", "201", "-1", "x", "1.5", ""):
        with pytest.raises(InvalidQueryError, match="limit"):
            parse_page_request(bad, None)


@pytest.mark.parametrize("position", [(5, "abc"), (7,)])
def test_a_cursor_names_the_position_it_was_made_from(position: Any) -> None:
    assert decode_cursor(encode_cursor(position)) == position
    assert parse_page_request(None, encode_cursor(position)).after == position


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "e30",  # {}
        "WyJhIl0",  # ["a"]
        "WzEsMl0",  # [1, 2]
        "WzEsImEiLDNd",  # [1, "a", 3]
        "W10",  # []
        "a" * 600,
    ],
)
def test_a_cursor_tessera_did_not_make_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidQueryError, match="cursor"):
        decode_cursor(cursor)


def test_a_cursor_of_another_list_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="another list"):
        created_key(PageRequest(5, (1,)))
    with pytest.raises(InvalidQueryError, match="another list"):
        id_key(PageRequest(5, (1, "a")))
    assert created_key(PageRequest(5)) is None and id_key(PageRequest(5)) is None
    assert id_key(PageRequest(5, (9,))) == 9


def test_a_page_has_a_next_cursor_only_when_more_rows_were_read() -> None:
    full = build_page([1, 2, 3], PageRequest(2), lambda n: (n,))
    assert full.items == [1, 2] and full.next_cursor == encode_cursor((2,))
    last = build_page([1, 2], PageRequest(2), lambda n: (n,))
    assert last.items == [1, 2] and last.next_cursor is None
    assert build_page([], PageRequest(2), lambda n: (n,)).next_cursor is None


FIELDS = {
    "name": Field(Kind.STRING, required=True),
    "on": Field(Kind.BOOLEAN),
    "count": Field(Kind.INTEGER, nullable=True),
    "uris": Field(Kind.STRINGS),
    "scopes": Field(Kind.OBJECTS),
}


def test_fields_of_their_types_are_read() -> None:
    body = {"name": "a", "on": False, "count": None, "uris": ["x"], "scopes": [{}]}
    assert parse_fields(body, FIELDS) == body


def test_every_field_problem_is_reported_at_once() -> None:
    body = {"extra": 1, "on": 1, "count": True, "uris": ["a", 2], "scopes": ["x"]}
    with pytest.raises(InvalidFieldsError) as caught:
        parse_fields(body, FIELDS)
    assert set(caught.value.errors) == {
        FieldError("/extra", "unknown field"),
        FieldError("/name", "required"),
        FieldError("/on", "must be boolean"),
        FieldError("/count", "must be integer or null"),
        FieldError("/uris", "must be array of strings"),
        FieldError("/scopes", "must be array of objects"),
    }


@pytest.mark.parametrize("body", [None, [], "x", 1])
def test_a_body_that_is_no_object_is_refused(body: Any) -> None:
    with pytest.raises(InvalidFieldsError, match="JSON object"):
        parse_fields(body, FIELDS)


def test_text_with_nul_is_refused() -> None:
    with pytest.raises(InvalidFieldsError):
        parse_fields({"name": "a\x00b"}, FIELDS)
    with pytest.raises(InvalidFieldsError):
        parse_fields({"name": "a", "uris": ["\x00"]}, FIELDS)


def test_a_choice_is_one_of_the_enum_values() -> None:
    assert parse_choice("none", AuthMethod, "/m") is AuthMethod.NONE
    with pytest.raises(InvalidFieldsError, match="/m: must be one of none, client_secret_basic"):
        parse_choice("nope", AuthMethod, "/m")


def test_a_version_changes_with_any_stored_field_and_stale_ones_are_refused() -> None:
    version = version_of(CLIENT)
    assert version == version_of(replace(CLIENT))
    assert version != version_of(replace(CLIENT, secret_hash=b"\x02"))
    assert version != version_of(replace(CLIENT, redirect_uris=("https://shop.test/other",)))
    for if_match in (None, ("*",), (version,), ("old", version)):
        verify_version(CLIENT, if_match)
    with pytest.raises(StaleVersionError):
        verify_version(CLIENT, ("old",))


def test_audit_filters_read_unix_seconds_and_rfc_3339_times() -> None:
    assert parse_audit_query({}) == AuditQuery()
    query = parse_audit_query(
        {"since": "1800000000", "until": "2027-01-15T12:00:00+04:00", "event": "client.created"}
    )
    assert query == AuditQuery(since=1_800_000_000, until=1_800_000_000, event="client.created")
    assert parse_audit_query({"user_id": "u", "client_id": "c"}) == AuditQuery(
        user_id="u", client_id="c"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "yesterday"}, "since must be"),
        ({"until": "2027-01-15T08:00:00"}, "time zone"),
        ({"event": "x" * 201}, "too long"),
    ],
)
def test_bad_audit_filters_are_refused(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        parse_audit_query(params)


def test_an_update_replaces_the_name_and_the_redirect_uris_checked_as_at_registration() -> None:
    changed = update_client(
        CLIENT,
        name=" new name ",
        redirect_uris=["https://shop.test/new", "https://shop.test/new"],
        post_logout_redirect_uris=["https://shop.test/bye"],
    )
    assert changed.name == "new name"
    assert changed.redirect_uris == ("https://shop.test/new",)
    assert changed.post_logout_redirect_uris == ("https://shop.test/bye",)
    assert update_client(CLIENT) == CLIENT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "name must be"),
        ({"redirect_uris": []}, "at least one --redirect-uri"),
        ({"redirect_uris": ["not a uri"]}, "redirect"),
        ({"post_logout_redirect_uris": ["https://shop.test/#frag"]}, "fragment"),
        ({"auth_method": AuthMethod.NONE}, "stays public or confidential"),
        ({"apis": ["https://api.test"]}, "client_credentials"),
        ({"allowed_scopes": ["a"], "any_scope": True}, "not both"),
        ({"allowed_scopes": ["a b"]}, "scope token"),
        ({"id_token_alg": Algorithm.ES256, "algorithms": (Algorithm.RS256,)}, "not enabled"),
        ({"refresh_grace_seconds": 61}, "refresh grace"),
    ],
)
def test_an_update_refuses_what_registration_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        update_client(CLIENT, **changes)


def test_an_update_changes_grants_access_scopes_and_algorithms_together() -> None:
    machine = update_client(
        CLIENT,
        grant_types=[GrantType.CLIENT_CREDENTIALS],
        apis=["https://api.test"],
        resource_server_for=["https://api.test"],
        allowed_scopes=["read:x", "read:x"],
        auth_method=AuthMethod.CLIENT_SECRET_POST,
        id_token_alg=Algorithm.ES256,
        refresh_grace_seconds=10,
    )
    assert machine.grant_types == {GrantType.CLIENT_CREDENTIALS}
    assert machine.apis == machine.resource_server_for == {"https://api.test"}
    assert machine.allowed_scopes == frozenset({"read:x"})
    assert (machine.auth_method, machine.auth_method_pinned) == (
        AuthMethod.CLIENT_SECRET_POST,
        True,
    )
    assert (machine.id_token_alg, machine.refresh_grace_seconds) == (Algorithm.ES256, 10)
    assert update_client(machine, any_scope=True).allowed_scopes is None
