"""Rate limits: failed authentications per client address, writes per token (429, Retry-After).

Counted in memory, in fixed windows, **per worker process**: with ``--workers N`` a client
may make up to N times the limit, and a restart forgets the counts. That is enough for
what they are for: guessing tokens from one address stops after a few tries, and one
token (a leaked one, or a client in a loop) cannot flood the ledger with writes.

- An address that has failed to authenticate ``failed_authentications`` times in a
  window gets 429 on every request that presents a credential (even a valid one) until
  its window ends; requests without one (the public statements) are never refused, so a
  shared address (a campus, a carrier's NAT) keeps reading.
- A token that has made ``writes`` writes (POST, PUT, PATCH, DELETE) in a window gets 429
  on the next ones until its window ends; its reads go on.

The address is the peer's, as the ASGI server reports it: uvicorn puts a proxy's
``X-Forwarded-For`` there only from the proxies it is told to trust
(``COMMONFUND_TRUSTED_PROXIES``, commonfund/serving.py), never from anyone else.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEYS = 100_000  # addresses or tokens remembered at once; the oldest windows go first


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """The limits, per window and per worker process (commonfund.settings sets them)."""

    failed_authentications: int = 20  # per client address
    writes: int = 3_000  # per token: 50 a second, sustained for a minute
    window_seconds: float = 60.0


class RateLimited(HTTPException):
    """429 with Retry-After: the problem handler (api/problems.py) answers it."""

    def __init__(self, detail: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(429, f"{detail}; retry in {seconds} s", {"Retry-After": str(seconds)})
        self.retry_after = seconds


@dataclass(slots=True)
class FixedWindows:
    """How many times each key was counted in its current window of ``seconds``.

    A key's window opens at its first count and ends ``seconds`` later; the next count
    after that opens a new one. Windows that ended are forgotten whenever more than
    ``max_keys`` keys are held, and then the oldest ones if still too many.
    """

    limit: int
    seconds: float
    clock: Callable[[], float]
    max_keys: int = MAX_KEYS
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def wait(self, key: str) -> float | None:
        """Seconds until ``key`` may be counted again, or None if it may now."""
        window = self._windows.get(key)
        if window is None:
            return None
        start, count = window
        left = start + self.seconds - self.clock()
        return left if left > 0 and count >= self.limit else None

    def count(self, key: str) -> None:
        now = self.clock()
        start, count = self._windows.get(key, (now, 0))
        if start + self.seconds <= now:
            start, count = now, 0
        self._windows.pop(key, None)  # re-inserted last: the dict stays in window order
        self._windows[key] = (start, count + 1)
        if len(self._windows) > self.max_keys:
            self._forget(now)

    def _forget(self, now: float) -> None:
        for key in [k for k, (start, _) in self._windows.items() if start + self.seconds <= now]:
            del self._windows[key]
        while len(self._windows) > self.max_keys:
            del self._windows[next(iter(self._windows))]

    def __len__(self) -> int:
        return len(self._windows)


class RateLimits:
    """The two limits of one worker process; thread-safe (sync dependencies run in threads)."""

    def __init__(
        self, policy: RateLimitPolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        seconds = policy.window_seconds
        self.failures = FixedWindows(policy.failed_authentications, seconds, clock)
        self.writes = FixedWindows(policy.writes, seconds, clock)
        self._lock = threading.Lock()

    def before_authentication(self, address: str) -> None:
        """Refuse a credential from an address that failed too often (RateLimited)."""
        with self._lock:
            wait = self.failures.wait(address)
        if wait is not None:
            raise RateLimited("too many failed authentications from this address", wait)

    def failed_authentication(self, address: str) -> None:
        with self._lock:
            self.failures.count(address)

    def write(self, token_id: str) -> None:
        """Count a write by this token, or refuse it (RateLimited) if it made too many."""
        with self._lock:
            wait = self.writes.wait(token_id)
            if wait is None:
                self.writes.count(token_id)
        if wait is not None:
            raise RateLimited("too many writes with this token", wait)
