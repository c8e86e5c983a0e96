"""Redirect URIs: what may be registered, and exact matching at /authorize.

RFC 6749 3.1.2 (absolute, no fragment), RFC 9700 4.1.3 (exact string matching),
RFC 8252 7.3 (loopback: any port for native clients) and 8.3 (https, loopback or a
private-use scheme).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlencode, urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_REDIRECT_URI_LENGTH = 2000
MAX_PORT = 65535
# A loopback redirect URI as written: scheme and host, then an optional port (1 to 5
# digits, no leading zero), then the path and query, which may not hold a fragment.
LOOPBACK_URI = re.compile(
    r"(http://(?:127\.0\.0\.1|\[::1\]|localhost))(?::([1-9][0-9]{0,4}))?([/?][^#]*)?"
)


class InvalidRedirectURIValueError(ValueError):
    """A redirect URI cannot be registered; the message says why, for a person."""


def _split(uri: str) -> SplitResult | None:
    try:
        return urlsplit(uri)
    except ValueError:
        return None


def is_loopback(parts: SplitResult) -> bool:
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def is_native_redirect_uri(uri: str) -> bool:
    """True for a loopback or private-use-scheme URI (RFC 8252 7.1, 7.3): any app on the
    device can listen on a loopback port or claim a scheme, so the URI does not tell
    which app receives the response."""
    parts = _split(uri)
    return parts is not None and (is_loopback(parts) or parts.scheme not in ("http", "https"))


def validate_redirect_uri(uri: str, *, public: bool) -> str | None:
    """Check a redirect URI for registration; return a warning for people, or None.

    Raises:
        InvalidRedirectURIValueError: not absolute, has a fragment or a wildcard `*`,
            has spaces or control characters, or uses http on a non-loopback host
            (RFC 9700 2.6).
    """
    parts = _split(uri)
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise InvalidRedirectURIValueError(f"redirect URI is longer than {MAX_REDIRECT_URI_LENGTH}")
    if parts is None or not parts.scheme or any(ch.isspace() or ord(ch) < 32 for ch in uri):
        raise InvalidRedirectURIValueError(f"redirect URI {uri!r} is not an absolute URI")
    if "#" in uri:
        raise InvalidRedirectURIValueError(f"redirect URI {uri!r} must not have a fragment")
    if "*" in uri:
        # Matching is exact (RFC 9700 4.1.3): a `*` would match only itself, never a pattern.
        raise InvalidRedirectURIValueError(
            f"redirect URI {uri!r} has a wildcard: wildcards are not supported, "
            "register each exact URI"
        )
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise InvalidRedirectURIValueError(f"redirect URI {uri!r} has no host")
    if parts.scheme in ("javascript", "data", "file", "vbscript"):
        raise InvalidRedirectURIValueError(f"redirect URI scheme {parts.scheme!r} is not allowed")
    if parts.scheme == "http" and not is_loopback(parts):
        # RFC 9700 2.6: a code sent over plain http to another host can be read on the way.
        raise InvalidRedirectURIValueError(
            f"redirect URI {uri!r} uses http on a non-loopback host; "
            "use https (plain http is for 127.0.0.1, [::1] and localhost only)"
        )
    if parts.scheme not in ("http", "https") and not public:
        return f"redirect URI {uri!r} uses a private-use scheme, meant for native apps"
    return None


def match_redirect_uri(registered: tuple[str, ...], candidate: str, *, public: bool) -> bool:
    """True if `candidate` is registered: the same string, or for a public (native)
    client's loopback URI the same string but for the port (RFC 8252 7.3).

    The strings are compared as written, never parsed and normalised: the candidate is
    where the response goes, so it is the string that must have been registered.
    """
    if candidate in registered:
        return True
    if not public:
        return False
    wanted = _without_port(candidate)
    return wanted is not None and any(_without_port(uri) == wanted for uri in registered)


def _without_port(uri: str) -> str | None:
    """A loopback URI with its port cut out of the string; None for any other URI, or
    for a port no app can listen on."""
    found = LOOPBACK_URI.fullmatch(uri)
    if found is None or int(found[2] or 0) > MAX_PORT:
        return None
    return found[1] + (found[3] or "")


def add_query(uri: str, params: Iterable[tuple[str, str]]) -> str:
    """The URI with parameters added to its query, which it keeps (RFC 6749 3.1.2:
    the redirection endpoint URI "MUST retain the query component")."""
    query = urlencode(list(params))
    if not query:
        return uri
    return uri + ("&" if "?" in uri else "?") + query
