"""Structured logs: one JSON object per line with time, level, service, logger and request id.

Every process (domain services, aggregation, gateway) calls :func:`configure_logging` from its
app factory, after uvicorn has set up its own loggers, so uvicorn's lines come out the same way.
Logs travel further than databases: as a last line of defence, any run of 16 digits (a NIK's
shape) and any bearer token are replaced before a line is written. Code must still never log
personal data or SQL parameters (the engine hides them: ``shared.db``).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from shared import context
from shared.tracing import trace_id

_NIK_SHAPED = re.compile(r"(?<![0-9A-Fa-f])\d{16}(?![0-9A-Fa-f])")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` without NIK-shaped digit runs and bearer tokens."""
    text = _NIK_SHAPED.sub(REDACTED, text)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    return _JWT.sub(REDACTED, text)


def _redact_values(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def _add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = context.request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    current = trace_id()
    if current is not None:
        event_dict.setdefault("trace_id", current)
    return event_dict


class _JsonHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` installs (recognised so it is installed once)."""


def configure_logging(service: str, *, level: int = logging.INFO) -> None:
    """Send every log record of this process to stderr as one redacted JSON line."""

    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    shared_processors: list[Any] = [
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_service,
        _add_request_id,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_values,
            structlog.processors.JSONRenderer(),
        ],
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's loggers bring their own plain-text handlers: route them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "sqlalchemy"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # httpx/httpcore note every request at INFO: the gateway proxies each call it logs.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
