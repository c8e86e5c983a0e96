"""What a real `tessera serve` says as it starts: what it serves, the addresses that
disagree with the issuer, and a secret key that does not open the stored keys."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.postgres import free_port
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

OTHER_SECRET_KEY = "another-secret-key-that-opens-nothing-here"


def test_serve_prints_issuer_database_data_dir_keys_and_the_url_to_open(tmp_path: Path) -> None:
    server = TesseraServer(tmp_path / "data")
    try:
        server.start()
        keys = server.cli_json("keys", "list")
    finally:
        server.stop()
    log = server.log().splitlines()
    assert f"  issuer:     {server.issuer}" in log
    assert f"  database:   sqlite:///{tmp_path / 'data' / 'tessera.db'}" in log
    assert f"  data dir:   {tmp_path / 'data'}" in log
    assert f"  listening:  http://127.0.0.1:{server.port}" in log
    assert f"  open:       {server.issuer}/.well-known/openid-configuration" in log
    assert {f"    {key['alg']:<6} {key['kid']}  current" for key in keys} <= set(log)
    assert not any(line.startswith("warning:") for line in log)


def test_serve_warns_when_the_issuer_names_another_port(tmp_path: Path) -> None:
    server = TesseraServer(tmp_path / "data")
    advertised = f"http://127.0.0.1:{server.port + 1}"
    server.env["TESSERA_ISSUER"] = advertised
    try:
        server.start()
    finally:
        server.stop()
    warnings = [line for line in server.log().splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: serving on port {server.port}, but TESSERA_ISSUER is {advertised}: "
        f"discovery, tokens and redirects name port {server.port + 1}; set TESSERA_ISSUER to "
        f"{server.issuer} or serve on --port {server.port + 1}"
    ]


@pytest.mark.parametrize(
    "command",
    [
        ("serve", "--port", str(free_port())),
        ("demo", "--trace", *("--port", str(free_port())), *("--api-port", str(free_port()))),
    ],
    ids=["serve", "demo"],
)
def test_a_secret_key_that_opens_no_stored_key_is_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    node = TesseraServer(tmp_path)
    if command[0] == "demo":
        command = (*command, "--client-port", str(free_port()), "--data-dir", str(tmp_path))
    node.cli("db", "upgrade")
    node.cli("keys", "list")  # Creates the signing keys, sealed with the node's secret key.
    node.env["TESSERA_SECRET_KEY"] = OTHER_SECRET_KEY
    result = node.cli(*command, check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot decrypt signing key ")
    assert lines[0].endswith(": is TESSERA_SECRET_KEY the one it was made with?")


def test_a_metrics_port_that_cannot_be_had_is_one_line(tmp_path: Path) -> None:
    node = TesseraServer(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        expected = {
            "abc": "error: TESSERA_METRICS_PORT: Input should be a valid integer",
            str(node.port): f"error: TESSERA_METRICS_PORT: {node.port} is the port tessera "
            "serves on; choose another",
            str(taken.getsockname()[1]): "error: TESSERA_METRICS_PORT: cannot listen on "
            f"127.0.0.1:{taken.getsockname()[1]}: Address already in use",
        }
        for value, line in expected.items():
            node.env["TESSERA_METRICS_PORT"] = value
            result = node.cli("serve", "--port", str(node.port), check=False)
            assert result.returncode != 0
            assert len(result.stderr.splitlines()) == 1, result.stderr
            assert result.stderr.startswith(line), result.stderr
    finally:
        taken.close()
