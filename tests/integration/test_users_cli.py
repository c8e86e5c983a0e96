"""`tessera users show|update|set-password|disable|enable|unlock|logout|delete` and
`tessera consents list|revoke` through the real CLI: each says what it did (in JSON with
--json), names a user by id, username or email, refuses bad input in one line, and a
delete asks for --yes when no one is at a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


@pytest.fixture
def tessera(tmp_path: Path) -> TesseraServer:
    instance = TesseraServer(tmp_path / "data")
    instance.cli("db", "upgrade")
    instance.cli(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--password", "correct horse battery",
    )  # fmt: skip
    return instance


def test_an_account_is_operated_by_username_email_or_id(tessera: TesseraServer) -> None:
    shown = tessera.cli_json("users", "show", "alice")
    assert shown["disabled_at"] is None
    assert tessera.cli_json("users", "show", "ALICE@example.test")["id"] == shown["id"]
    updated = tessera.cli_json("users", "update", shown["id"], "--name", "Alice B.")
    assert updated["name"] == "Alice B." and updated["email"] == "alice@example.test"
    tessera.cli("users", "set-password", "alice", input="another good password\n")
    disabled = tessera.cli_json("users", "disable", "alice")
    assert disabled == {"user": "alice", "sessions_ended": 0, "grants_revoked": 0}
    assert tessera.cli_json("users", "show", "alice")["disabled_at"] is not None
    assert tessera.cli_json("users", "enable", "alice")["disabled_at"] is None
    assert tessera.cli_json("users", "unlock", "alice")["throttle_keys_cleared"] == 0
    assert tessera.cli("users", "logout", "alice").stdout.startswith("signed out alice")
    assert tessera.cli_json("consents", "list", "alice") == []
    assert tessera.cli_json("users", "sessions", "alice") == []
    revoked = tessera.cli_json("consents", "revoke", "alice", "some-client", "--yes")
    assert revoked["grants_revoked"] == 0
    events = [e["event"] for e in tessera.cli_json("audit", "tail")]
    for event in ("user.updated", "user.password_set", "user.disabled", "user.enabled"):
        assert event in events


def test_bad_input_is_one_line_and_changes_nothing(tessera: TesseraServer) -> None:
    cases = [
        (("users", "show", "nobody"), 1, "no user 'nobody'"),
        (("users", "update", "alice", "--email", "nope"), 2, "not a valid address"),
        (("users", "set-password", "alice", "--password", "short"), 2, "8 to 1024"),
        (("users", "delete", "alice"), 2, "Pass --yes"),
        (("consents", "revoke", "alice", "app"), 2, "Pass --yes"),
    ]
    for args, code, message in cases:
        result = tessera.cli(*args, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == code and len(lines) == 1, (args, result.stderr)
        assert message in lines[0], (args, lines)
    assert tessera.cli_json("users", "show", "alice")["email"] == "alice@example.test"


def test_a_deleted_user_is_gone(tessera: TesseraServer) -> None:
    assert tessera.cli("users", "delete", "alice", "--yes").stdout == "deleted user alice\n"
    assert tessera.cli("users", "show", "alice", check=False).returncode == 1


def test_an_operator_enrols_lists_and_resets_a_users_totp(tessera: TesseraServer) -> None:
    secret = "JBSWY3DPEHPK3PXP" * 2
    added = tessera.cli_json("users", "mfa", "add-totp", "alice", "--secret", secret.lower())
    assert added["secret"] == secret
    assert added["otpauth_uri"].startswith("otpauth://totp/")
    made = tessera.cli_json("users", "mfa", "add-totp", "alice@example.test")
    assert len(made["secret"]) == 32
    listed = tessera.cli_json("users", "mfa", "list", "alice")
    assert [f["kind"] for f in listed["factors"]] == ["totp", "totp"]
    assert listed["recovery_codes_left"] == 0 and "secret" not in listed["factors"][0]
    assert "recovery codes left: 0" in tessera.cli("users", "mfa", "list", "alice").stdout
    reset = tessera.cli("users", "mfa", "reset", "alice", "--yes").stdout
    assert reset == "removed 2 factor(s) of alice\n"
    assert tessera.cli_json("users", "mfa", "list", "alice")["factors"] == []
    events = [e["event"] for e in tessera.cli_json("audit", "tail")]
    assert events.count("mfa.enrolled") == 2 and "mfa.reset" in events


def test_bad_mfa_input_is_one_line(tessera: TesseraServer) -> None:
    cases = [
        (("users", "mfa", "add-totp", "alice", "--secret", "short"), 2, "at least 128"),
        (("users", "mfa", "add-totp", "nobody"), 1, "no user 'nobody'"),
        (("users", "mfa", "reset", "alice"), 2, "Pass --yes"),
    ]
    for args, code, message in cases:
        result = tessera.cli(*args, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == code and len(lines) == 1, (args, result.stderr)
        assert message in lines[0], (args, lines)
