"""Settings: environment variables `TESSERA_*`, or a TOML file named by `TESSERA_CONFIG`.

Environment variables win over the file. `load_settings()` turns any validation problem
into one `SettingsError` line naming the setting, so the CLI can print it and exit
non-zero instead of showing a pydantic traceback.
"""

from __future__ import annotations

import difflib
import os
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tessera.crypto.keys import Algorithm

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SECRET_KEY_FILE = "secret.key"
MIN_SECRET_KEY_BYTES = 32
MAKE_A_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line for a person."""


def _read_config_file() -> dict[str, Any]:
    """The TOML file named by `TESSERA_CONFIG`, or nothing when it is not set.

    Raises:
        SettingsError: the file cannot be read or is not TOML.
    """
    path = os.environ.get("TESSERA_CONFIG")
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"TESSERA_CONFIG: cannot read {path}: {exc}") from exc


class _TOMLFileSource(PydanticBaseSettingsSource):
    """Reads the TOML file named by `TESSERA_CONFIG` (keys without the prefix)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = _read_config_file()

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self._values.items() if value is not None}


class Settings(BaseSettings):
    """Everything an operator can set. Defaults follow DESIGN.md and the seed."""

    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore", frozen=True)

    issuer: str = Field(
        default="http://localhost:8000",
        description="Public base URL of the server; the `iss` of every token.",
    )
    allow_insecure_issuer: bool = Field(
        default=False, description="Allow an http:// issuer on a non-loopback host."
    )
    data_dir: Path = Field(default=Path("var"), description="Where the embedded defaults live.")
    database_url: str = Field(
        default="",
        description="`sqlite:///PATH` or `postgresql://...`; default: SQLite in the data dir.",
    )
    secret_key: str = Field(
        default="",
        repr=False,
        description="Encrypts private signing keys at rest; generated into the data dir if unset.",
    )
    access_token_lifetime: int = Field(default=86400, ge=60, le=31_536_000)
    id_token_lifetime: int = Field(default=36000, ge=60, le=31_536_000)
    code_lifetime: int = Field(default=60, ge=10, le=600)
    refresh_token_sliding_lifetime: int = Field(default=2_592_000, ge=60)
    refresh_token_absolute_lifetime: int = Field(default=31_536_000, ge=60)
    public_refresh_token_sliding_lifetime: int = Field(
        default=86_400, ge=60, description="A public client's (browser, native app)."
    )
    public_refresh_token_absolute_lifetime: int = Field(
        default=604_800, ge=60, description="A public client's (browser, native app)."
    )
    session_lifetime: int = Field(default=604_800, ge=60, description="Single sign-on session.")
    interaction_lifetime: int = Field(
        default=900, ge=60, description="Time to sign in and consent."
    )
    key_cache_ttl: float = Field(
        default=10.0, ge=0, le=300, description="Seconds before a node rereads the signing keys."
    )
    signing_algorithms: str = Field(
        default="RS256,ES256",
        description="Comma-separated algorithms that get signing keys: RS256, ES256, EdDSA.",
    )
    key_publish_ahead: int = Field(
        default=86_400,
        ge=0,
        le=31_536_000,
        description="Seconds a rotated-in key is published in the JWKS before it signs.",
    )
    key_rotation_period: int = Field(
        default=0,
        ge=0,
        le=315_360_000,
        description="Seconds a key signs before its successor is published; 0: only by hand.",
    )
    templates_dir: Path | None = Field(
        default=None, description="Overrides for the page templates."
    )
    db_pool_min_size: int = Field(default=2, ge=1, le=100)
    db_pool_max_size: int = Field(default=10, ge=1, le=1000)
    db_statement_timeout: float = Field(
        default=5.0, gt=0, le=300, description="Seconds before PostgreSQL cancels a statement."
    )
    db_connect_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description=(
            "Seconds to wait for a PostgreSQL connection (new or from a busy pool) or for "
            "SQLite's write lock."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy IPs or CIDRs whose X-Forwarded-For/-Proto are believed.",
    )
    token_rate_limit_window: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Seconds in one rate-limit window of the token, revocation and "
        "introspection endpoints.",
    )
    token_rate_limit_per_client: int = Field(
        default=12_000,
        ge=0,
        description="Requests to those endpoints one authenticated confidential client may "
        "make per window, from any address; 0: no limit.",
    )
    token_rate_limit_per_ip: int = Field(
        default=1_200,
        ge=0,
        description="Requests to those endpoints from one client IP per window, by public "
        "clients or failing client authentication; 0: no limit.",
    )
    interaction_rate_limit_window: int = Field(
        default=60, ge=1, le=3600, description="Seconds in one /authorize sign-in limit window."
    )
    interaction_rate_limit_per_ip: int = Field(
        default=120,
        ge=0,
        description=(
            "Sign-ins one client IP may start per window (each writes a row), "
            "then 429; 0: no limit."
        ),
    )
    audit_retention_days: int = Field(
        default=90, ge=0, le=36_500, description="Days audit events are kept; 0 keeps them all."
    )
    prune_interval: int = Field(
        default=3600,
        ge=0,
        le=604_800,
        description="Seconds between automatic prunes in `tessera serve`; 0 turns them off.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per line, and a line per request (web.logs).",
    )
    metrics: bool = Field(
        default=False, description="Serve Prometheus metrics at /metrics on the main port."
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve Prometheus metrics on a listener of their own at this port instead "
        "(or as well, with TESSERA_METRICS).",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="The address of the TESSERA_METRICS_PORT listener."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TOMLFileSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        _ = urlsplit(value).port  # Raises ValueError for a port that is not a number.
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long_enough(cls, value: str) -> str:
        if value:
            verify_secret_key_length(value)
        return value

    @field_validator("signing_algorithms")
    @classmethod
    def _signing_algorithms_are_known(cls, value: str) -> str:
        names = {alg.value.lower(): alg for alg in Algorithm}
        chosen = []
        for name in filter(None, (part.strip() for part in value.split(","))):
            if name.lower() not in names:
                raise ValueError(f"unknown algorithm {name!r} (choose from RS256, ES256, EdDSA)")
            chosen.append(names[name.lower()])
        # OpenID Connect Core 15.1: OPs MUST support signing ID Tokens with RS256.
        if Algorithm.RS256 not in chosen:
            raise ValueError("must include RS256 (OpenID Connect Core 15.1)")
        return ",".join(alg.value for alg in Algorithm if alg in chosen)

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL such as https://auth.example.com")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment (OpenID Discovery 3)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _insecure_issuer_needs_consent(self) -> Settings:
        host = urlsplit(self.issuer).hostname or ""
        insecure = self.issuer.startswith("http://") and host not in LOOPBACK_HOSTS
        if insecure and not self.allow_insecure_issuer:
            raise ValueError(
                "TESSERA_ISSUER: http:// is only allowed on localhost; use https or set "
                "TESSERA_ALLOW_INSECURE_ISSUER=1"
            )
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("TESSERA_DB_POOL_MIN_SIZE: must not exceed db_pool_max_size")
        if self.key_publish_ahead < self.key_cache_ttl:
            raise ValueError(
                "TESSERA_KEY_PUBLISH_AHEAD: must be at least TESSERA_KEY_CACHE_TTL, so that "
                "every node publishes a new key before any signs with it"
            )
        if self.refresh_token_sliding_lifetime > self.refresh_token_absolute_lifetime:
            raise ValueError(
                "TESSERA_REFRESH_TOKEN_SLIDING_LIFETIME: must not exceed "
                "TESSERA_REFRESH_TOKEN_ABSOLUTE_LIFETIME"
            )
        if self.public_refresh_token_sliding_lifetime > self.public_refresh_token_absolute_lifetime:
            raise ValueError(
                "TESSERA_PUBLIC_REFRESH_TOKEN_SLIDING_LIFETIME: must not exceed "
                "TESSERA_PUBLIC_REFRESH_TOKEN_ABSOLUTE_LIFETIME"
            )
        return self

    @property
    def metrics_enabled(self) -> bool:
        """Whether this node counts anything: metrics are served somewhere."""
        return self.metrics or self.metrics_port is not None

    @property
    def is_https(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def enabled_algorithms(self) -> tuple[Algorithm, ...]:
        """The algorithms that get signing keys, RS256 first (see `signing_algorithms`)."""
        return tuple(Algorithm(name) for name in self.signing_algorithms.split(","))

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tessera.db'}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite:")

    def url(self, path: str) -> str:
        """Absolute URL of one of this server's paths."""
        return self.issuer + path


def verify_secret_key_length(key: str) -> None:
    """The key derives the AES-256 key that seals the signing keys: 256 bits of it at least.

    Raises:
        ValueError: shorter than MIN_SECRET_KEY_BYTES (UTF-8); the message says how to
            make one and never repeats the key.
    """
    if len(key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        raise ValueError(
            f"must be at least {MIN_SECRET_KEY_BYTES} bytes; make one with: {MAKE_A_SECRET_KEY}"
        )


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if message.startswith("TESSERA_"):
        return message
    name = f"TESSERA_{location.upper()}" if location else "settings"
    return f"{name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings.

    Raises:
        SettingsError: one line naming the setting and the problem.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def unknown_settings() -> list[str]:
    """One line for each `TESSERA_*` variable and TOML key that names no setting.

    Unknown names are ignored when the settings load, so a typo (`TESSERA_ISSUR`,
    `isuer = ...`) would silently leave the default in force; the CLI prints these
    once. `TESSERA_CONFIG` and the test suite's `TESSERA_TEST_*` are not settings
    but are known.

    Raises:
        SettingsError: the TOML file cannot be read.
    """
    fields = sorted(Settings.model_fields)
    variables = [f"TESSERA_{name.upper()}" for name in fields]
    lines = []
    for name in sorted(os.environ):
        wanted = name.upper()  # pydantic-settings matches variable names in any case.
        if not wanted.startswith("TESSERA_") or wanted in variables:
            continue
        if wanted == "TESSERA_CONFIG" or wanted.startswith("TESSERA_TEST_"):
            continue
        hint = _did_you_mean(wanted.removeprefix("TESSERA_").lower(), fields, "TESSERA_")
        lines.append(f"{name} is not a tessera setting; ignored{hint}")
    path = os.environ.get("TESSERA_CONFIG")
    for key in sorted(_read_config_file()):
        if key not in fields:
            hint = _did_you_mean(key, fields)
            lines.append(f"{path}: {key!r} is not a tessera setting; ignored{hint}")
    return lines


def _did_you_mean(name: str, fields: list[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, fields, n=1)
    if not close:
        return ""
    suggestion = prefix + close[0].upper() if prefix else close[0]
    return f" (did you mean {suggestion}?)"


def ensure_secret_key(settings: Settings, *, create: bool = True) -> Settings:
    """Return settings with a secret key: TESSERA_SECRET_KEY, else the data dir's key file.

    The embedded default must start with one command, so with `create` a missing key
    file is generated (mode 0600, in a data dir created 0700) with a warning; production
    sets TESSERA_SECRET_KEY. Without `create` nothing is written.

    Raises:
        SettingsError: no key and `create` is off, or the key file is empty or too short.
    """
    if settings.secret_key:
        return settings
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
    elif not create:
        raise SettingsError(
            f"TESSERA_SECRET_KEY is not set and {path} does not exist: set TESSERA_SECRET_KEY, "
            "or TESSERA_DATA_DIR to the data dir tessera serve uses"
        )
    else:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        print(
            f"warning: TESSERA_SECRET_KEY is not set; generated one into {path}. "
            "Set TESSERA_SECRET_KEY in production.",
            file=sys.stderr,
        )
    if not key:
        raise SettingsError(f"TESSERA_SECRET_KEY: {path} is empty")
    try:
        verify_secret_key_length(key)
    except ValueError as exc:
        raise SettingsError(f"TESSERA_SECRET_KEY: {path}: {exc}") from None
    return settings.model_copy(update={"secret_key": key})
