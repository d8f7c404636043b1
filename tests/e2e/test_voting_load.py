"""Votes from concurrent owners over HTTP (issue #16, acceptance: the load test): nothing lost or
counted twice, and the tally equals the votes.

Runs ``bench/voting.py --smoke`` at a smaller size on a database of its own: a real ``commonfund
serve --workers 2`` on loopback, every unit's vote and 10% changed from concurrent connections,
then the benchmark's checks over HTTP (the live quorum, owners' own votes, and after the close
the published list and root) and in the ledger (the stored votes and receipts, the counted vote
of each unit, the tally). The benchmark's figures are not asserted: only its checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.stores import postgres_url_or_skip, worker_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "voting.py"
UNITS = 150
TIMEOUT = 240  # s; ~2 min on the loaded shared machine, most of it migrating and two server starts


def test_concurrent_votes_and_changes_are_each_counted_once_and_the_tally_equals_them() -> None:
    url = worker_database(postgres_url_or_skip(), "voting_load")  # dropped and made again
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--units", str(UNITS), "--clients", "6",
         "--trivial-seconds", "0.5", "--database-url", url],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["checks_failed"] == {}
    assert (found["casts"], found["changes"]) == (UNITS, UNITS // 10)
    assert found["ledger"]["stored_votes"] == found["casts"] + found["changes"]
    assert found["cast"]["errors"] == found["change"]["errors"] == 0
    assert found["checks_passed"] >= 15  # the benchmark's checks, every one ran
