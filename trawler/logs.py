"""The services' logging: every record (ours, uvicorn's, Dramatiq's) as one line through structlog.

Modules keep logging through the standard library (`logging.getLogger(__name__)`); structlog's
`ProcessorFormatter` on the root handler turns each record into a JSON object (`timestamp`,
`level`, `logger`, `event`, an `exception` when there is one) or a readable console line, and
adds what is bound with `structlog.contextvars` where the record was made: the worker binds
`execution_id` and `bot_id` for the life of an execution, tasks it starts included.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console", "auto"]

# uvicorn and Dramatiq configure these themselves unless told not to; they go to the root
_THEIRS = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq")


def _drop_color_message(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """uvicorn repeats some messages with ANSI colours as an extra: not for JSON lines."""
    event.pop("color_message", None)
    return event


def wants_json(log_format: LogFormat, stream: TextIO) -> bool:
    """json, console, or auto: JSON unless `stream` is a terminal (a person is reading)."""
    if log_format == "auto":
        return not stream.isatty()
    return log_format == "json"


def configure_logging(
    level: str = "INFO", log_format: LogFormat = "auto", *, stream: TextIO | None = None
) -> None:
    """Send every record at `level` and above to `stream` (default stderr), one line each."""
    stream = stream or sys.stderr
    as_json = wants_json(log_format, stream)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Processor] = (
        [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
        if as_json
        else [structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _THEIRS:
        theirs = logging.getLogger(name)
        theirs.handlers.clear()
        theirs.propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
