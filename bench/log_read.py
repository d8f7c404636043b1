"""The "raw" side of the projection benchmarks: read every event of the log and decode it.

``bench/projection_rebuild.py`` (issue #4) and ``bench/supervision.py`` (issue #5)
compare a read model's work against this, so both must read the log the same
way: ``select_notifications`` in batches, ``to_domain_event`` on each, nothing else.
"""

from __future__ import annotations

import time

from ledger.application import Ledger


def read_log(ledger: Ledger, batch_size: int, head: int) -> tuple[int, float]:
    """Read and decode every notification up to ``head``; the count and the seconds in select."""
    select, decode = ledger.recorder.select_notifications, ledger.mapper.to_domain_event
    events, start, reading = 0, 1, 0.0
    while True:
        t0 = time.perf_counter()
        notifications = select(start=start, limit=batch_size, stop=head)
        reading += time.perf_counter() - t0
        if not notifications:
            return events, reading
        for notification in notifications:
            decode(notification)
        events += len(notifications)
        start = notifications[-1].id + 1
