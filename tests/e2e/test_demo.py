"""`commonfund demo` then `commonfund verify`: what a newcomer runs first, on both stores."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from commonfund import cli
from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.account import CommonFundAccount
from ledger.application import Ledger
from ledger.periods import Period
from tests.integration.tamper import edit_event_state
from tests.plugins.api import Api


def test_demo_loads_once_and_verifies(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo", "--if-empty"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["units"] == 300
    assert summary["district"].startswith("370202")
    assert summary["payments"] > 0
    assert len(summary["resolutions"]) >= 1
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "not loaded again" in capsys.readouterr().out
    assert cli.main(["verify"]) == 0
    ledger = Ledger(personal=personal_keys(settings), env=settings.eventsourcing_env())
    try:
        committee = ledger.committee(UUID(summary["committee_id"]))
        assert committee.status == "sealed"
        assert ledger.account(UUID(summary["account_id"])).balance > 0
    finally:
        ledger.close()


def test_verify_fails_on_the_demo_after_an_amount_is_edited_by_sql(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo"]) == 0
    account_id = UUID(json.loads(capsys.readouterr().out)["account_id"])
    ledger = Ledger(personal=personal_keys(settings), env=settings.eventsourcing_env())
    try:
        income = next(
            e
            for e in ledger.events.get(account_id)
            if isinstance(e, CommonFundAccount.IncomeRecorded)
        )
    finally:
        ledger.close()
    amount = f'"amount":{income.amount}'.encode()
    edit_event_state(settings, account_id, income.originator_version, amount, amount + b"0")
    assert cli.main(["verify"]) == 1
    assert f"version {income.originator_version}" in capsys.readouterr().err


def test_the_demo_publishes_its_ended_quarters_and_the_public_lists_them(
    settings: Settings,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo"]) == 0
    summary = json.loads(capsys.readouterr().out)
    periods = summary["statements"]
    as_of = date.fromisoformat(summary["as_of"])
    assert len(periods) >= 3  # the account is about a year old
    assert all(Period.parse(p).end < as_of for p in periods)  # ended quarters only
    assert [Period.parse(p).following().name for p in periods[:-1]] == periods[1:]
    assert Period.parse(periods[-1]).following().end >= as_of  # up to the last ended one
    complex_id = summary["complex"]["id"]
    listed = api.call("GET", f"/v1/public/complexes/{complex_id}/statements", None, expect=200)
    assert [(v["period"], v["version"]) for v in listed["items"]] == [(p, 1) for p in periods]
    latest = api.call(
        "GET", f"/v1/public/complexes/{complex_id}/statements/{periods[-1]}", None, expect=200
    )
    assert latest["published_by"].endswith("/m1")
    assert latest["published_on"] <= summary["as_of"]
    complexes = api.call("GET", "/v1/public/complexes", None, expect=200)["items"]
    demo = next(c for c in complexes if c["id"] == complex_id)
    assert demo["latest_statement"]["period"] == periods[-1]
    page = api.client.get(f"/complexes/{complex_id}/statements/{periods[-1]}")
    assert page.status_code == 200
    assert "海韵花园" in page.text


def test_the_demo_has_a_maintenance_fund_with_a_voted_repair(
    settings: Settings,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo"]) == 0
    summary = json.loads(capsys.readouterr().out)
    fund = summary["maintenance_fund"]
    assert (fund["units"], fund["disbursed"]) == (300, "14040.00")
    complex_id = summary["complex"]["id"]
    regulator = api.token(role="regulator", jurisdiction="370202")
    services: Any = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.maintenance_runner.wait_for(
        services.ledger.recorder.max_notification_id(), 10.0
    )
    shown = api.call("GET", f"/v1/complexes/{complex_id}/maintenance-fund", regulator, expect=200)
    assert (shown["balance"], shown["units"]) == (fund["balance"], 300)
    (project,) = shown["projects"]
    assert (project["id"], project["disbursed"]) == (fund["project_id"], "14040.00")
    for year in fund["annual_statements"]:
        page = api.client.get(f"/complexes/{complex_id}/maintenance-fund/{year}")
        assert page.status_code == 200
        assert "海韵花园" in page.text


def test_the_demo_has_a_closed_ballot_with_its_published_result(
    settings: Settings,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo"]) == 0
    ballot = json.loads(capsys.readouterr().out)["ballot"]
    public = api.call("GET", ballot["public"], None, expect=200)
    assert (public["state"], public["results"][0]["passed"]) == ("closed", True)
    assert public["results"][0]["root"] == ballot["root"]
    listed = api.call("GET", ballot["public"] + "/list", None, expect=200)
    assert len(listed["entries"]) == ballot["votes"]
    assert any(not e["counted"] for e in listed["entries"])  # changed votes stay listed
    assert cli.main(["verify"]) == 0  # the ballot's audit passes too


def test_the_demo_bank_feed_matches_but_for_its_two_planted_differences(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #14: a year of statements; one payment never recorded (B01), one credit forgotten
    (B02); everything else matched; the regulator sees both after the day's run."""
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo"]) == 0
    summary = json.loads(capsys.readouterr().out)
    feed = summary["bank_feed"]
    assert feed["statements"] >= 12
    assert feed["matched"] == feed["lines"] - 2
    assert cli.main(["supervise", "--as-of", summary["as_of"], "--details"]) == 0
    raised = capsys.readouterr().out
    for rule in ("B01", "B02"):
        key = feed["planted"][rule]["key"]
        assert f"[line/{key}]" in raised or key in raised, (rule, raised)
    assert "B03" not in raised
    assert "B07" not in raised
    assert cli.main(["verify"]) == 0
