"""Security rule: no request makes the server fail. Hypothesis throws malformed, oversized,
repeated and wrongly encoded parameters, bodies, credentials and header fields at every
endpoint of the real ASGI app, on both engines. Header fields go out as raw bytes, so
that non-ASCII octets (latin-1 or UTF-8) reach the server as they would from a socket.

Every answer is below 500, carries no stack trace, and is an RFC error (JSON with a
registered error code), a readable page, a short plain-text refusal or a redirect. A
refused request leaves the database as it was, but for the throttle counters and the
audit log, which exist to record refusals.
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tessera.store import Store
from tessera.store.tables import metadata
from tessera.web.cookies import CSRF, SESSION
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.authorize import PKCE, add_app, add_person, request_params
from tests.support.grants import API_ID, REDIRECT_URI, add_api
from tests.support.pages import form_of

EXAMPLES = 25
# Rows these tables gain are the point of a refusal: counted failures, audit events.
RECORDS_REFUSALS = {"throttles", "audit_events"}
RFC_ERRORS = {
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope", "invalid_target", "invalid_token",
    "insufficient_scope", "slow_down", "unsupported_token_type", "access_denied",
    "temporarily_unavailable", "login_required", "consent_required",
    "interaction_required", "request_not_supported", "request_uri_not_supported",
    "unsupported_response_type",
}  # fmt: skip
TRACE_MARKERS = ("Traceback", 'File "', "Error:", "site-packages")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    names: tuple[str, ...]
    in_body: bool


AUTHORIZE = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "audience", "resource", "prompt",
    "max_age", "response_mode", "login_hint", "request", "request_uri",
)  # fmt: skip
TOKEN = (
    "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
    "audience", "resource", "client_id", "client_secret",
)  # fmt: skip
TOKEN_HOLDERS = ("token", "token_type_hint", "client_id", "client_secret")
LOGOUT = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")
ENDPOINTS = [
    Endpoint("GET", "/authorize", AUTHORIZE, in_body=False),
    Endpoint("POST", "/authorize", AUTHORIZE, in_body=True),
    Endpoint("GET", "/u/login", ("interaction",), in_body=False),
    Endpoint("POST", "/u/login", ("interaction", "csrf_token", "username", "password"), True),
    Endpoint("GET", "/u/consent", ("interaction",), in_body=False),
    Endpoint("POST", "/u/consent", ("interaction", "csrf_token", "sid", "decision"), True),
    Endpoint("GET", "/logout", LOGOUT, in_body=False),
    Endpoint("POST", "/logout", LOGOUT, in_body=True),
    Endpoint("POST", "/oauth/token", TOKEN, in_body=True),
    Endpoint("POST", "/oauth/revoke", TOKEN_HOLDERS, in_body=True),
    Endpoint("POST", "/oauth/introspect", TOKEN_HOLDERS, in_body=True),
    Endpoint("GET", "/userinfo", ("access_token",), in_body=False),
    Endpoint("POST", "/userinfo", ("access_token",), in_body=True),
    Endpoint("GET", "/.well-known/openid-configuration", ("x",), in_body=False),
]

NASTY = [
    "", "\x00", "%00", "a" * 2049, "a" * 9000, "é", "\u202e\u0000", "<script>alert(1)</script>",
    "' OR 1=1 --", "../../etc/passwd", "null", "[]", "{}", "S256", "plain", "none", "code",
    "token", "openid", "openid openid", "http://evil.test/cb", "javascript:alert(1)",
    "https://app.test/callback#frag", "-1", "99999999999999999999", "1e3", "login consent",
    "authorization_code", "refresh_token", "client_credentials", "tsr_ac_x", "tsr_rt_x",
    "eyJhbGciOiJub25lIn0.e30.", "a.b.c", "\r\nSet-Cookie: x=y",
]  # fmt: skip
ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
UNICODE = st.text(st.characters(codec="utf-8"), max_size=40)
# RFC 9110 5.5: a field value holds visible ASCII, space, tab and obs-text (0x80-0xFF).
# Servers pass obs-text on, and Starlette decodes it as latin-1.
FIELD_OCTETS = bytes([0x09, *range(0x20, 0x7F), *range(0x80, 0x100)])
OCTETS = st.lists(st.sampled_from(FIELD_OCTETS), max_size=60).map(bytes)
NON_ASCII = st.one_of(
    st.binary(min_size=1, max_size=4).map(lambda raw: bytes(octet | 0x80 for octet in raw)),
    st.text(st.characters(min_codepoint=0x80, exclude_categories=["Cc", "Cs"]), min_size=1).map(
        str.encode
    ),
)


@dataclass(frozen=True)
class Known:
    """Real values and a well-formed request per path, so that fuzzed requests get past
    the first checks and into the protocol logic."""

    values: tuple[str, ...]
    client_id: str
    baselines: dict[str, list[tuple[str, str]]]


def pairs_for(endpoint: Endpoint, known: Known) -> st.SearchStrategy[list[tuple[str, str]]]:
    names = st.one_of(st.sampled_from(endpoint.names), st.sampled_from(NASTY), UNICODE)
    values = st.one_of(st.sampled_from(known.values), st.sampled_from(NASTY), UNICODE)
    return mutations(known.baselines.get(endpoint.path, []), st.tuples(names, values))


@st.composite
def mutations(
    draw: st.DrawFn,
    baseline: list[tuple[str, str]],
    extra: st.SearchStrategy[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The baseline (or nothing) with parameters dropped, changed, repeated and added."""
    pairs = list(baseline) if draw(st.integers(0, 4)) else []
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["drop", "change", "repeat", "add"]))
        if action == "add" or not pairs:
            pairs.insert(draw(st.integers(0, len(pairs))), draw(extra))
            continue
        at = draw(st.integers(0, len(pairs) - 1))
        name, value = pairs[at]
        if action == "drop":
            del pairs[at]
        elif action == "change":
            pairs[at] = (name, draw(extra)[1])
        else:
            pairs.insert(at, (name, draw(st.sampled_from([value, draw(extra)[1]]))))
    return pairs


