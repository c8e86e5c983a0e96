"""Web origins: what may be registered, how it is normalised, and which origins a
client allows."""

from __future__ import annotations

import pytest

from tessera.core.models import Client
from tessera.core.web_origins import (
    InvalidWebOriginError,
    allowed_origins,
    is_origin_allowed,
    origin_of,
    parse_web_origin,
    parse_web_origins,
)


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://app.example", "https://app.example"),
        ("HTTPS://App.Example", "https://app.example"),
        ("https://app.example:443", "https://app.example"),
        ("https://app.example:8443", "https://app.example:8443"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("http://[::1]:5173", "http://[::1]:5173"),
        ("http://localhost", "http://localhost"),
        ("http://LOCALHOST:80", "http://localhost"),
        ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
    ],
)
def test_an_origin_is_kept_as_a_browser_sends_it(value: str, origin: str) -> None:
    assert parse_web_origin(value) == origin


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://" + "a" * 300 + ".example", "longer than"),
        ("https://bücher.example", "ASCII"),
        ("https://app .example", "without spaces"),
        ("https://app.example\n", "without spaces"),
        ("https://*.example", "wildcard"),
        ("*", "wildcard"),
        ("app.example", "scheme://host"),
        ("ftp://app.example", "scheme://host"),
        ("chrome-extension://abcdef", "scheme://host"),
        ("https://", "scheme://host"),
        ("https:app.example", "scheme://host"),
        ("https://app.example/", "path, query or fragment"),
        ("https://app.example/cb", "path, query or fragment"),
        ("https://app.example?x=1", "path, query or fragment"),
        ("https://app.example?", "path, query or fragment"),
        ("https://app.example#top", "path, query or fragment"),
        ("https://user@app.example", "name a host"),
        ("https://:443", "name a host"),
        ("https://app.example:0", "invalid port"),
        ("https://app.example:65536", "invalid port"),
        ("https://app.example:https", "invalid port"),
        ("http://app.example", "http on a non-loopback host"),
        ("http://127.0.0.2", "http on a non-loopback host"),
        ("http://localhost.example", "http on a non-loopback host"),
    ],
)
def test_what_is_not_an_origin_is_refused_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(InvalidWebOriginError, match=message):
        parse_web_origin(value)


def test_origins_are_deduplicated_after_normalising() -> None:
    assert parse_web_origins(
        ["https://a.example", "HTTPS://A.EXAMPLE:443", "https://b.example"]
    ) == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://app.example/callback?x=1", "https://app.example"),
        ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
        ("https://App.Example:443/cb", "https://app.example"),
        ("com.example.app:/callback", None),
        ("https:///no-host", None),
        ("https://app.example:99999/cb", None),
    ],
)
def test_the_origin_of_a_redirect_uri(uri: str, origin: str | None) -> None:
    assert origin_of(uri) == origin


def _client(**fields: object) -> Client:
    return Client(client_id="c", name="C", **fields)  # type: ignore[arg-type]


def test_a_client_without_origins_allows_its_redirect_uris_origins() -> None:
    client = _client(
        redirect_uris=(
            "https://app.example/cb",
            "https://app.example/other",
            "http://127.0.0.1:3000/cb",
            "com.example.app:/cb",
        )
    )
    assert allowed_origins(client) == ("https://app.example", "http://127.0.0.1:3000")
    assert is_origin_allowed(client, "https://app.example")
    assert not is_origin_allowed(client, "https://evil.example")


def test_registered_origins_replace_the_redirect_uris_origins() -> None:
    client = _client(
        redirect_uris=("https://app.example/cb",), web_origins=("https://spa.example",)
    )
    assert allowed_origins(client) == ("https://spa.example",)
    assert not is_origin_allowed(client, "https://app.example")


@pytest.mark.parametrize(
    "header", ["null", "https://spa.example/", "HTTPS://SPA.EXAMPLE", "https://spa.example:443"]
)
def test_the_origin_header_is_compared_as_sent(header: str) -> None:
    client = _client(redirect_uris=(), web_origins=("https://spa.example",))
    assert not is_origin_allowed(client, header)


def test_a_value_the_parser_cannot_split_is_no_origin() -> None:
    with pytest.raises(InvalidWebOriginError):
        parse_web_origin("https://[::1")
    assert origin_of("https://[::1/cb") is None
