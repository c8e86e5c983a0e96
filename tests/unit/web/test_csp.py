"""CSP sources for a client's redirect origin, so its form-action names nothing else."""

from __future__ import annotations

import pytest

from tessera.web.csp import origin_source, page_csp


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        ("https://app.test/cb?x=1", "https://app.test"),
        ("https://app.test:8443/cb", "https://app.test:8443"),
        ("http://127.0.0.1:51234/cb", "http://127.0.0.1:51234"),
        ("http://[::1]:8080/cb", "http://[::1]:8080"),
        ("com.example.app:/oauth", "com.example.app:"),
    ],
)
def test_redirect_uris_become_origin_sources(uri: str, source: str) -> None:
    assert origin_source(uri) == source


@pytest.mark.parametrize(
    "uri",
    [
        "https://a;b/",
        "https://user@app.test/",
        "http://app.test:99999/",
        "1http://x/",
        "https://a'b/",
    ],
)
def test_uris_that_could_inject_into_the_policy_are_refused(uri: str) -> None:
    assert origin_source(uri) is None


def test_the_page_policy_forbids_inline_script_framing_and_foreign_forms() -> None:
    policy = page_csp()
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'self';" in policy
    assert "form-action 'self' https://app.test;" in page_csp("https://app.test")
