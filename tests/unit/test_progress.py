"""The long CLI jobs' bar: drawn on a terminal, never into a pipe or under --json (issue #17)."""

from __future__ import annotations

import io

from rich.console import Console

from commonfund import progress


def run_job(console: Console, *, quiet: bool = False) -> float:
    with progress.bar(quiet=quiet, console=console) as shown:
        shown.step("校验 verifying", total=10)
        for done in range(1, 11):
            shown.update(done)
        shown.step("应用 applying")
        shown.advance()
    return shown.seconds


def test_a_terminal_sees_the_bar() -> None:
    out = io.StringIO()
    assert run_job(Console(file=out, force_terminal=True, width=100)) >= 0
    assert "verifying" in out.getvalue()


def test_a_pipe_or_json_gets_no_bar() -> None:
    for console, quiet in (
        (Console(file=io.StringIO(), force_terminal=False), False),
        (Console(file=io.StringIO(), force_terminal=True), True),
    ):
        run_job(console, quiet=quiet)
        assert console.file.getvalue() == ""  # type: ignore[attr-defined]
