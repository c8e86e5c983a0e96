"""ParsedRows: a row's values parse once; any other value parses anew; the memo is bounded."""

from __future__ import annotations

import sqlite3

from tessera.store.engine import Row
from tessera.store.parsed import ParsedRows


def _rows(*values: tuple[str, int]) -> list[Row]:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE t (name TEXT, n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", values)
    rows: list[Row] = conn.execute("SELECT name, n FROM t ORDER BY rowid").fetchall()
    return rows


def test_equal_rows_share_one_parse_and_a_changed_row_is_parsed_again() -> None:
    calls: list[str] = []

    def parse(row: Row) -> tuple[str, int]:
        calls.append(row["name"])
        return (row["name"], row["n"])

    parsed = ParsedRows(parse)
    first, again, changed = _rows(("a", 1), ("a", 1), ("a", 2))
    assert parsed(first) is parsed(again)
    assert parsed(changed) == ("a", 2)
    assert calls == ["a", "a"]


def test_a_full_memo_starts_over() -> None:
    calls: list[int] = []

    def parse(row: Row) -> int:
        calls.append(row["n"])
        return int(row["n"])

    parsed = ParsedRows(parse, size=2)
    one, two, three = _rows(("x", 1), ("x", 2), ("x", 3))
    for row in (one, two, three, one):
        parsed(row)
    assert calls == [1, 2, 3, 1]
