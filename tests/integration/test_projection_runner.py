"""The projection runner across crashes and processes (issue #4 acceptance).

A ``commonfund project`` killed with SIGKILL in the middle of its catch-up
resumes from its tracking position, and the read model equals one built in a
single clean run; one runner is active per database, and a standby takes over
when the active one dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from commonfund.settings import Settings
from commonfund.wiring import statements_runner
from ledger.application import Ledger
from projections.runner import Runner
from tests.integration.test_statements import dump
from tests.plugins.builders import World, world

INCOMES = 400


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = statements_runner(settings, ledger)
    yield runner
    runner.lock.release()
    runner.database.close()


def project(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COMMONFUND_DATABASE_URL": settings.database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "commonfund.cli", "project", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(how)
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def history(ledger: Ledger, incomes: int = INCOMES) -> World:
    w = world(ledger)
    for i in range(incomes):
        w.income(100 + i, on=date(2026, 10, 20 + i % 10))
    return w


# Only against a hang (a runner that never gets there fails the test instead of stopping the
# suite): no assertion here depends on how fast anything runs, so load cannot fail them.
HANG_GUARD_SECONDS = 600.0


def started(process: subprocess.Popen[str]) -> None:
    """Wait for the runner's first line (it prints it before it follows the ledger)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "following the ledger" in line, (line, process.poll())


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Wait until ``condition`` holds, failing at once if the runner process has died."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert process.poll() is None, f"the runner exited with {process.returncode}"
        assert time.monotonic() < deadline, "hung: the condition never held"
        time.sleep(0.005)


def test_sigkill_in_the_middle_of_catch_up_then_restart_equals_a_clean_run(
    settings: Settings, ledger: Ledger, runner: Runner
) -> None:
    """Killed with a quarter of the log applied, then again somewhere in the rest: resumes.

    The first kill lands when the runner has applied exactly the first quarter of the log
    (the rest is written after it), so "in the middle" holds however loaded the machine is;
    the second lands wherever the second runner has got to, mid-batch or between batches.
    """
    w = history(ledger, incomes=INCOMES // 4)
    quarter = runner.head()
    first = project(settings, "--batch-size", "2")
    try:
        started(first)
        wait_until(lambda: runner.position() == quarter, first)
    finally:
        stop(first, signal.SIGKILL)
    for i in range(INCOMES // 4, INCOMES):
        w.income(100 + i, on=date(2026, 10, 20 + i % 10))
    head = runner.head()
    killed_at = runner.position()
    assert 0 < killed_at == quarter < head, f"killed at {killed_at} of {head}: not in the middle"

    second = project(settings, "--batch-size", "2")
    try:
        started(second)
        wait_until(lambda: runner.position() > quarter, second)
    finally:
        stop(second, signal.SIGKILL)
    assert quarter < runner.position() <= head

    restarted = project(settings, "--once", "--batch-size", "50")
    output, _ = restarted.communicate(timeout=HANG_GUARD_SECONDS)
    assert restarted.returncode == 0, output
    assert runner.position() == head
    resumed = dump(runner)
    assert len(resumed["stmt_lines"]) == INCOMES  # each event applied once
    runner.rebuild()  # one clean run from the start of the log, into a fresh copy
    assert dump(runner) == resumed


def test_one_runner_is_active_and_a_standby_takes_over_when_it_dies(
    settings: Settings, ledger: Ledger, runner: Runner
) -> None:
    w = history(ledger, incomes=5)
    active = project(settings)
    standby: subprocess.Popen[str] | None = None
    try:
        started(active)
        wait_until(lambda: runner.position() == runner.head(), active)
        standby = project(settings)
        started(standby)  # up, and (the lock being held) standing by
        assert not runner.lock.acquire()  # the active process holds it
        stop(active, signal.SIGKILL)
        late = w.income(77_77, on=date(2026, 11, 1))
        wait_until(lambda: runner.position() == runner.head(), standby)  # a standby took over
        assert standby.poll() is None  # the standby is the one that applied it
        lines = dump(runner)["stmt_lines"]
        assert len(lines) == 6
        assert [line[8] for line in lines if line[1] == late] == [77_77]  # amount, once
    finally:
        for process in (active, standby):
            if process is not None:
                stop(process)
