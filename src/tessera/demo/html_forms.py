"""Reading an HTML page's forms the way a browser would: action, method, fields, buttons.

The headless trace submits tessera's real login and consent forms, so it needs what a
browser sees in them (hidden CSRF and interaction fields included) and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collects the forms (and, for tests of the CSP, the script tags) of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name")
        if tag == "script":
            self.scripts.append(named)
        elif tag == "form":
            self.forms.append(
                Form(named.get("action") or "", (named.get("method") or "get").upper())
            )
        elif tag == "input" and self.forms and name:
            self.forms[-1].fields[name] = named.get("value") or ""
        elif tag == "button" and self.forms and name:
            self.forms[-1].buttons.append((name, named.get("value") or ""))


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def forms_of(html: str) -> list[Form]:
    return parse_page(html).forms
