"""What `tessera serve` prints before it answers: the banner and the address warnings."""

from __future__ import annotations

import pytest

from tessera import __version__
from tessera.cli.startup import address_warnings, banner, without_password
from tessera.core.models import KeyState, StoredKey
from tessera.crypto.keys import Algorithm
from tessera.settings import Settings, load_settings
from tests.conftest import TEST_SECRET_KEY

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - only compared, never bound.


def config(**values: str) -> Settings:
    return load_settings(secret_key=TEST_SECRET_KEY, **values)


def test_the_banner_names_issuer_database_data_dir_keys_and_the_url_to_open() -> None:
    keys = [
        StoredKey(
            kid="kid-rs",
            alg=Algorithm.RS256,
            sealed_private_key=b"sealed",
            public_jwk={},
            state=KeyState.CURRENT,
            created_at=1,
        )
    ]
    settings = config(
        issuer="https://auth.example.com",
        data_dir="/srv/tessera",
        database_url="postgresql://tessera:hunter2@db.internal:5432/tessera",
    )
    assert banner(settings, keys, host=ALL_INTERFACES, port=8000) == [
        f"tessera {__version__}",
        "  issuer:     https://auth.example.com",
        "  database:   postgresql://tessera@db.internal:5432/tessera",
        "  data dir:   /srv/tessera",
        "  keys:",
        "    RS256  kid-rs  current",
        f"  listening:  http://{ALL_INTERFACES}:8000",
        "  open:       https://auth.example.com/.well-known/openid-configuration",
    ]
    assert TEST_SECRET_KEY not in "\n".join(banner(settings, keys, host="::", port=8000))


def test_the_banner_names_where_metrics_are_served() -> None:
    def metrics_lines(**values: str) -> list[str]:
        lines = banner(config(**values), [], host="::", port=8000)
        return [line for line in lines if line.startswith("  metrics:")]

    assert metrics_lines() == []
    assert metrics_lines(metrics="1") == ["  metrics:    http://[::]:8000/metrics"]
    assert metrics_lines(metrics="1", metrics_port="9100", metrics_host="10.0.0.5") == [
        "  metrics:    http://[::]:8000/metrics",
        "  metrics:    http://10.0.0.5:9100/metrics",
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%40ss@db/x", "postgresql://u@db/x"),
        ("postgresql://:secret@db/x", "postgresql://@db/x"),
        ("postgresql://u@db/x", "postgresql://u@db/x"),
        ("sqlite:///var/tessera.db", "sqlite:///var/tessera.db"),
    ],
    ids=["password", "password-only", "no-password", "sqlite"],
)
def test_the_printed_database_url_has_no_password(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_serve_warns_when_its_port_is_not_the_issuers() -> None:
    assert address_warnings(config(), host="127.0.0.1", port=8001) == [
        "serving on port 8001, but TESSERA_ISSUER is http://localhost:8000: discovery, tokens "
        "and redirects name port 8000; set TESSERA_ISSUER to http://localhost:8001 or serve "
        "on --port 8000"
    ]
    default_port = config(issuer="http://localhost")
    assert "name port 80;" in address_warnings(default_port, host="127.0.0.1", port=8000)[0]


def test_serve_warns_when_its_host_and_the_issuers_disagree() -> None:
    (outward,) = address_warnings(config(), host=ALL_INTERFACES, port=8000)
    assert outward.startswith(
        f"--host {ALL_INTERFACES} accepts other machines, but TESSERA_ISSUER is "
    )
    remote = config(issuer="http://auth.internal:8000", allow_insecure_issuer="1")
    (inward,) = address_warnings(remote, host="127.0.0.1", port=8000)
    assert inward.startswith("--host 127.0.0.1 accepts this machine only, but TESSERA_ISSUER ")


@pytest.mark.parametrize(
    ("values", "host", "port"),
    [
        ({}, "127.0.0.1", 8000),
        ({}, "localhost", 8000),
        ({"issuer": "http://127.0.0.1:9000"}, "::1", 9000),
        ({"issuer": "https://auth.example.com"}, ALL_INTERFACES, 8000),
        ({"trusted_proxies": "10.0.0.5"}, ALL_INTERFACES, 8080),
    ],
    ids=["same", "localhost", "ipv6-loopback", "https-behind-tls-proxy", "trusted-proxy"],
)
def test_no_address_warning_when_they_agree_or_a_proxy_is_in_front(
    values: dict[str, str], host: str, port: int
) -> None:
    assert address_warnings(config(**values), host=host, port=port) == []
