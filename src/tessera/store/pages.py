"""The WHERE clause of a keyset page (core.admin.pages) on (created_at, id)."""

from __future__ import annotations


def after_created(after: tuple[int, str] | None) -> tuple[str, dict[str, object]]:
    """`WHERE` for the rows after `after` on the (created_at, id) key, with its
    parameters; no clause for the first page."""
    if after is None:
        return "", {}
    return (
        "WHERE (created_at > :at OR (created_at = :at AND id > :after_id))",
        {"at": after[0], "after_id": after[1]},
    )
