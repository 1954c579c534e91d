"""Structured logging (structlog) with a redaction backstop for secrets and personal data."""

import errno
import logging
import sys
import traceback
from collections.abc import MutableMapping
from pathlib import Path
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


# Libraries whose routine INFO lines would bury ours (and the demo password printed before
# them): APScheduler logs every job run ("Running job … executed successfully", dozens a
# minute), Alembic two lines per schema check, which `/readyz` does on every probe.
_ROUTINE = {
    "apscheduler.executors": logging.WARNING,
    "apscheduler.scheduler": logging.WARNING,
    "alembic": logging.WARNING,
}


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
    for name, quiet in _ROUTINE.items():
        # Only when the level asked for is more detailed than INFO do they show.
        logging.getLogger(name).setLevel(
            logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else quiet
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


def failure(exc: BaseException) -> dict[str, str]:
    """Log fields saying what failed and where, never the exception's message.

    Messages may quote personal data: a record, an address, the parameters of a failed SQL
    statement. The type, the failing line and an OS error's code are enough to find the cause.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    fields = {
        "error": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "where": where,
    }
    if isinstance(exc, OSError) and exc.errno is not None:
        fields["errno"] = errno.errorcode.get(exc.errno, str(exc.errno))
    return fields
