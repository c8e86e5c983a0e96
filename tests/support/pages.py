"""Reading tessera's pages the way a browser would: the forms, their fields and buttons."""

from __future__ import annotations

from tessera.demo.html_forms import Form, forms_of, parse_page

__all__ = ["Form", "form_of", "forms_of", "parse_page"]


def form_of(html: str) -> Form:
    """The page's one form."""
    forms = forms_of(html)
    assert len(forms) == 1, f"expected one form, found {len(forms)}"
    return forms[0]