BODY_KINDS = ["form", "form", "form", "raw", "bad-percent", "json", "oversized", "empty"]
FORM_TYPE = b"application/x-www-form-urlencoded"
CONTENT_TYPES = [
    FORM_TYPE,
    b"application/x-www-form-urlencoded; charset=ISO-8859-1",
    b"APPLICATION/X-WWW-FORM-URLENCODED",
    b"application/x-www-form-urlencoded; charset=\xe9",
    b"application/json",
    b"multipart/form-data; boundary=xyz",
    b"text/plain",
]


@st.composite
def requests(draw: st.DrawFn, endpoint: Endpoint, known: Known) -> dict[str, Any]:
    """The keyword arguments of one httpx request."""
    pairs = draw(pairs_for(endpoint, known))
    headers = draw(fields_for(endpoint, known))
    if not endpoint.in_body:
        query = draw(st.sampled_from(["plain", "bad-percent", "raw"]))
        if query == "plain":
            return {"url": endpoint.path + "?" + urlencode(pairs), "headers": headers}
        tail = "%ff%fe%zz&=&&a==b&%" if query == "bad-percent" else draw(ASCII)
        return {"url": endpoint.path + "?" + urlencode(pairs) + "&" + tail, "headers": headers}
    kind = draw(st.sampled_from(BODY_KINDS))
    body = {
        "form": urlencode(pairs).encode(),
        "raw": draw(st.binary(max_size=300)),
        "bad-percent": urlencode(pairs).encode() + b"&%ff%fe=%c3%28&%zz&&==",
        "json": json.dumps(dict(pairs)).encode(),
        "oversized": b"a=" + b"x" * 70_000,
        "empty": b"",
    }[kind]
    return {"url": endpoint.path, "content": body, "headers": headers}


@st.composite
def header_requests(draw: st.DrawFn, endpoint: Endpoint, known: Known) -> dict[str, Any]:
    """The path's well-formed request with fuzzed header fields: nothing else stops them
    before the code that reads them."""
    query = urlencode(known.baselines.get(endpoint.path, []))
    headers = draw(fields_for(endpoint, known))
    if endpoint.in_body:
        return {"url": endpoint.path, "content": query.encode(), "headers": headers}
    return {"url": endpoint.path + "?" + query, "headers": headers}


