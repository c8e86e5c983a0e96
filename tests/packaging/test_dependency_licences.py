"""docs/dependencies.md lists every runtime dependency with the licence its metadata states.

The runtime closure is what a plain install brings: pyproject.toml's `[project]
dependencies` with the extras they name, then the installed distributions' own
requirements, markers evaluated for this machine. Each licence must allow distribution
with an Apache-2.0 program.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dependencies.md"

# Licences whose terms allow shipping the library beside an Apache-2.0 program. MPL-2.0's
# copyleft is per file: it binds changes to the library's own files, which tessera makes none of.
COMPATIBLE = frozenset(
    {"Apache-2.0", "MIT", "MIT-0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "PSF-2.0", "MPL-2.0"}
)

# Trove classifiers and free-text `License:` fields, for metadata without an expression.
CLASSIFIER_IDS = {
    "License :: OSI Approved :: MIT License": {"MIT"},
    "License :: OSI Approved :: BSD License": {"BSD-2-Clause", "BSD-3-Clause"},
    "License :: OSI Approved :: Apache Software License": {"Apache-2.0"},
    "License :: OSI Approved :: ISC License (ISCL)": {"ISC"},
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": {"MPL-2.0"},
    "License :: OSI Approved :: Python Software Foundation License": {"PSF-2.0"},
}
LICENSE_FIELD_IDS = {"MIT License": "MIT", "ISC License": "ISC", "BSD License": "BSD-3-Clause"}

_TOKEN = re.compile(r"\(|\)|[A-Za-z0-9.+-]+")


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """Normalised names of every distribution a plain install of tessera brings here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found: set[str] = set()
    visited: set[tuple[str, frozenset[str]]] = set()
    pending = [Requirement(spec) for spec in project["dependencies"]]
    while pending:
        requirement = pending.pop()
        name, extras = _normalised(requirement.name), frozenset(requirement.extras)
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        found.add(name)
        for spec in importlib.metadata.distribution(name).requires or []:
            needed = Requirement(spec)
            wanted = {"", *extras}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in wanted):
                pending.append(needed)
    return found


def documented() -> dict[str, str]:
    """Distribution -> licence, from the tables of docs/dependencies.md."""
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \|", DOC.read_text(), flags=re.MULTILINE)
    names = [_normalised(name) for name, _ in rows]
    assert len(names) == len(set(names)), "a distribution is listed twice"
    return {_normalised(name): licence for name, licence in rows}


def licence_ids(expression: str) -> set[str]:
    return {token for token in _TOKEN.findall(expression) if token not in {"(", ")", "AND", "OR"}}


def is_compatible(expression: str) -> bool:
    """Whether an SPDX expression can be met with COMPATIBLE licences (one side of an OR)."""
    tokens = _TOKEN.findall(canonicalize_license_expression(expression))

    def either(at: int) -> tuple[bool, int]:
        ok, at = both(at)
        while at < len(tokens) and tokens[at] == "OR":
            right, at = both(at + 1)
            ok = ok or right
        return ok, at

    def both(at: int) -> tuple[bool, int]:
        ok, at = one(at)
        while at < len(tokens) and tokens[at] == "AND":
            right, at = one(at + 1)
            ok = ok and right
        return ok, at

    def one(at: int) -> tuple[bool, int]:
        if tokens[at] == "(":
            ok, at = either(at + 1)
            assert tokens[at] == ")", expression
            return ok, at + 1
        return tokens[at] in COMPATIBLE, at + 1

    ok, end = either(0)
    assert end == len(tokens), f"cannot read licence expression {expression!r}"
    return ok


def stated_by_metadata(name: str) -> tuple[str | None, set[str]]:
    """The distribution's License-Expression, if any, and every licence id it names."""
    metadata = importlib.metadata.distribution(name).metadata
    expression = (metadata.get_all("License-Expression") or [None])[0]
    ids = licence_ids(expression) if expression else set()
    field = ((metadata.get_all("License") or [None])[0] or "").strip()
    if field and "\n" not in field and len(field) < 60:
        ids |= licence_ids(LICENSE_FIELD_IDS.get(field, field))
    for classifier in metadata.get_all("Classifier") or []:
        ids |= CLASSIFIER_IDS.get(classifier, set())
    return expression, ids


def test_every_runtime_dependency_is_listed_and_nothing_else() -> None:
    listed, installed = set(documented()), runtime_closure()
    assert sorted(installed - listed) == [], "install brings these; docs/dependencies.md lacks them"
    assert sorted(listed - installed) == [], "listed in docs/dependencies.md but not installed"


@pytest.mark.parametrize(("name", "licence"), sorted(documented().items()))
def test_each_listed_licence_is_what_the_metadata_states_and_compatible(
    name: str, licence: str
) -> None:
    expression, ids = stated_by_metadata(name)
    if expression:
        assert canonicalize_license_expression(licence) == canonicalize_license_expression(
            expression
        )
    else:
        assert ids, f"{name} states no licence in its metadata: read its files and decide"
        assert licence_ids(licence) <= ids, f"{name}'s metadata names {sorted(ids)}"
    assert is_compatible(licence), f"{name}: {licence} is not known to suit Apache-2.0"


@pytest.mark.parametrize(
    ("expression", "compatible"),
    [
        ("MIT", True),
        ("GPL-3.0-only", False),
        ("MIT OR GPL-3.0-only", True),
        ("MIT AND GPL-3.0-only", False),
        ("MPL-2.0 AND (Apache-2.0 OR MIT)", True),
        ("MPL-2.0 AND (GPL-2.0-only OR AGPL-3.0-only)", False),
    ],
)
def test_licence_expressions_are_read_with_and_or_and_brackets(
    expression: str, compatible: bool
) -> None:
    assert is_compatible(expression) is compatible


def test_tessera_itself_is_apache_2_0_with_the_licence_text_at_the_root() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
