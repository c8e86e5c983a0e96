"""Settings: defaults, environment, TOML file, and one-line errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tessera.crypto.keys import Algorithm
from tessera.settings import SettingsError, ensure_secret_key, load_settings, unknown_settings


def test_defaults_follow_the_design() -> None:
    settings = load_settings()
    assert settings.issuer == "http://localhost:8000"
    assert settings.access_token_lifetime == 86400
    assert settings.id_token_lifetime == 36000
    assert settings.code_lifetime == 60
    assert settings.refresh_token_sliding_lifetime == 30 * 86400
    assert settings.refresh_token_absolute_lifetime == 365 * 86400
    assert settings.public_refresh_token_sliding_lifetime == 86400
    assert settings.public_refresh_token_absolute_lifetime == 7 * 86400
    assert settings.resolved_database_url == "sqlite:///var/tessera.db"
    assert settings.is_embedded and not settings.is_https


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_ISSUER", "https://auth.example.com/")
    monkeypatch.setenv("TESSERA_DATABASE_URL", "postgresql://u@db/tessera")
    settings = load_settings()
    assert settings.issuer == "https://auth.example.com"  # Trailing slash dropped.
    assert settings.is_https and not settings.is_embedded
    assert settings.url("/authorize") == "https://auth.example.com/authorize"


def test_toml_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tessera.toml"
    config.write_text('issuer = "https://from-file.example"\ncode_lifetime = 30\n')
    monkeypatch.setenv("TESSERA_CONFIG", str(config))
    assert load_settings().code_lifetime == 30
    assert load_settings().issuer == "https://from-file.example"
    monkeypatch.setenv("TESSERA_ISSUER", "https://from-env.example")
    assert load_settings().issuer == "https://from-env.example"


def test_unreadable_toml_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("issuer = [unclosed")
    monkeypatch.setenv("TESSERA_CONFIG", str(bad))
    with pytest.raises(SettingsError, match="^TESSERA_CONFIG: cannot read"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TESSERA_ISSUER": "ftp://x"}, "TESSERA_ISSUER: must be an absolute http"),
        ({"TESSERA_ISSUER": "https://x/?a=b"}, "TESSERA_ISSUER: must not have a query"),
        ({"TESSERA_ISSUER": "http://auth.example.com"}, "TESSERA_ISSUER: http:// is only allowed"),
        ({"TESSERA_CODE_LIFETIME": "5"}, "TESSERA_CODE_LIFETIME: "),
        ({"TESSERA_ACCESS_TOKEN_LIFETIME": "soon"}, "TESSERA_ACCESS_TOKEN_LIFETIME: "),
        ({"TESSERA_LOG_LEVEL": "loud"}, "TESSERA_LOG_LEVEL: "),
        (
            {"TESSERA_DB_POOL_MIN_SIZE": "20", "TESSERA_DB_POOL_MAX_SIZE": "5"},
            "TESSERA_DB_POOL_MIN_SIZE: must not exceed",
        ),
        (
            {"TESSERA_REFRESH_TOKEN_SLIDING_LIFETIME": "99999999"},
            "TESSERA_REFRESH_TOKEN_SLIDING_LIFETIME: must not exceed",
        ),
        (
            {"TESSERA_PUBLIC_REFRESH_TOKEN_SLIDING_LIFETIME": "604801"},
            "TESSERA_PUBLIC_REFRESH_TOKEN_SLIDING_LIFETIME: must not exceed",
        ),
        ({"TESSERA_DATABASE_URL": "mysql://u@db/x"}, "TESSERA_DATABASE_URL: must start with"),
        ({"TESSERA_DATABASE_URL": "postgresql://u@db:five/x"}, "TESSERA_DATABASE_URL: Port"),
        ({"TESSERA_DB_CONNECT_TIMEOUT": "0"}, "TESSERA_DB_CONNECT_TIMEOUT: "),
    ],
    ids=[
        "scheme",
        "query",
        "insecure",
        "too-short",
        "not-int",
        "log-level",
        "pool",
        "sliding",
        "public-sliding",
        "database-scheme",
        "database-port",
        "connect-timeout",
    ],
)
def test_invalid_values_fail_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_insecure_issuer_allowed_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_ISSUER", "http://auth.internal")
    monkeypatch.setenv("TESSERA_ALLOW_INSECURE_ISSUER", "1")
    assert load_settings().issuer == "http://auth.internal"


def test_http_loopback_issuers_are_allowed() -> None:
    for issuer in ("http://localhost:8000", "http://127.0.0.1:9000"):
        assert load_settings(issuer=issuer).issuer == issuer


def test_secret_key_is_generated_once_private_and_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ensure_secret_key(load_settings(data_dir=tmp_path))
    assert "TESSERA_SECRET_KEY is not set" in capsys.readouterr().err
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = ensure_secret_key(load_settings(data_dir=tmp_path))
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 40
    assert capsys.readouterr().err == ""


def test_given_secret_key_wins_and_nothing_is_written(tmp_path: Path) -> None:
    given = "given-secret-key-0123456789abcdef"
    settings = ensure_secret_key(load_settings(data_dir=tmp_path, secret_key=given))
    assert settings.secret_key == given
    assert not (tmp_path / "secret.key").exists()


def test_the_data_dir_made_for_a_generated_secret_key_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ensure_secret_key(load_settings(data_dir=data_dir))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


@pytest.mark.parametrize("key", ["x", "y" * 31, "é" * 15], ids=["one", "31", "30-utf8"])
def test_a_secret_key_under_32_bytes_is_refused_with_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("TESSERA_SECRET_KEY", key)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == (
        "TESSERA_SECRET_KEY: must be at least 32 bytes; make one with: "
        'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
    )


def test_a_32_byte_secret_key_is_accepted() -> None:
    assert load_settings(secret_key="k" * 32).secret_key == "k" * 32


def test_a_short_secret_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("short\n")
    with pytest.raises(
        SettingsError, match=r"^TESSERA_SECRET_KEY: .*secret\.key: must be at least 32"
    ):
        ensure_secret_key(load_settings(data_dir=tmp_path))


def test_without_create_a_missing_secret_key_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "elsewhere"
    with pytest.raises(SettingsError, match="TESSERA_SECRET_KEY is not set and .* does not exist"):
        ensure_secret_key(load_settings(data_dir=data_dir), create=False)
    assert not data_dir.exists()


def test_empty_secret_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("\n")
    with pytest.raises(SettingsError, match="is empty"):
        ensure_secret_key(load_settings(data_dir=tmp_path))


def test_secret_key_is_masked_in_repr() -> None:
    key = "hunter2-" * 5
    assert key not in repr(load_settings(secret_key=key))


def test_unknown_tessera_variables_are_named_with_the_setting_they_resemble(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TESSERA_ISSUR", "https://auth.example.com")
    monkeypatch.setenv("tessera_frobnicate", "1")
    monkeypatch.setenv("TESSERA_ISSUER", "https://auth.example.com")
    monkeypatch.setenv("TESSERA_TEST_ANYTHING", "1")
    monkeypatch.setenv("OTHER_ISSUR", "1")
    assert unknown_settings() == [
        "TESSERA_ISSUR is not a tessera setting; ignored (did you mean TESSERA_ISSUER?)",
        "tessera_frobnicate is not a tessera setting; ignored",
    ]


def test_unknown_toml_keys_are_named_and_the_config_variable_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tessera.toml"
    config.write_text('isuer = "https://x.example"\ncode_lifetime = 30\n[database]\nurl = "x"\n')
    monkeypatch.setenv("TESSERA_CONFIG", str(config))
    assert unknown_settings() == [
        f"{config}: 'database' is not a tessera setting; ignored (did you mean database_url?)",
        f"{config}: 'isuer' is not a tessera setting; ignored (did you mean issuer?)",
    ]
    assert load_settings().code_lifetime == 30


def test_known_settings_give_no_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "tessera.toml"
    config.write_text('issuer = "https://x.example"\n')
    monkeypatch.setenv("TESSERA_CONFIG", str(config))
    monkeypatch.setenv("TESSERA_LOG_LEVEL", "debug")
    assert unknown_settings() == []


def test_signing_algorithms_default_to_rs256_and_es256_with_manual_rotation() -> None:
    settings = load_settings()
    assert settings.enabled_algorithms == (Algorithm.RS256, Algorithm.ES256)
    assert settings.key_publish_ahead == 86_400 and settings.key_rotation_period == 0


def test_signing_algorithms_are_read_in_any_case_and_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_SIGNING_ALGORITHMS", " eddsa, RS256 ,rs256")
    settings = load_settings()
    assert settings.signing_algorithms == "RS256,EdDSA"
    assert settings.enabled_algorithms == (Algorithm.RS256, Algorithm.EDDSA)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TESSERA_SIGNING_ALGORITHMS": "ES256"}, "TESSERA_SIGNING_ALGORITHMS: must include RS256"),
        ({"TESSERA_SIGNING_ALGORITHMS": ""}, "TESSERA_SIGNING_ALGORITHMS: must include RS256"),
        (
            {"TESSERA_SIGNING_ALGORITHMS": "RS256,PS256"},
            "TESSERA_SIGNING_ALGORITHMS: unknown algorithm 'PS256'",
        ),
        ({"TESSERA_KEY_PUBLISH_AHEAD": "5"}, "TESSERA_KEY_PUBLISH_AHEAD: must be at least"),
        ({"TESSERA_KEY_ROTATION_PERIOD": "-1"}, "TESSERA_KEY_ROTATION_PERIOD: "),
    ],
    ids=["no-rs256", "empty", "unknown", "ahead-below-ttl", "negative-period"],
)
def test_invalid_key_settings_fail_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
