"""Security rule: a value checked against a pattern is checked whole.

With `re.match`, `$` matches before a trailing newline too, so `^[a-z]+$` lets
"alice\\n" through. Behaviour: each checked value ending in a newline is refused.
Source: no pattern in the package is anchored with `$`, and none is applied with
`.match` (a prefix match); they are applied with `fullmatch`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import tessera
from tessera.core.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from tessera.core.pkce import validate_code_challenge, verify_code_verifier
from tessera.core.registration import RegistrationError, build_user, validate_scopes
from tessera.core.scopes import parse_scope
from tessera.crypto.tokens import s256
from tessera.settings import Settings

PACKAGE = Path(tessera.__file__).parent
VERIFIER = "v" * 43


def _user(**changes: str) -> None:
    fields: dict[str, Any] = {"username": "alice", "email": "alice@example.test", **changes}
    build_user(password="correct horse", now=0, **fields)


CHECKS: dict[str, tuple[Callable[[], object], type[Exception]]] = {
    "registered-scope": (lambda: validate_scopes(["read:x\n"]), RegistrationError),
    "username": (lambda: _user(username="alice\n"), RegistrationError),
    "email": (lambda: _user(email="alice@example.test\n"), RegistrationError),
    "requested-scope": (lambda: parse_scope("openid\n"), InvalidScopeError),
    "code-challenge": (
        lambda: validate_code_challenge(s256(VERIFIER) + "\n", "S256"),
        InvalidRequestError,
    ),
    # The challenge is the verifier's own: only the pattern can refuse it.
    "code-verifier": (
        lambda: verify_code_verifier(VERIFIER + "\n", s256(VERIFIER + "\n")),
        InvalidGrantError,
    ),
    "log-level": (lambda: Settings.model_validate({"log_level": "info\n"}), ValidationError),
}


@pytest.mark.parametrize("check", CHECKS.values(), ids=CHECKS.keys())
def test_a_value_ending_in_a_newline_is_refused(
    check: tuple[Callable[[], object], type[Exception]],
) -> None:
    call, error = check
    with pytest.raises(error):
        call()


def _dollar_anchored(pattern: str) -> bool:
    return any(ch == "$" and (at == 0 or pattern[at - 1] != "\\") for at, ch in enumerate(pattern))


def _called_on(call: ast.Call) -> tuple[str, str]:
    """`("re", "compile")` for `re.compile(...)`; empty strings for other calls."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return "", ""


def _pattern_problems(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each `$`-anchored pattern literal and each prefix match."""
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        owner, method = _called_on(node)
        patterns = [kw.value for kw in node.keywords if kw.arg == "pattern"]
        if owner == "re" and node.args:
            patterns.append(node.args[0])
        for pattern in patterns:
            text = pattern.value if isinstance(pattern, ast.Constant) else None
            if isinstance(text, str) and _dollar_anchored(text):
                problems.append((node.lineno, f"$ in {text!r}"))
        # Compiled patterns are module constants, named in capitals; `re.match` is the
        # same prefix match.
        if method == "match" and (owner == "re" or owner.lstrip("_").isupper()):
            problems.append((node.lineno, f"{owner}.match"))
    return problems


def test_no_pattern_is_anchored_with_a_dollar_or_applied_as_a_prefix() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, what in _pattern_problems(tree):
            offenders.append(f"{path.relative_to(PACKAGE)}:{line}: {what}")
    assert offenders == []


def test_the_source_check_sees_both_mistakes() -> None:
    tree = ast.parse('TOKEN = re.compile(r"^[a-z]+$")\nTOKEN.match(value)\nField(pattern="a$")')
    assert [what for _, what in _pattern_problems(tree)] == [
        "$ in '^[a-z]+$'",
        "TOKEN.match",
        "$ in 'a$'",
    ]
