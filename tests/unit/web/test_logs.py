"""The json log format: a record is one line of JSON with the request's context, and
outside the json format (no RequestLogMiddleware) noting a client changes nothing."""

from __future__ import annotations

import json
import logging
import sys

from tessera.cli.serve import log_config
from tessera.web import logs


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("tessera.oauth", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_record_is_one_line_with_time_level_logger_message_and_extras() -> None:
    line = logs.JSONFormatter().format(record("refused: %s", "invalid_grant", status=400))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed.pop("time").endswith("+00:00")
    assert parsed == {
        "level": "info",
        "logger": "tessera.oauth",
        "message": "refused: invalid_grant",
        "status": 400,
    }


def test_a_traceback_is_a_field_of_the_same_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = logging.LogRecord("tessera.web", logging.ERROR, __file__, 1, "x", None, None)
        failed.exc_info = sys.exc_info()
    line = logs.JSONFormatter().format(failed)
    assert "\n" not in line and "RuntimeError: boom" in json.loads(line)["exception"]


def test_noting_a_client_outside_a_request_log_context_changes_nothing() -> None:
    logs.note_client("app")
    assert "client_id" not in json.loads(logs.JSONFormatter().format(record("x")))


def test_the_json_format_replaces_uvicorns_formatters_and_text_keeps_them() -> None:
    assert log_config("info", "json")["formatters"]["default"] == {
        "()": "tessera.web.logs.JSONFormatter"
    }
    assert log_config("info")["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"
