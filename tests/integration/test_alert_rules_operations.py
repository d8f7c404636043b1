"""Running the rules: per-city parameters, `commonfund supervise`, rule dry-runs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from commonfund.cli import main
from commonfund.dry_run import dry_run
from commonfund.settings import Settings
from commonfund.wiring import read_models, supervision_catalog
from ledger.application import Ledger
from projections.runner import Runner
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts, org, pay
from tests.plugins.builders import World, world
from tests.plugins.clock import TODAY

PLUMBER = org("青岛顺通管道维修部")


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView(supervision_catalog(settings)))
    yield runner
    runner.database.close()


@pytest.fixture
def split(ledger: Ledger) -> World:
    """Three payments of 4,600.00 to one payee within 7 working days (A02), and a quiet account."""
    w = world(ledger, elected_on=TODAY - timedelta(days=120))
    w.income(200_000_00, on=date(2026, 8, 20))
    for on in (date(2026, 9, 28), date(2026, 10, 9), date(2026, 10, 12)):
        pay(w, 4_600_00, PLUMBER, on)
    return w


def test_rule_parameters_come_from_the_settings_and_are_checked_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMMONFUND_RULE_PARAMS", '{"A02": {"count": 4}, "A13": {"quiet_days": 90}}')
    catalog = supervision_catalog(Settings())
    assert (catalog["A02"].params["count"], catalog["A02"].params["working_days"]) == (4, 10)
    assert catalog["A13"].params["quiet_days"] == 90
    for bad in ('{"A99": {"count": 1}}', '{"A02": {"cnt": 4}}', '{"A02": {"count": -1}}'):
        monkeypatch.setenv("COMMONFUND_RULE_PARAMS", bad)
        with pytest.raises(ValidationError):
            Settings()


def test_a_city_parameter_changes_what_fires(
    settings: Settings, ledger: Ledger, split: World
) -> None:
    strict = settings.model_copy(update={"rule_params": {"A02": {"count": 4}}})
    runner = Runner(ledger, read_models(settings), SupervisionView(supervision_catalog(strict)))
    try:
        assert alerts(runner, "A02") == []
    finally:
        runner.database.close()


def test_supervise_records_the_run_and_prints_what_it_raised(
    settings: Settings,
    split: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert main(["supervise", "--as-of", "2026-10-20", "--details"]) == 0
    first = capsys.readouterr()
    assert "clock rules for 2026-10-20: recorded" in first.out
    assert "A08 warning  complex:" in first.out
    assert "[2026-Q3]" in first.out
    assert first.err == ""  # no bar: standard error is not a terminal here
    assert main(["supervise", "--as-of", "2026-10-20", "--details"]) == 0
    again = capsys.readouterr().out
    assert "was recorded before" in again
    assert again.splitlines()[1:] == first.out.splitlines()[1:]  # the same alerts, raised once
    assert main(["supervise", "--as-of", "2999-01-01"]) == 1  # the future is refused


def test_supervise_summarises_by_rule_and_lists_alerts_only_when_asked(
    settings: Settings,
    split: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert main(["supervise", "--as-of", "2026-10-20", "--json", "--details"]) == 0
    listed = json.loads(capsys.readouterr().out)
    by_rule = Counter(item["rule"] for item in listed["items"])
    assert listed["alerts"] == len(listed["items"]) == sum(by_rule.values()) > 0
    assert {r: told["count"] for r, told in listed["by_rule"].items()} == dict(by_rule)
    assert listed["by_rule"]["A08"]["severity"] == "warning"
    assert listed["by_rule"]["A08"]["title_zh"]
    assert sum(listed["by_severity"].values()) == listed["alerts"]
    assert (listed["command"], listed["as_of"], listed["recorded"]) == (
        "supervise", "2026-10-20", True,
    )  # fmt: skip
    assert listed["seconds"] >= 0
    assert main(["supervise", "--as-of", "2026-10-20"]) == 0
    told = capsys.readouterr().out.splitlines()
    assert len(told) == 2 + len(by_rule) + 1  # the run, the count, a line per rule, the hint
    assert told[1] == f"{listed['alerts']} alert(s) raised by it, by {len(by_rule)} rule(s):"
    a08 = next(line for line in told if line.startswith("  A08 "))
    assert a08.split()[:3] == ["A08", "warning", str(by_rule["A08"])]
    assert not any("complex:" in line for line in told)  # no alert listed one by one
    assert main(["supervise", "--as-of", "2026-10-20", "--json"]) == 0
    quiet = json.loads(capsys.readouterr().out)
    assert "items" not in quiet
    assert (quiet["recorded"], quiet["by_rule"]) == (False, listed["by_rule"])


def test_rules_dry_run_shows_the_changed_rule_and_raises_nothing(
    settings: Settings,
    ledger: Ledger,
    runner: Runner,
    split: World,
) -> None:
    live = alerts(runner)
    head = ledger.recorder.max_notification_id()
    in_force = supervision_catalog(settings)
    fewer = dry_run(
        ledger, in_force, in_force.with_params("A02", count=4), "A02", date(2026, 9, 1), TODAY
    )
    assert (len(fewer.in_force), len(fewer.changed), len(fewer.dropped)) == (1, 0, 1)
    assert fewer.dropped[0]["evidence"]["total"] == "13800.00"
    looser = dry_run(
        ledger, in_force, in_force.with_params("A02", working_days=5), "A02", date(2026, 9, 1),
        TODAY,
    )  # fmt: skip
    assert looser.changed == []  # 7 working days is too long a run for a 5-day window
    outside = dry_run(ledger, in_force, in_force, "A02", date(2026, 11, 1), TODAY)
    assert outside.in_force == []  # the alert's date is outside the range
    assert alerts(runner) == live
    assert ledger.recorder.max_notification_id() == head


def test_the_dry_run_command(
    settings: Settings,
    split: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    args = ["rules", "dry-run", "--rule", "A02", "--param", "count=4"]
    assert main([*args, "--from", "2026-09-01", "--to", "2026-11-26"]) == 0
    out = capsys.readouterr().out
    assert "parameters in force: 1 alert(s)" in out
    assert "with count=4: 0 alert(s) (0 more, 1 fewer); nothing was raised" in out
    assert main(["rules", "dry-run", "--rule", "A02", "--param", "cnt=4", "--from",
                 "2026-09-01", "--to", "2026-11-26"]) == 2  # fmt: skip
    assert "A02 has no parameter cnt" in capsys.readouterr().err
