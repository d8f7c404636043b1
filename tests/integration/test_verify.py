"""H12: every stream is hash-chained; `commonfund verify` finds an edited or deleted row."""

from __future__ import annotations

import json
import re

import pytest

from commonfund import cli
from commonfund.settings import Settings
from ledger.account import CommonFundAccount
from ledger.application import Ledger
from ledger.integrity import verify
from tests.integration.tamper import delete_event, edit_event_state
from tests.plugins.builders import world


def busy_world(ledger: Ledger) -> tuple[object, list[CommonFundAccount.Event]]:
    w = world(ledger)
    for amount in (123_45, 678_90, 1_000_00):
        w.income(amount)
    w.pay(w.expenditure(500_00, authorisation=w.decision("保洁", 5_000_00)))
    events = list(ledger.events.get(w.account_id))
    return w, events  # type: ignore[return-value]


def income_version(events: list[CommonFundAccount.Event], amount: int) -> int:
    return next(
        e.originator_version
        for e in events
        if isinstance(e, CommonFundAccount.IncomeRecorded) and e.amount == amount
    )


def test_verify_passes_on_untouched_history(ledger: Ledger) -> None:
    busy_world(ledger)
    report = verify(ledger)
    assert report.ok
    assert report.events > 10
    assert len(report.heads) == 4  # complex, resolution, committee, account


def test_editing_an_amount_by_sql_is_found_and_named(ledger: Ledger, settings: Settings) -> None:
    w, events = busy_world(ledger)
    version = income_version(events, 678_90)
    account_id = w.account_id  # type: ignore[attr-defined]
    edit_event_state(settings, account_id, version, b'"amount":67890', b'"amount":97890')
    report = verify(ledger)
    assert not report.ok
    first = report.breaks[0]
    assert (first.stream_id, first.version) == (str(account_id), version)
    assert "edited" in first.reason


def test_deleting_an_event_is_found_at_the_next_one(ledger: Ledger, settings: Settings) -> None:
    w, events = busy_world(ledger)
    version = income_version(events, 123_45)
    delete_event(settings, w.account_id, version)  # type: ignore[attr-defined]
    report = verify(ledger)
    assert [(b.stream_id, b.version) for b in report.breaks] == [
        (str(w.account_id), version + 1)  # type: ignore[attr-defined]
    ]
    assert "missing" in report.breaks[0].reason


def test_cli_verify_exits_zero_then_non_zero_after_an_edit(
    ledger: Ledger,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, events = busy_world(ledger)
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["verify"]) == 0
    told = capsys.readouterr()
    assert "every chain is intact" in told.out
    assert re.search(r"snapshots verified in \d+\.\d s;", told.out)
    assert told.err == ""  # no progress bar: standard error is not a terminal here
    version = income_version(events, 1_000_00)
    edit_event_state(settings, w.account_id, version, b'"amount":100000', b'"amount":100001')  # type: ignore[attr-defined]
    assert cli.main(["verify"]) == 1
    err = capsys.readouterr().err
    assert f"BROKEN: stream {w.account_id} version {version}" in err  # type: ignore[attr-defined]
    assert "1 stream(s) broken out of 4;" in err


def test_cli_verify_json_counts_what_it_checked_and_names_the_break(
    ledger: Ledger,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w, events = busy_world(ledger)
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    expected = verify(ledger)
    assert cli.main(["verify", "--json"]) == 0
    told = capsys.readouterr()
    summary = json.loads(told.out)  # one object, nothing else on standard output
    assert told.err == ""
    assert summary["command"] == "verify"
    assert (summary["ok"], summary["broken_streams"], summary["breaks"]) == (True, 0, [])
    assert (summary["events"], summary["streams"], summary["snapshots"]) == (
        expected.events, len(expected.heads), expected.snapshots,
    )  # fmt: skip
    assert summary["events"] == ledger.recorder.max_notification_id()
    version = income_version(events, 123_45)
    edit_event_state(settings, w.account_id, version, b'"amount":12345', b'"amount":12346')  # type: ignore[attr-defined]
    assert cli.main(["verify", "--json"]) == 1
    broken = json.loads(capsys.readouterr().out)
    assert (broken["ok"], broken["broken_streams"]) == (False, 1)
    assert (broken["breaks"][0]["stream_id"], broken["breaks"][0]["version"]) == (
        str(w.account_id), version,  # type: ignore[attr-defined]
    )  # fmt: skip


def test_the_digest_changes_with_every_new_event(ledger: Ledger) -> None:
    w, _ = busy_world(ledger)
    before = ledger.digest(w.complex_id)  # type: ignore[attr-defined]
    w.income(1)  # type: ignore[attr-defined]
    after = ledger.digest(w.complex_id)  # type: ignore[attr-defined]
    assert before["root"] != after["root"]
    assert len(after["heads"]) == 4
    report = verify(ledger)
    account_head = next(h for h in after["heads"] if h["stream_id"] == str(w.account_id))  # type: ignore[attr-defined]
    assert report.heads[account_head["stream_id"]] == (
        account_head["version"],
        account_head["head"],
    )
