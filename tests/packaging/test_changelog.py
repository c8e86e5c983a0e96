"""CHANGELOG.md agrees with the version, and the upgrade notes with the migrations."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from packaging.version import Version

from tessera import __version__

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
MIGRATIONS = ROOT / "src" / "tessera" / "store" / "migrations" / "versions"
# Keep a Changelog's kinds of change.
KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
# The schema 0.1.0 shipped; every later migration has upgrade notes.
FIRST_SCHEMA = {"0001", "0002"}


def _sections() -> list[tuple[str, str]]:
    """(heading after '## ', body) for each version, newest first."""
    parts = re.split(r"^## (.+)$", CHANGELOG, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_changelog_opens_with_the_version_being_made() -> None:
    heading, body = _sections()[0]
    version = Version(__version__)
    if version.is_devrelease or version.is_prerelease:
        assert heading == "[Unreleased]"
        assert f"released as {version.base_version}" in body
    else:
        assert re.fullmatch(rf"\[{re.escape(__version__)}\] - \d{{4}}-\d\d-\d\d", heading)


def test_released_versions_are_dated_and_newest_first() -> None:
    released = []
    for heading, _ in _sections():
        if heading == "[Unreleased]":
            continue
        match = re.fullmatch(r"\[([^\]]+)\] - (\d{4}-\d\d-\d\d)", heading)
        assert match, f"not '[VERSION] - YYYY-MM-DD': {heading}"
        released.append((Version(match.group(1)), dt.date.fromisoformat(match.group(2))))
    assert released, "no released version"
    assert released == sorted(released, reverse=True)
    assert Version(__version__) > released[0][0]


def test_changes_are_grouped_by_keep_a_changelog_kinds() -> None:
    for heading, body in _sections():
        kinds = re.findall(r"^### (.+)$", body, flags=re.MULTILINE)
        assert kinds, f"{heading} lists no change"
        assert set(kinds) <= KINDS, f"{heading}: {sorted(set(kinds) - KINDS)}"
        assert len(kinds) == len(set(kinds)), f"{heading} repeats a kind"


def test_every_migration_since_the_first_release_has_an_upgrade_note() -> None:
    notes = (ROOT / "docs" / "deployment.md").read_text()
    revisions = {path.name[:4] for path in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py")}
    assert revisions >= FIRST_SCHEMA
    missing = [
        revision
        for revision in sorted(revisions - FIRST_SCHEMA)
        if not re.search(rf"^\| {revision} ", notes, flags=re.MULTILINE)
    ]
    assert missing == [], "docs/deployment.md has no upgrade-notes row for these migrations"
