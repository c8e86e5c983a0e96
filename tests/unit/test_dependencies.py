"""What a plain `pip install .` brings is what tessera imports.

Every module src/tessera imports at run time comes from the standard library or from a
distribution named in pyproject.toml's `[project] dependencies`: one that only arrives
through a dev extra or another package's dependencies works on a developer's machine and
breaks on a plain install. scripts/check-plain-install proves the same on a real venv.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "tessera"


def _normalised(name: str) -> str:
    """PEP 503 normalisation: `Authlib`, `argon2_cffi` and `argon2-cffi` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


# Modules imported only when their extra's feature is asked for, which may import what
# that extra installs (web.tracing: OTEL_EXPORTER_OTLP_ENDPOINT and the otel extra).
EXTRA_MODULES = {"src/tessera/web/tracing.py": "otel"}


def _declared_distributions(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    names = (re.match(r"[A-Za-z0-9._-]+", spec) for spec in specs)
    return {_normalised(match.group(0)) for match in names if match}


def _is_type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterator[str]:
    """Top-level names of absolute imports, wherever they are, outside TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]
        yield from _runtime_imports(node)


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the source files that import it."""
    found: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in _runtime_imports(ast.parse(path.read_text(), str(path))):
            if name in sys.stdlib_module_names or name in ("__future__", "tessera"):
                continue
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_comes_from_a_declared_dependency() -> None:
    declared = _declared_distributions()
    providers = importlib.metadata.packages_distributions()
    undeclared: dict[str, list[str]] = {}
    for module, files in _third_party_imports().items():
        provided = {_normalised(dist) for dist in providers.get(module, [])}
        for file in sorted(files):
            extra = EXTRA_MODULES.get(file)
            allowed = declared | (_declared_distributions(extra) if extra else set())
            if not allowed & provided:
                undeclared.setdefault(module, []).append(file)
    assert undeclared == {}, f"imported by src but not in [project] dependencies: {undeclared}"


# Declared dependencies that src never imports by name, and what needs them.
USED_WITHOUT_AN_IMPORT = {
    "python-multipart": "Starlette's Request.form(), in the demo app",
    "httpx2": "Authlib's HTTP client, in the demo app",
}


def test_every_declared_dependency_is_imported_or_says_what_needs_it() -> None:
    """A dependency nothing uses is still installed, audited and updated by every deployment."""
    providers = importlib.metadata.packages_distributions()
    imported = {
        _normalised(dist) for module in _third_party_imports() for dist in providers.get(module, [])
    }
    unused = _declared_distributions() - imported - set(USED_WITHOUT_AN_IMPORT)
    assert sorted(unused) == [], "declared in [project] dependencies, never imported by src"


def test_the_import_scan_sees_imports_inside_functions() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            import os
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                import only_for_types
            def late():
                from somewhere.inner import thing
            """
        )
    )
    assert sorted(_runtime_imports(tree)) == ["os", "somewhere", "typing"]


_WITHOUT_GREENLET = """
import sys

class NoGreenlet:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "greenlet":
            raise ImportError("greenlet is not installed")

sys.meta_path.insert(0, NoGreenlet())
from tessera.store import migrate
migrate.upgrade(sys.argv[1])
from tessera.cli.main import app
sys.argv = ["tessera", "--help"]
app()
"""


def test_the_cli_and_sqlite_migrations_run_without_sqlalchemy_async_layer(tmp_path: Path) -> None:
    """Only PostgreSQL migrations need SQLAlchemy's asyncio bridge (and greenlet)."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_GREENLET, f"sqlite:///{tmp_path / 'tessera.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: tessera" in result.stdout
