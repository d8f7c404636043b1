"""``commonfund maintenance interest``: the city's interest from a CSV, one command, resumable (issue #6)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from commonfund import cli
from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.application import Ledger
from ledger.maintenance.receipts import fund_id
from tests.plugins.clock import TODAY
from tests.plugins.maintenance import AUTHORITY, OPENED, funded

PERIOD = ["--from", OPENED.isoformat(), "--to", (TODAY - timedelta(days=6)).isoformat()]
ARGS = ["maintenance", "interest", *PERIOD, "--on", (TODAY - timedelta(days=5)).isoformat()]


def test_interest_from_a_csv_is_allocated_once_and_a_rerun_skips_it(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = funded(ledger, code="QD-SN-0001")
    two = funded(ledger, code="QD-SN-0002", amount=2_000_00)
    advices = tmp_path / "advices.csv"
    advices.write_text(
        f"complex_id,amount\n{one.complex_id},12.34\n{two.complex_id},0.07\n", encoding="utf-8"
    )
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    command = [*ARGS, "--file", str(advices), "--reference", "2026年利息"]

    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert "2 funds allocated (24 unit sub-ledgers, 12.41 yuan); 0 already" in out
    assert re.search(r"allocated for this period \(\d+\.\d s\)", out)
    fund = ledger.maintenance.fund(one.complex_id)
    assert fund.balance == 12 * 1_000_00 + 12_34
    assert sum(fund.unit_balance(u) for u in one.world.unit_ids) == fund.balance  # H10, exact

    assert cli.main(command) == 0  # a rerun after a crash finishes the rest, changes nothing here
    assert "0 funds allocated (0 unit sub-ledgers, 0.00 yuan); 2 already" in capsys.readouterr().out
    assert cli.main([*command, "--json"]) == 0
    told = capsys.readouterr()
    summary = json.loads(told.out)
    assert told.err == ""
    assert {k: summary[k] for k in ("command", "funds", "units", "already", "total")} == {
        "command": "maintenance interest", "funds": 0, "units": 0, "already": 2, "total": "0.00",
    }  # fmt: skip
    assert ledger.maintenance.fund(one.complex_id).balance == fund.balance


def test_a_bad_line_is_refused_by_its_number(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = funded(ledger)
    advices = tmp_path / "advices.csv"
    advices.write_text(f"{one.complex_id},12.345\n", encoding="utf-8")
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main([*ARGS, "--file", str(advices), "--reference", "利息"]) == 1
    assert f"{advices}:1: amount" in capsys.readouterr().err
    assert ledger.maintenance.fund(one.complex_id).balance == 12 * 1_000_00


def test_a_fund_written_by_another_process_after_it_was_read_ahead_is_allocated_on_fresh_state(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = funded(ledger, code="QD-SN-0001")
    two = funded(ledger, code="QD-SN-0002")
    the_fund = fund_id(one.complex_id)
    stale = ledger.maintenance._stored_fund(the_fund)  # what the read-ahead saw
    other = Ledger(
        personal=personal_keys(settings),
        env=settings.eventsourcing_env(),
        policy=ledger.policy,
        clock=ledger.clock,
    )
    try:  # another process tops up one unit meanwhile
        other.maintenance.record_deposits(
            one.complex_id, {one.world.unit_ids[0]: 500_00}, kind="additional", on=OPENED,
            reference="补缴", idempotency_key="top-up", actor=AUTHORITY,
        )  # fmt: skip
    finally:
        other.close()
    ledger.work.evict([the_fund])
    read = ledger.maintenance._stored_fund
    monkeypatch.setattr(
        ledger.maintenance, "_stored_fund", lambda fid: stale if fid == the_fund else read(fid)
    )

    receipts = list(
        ledger.maintenance.allocate_interest_for_city(
            [(one.complex_id, 12_50), (two.complex_id, 12_00)], period_from=OPENED,
            period_to=TODAY - timedelta(days=6), on=TODAY - timedelta(days=5),
            reference="利息", actor=AUTHORITY,
        )
    )  # fmt: skip

    assert [r.replayed for r in receipts] == [False, False]
    fund = ledger.maintenance.fund(one.complex_id)
    assert fund.balance == 12 * 1_000_00 + 500_00 + 12_50  # the top-up is there, and the interest
    assert sum(fund.unit_balance(u) for u in one.world.unit_ids) == fund.balance
    # the topped-up unit held more than the others all period: the largest share (H10)
    shares = {u: fund.unit_balance(u) - one.deposits[u] for u in one.world.unit_ids}
    shares[one.world.unit_ids[0]] -= 500_00
    assert shares[one.world.unit_ids[0]] > max(shares[u] for u in one.world.unit_ids[1:])
    assert ledger.maintenance.fund(two.complex_id).balance == 12 * 1_000_00 + 12_00


def test_the_command_is_maintenance_and_answers_to_its_old_name_fund() -> None:
    """Issue #13: one name per context; `fund` stays an alias so operators' scripts keep running."""
    for name in ("maintenance", "fund"):
        args = cli.parser().parse_args([name, "interest", "--file", "x.csv", *PERIOD[:4], "--on", "2026-11-20",
                                        "--reference", "r"])  # fmt: skip
        assert args.run is cli.cmd_maintenance_interest


def test_interest_json_is_one_summary_object_with_the_counts(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = funded(ledger, code="QD-SN-0001")
    two = funded(ledger, code="QD-SN-0002", amount=2_000_00)
    advices = tmp_path / "advices.csv"
    advices.write_text(f"{one.complex_id},1.00\n{two.complex_id},2.50\n", encoding="utf-8")
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main([*ARGS, "--file", str(advices), "--reference", "R1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("funds", "units", "already", "total")} == {
        "funds": 2, "units": 24, "already": 0, "total": "3.50",
    }  # fmt: skip
    assert (summary["period_from"], summary["period_to"]) == (PERIOD[1], PERIOD[3])
    assert summary["seconds"] >= 0
