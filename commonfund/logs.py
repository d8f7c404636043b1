"""Logging for serve and the CLI (issue #17): one JSON object per line, with the request id.

The stdlib is enough: a formatter of a dozen lines writes ``time``, ``level``, ``logger``,
``message``, ``request_id`` (inside a request) and ``exc_info``, one object per line, for
commonfund's own loggers and uvicorn's error and access loggers alike. ``text`` keeps
plain lines for a developer's terminal (COMMONFUND_LOG_FORMAT).
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from api.context import request_id


class RequestId(logging.Filter):
    """Stamps each record with the id of the request it was logged in, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            line["request_id"] = rid
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(log_format: str = "json") -> dict[str, Any]:
    """A ``dictConfig`` for uvicorn's ``log_config`` and for the CLI: stderr, one handler."""
    formatter = (
        {"()": JsonLines}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    loggers = {
        name: {"handlers": ["default"], "level": "INFO", "propagate": False}
        for name in ("commonfund", "api", "projections", "ledger", "uvicorn", "uvicorn.access")
    }
    loggers["uvicorn.error"] = {"level": "INFO"}  # propagates to "uvicorn"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestId}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": loggers,
    }


def configure(log_format: str = "json") -> None:
    logging.config.dictConfig(log_config(log_format))
