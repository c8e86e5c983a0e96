"""`tessera --version`: one version, written once, printed the same everywhere."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tessera import __version__
from tessera.cli.main import app
from tessera.cli.startup import banner
from tessera.settings import load_settings
from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[3]
# PEP 440 public versions: release, optional pre-release, post-release and dev segments.
PEP_440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version_option_prints_the_version_and_exits_0(option: str) -> None:
    result = CliRunner().invoke(app, [option])
    assert result.exit_code == 0, result.output
    assert result.output == f"tessera {__version__}\n"


def test_version_option_reads_no_settings_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken configuration must not hide which version is installed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TESSERA_ISSUER", "not a url")
    monkeypatch.setenv("TESSERA_CONFIG", str(tmp_path / "missing.toml"))
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []


def test_version_is_a_pep_440_version() -> None:
    assert PEP_440.fullmatch(__version__), __version__


def test_version_is_written_only_in_the_package() -> None:
    """pyproject.toml reads tessera.__version__ instead of repeating it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"] == {"attr": "tessera.__version__"}


def test_serve_banner_names_the_version_that_version_option_prints() -> None:
    settings = load_settings(secret_key=TEST_SECRET_KEY)
    printed = CliRunner().invoke(app, ["--version"]).output.strip()
    assert banner(settings, [], host="127.0.0.1", port=8000)[0] == printed
