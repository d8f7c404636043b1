"""Raising a clock-rule sweep's alerts at once (``alerts.raise_alerts``) is raising them one by one.

Same rows (place, status, evidence), each alert once, snoozes honoured, known alerts passed
over, and the hooks called once per new alert (a hook with ``many`` once per batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from commonfund.outbox import Enqueue
from commonfund.settings import Settings
from commonfund.webhook_store import SqlWebhooks
from commonfund.webhooks import utcnow
from commonfund.wiring import read_models
from projections.db import Database, Tx
from projections.supervision.alerts import Finding, alert_id, raise_alert, raise_alerts
from projections.supervision.catalog import DEFAULT_CATALOG

G = 1
ON = "2026-11-26"
A08, A13 = DEFAULT_CATALOG["A08"], DEFAULT_CATALOG["A13"]


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = read_models(settings)
    with database.transaction() as tx:
        for complex_id, district in (("c1", "370202"), ("c2", "370203")):
            tx.execute(
                "INSERT INTO sup_places (generation, complex_id, code, name, district, street,"
                " community) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (G, complex_id, complex_id.upper(), "小区", district, f"{district}001",
                 f"{district}001001"),
            )  # fmt: skip
        tx.execute(  # A13 snoozed for account a1 until the sweep's day (inclusive)
            "INSERT INTO sup_snoozes (generation, snooze_id, rule, subject_id, until)"
            " VALUES (?, 's1', 'A13', 'a1', ?)",
            (G, ON),
        )
        tx.execute(  # and for a2 until the day before: over
            "INSERT INTO sup_snoozes (generation, snooze_id, rule, subject_id, until)"
            " VALUES (?, 's2', 'A13', 'a2', '2026-11-25')",
            (G,),
        )
    yield database
    database.close()


def findings() -> list[Finding]:
    def a08(complex_id: str, period: str) -> Finding:
        return Finding(
            A08, "complex", complex_id, complex_id, period, ON,
            {"complex_id": complex_id, "period": period, "due": "2026-10-15", "as_of": ON},
            f"{period}收支情况尚未公示。", f"The statement of {period} is not published.",
        )  # fmt: skip

    def a13(account_id: str, complex_id: str) -> Finding:
        return Finding(
            A13, "account", account_id, complex_id, "quiet/2026-05-01", ON,
            {"account_id": account_id, "quiet_days": 209}, "账户无收支活动。", "No activity.",
        )  # fmt: skip

    return [
        a08("c1", "2026-Q3"), a08("c2", "2026-Q3"), a08("c1", "2026-Q2"),
        a13("a1", "c1"), a13("a2", "c2"),
        a08("c1", "2026-Q3"),  # the same alert again: raised once
        a08("c9", "2026-Q3"),  # a complex the read model has no place for
    ]  # fmt: skip


class Hook:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def __call__(self, tx: Tx, row: dict[str, Any]) -> None:
        self.rows.append(row)


class BatchHook(Hook):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def many(self, tx: Tx, rows: list[dict[str, Any]]) -> None:
        self.calls += 1
        self.rows.extend(rows)


def stored(database: Database) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.execute(
            "SELECT alert_id, rule, rule_version, severity, subject_kind, subject_id, complex_id,"
            " district, street, community, trigger_key, evidence, explanation_zh,"
            " explanation_en, raised_on, position, status FROM alerts WHERE generation = ?"
            " ORDER BY alert_id",
            (G,),
        )


def wipe(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute("DELETE FROM alerts WHERE generation = ?", (G,))


def test_a_batch_raises_what_one_by_one_raises(database: Database) -> None:
    one_hook = Hook()
    with database.transaction() as tx:
        singly = [raise_alert(tx, G, f, 42, [one_hook]) for f in findings()]
    one_by_one = stored(database)
    wipe(database)

    plain, batch = Hook(), BatchHook()
    with database.transaction() as tx:
        raised = raise_alerts(tx, G, findings(), 42, [plain, batch])
    assert stored(database) == one_by_one
    assert raised == [identity for identity in singly if identity is not None]
    assert len(raised) == 6
    assert plain.rows == one_hook.rows == batch.rows
    assert batch.calls == 1
    status = {(r[1], r[5]): r[16] for r in one_by_one}
    assert status[("A13", "a1")] == "snoozed"
    assert status[("A13", "a2")] == "open"
    place = {r[6]: r[7:10] for r in one_by_one}
    assert place["c2"] == ("370203", "370203001", "370203001001")
    assert place["c9"] == ("", "", "")


def test_known_and_existing_alerts_are_not_raised_again(database: Database) -> None:
    with database.transaction() as tx:
        first = raise_alerts(tx, G, findings()[:2], 7, [])
    hook = BatchHook()
    known = {alert_id("A08", "c1", "2026-Q2")}  # the caller says it exists (it does not)
    with database.transaction() as tx:
        again = raise_alerts(tx, G, findings(), 9, [hook], known=known)
    assert len(first) == 2
    assert set(again).isdisjoint(first)
    assert len(again) == 3  # of six distinct: two exist already, one is known
    assert [r["alert_id"] for r in hook.rows] == again
    positions = {r[0]: r[15] for r in stored(database)}
    assert all(positions[identity] == 7 for identity in first)
    assert alert_id("A08", "c1", "2026-Q2") not in positions
    with database.transaction() as tx:
        assert raise_alerts(tx, G, [], 9, [hook]) == []
    assert hook.calls == 1


def test_the_outbox_gets_one_delivery_per_matching_subscription_and_open_alert(
    database: Database,
) -> None:
    store = SqlWebhooks(database)
    now = datetime.now(UTC)

    def subscribe(prefix: str, rules: tuple[str, ...], since: int) -> str:
        return store.subscribe(
            url="http://127.0.0.1:9/hook", jurisdiction=prefix, community_prefix=prefix,
            severities=(), rules=rules, created_by="tok_0123456789abcdef", since_position=since,
            now=now,
        )[1].id  # fmt: skip

    district = subscribe("370202", (), 41)
    quiet = subscribe("370203", ("A13",), 41)
    subscribe("370202", (), 42)  # subscribed after the alerts' position: gets none of them
    with database.transaction() as tx:
        raised = raise_alerts(tx, G, findings(), 42, [Enqueue(utcnow)])
    with database.reading() as tx:
        got = {
            (str(s), str(a))
            for s, a in tx.execute("SELECT subscription_id, alert_id FROM webhook_deliveries")
        }
    assert len(raised) == 6
    assert got == {
        (district, alert_id("A08", "c1", "2026-Q3")),
        (district, alert_id("A08", "c1", "2026-Q2")),
        (quiet, alert_id("A13", "a2", "quiet/2026-05-01")),
    }  # a1's A13 is snoozed: recorded, not pushed; c9 is in no jurisdiction
