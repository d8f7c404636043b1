"""What a runner says about itself for ``/readyz``: is its thread alive, active or standby, failing."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class Health:
    """Kept by ``Runner.run`` as it goes; read by the readiness check from another thread.

    Only the failure's class is kept, never its message: ``/readyz`` is public, and a
    database error's text may name hosts, users or the data of a statement.
    """

    running: bool = False
    active: bool = False
    beat_at: float = 0.0  # time.monotonic() of the loop's last turn
    failing_since: float | None = None  # time.monotonic() of the first failure in a row
    last_error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self) -> None:
        with self._lock:
            self.running, self.beat_at = True, time.monotonic()

    def stopped(self) -> None:
        with self._lock:
            self.running = self.active = False

    def beat(self) -> None:
        self.beat_at = time.monotonic()

    def standing_by(self) -> None:
        with self._lock:
            self.active, self.failing_since, self.last_error = False, None, ""

    def activated(self) -> None:
        self.active = True

    def applied(self) -> None:
        with self._lock:
            self.failing_since, self.last_error = None, ""

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if self.failing_since is None:
                self.failing_since = time.monotonic()
            self.last_error = type(error).__name__

    def report(self) -> dict[str, object]:
        with self._lock:
            now = time.monotonic()
            return {
                "running": self.running,
                "role": "active" if self.active else "standby",
                "failing_seconds": (
                    round(now - self.failing_since, 1) if self.failing_since is not None else 0.0
                ),
                "last_error": self.last_error or None,
            }
