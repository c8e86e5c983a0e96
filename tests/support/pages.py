"""Reading tessera's pages the way a browser would: the forms, their fields and buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        elif tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").upper()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"] or ""] = a.get("value") or ""
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons.append((a["name"] or "", a.get("value") or ""))


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def forms_of(html: str) -> list[Form]:
    return parse_page(html).forms


def form_of(html: str) -> Form:
    """The page's one form."""
    forms = forms_of(html)
    assert len(forms) == 1, f"expected one form, found {len(forms)}"
    return forms[0]