@st.composite
def fields_for(draw: st.DrawFn, endpoint: Endpoint, known: Known) -> list[tuple[bytes, bytes]]:
    """Header fields the server reads, or a proxy in front of it sets, in any order and
    some of them twice (a Cookie field replaces the jar's cookies). A body mostly comes
    with the form's Content-Type, and most requests carry an Authorization field, so
    that fuzzed credentials reach the code that decodes them."""
    values = field_values(known)
    names = draw(st.lists(st.sampled_from(list(values)), max_size=4))
    if draw(st.integers(0, 2)):
        names.insert(0, b"authorization")
    fields = [(name, draw(values[name])) for name in names]
    if endpoint.in_body and draw(st.integers(0, 3)):
        fields.insert(draw(st.integers(0, len(fields))), (b"content-type", FORM_TYPE))
    return fields


@st.composite
def spoiled(draw: st.DrawFn, wellformed: st.SearchStrategy[bytes]) -> bytes:
    """A well-formed field value as it is, with non-ASCII octets (latin-1 or UTF-8) put
    in somewhere, cut short, or arbitrary octets instead."""
    value = draw(wellformed)
    how = draw(st.sampled_from(["as-is", "non-ascii", "non-ascii", "non-ascii", "cut", "octets"]))
    if how == "as-is":
        return value
    if how == "octets":
        return draw(OCTETS)
    at = draw(st.integers(0, len(value)))
    return value[:at] if how == "cut" else value[:at] + draw(NON_ASCII) + value[at:]


def field_values(known: Known) -> dict[bytes, st.SearchStrategy[bytes]]:
    """What each header field the server reads (or a proxy in front of it sets) may carry."""

    def made(*values: str | bytes) -> st.SearchStrategy[bytes]:
        return spoiled(st.sampled_from([v.encode() if isinstance(v, str) else v for v in values]))

    return {
        b"authorization": spoiled(authorizations(known)),
        b"cookie": spoiled(cookies()),
        b"content-type": made(*CONTENT_TYPES),
        b"origin": made(ISSUER, "null", "https://evil.test", "http://localhost:8000/"),
        b"sec-fetch-site": made("same-origin", "same-site", "cross-site", "none"),
        b"x-forwarded-for": made("203.0.113.9", "::1", "198.51.100.1, 10.0.0.1", "unknown"),
        b"x-forwarded-proto": made("https", "http", "https, http"),
        b"accept": made("application/json", "text/html", "*/*;q=0.1"),
        b"referer": made(REDIRECT_URI, "https://evil.test/"),
    }


@st.composite
def authorizations(draw: st.DrawFn, known: Known) -> bytes:
    """Mostly Basic, in any spelling, with arbitrary octets, with base64 of any bytes or
    with the known client's id and any secret; else Bearer, or neither."""
    if draw(st.integers(0, 3)):
        credentials = st.one_of(
            OCTETS,
            st.binary(max_size=80).map(b64encode),
            UNICODE.map(lambda secret: b64encode(f"{known.client_id}:{secret}".encode())),
        )
        return draw(st.sampled_from([b"Basic ", b"basic ", b"BASIC  "])) + draw(credentials)
    return draw(
        st.one_of(
            ASCII.map(lambda token: f"Bearer {token}".encode()),
            st.sampled_from([b"Basic", b"Basic !!!", b"Bearer", b"Bearer a b", b"Digest x"]),
            OCTETS,
        )
    )


def cookies() -> st.SearchStrategy[bytes]:
    named = st.builds(
        lambda name, value: f"{name}={value}".encode(),
        st.sampled_from([SESSION, CSRF, f"__Host-{SESSION}", f"__Host-{CSRF}"]),
        ASCII,
    )
    return st.one_of(named, st.lists(named, max_size=4).map(b"; ".join), OCTETS)


async def snapshot(store: Store) -> dict[str, list[str]]:
    """Every row of every table but those that record refusals, comparable."""
    tables = [table for table in metadata.sorted_tables if table.name not in RECORDS_REFUSALS]
    contents = {}
    async with store.transaction() as tx:
        for table in tables:
            columns = [column.name for column in table.columns]
            rows = await tx.conn.fetch_all(f"SELECT {', '.join(columns)} FROM {table.name}")
            contents[table.name] = sorted(repr([row[name] for name in columns]) for row in rows)
    return contents


