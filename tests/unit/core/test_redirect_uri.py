"""Redirect URI registration rules and matching (RFC 6749 3.1.2, RFC 8252, RFC 9700 4.1.3)."""

from __future__ import annotations

import pytest

from tessera.core.redirect_uri import (
    InvalidRedirectURIValueError,
    match_redirect_uri,
    validate_redirect_uri,
)


@pytest.mark.parametrize(
    ("uri", "public"),
    [
        ("https://app.example.com/callback", True),
        ("https://app.example.com/callback", False),
        ("http://127.0.0.1/callback", True),
        ("http://[::1]:8080/cb", True),
        ("http://localhost:3000/cb", True),
        ("com.example.app:/oauth2redirect", True),
    ],
)
def test_acceptable_redirect_uris(uri: str, public: bool) -> None:
    assert validate_redirect_uri(uri, public=public) is None


@pytest.mark.parametrize(
    ("uri", "public", "message"),
    [
        ("/callback", False, "not an absolute URI"),
        ("https://app.example.com/cb#frag", False, "fragment"),
        ("https://app.example.com/c b", False, "not an absolute URI"),
        ("https:///nohost", False, "no host"),
        ("javascript:alert(1)", False, "not allowed"),
        ("data:text/html,hi", True, "not allowed"),
        ("http://app.example.com/cb", True, "non-loopback"),
        ("http://app.example.com/cb", False, "non-loopback"),
        ("http://127.0.0.1.example.com/cb", False, "non-loopback"),
        ("https://app.example.com/" + "a" * 2000, False, "longer than"),
    ],
    ids=[
        "relative",
        "fragment",
        "space",
        "no-host",
        "javascript",
        "data",
        "http-public",
        "http-confidential",
        "http-lookalike-loopback",
        "long",
    ],
)
def test_refused_redirect_uris(uri: str, public: bool, message: str) -> None:
    with pytest.raises(InvalidRedirectURIValueError, match=message):
        validate_redirect_uri(uri, public=public)


def test_private_use_scheme_for_a_confidential_client_is_a_warning() -> None:
    warning = validate_redirect_uri("com.example.app:/cb", public=False)
    assert warning is not None and "native apps" in warning


@pytest.mark.parametrize(
    "uri",
    ["https://*.example.com/cb", "https://app.example.com/*", "http://127.0.0.1:*/cb"],
    ids=["host", "path", "port"],
)
@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_wildcard_redirect_uris_are_refused_as_unsupported(uri: str, public: bool) -> None:
    with pytest.raises(InvalidRedirectURIValueError) as refused:
        validate_redirect_uri(uri, public=public)
    assert str(refused.value) == (
        f"redirect URI {uri!r} has a wildcard: wildcards are not supported, register each exact URI"
    )


REGISTERED = ("https://app.example.com/cb", "http://127.0.0.1/native")


@pytest.mark.parametrize(
    ("candidate", "public", "expected"),
    [
        ("https://app.example.com/cb", False, True),
        ("https://app.example.com/cb/", False, False),
        ("https://app.example.com/cb?x=1", False, False),
        ("https://APP.example.com/cb", False, False),
        ("https://app.example.com:443/cb", False, False),
        ("http://127.0.0.1:51234/native", True, True),
        ("http://127.0.0.1:51234/native", False, False),
        ("http://127.0.0.1:51234/other", True, False),
        ("http://127.0.0.1:51234/native?x=1", True, False),
        ("http://user@127.0.0.1:5000/native", True, False),
        ("http://localhost:51234/native", True, False),
        ("https://app.example.com:99999/cb", True, False),
        ("http://127.0.0.1:51234/native#x", True, False),
        ("http://127.0.0.1:51234/native#", True, False),
        ("http://127.0.0.1:abc/native", True, False),
        ("http://127.0.0.1:99999/native", True, False),
        ("http://127.0.0.1:0/native", True, False),
        ("http://127.0.0.1/native", True, True),
        ("http://127.0.0.1:65535/native", True, True),
        ("http://127.0.0.1:51234/nat\nive", True, False),
        ("http://127.0.0.1:51234/nat\tive", True, False),
        ("http://127.0.0.1:51234/native?", True, False),
        ("HTTP://127.0.0.1:51234/native", True, False),
        ("http://127.0.0.1:08080/native", True, False),
        ("http://127.0.0.1:/native", True, False),
    ],
    ids=[
        "exact",
        "trailing-slash",
        "extra-query",
        "case",
        "explicit-port",
        "loopback-any-port",
        "loopback-confidential",
        "loopback-other-path",
        "loopback-extra-query",
        "loopback-userinfo",
        "localhost-vs-ip",
        "bad-port",
        "loopback-fragment",
        "loopback-empty-fragment",
        "loopback-port-not-a-number",
        "loopback-port-out-of-range",
        "loopback-port-zero",
        "loopback-no-port",
        "loopback-highest-port",
        # urlsplit drops tabs and newlines, and reads the next four as the registered URI.
        "loopback-newline-in-path",
        "loopback-tab-in-path",
        "loopback-empty-query",
        "loopback-scheme-case",
        "loopback-port-leading-zero",
        "loopback-empty-port",
    ],
)
def test_redirect_uri_matching_is_exact_except_native_loopback_ports(
    candidate: str, public: bool, expected: bool
) -> None:
    assert match_redirect_uri(REGISTERED, candidate, public=public) is expected


def test_a_uri_the_parser_cannot_split_is_not_absolute() -> None:
    with pytest.raises(InvalidRedirectURIValueError, match="not an absolute URI"):
        validate_redirect_uri("https://[::1/cb", public=False)
