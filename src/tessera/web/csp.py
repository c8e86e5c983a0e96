"""Content-Security-Policy for pages: no inline script, no framing, forms only to us.

Browsers apply `form-action` to every redirect that follows a form submission, so a
page whose form ends at a client's redirect URI (login, consent, logout) or posts to
it (form_post) must also name that client's origin.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOST = re.compile(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")


def page_csp(*form_targets: str) -> str:
    """The policy of every page; `form_targets` are extra CSP sources for form-action."""
    form_action = " ".join(("'self'", *form_targets))
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


def origin_source(uri: str) -> str | None:
    """The CSP source expression for a redirect URI's origin (a private-use scheme
    gives `scheme:`), or None when the URI cannot be expressed safely as one."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if not _SCHEME.fullmatch(parts.scheme):
        return None
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}:"
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


PAGE_CSP = page_csp()
