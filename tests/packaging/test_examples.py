"""The example deployments in examples/ are valid, and name only what tessera has.

compose.yaml against the Compose specification's schema and tessera's settings,
tessera.toml against the settings model, tessera.service with `systemd-analyze`, and
nginx.conf with `nginx -t` and against the configuration docs/deployment.md gives. The
tools that are not installed skip their test; CI installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera.settings import Settings, load_settings, unknown_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
COMPOSE = EXAMPLES / "compose.yaml"
TOML = EXAMPLES / "tessera.toml"
UNIT = EXAMPLES / "tessera.service"
NGINX = EXAMPLES / "nginx.conf"

# What a person would export before `docker compose up`, for the compose file's ${...}.
COMPOSE_ENVIRONMENT = {
    "TESSERA_ISSUER": "https://auth.example.com",
    "TESSERA_SECRET_KEY": "an-example-secret-key-of-32-bytes-or-more",
    "POSTGRES_PASSWORD": "example-password",
}
# Settings written commented out, and why: no TOML value means "unset", and a secret
# belongs in the environment.
COMMENTED_OUT = {
    "templates_dir": "unset by default",
    "secret_key": "a secret",
    "metrics_port": "unset by default",
}


# compose.yaml


def _interpolated(value: str, environment: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, as `compose config` does."""

    def one(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3)
        if environment.get(name):
            return environment[name]
        if operator == ":?":
            raise AssertionError(f"{name} is required: {word}")
        return word or ""

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:[-?])([^}]*))?\}", one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_compose_file_is_valid_against_the_compose_specification_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
        + [str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_two_nodes_on_postgresql_behind_the_proxy_after_db_upgrade(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"db", "migrate", "tessera-1", "tessera-2", "proxy"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for node in ("tessera-1", "tessera-2"):
        assert services[node]["command"][0] == "serve"
        assert services[node]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
        assert "/readyz" in " ".join(services[node]["healthcheck"]["test"])
    assert services["proxy"]["depends_on"] == {
        node: {"condition": "service_healthy"} for node in ("tessera-1", "tessera-2")
    }
    assert (EXAMPLES / services["migrate"]["build"]["context"] / "Containerfile").is_file()
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    for service in services.values():
        for needed in service.get("depends_on", {}):
            assert needed in services


def test_compose_passes_only_real_settings_with_valid_values(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if not any(key.startswith("TESSERA_") for key in service.get("environment", {})):
            continue
        values = {
            key.removeprefix("TESSERA_").lower(): _interpolated(str(value), COMPOSE_ENVIRONMENT)
            for key, value in service["environment"].items()
        }
        assert set(values) <= set(Settings.model_fields), f"{name}: unknown setting"
        settings = load_settings(**values)
        assert settings.database_url.startswith("postgresql://tessera:example-password@db:")
        assert settings.is_https


def test_compose_trusts_the_proxy_it_runs_and_the_proxy_reaches_every_node(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    proxy_address = services["proxy"]["networks"]["internal"]["ipv4_address"]
    upstreams = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", NGINX.read_text(), re.MULTILINE)
    nodes = sorted(name for name in services if name.startswith("tessera-"))
    assert sorted(host for host, _ in upstreams) == nodes
    for node in nodes:
        command = services[node]["command"]
        assert command[command.index("--port") + 1] == "8000"
        assert services[node]["environment"]["TESSERA_TRUSTED_PROXIES"] == proxy_address
    assert {port for _, port in upstreams} == {"8000"}


def test_compose_refuses_to_start_without_its_secrets(compose: dict[str, Any]) -> None:
    environment = compose["services"]["tessera-1"]["environment"]
    for name in COMPOSE_ENVIRONMENT:
        missing = {key: value for key, value in COMPOSE_ENVIRONMENT.items() if key != name}
        with pytest.raises(AssertionError, match=f"{name} is required"):
            for value in environment.values():
                _interpolated(str(value), missing)


# tessera.toml


def test_example_toml_names_every_setting_in_the_models_order_and_nothing_else() -> None:
    text = TOML.read_text()
    written = list(tomllib.loads(text))
    commented = re.findall(r"^# (\w+) = ", text, flags=re.MULTILINE)
    assert set(commented) == set(COMMENTED_OUT)
    in_order = re.findall(r"^#? ?(\w+) = ", text, flags=re.MULTILINE)
    assert in_order == list(Settings.model_fields)
    assert set(written) == set(Settings.model_fields) - set(COMMENTED_OUT)


def test_example_toml_gives_each_setting_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    written = tomllib.loads(TOML.read_text())
    for name, value in written.items():
        default = Settings.model_fields[name].default
        assert type(value) is type(default) or isinstance(default, Path), name
        assert (Path(value) if isinstance(default, Path) else value) == default, name
    monkeypatch.setenv("TESSERA_CONFIG", str(TOML))
    assert unknown_settings() == []
    assert load_settings() == Settings.model_construct()


# tessera.service


def _systemd_root(tmp_path: Path) -> Path:
    """A file system root with systemd's own units, the example unit and what it names."""
    root = tmp_path / "root"
    places = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
    units = next(place for place in places if place.is_dir())
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/tessera.service")
    command = re.search(r"^ExecStart=(\S+)", UNIT.read_text(), re.MULTILINE)
    assert command is not None
    executable = root / command.group(1).lstrip("/")
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    return root


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    root = _systemd_root(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "tessera.service"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify warns about unknown keys and bad values but still exits 0: any output fails.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_unit_is_hardened() -> None:
    text = UNIT.read_text()
    for setting in (
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "StateDirectory=tessera",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
    ):
        assert re.search(f"^{re.escape(setting)}$", text, re.MULTILINE), setting
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    exposure = re.search(r"Overall exposure level for tessera\.service: ([\d.]+)", result.stdout)
    assert exposure is not None, result.stdout
    assert float(exposure.group(1)) <= 2.0, result.stdout


def test_systemd_unit_sets_only_real_settings_and_runs_tessera_serve() -> None:
    text = UNIT.read_text()
    names = re.findall(r"^Environment=TESSERA_(\w+)=", text, re.MULTILINE)
    assert names and {name.lower() for name in names} <= set(Settings.model_fields) | {"config"}
    assert re.search(r"^ExecStart=/opt/tessera/bin/tessera serve ", text, re.MULTILINE)
    state = re.search(r"^StateDirectory=(\S+)", text, re.MULTILINE)
    assert state is not None
    assert f"Environment=TESSERA_DATA_DIR=/var/lib/{state.group(1)}" in text


# nginx.conf


def _directives(text: str) -> list[str]:
    """The configuration's statements, without comments and layout."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [" ".join(line.split()) for line in lines if line]


# What differs between a deployment's hosts and the compose file's services.
_PER_SITE = re.compile(r"^(server [\w.-]+:\d+ |server_name |ssl_certificate(_key)? )")


def test_example_nginx_config_is_the_one_deployment_guide_gives() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    block = re.search(r"```nginx\n(.*?)```", guide, re.DOTALL)
    assert block is not None
    documented = [line for line in _directives(block.group(1)) if not _PER_SITE.match(line)]
    example = [line for line in _directives(NGINX.read_text()) if not _PER_SITE.match(line)]
    assert example == documented


_NGINX_CHECK = r"""
set -eu
work="$1"
mount -t tmpfs tmpfs /etc/nginx
mkdir -p /etc/nginx/conf.d /etc/nginx/certs
cp "$work/nginx.conf" /etc/nginx/conf.d/default.conf
cp "$work/fullchain.pem" "$work/privkey.pem" /etc/nginx/certs/
printf 'events {}\nhttp { access_log off; include /etc/nginx/conf.d/*.conf; }\n' \
    >/etc/nginx/nginx.conf
printf '127.0.0.1 localhost tessera-1 tessera-2\n' >"$work/hosts"
mount --bind "$work/hosts" /etc/hosts
exec nginx -t -q -e stderr -c /etc/nginx/nginx.conf -g "pid $work/nginx.pid;"
"""


def _self_signed(directory: Path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auth.example.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.mark.skipif(
    shutil.which("nginx") is None
    or shutil.which("unshare") is None
    or os.geteuid() != 0
    or not Path("/etc/nginx").is_dir(),
    reason="needs nginx, unshare and root (nginx -t in a mount namespace of its own)",
)
def test_example_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    """nginx -t as the compose file runs it: the nodes' names resolve, the certificate is
    mounted. A mount namespace gives it those without touching the machine's files."""
    shutil.copy(NGINX, tmp_path / "nginx.conf")
    _self_signed(tmp_path)
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", _NGINX_CHECK, "sh", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
