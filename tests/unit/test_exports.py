"""Every `__all__` in tessera names something its module has.

A name in `__all__` that the module lacks breaks `from module import *` only when someone
tries it, long after the rename that caused it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import tessera

SOURCE = Path(tessera.__file__).parent


def _modules_with_all() -> list[str]:
    modules = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        if any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for node in tree.body
        ):
            parts = path.relative_to(SOURCE.parent).with_suffix("").parts
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_modules_declaring_all_are_found() -> None:
    assert {"tessera.core.grants", "tessera.resource", "tessera.store"} <= set(_modules_with_all())


@pytest.mark.parametrize("name", _modules_with_all())
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
