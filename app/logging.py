"""Structured logging (structlog) with a redaction backstop for secrets and personal data."""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

# Callers must never log these; the processor below is only the last line of defence.
_SENSITIVE = (
    "token",
    "password",
    "secret",
    "authorization",
    "email",
    "name",
    "code",
    "cookie",
)


def _redact(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        if key != "event" and any(word in key.lower() for word in _SENSITIVE):
            event[key] = "[redacted]"
    return event


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """A handler writing to whatever `sys.stderr` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str = "INFO") -> None:
    """Key/value logs on stderr (stdout belongs to command output), with dotted event names."""
    logging.basicConfig(
        format="%(message)s", level=level, force=True, handlers=[_CurrentStderr()]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.KeyValueRenderer(
                key_order=["timestamp", "level", "event"]
            ),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("dsr")