def assert_clean(response: httpx.Response) -> None:
    """Below 500, no stack trace, and an answer a client or a person can read."""
    assert response.status_code < 500, response.text[:500]
    text = response.text
    for marker in TRACE_MARKERS:
        assert marker not in text, text[:500]
    content_type = response.headers.get("content-type", "")
    if response.is_redirect:
        # After a POST only 303: a 307 would make the browser repost the form, password
        # and all, to the next site (RFC 9700 4.12).
        assert response.status_code == (303 if response.request.method == "POST" else 302)
        target = response.headers["location"]
        assert target.startswith(("/u/", REDIRECT_URI + "?")), target
    elif not text:
        assert response.status_code == 200  # RFC 7009 2.2: revocation answers 200, no body.
    elif content_type.startswith("application/json"):
        body = response.json()
        if response.status_code >= 400:
            assert body["error"] in RFC_ERRORS and body["error_description"], body
    elif content_type.startswith("text/html"):
        assert "<html" in text.lower() and "</html>" in text.lower()
    else:
        assert content_type.startswith("text/plain") and len(text) < 200, (content_type, text)


def accepted(response: httpx.Response) -> bool:
    """A request the server took up: sign-in started, or a page that parks nothing new."""
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and urlsplit(location).path.startswith("/u/")


@pytest.fixture
async def known(client: httpx.AsyncClient, rt: Runtime) -> Known:
    """A client, a person, an API, and a sign-in in progress with its CSRF token."""
    await add_api(rt.store)
    await add_person(rt.store)
    app = await add_app(rt.store)
    pkce = PKCE()
    authorize = request_params(app.client_id, pkce)
    start = await client.get("/authorize", params=authorize)
    login_page = await client.get(start.headers["location"])
    fields = form_of(login_page.text).fields
    interaction = [("interaction", fields["interaction"]), ("csrf_token", fields["csrf_token"])]
    client_id = ("client_id", app.client_id)
    code = [
        ("grant_type", "authorization_code"),
        ("code", "tsr_ac_" + "A" * 43),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier),
        client_id,
    ]
    return Known(
        values=(
            app.client_id,
            REDIRECT_URI,
            API_ID,
            pkce.challenge,
            fields["interaction"],
            fields["csrf_token"],
            "alice",
            "read:x",
            "allow",
            "deny",
        ),  # fmt: skip
        client_id=app.client_id,
        baselines={
            "/authorize": list(authorize.items()),
            "/u/login": [*interaction, ("username", "alice"), ("password", "not-it")],
            "/u/consent": [*interaction, ("decision", "allow")],
            "/logout": [client_id, ("state", "s")],
            "/oauth/token": code,
            "/oauth/revoke": [("token", "tsr_rt_" + "B" * 43), client_id],
            "/oauth/introspect": [("token", "tsr_rt_" + "B" * 43), client_id],
            "/userinfo": [("access_token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")],
        },
    )


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@FUZZ
@given(data=st.data())
async def test_a_fuzzed_request_is_refused_cleanly_and_changes_nothing(
    client: httpx.AsyncClient, rt: Runtime, known: Known, endpoint: Endpoint, data: st.DataObject
) -> None:
    await assert_refused_cleanly(client, rt, endpoint, data.draw(requests(endpoint, known)))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@FUZZ
@given(data=st.data())
async def test_fuzzed_header_fields_are_refused_cleanly_and_change_nothing(
    client: httpx.AsyncClient, rt: Runtime, known: Known, endpoint: Endpoint, data: st.DataObject
) -> None:
    await assert_refused_cleanly(client, rt, endpoint, data.draw(header_requests(endpoint, known)))


async def assert_refused_cleanly(
    client: httpx.AsyncClient, rt: Runtime, endpoint: Endpoint, arguments: dict[str, Any]
) -> None:
    before = await snapshot(rt.store)
    response = await client.request(endpoint.method, **arguments)
    assert_clean(response)
    if not accepted(response):
        assert await snapshot(rt.store) == before
