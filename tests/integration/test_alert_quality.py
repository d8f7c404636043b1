"""The alert rules on a small synthetic city (bench/alert_quality.py): every planted anomaly is
found, and normal activity raises only what the generator's own description predicts."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from commonfund.settings import Settings

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "alert_quality.py"
SCALE = 0.0025  # 10 complexes: one with an expired term, each anomaly planted once
SEED = 7
TODAY = date(2026, 11, 26)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_alert_quality", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def quality(settings: Settings, tmp_path: Path) -> dict[str, Any]:
    script = load_script()
    result: dict[str, Any] = script.measure(
        scale=SCALE, seed=SEED, today=TODAY, database_url=settings.database_url,
        manifest=tmp_path / "manifest.json", reuse=False,
    )  # fmt: skip
    return result


def test_every_planted_anomaly_is_found_and_nothing_unexplained_is_raised(
    quality: dict[str, Any],
) -> None:
    assert quality["complexes"] == 10
    # the account's five, the committee budget's (A20), the fund's (A26), the bank's B01–B07
    assert quality["anomalies"] == 14
    assert quality["missed"] == []
    assert quality["recall"] == 1.0
    assert quality["anomalies_found"] == 14
    assert quality["per_rule"]["A20"] == {"planted": 1}  # every complex has its budget
    assert quality["unexplained"] == []
    assert quality["precision"] == 1.0
    # what the generator predicts is there too: A08 on every complex, A21 where the term ended
    assert quality["predicted_missing"] == []
    assert quality["per_rule"]["A08"] == {"predicted": 50}  # five periods each, none published
    assert quality["per_rule"]["A21"] == {"predicted": 1}
    assert quality["per_rule"]["A26"] == {"planted": 5}  # the committee's, four owners' (H03)
    clock = {"A07", "A08", "A10", "A11", "A13", "A21", "B01", "B02", "B03", "B04", "B05"}
    raised_by_tick = sum(
        sum(c.values()) for rule, c in quality["per_rule"].items() if rule in clock
    )
    assert quality["supervision"]["tick_raised"] == raised_by_tick


def test_every_bank_difference_is_found_and_normal_feeds_raise_nothing(
    quality: dict[str, Any],
) -> None:
    """Issue #14: B01–B07 each found on its planted difference, at the same bar as the A rules;
    every other B alert is one the planted difference's ``related_rules`` name (B04 after an
    unrecorded line, B01 for the fee, B01/B02 for the lines before the opening)."""
    assert quality["bank_feeds"] == 10  # seed 7: every complex drew one (nine in ten on average)
    bank = quality["bank_rules"]
    assert set(bank) == {"B01", "B02", "B03", "B04", "B05", "B06", "B07"}
    for rule, figures in bank.items():
        assert figures["expected"] == figures["found"] == 1, rule
        assert figures["planted"] == 1, rule
        assert figures["recall"] == 1.0, rule
        assert figures["unexplained"] == 0, rule
        assert figures["precision"] == 1.0, rule
    assert bank["B04"]["related"] == 3  # after B01's, B02's and B03's differences
    assert bank["B01"]["related"] == 2  # the fee, the test debit before the opening
    assert bank["B02"]["related"] == 1  # the test credit before the opening
    assert quality["supervision"]["reconcile_matched"] == 0  # the imports matched everything
