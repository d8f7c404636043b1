"""A live runner lets a batch gather after one that took everything there was (issue #15):
under a write load its fixed cost per batch is paid per ``gather_seconds`` of writes, not
per write; a full batch goes on at once, and an idle runner polls as before."""

from __future__ import annotations

import threading

from projections.health import Health
from projections.runner import Runner


class Waits(threading.Event):
    """The stop event of ``_follow``: records each pause; set after ``rounds`` steps."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds
        self.pauses: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(float(timeout or 0))
        return self.is_set()


class Held:
    def held(self) -> bool:
        return True


def following(applied: list[int]) -> tuple[Runner, Waits]:
    runner = Runner.__new__(Runner)
    runner.batch_size, runner.poll_seconds, runner.gather_seconds = 500, 0.05, 0.025
    runner.health, runner.lock = Health(), Held()  # type: ignore[assignment]
    stop = Waits(len(applied))
    steps = iter(applied)

    def step() -> int:
        count = next(steps)
        if not stop.rounds - 1:
            stop.set()
        stop.rounds -= 1
        return count

    runner.step = step  # type: ignore[method-assign]
    return runner, stop


def test_a_short_batch_lets_the_next_gather_a_full_one_goes_on_and_idle_polls() -> None:
    runner, stop = following([3, 500, 500, 12, 0, 7])
    runner._follow(stop)
    # after 3: gather; after each full batch: none; after 12: gather; after 0: poll; after 7:
    # gather (the stop is set by then)
    assert stop.pauses == [0.025, 0.025, 0.05, 0.025]
