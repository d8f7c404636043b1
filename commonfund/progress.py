"""Progress of the long CLI jobs (rebuild, verify, maintenance interest, supervise) on stderr.

A rich progress bar while a person watches: on standard error, and only when it
is a terminal, so a pipe, a log file, cron or ``--json`` get none of it and
standard output keeps only the closing summary. The same library draws the bank
import's bar (commonfund/bank_import.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def stderr_console() -> Console:
    return Console(stderr=True)


@dataclass
class Bar:
    """One job's bar: ``step`` names a phase (a task of its own), ``update`` moves it."""

    progress: Progress
    started: float = field(default_factory=time.monotonic)
    task: TaskID | None = None

    def step(self, description: str, total: int | None = None) -> None:
        if self.task is not None:  # the phase before is done: show it full
            finished = self.progress.tasks[-1]
            self.progress.update(self.task, completed=finished.total or finished.completed)
        self.task = self.progress.add_task(description, total=total)

    def update(self, completed: int, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=completed, total=total)

    def advance(self, by: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, by)

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)


@contextmanager
def bar(*, quiet: bool = False, console: Console | None = None) -> Iterator[Bar]:
    """A bar on stderr if that is a terminal and the caller is not ``quiet`` (``--json``)."""
    console = console or stderr_console()
    shown = console.is_terminal and not quiet
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console, disable=not shown,
        transient=True,
    ) as progress:  # fmt: skip
        yield Bar(progress)
