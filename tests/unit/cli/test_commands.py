"""The provisioning commands, run in-process: what they refuse to create, and how they
print what they read (values, ISO 8601 UTC times, one-line errors)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tessera.cli.main import app
from tessera.store import migrate
from tests.conftest import TEST_SECRET_KEY

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

COMMANDS_THAT_NEED_A_DATABASE = [
    ("clients", "list"),
    ("clients", "show", "some-client"),
    ("clients", "delete", "some-client", "--yes"),
    ("users", "show", "alice"),
    ("users", "disable", "alice"),
    ("users", "delete", "alice", "--yes"),
    ("consents", "list", "alice"),
    ("clients", "create", "--name", "App", "--redirect-uri", "https://app.test/cb"),
    ("users", "list"),
    ("users", "create", "--username", "alice", "--password", "long enough password"),
    ("apis", "list"),
    ("apis", "create", "--identifier", "https://api.test"),
    ("keys", "list"),
    ("keys", "rotate"),
    ("keys", "retire", "some-kid"),
    ("audit", "tail"),
    ("db", "current"),
    ("db", "prune"),
]


def tessera(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no tessera data in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir set up by `tessera db upgrade`, named by TESSERA_DATA_DIR."""
    data_dir = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TESSERA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TESSERA_SECRET_KEY", TEST_SECRET_KEY)
    assert tessera("db", "upgrade").exit_code == 0
    return data_dir


@pytest.mark.parametrize("command", COMMANDS_THAT_NEED_A_DATABASE, ids=" ".join)
def test_commands_other_than_serve_and_db_upgrade_never_create_a_database(
    elsewhere: Path, command: tuple[str, ...]
) -> None:
    result = tessera(*command)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: no database at {elsewhere / 'var' / 'tessera.db'}: run tessera where its "
        "data dir is, or set TESSERA_DATA_DIR or TESSERA_DATABASE_URL (tessera serve and "
        "tessera db upgrade create one)"
    ]
    assert list(elsewhere.iterdir()) == []


def test_a_missing_database_named_by_url_is_reported_at_that_path(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", "sqlite:///db/auth.db")
    result = tessera("clients", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no database at {elsewhere / 'db' / 'auth.db'}: ")
    assert list(elsewhere.iterdir()) == []


def test_commands_never_generate_a_secret_key(elsewhere: Path) -> None:
    migrate.upgrade(f"sqlite:///{elsewhere / 'var' / 'tessera.db'}")
    result = tessera("clients", "list")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: TESSERA_SECRET_KEY is not set and {Path('var') / 'secret.key'} does not "
        "exist: set TESSERA_SECRET_KEY, or TESSERA_DATA_DIR to the data dir tessera serve uses"
    ]
    assert not (elsewhere / "var" / "secret.key").exists()


def test_commands_refuse_an_outdated_embedded_database_instead_of_migrating_it(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (elsewhere / "var").mkdir()
    (elsewhere / "var" / "tessera.db").touch()
    monkeypatch.setenv("TESSERA_SECRET_KEY", TEST_SECRET_KEY)
    result = tessera("clients", "list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: database schema is at nothing, tessera needs {migrate.head_revision()}: "
        "run `tessera db upgrade`\n"
    )
    assert tessera("db", "upgrade").exit_code == 0
    assert tessera("clients", "list").stdout == "(none)\n"


def test_db_upgrade_creates_the_database_and_secret_key(elsewhere: Path) -> None:
    result = tessera("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert {path.name for path in (elsewhere / "var").iterdir()} == {"tessera.db", "secret.key"}
    assert tessera("clients", "list").exit_code == 0


def test_clients_show_prints_values_not_python_reprs(installed: Path) -> None:
    created = json.loads(
        tessera(
            "clients", "create", "--name", "Web", "--redirect-uri", "https://app.test/cb", "--json"
        ).stdout
    )
    shown = tessera("clients", "show", created["client_id"]).stdout.splitlines()
    fields = dict(line.split(": ", 1) for line in shown)
    assert fields["grant_types"] == "authorization_code refresh_token"
    assert fields["redirect_uris"] == "https://app.test/cb"
    assert fields["post_logout_redirect_uris"] == "(none)"
    assert fields["allowed_scopes"] == "-"
    assert fields["public"] == "false"
    assert ISO_UTC.fullmatch(fields["created_at"])
    assert not any("<" in line or "[" in line or "None" in line for line in shown)


def test_every_time_the_cli_prints_is_iso_8601_utc(installed: Path) -> None:
    tessera("users", "create", "--username", "alice", "--password", "long enough password")
    tessera("apis", "create", "--identifier", "https://api.test")
    tessera("clients", "create", "--name", "App", "--redirect-uri", "https://app.test/cb")
    listed = json.loads(tessera("keys", "list", "--json").stdout)
    old = next(key["kid"] for key in listed if key["alg"] == "RS256")
    tessera("keys", "rotate", "--now", "--alg", "RS256")
    assert tessera("keys", "retire", old).exit_code == 0
    times = [
        *(row["created_at"] for row in json.loads(tessera("users", "list", "--json").stdout)),
        *(row["created_at"] for row in json.loads(tessera("apis", "list", "--json").stdout)),
        *(row["created_at"] for row in json.loads(tessera("clients", "list", "--json").stdout)),
        *(row["at"] for row in json.loads(tessera("audit", "tail", "--json").stdout)),
    ]
    keys = json.loads(tessera("keys", "list", "--all", "--json").stdout)
    times += [key["created_at"] for key in keys]
    times += [key["retired_at"] for key in keys if key["kid"] == old]
    assert times and all(ISO_UTC.fullmatch(value) for value in times), times
    table = tessera("keys", "list").stdout.splitlines()[1:]
    assert table and all(ISO_UTC.fullmatch(line.split()[-1]) for line in table)
    tail = tessera("audit", "tail").stdout.splitlines()
    assert tail and all(ISO_UTC.fullmatch(line.split()[0]) for line in tail)


def test_clients_create_refuses_a_wildcard_redirect_uri_in_one_line(installed: Path) -> None:
    result = tessera("clients", "create", "--name", "X", "--redirect-uri", "https://*.app.test/cb")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: redirect URI 'https://*.app.test/cb' has a wildcard: wildcards are not "
        "supported, register each exact URI"
    ]


def test_unknown_settings_are_warned_about_once_each_by_name(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tessera.toml"
    config.write_text('isuer = "https://auth.example.com"\n')
    monkeypatch.setenv("TESSERA_CONFIG", str(config))
    monkeypatch.setenv("TESSERA_ISSUR", "https://auth.example.com")
    result = tessera("clients", "list")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: TESSERA_ISSUR is not a tessera setting; ignored (did you mean TESSERA_ISSUER?)",
        f"warning: {config}: 'isuer' is not a tessera setting; ignored (did you mean issuer?)",
    ]
