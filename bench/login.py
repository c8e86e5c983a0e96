"""Sign a user in through a provider's own login and consent pages, once per run.

The benchmark measures an already signed-in, consented session, the way a returning
user's browser arrives at /authorize. To get there without knowing either provider's
pages, this walks them like a minimal browser: follow redirects on the provider's origin,
fill the one form on each page (username, password, hidden fields, the approving
button), keep cookies by path, and stop at the redirect to the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from bench.http import Connection, Response
from bench.oidc import FORM_HEADERS, CheckError

MAX_STEPS = 12
USERNAME_FIELDS = {"username", "login", "email", "user"}
APPROVE = re.compile(r"allow|approve|accept|consent|continue|confirm|yes|sign.?in|log.?in", re.I)
DECLINE = re.compile(r"deny|cancel|abort|reject|decline|no\b", re.I)


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, value)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, label)


class _FormParser(HTMLParser):
    """Collects the forms of a page with their inputs and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").upper()))
        elif not self.forms:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append((a.get("name", ""), a.get("value", ""), ""))
            elif a.get("name"):
                self.forms[-1].fields.append((kind, a["name"], a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = [a.get("name", ""), a.get("value", ""), ""]

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value, label = self._button
            self.forms[-1].buttons.append((name, value, label))
            self._button = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def fill(form: Form, username: str, password: str) -> dict[str, str]:
    """The values a user would submit: credentials, hidden fields, boxes ticked (such
    as "remember this consent"), and the approving button if there are several."""
    values: dict[str, str] = {}
    for kind, name, value in form.fields:
        if kind == "password":
            values[name] = password
        elif kind in {"text", "email"} and name.lower() in USERNAME_FIELDS:
            values[name] = username
        elif kind == "checkbox":
            values[name] = value or "on"
        elif kind not in {"radio", "button", "reset", "image"}:
            values[name] = value
    approving = [
        b for b in form.buttons if not DECLINE.search(" ".join(b)) and APPROVE.search(" ".join(b))
    ]
    chosen = approving[0] if approving else (form.buttons[0] if len(form.buttons) == 1 else None)
    if chosen is None and form.buttons:
        raise CheckError(f"cannot tell which button approves: {form.buttons}")
    if chosen is not None and chosen[0]:
        values[chosen[0]] = chosen[1]
    return values


class CookieJar:
    """Name -> (value, path); enough for one provider on one origin."""

    def __init__(self) -> None:
        self._cookies: dict[str, tuple[str, str]] = {}

    def update(self, response: Response) -> None:
        for line in response.header_all("set-cookie"):
            pair, *attributes = (part.strip() for part in line.split(";"))
            name, _, value = pair.partition("=")
            attrs = {k.lower(): v for k, _, v in (a.partition("=") for a in attributes)}
            expired = attrs.get("max-age") == "0" or "1970" in attrs.get("expires", "")
            if expired or not value:
                self._cookies.pop(name, None)
            else:
                self._cookies[name] = (value, attrs.get("path") or "/")

    def header(self, path: str) -> str:
        return "; ".join(
            f"{name}={value}"
            for name, (value, prefix) in self._cookies.items()
            if path.startswith(prefix)
        )


async def sign_in(
    conn: Connection,
    origin: str,
    start: str,
    redirect_uri: str,
    username: str,
    password: str,
) -> str:
    """Walk from an authorization request (path?query) to the redirect to the client;
    return the Cookie header a signed-in browser sends to the authorization endpoint."""
    jar = CookieJar()
    method, target, body = "GET", start, b""
    for _ in range(MAX_STEPS):
        headers = {"Cookie": jar.header(urlsplit(target).path)}
        if method == "POST":
            headers.update(FORM_HEADERS)
        response = await conn.request(method, target, headers, body)
        jar.update(response)
        location = response.header("location")
        if response.status in {301, 302, 303, 307} and location:
            if location.startswith(redirect_uri):
                return jar.header(urlsplit(start).path)
            method, target, body = "GET", _same_origin(origin, target, location), b""
        elif response.status == 200 and b"<form" in response.body:
            forms = parse_forms(response.body.decode("utf-8", "replace"))
            page = forms[0]
            values = urlencode(fill(page, username, password)).encode("ascii")
            action = _same_origin(origin, target, page.action or target)
            if page.method == "POST":
                method, target, body = "POST", action, values
            else:
                method, target, body = "GET", f"{action}?{values.decode()}", b""
        else:
            raise CheckError(f"{method} {urlsplit(target).path} answered {response.status}")
    raise CheckError(f"no redirect to the client after {MAX_STEPS} steps")


def _same_origin(origin: str, current: str, url: str) -> str:
    """Resolve a link against the page; refuse to leave the provider's origin."""
    absolute = urljoin(origin + current, url)
    if not absolute.startswith(origin + "/"):
        raise CheckError(f"the sign-in left the provider's origin: {absolute}")
    return absolute[len(origin) :]
