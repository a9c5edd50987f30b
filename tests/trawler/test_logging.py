"""The services' log lines: one JSON object each, with the execution's ids where there is one."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.contextvars import bound_contextvars

from trawler.logs import configure_logging, wants_json
from trawler.settings import Settings


@pytest.fixture
def restored() -> Iterator[None]:
    """Puts the root logger and structlog back as the test found them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    theirs = {name: logging.getLogger(name).propagate for name in ("uvicorn.access", "dramatiq")}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, propagate in theirs.items():
            logging.getLogger(name).propagate = propagate
        structlog.reset_defaults()


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_stdlib_records_become_json_lines_with_the_bound_execution(restored: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    log = logging.getLogger("worker._execution")
    log.debug("not at INFO")
    log.info("before")
    with bound_contextvars(execution_id="e-1", bot_id="b-1"):
        log.warning("execution %s: %s", "e-1", "succeeded", extra={"rows": 3})
    logging.getLogger("uvicorn.access").info('%s - "%s %s"', "127.0.0.1", "GET", "/health")

    before, inside, access = _lines(stream)
    assert set(before) == {"timestamp", "level", "logger", "event"}
    assert before["event"] == "before"
    assert before["level"] == "info"
    assert before["logger"] == "worker._execution"
    assert before["timestamp"].endswith("Z")
    assert inside["event"] == "execution e-1: succeeded"
    assert (inside["level"], inside["execution_id"], inside["bot_id"], inside["rows"]) == (
        "warning",
        "e-1",
        "b-1",
        3,
    )
    assert access["logger"] == "uvicorn.access"
    assert access["event"] == '127.0.0.1 - "GET /health"'
    assert "execution_id" not in access


def test_an_exception_is_one_json_line_with_its_traceback(restored: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("failed")
    (line,) = _lines(stream)
    assert line["event"] == "failed"
    assert line["level"] == "error"
    assert "ValueError: boom" in line["exception"]


def test_structlog_loggers_write_the_same_lines(restored: None) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    with bound_contextvars(execution_id="e-2"):
        structlog.get_logger("ours").info("hello", pages=2)
    (line,) = _lines(stream)
    assert (line["event"], line["logger"], line["pages"], line["execution_id"]) == (
        "hello",
        "ours",
        2,
        "e-2",
    )


def test_console_lines_are_for_people(restored: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "console", stream=stream)
    logging.getLogger("api").info("listening")
    text = stream.getvalue()
    assert "listening" in text
    assert "[api]" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_json_unless_a_terminal_reads() -> None:
    assert wants_json("auto", io.StringIO())
    assert not wants_json("auto", _Terminal())
    assert wants_json("json", _Terminal())
    assert not wants_json("console", io.StringIO())


def test_settings_read_level_and_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAWLER_LOG_LEVEL", raising=False)
    monkeypatch.delenv("TRAWLER_LOG_FORMAT", raising=False)
    assert (Settings().log_level, Settings().log_format) == ("INFO", "auto")
    monkeypatch.setenv("TRAWLER_LOG_LEVEL", "debug")
    monkeypatch.setenv("TRAWLER_LOG_FORMAT", "console")
    settings = Settings()
    assert (settings.log_level, settings.log_format) == ("DEBUG", "console")
    monkeypatch.setenv("TRAWLER_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        Settings()
