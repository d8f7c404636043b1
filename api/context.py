"""The request's id, for whatever runs inside the request: problems, log lines (issue #17)."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
