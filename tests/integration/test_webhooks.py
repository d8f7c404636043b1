"""Webhooks: an outbox row per matching subscription with the alert, signed delivery with retries.

Against a real HTTP receiver on 127.0.0.1, on SQLite and PostgreSQL: a delivery
survives a receiver that fails at first, carries the same Webhook-Id on every
attempt, verifies with the subscription's secret; a subscription never gets an
alert outside its jurisdiction or filter; a rebuild never enqueues again, nor
sends alerts raised before the subscription.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.ports import WebhookRecord
from commonfund.outbox import claim, delivery_id, settle, stamp
from commonfund.settings import Settings
from commonfund.webhook_store import SqlWebhooks
from commonfund.webhook_targets import Targets
from commonfund.webhooks import Deliverer, backoff, sign, whsec
from commonfund.wiring import read_models, supervision_runner, webhook_deliverer
from ledger.application import Ledger
from projections.runner import Runner
from projections.supervision.alerts import alert_id
from tests.plugins.builders import World, world
from tests.plugins.clock import TODAY
from tests.webhook_receiver import LOOPBACK_ALLOWED, Receiver, certificate, receiving, verify


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_retry_base_seconds": 0.05,
            "webhook_timeout_seconds": 2.0,
            **LOOPBACK_ALLOWED,
        }
    )


@pytest.fixture
def runner(fast: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = supervision_runner(fast, ledger)
    yield runner
    runner.database.close()


@pytest.fixture
def store(fast: Settings) -> Iterator[SqlWebhooks]:
    store = SqlWebhooks(read_models(fast))
    yield store
    store.close()


@pytest.fixture
def deliverer(fast: Settings) -> Iterator[Deliverer]:
    deliverer = webhook_deliverer(fast)
    yield deliverer
    deliverer.close()


@pytest.fixture
def w(ledger: Ledger) -> World:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    return w


def subscribe(store: SqlWebhooks, ledger: Ledger, url: str, **filters: Any) -> tuple[str, str]:
    """Subscribe as the district regulator would (the API computes the prefix the same way)."""
    jurisdiction = filters.pop("jurisdiction", "370202")
    secret, record = store.subscribe(
        url=url,
        jurisdiction=jurisdiction,
        community_prefix=jurisdiction,
        severities=tuple(filters.pop("severities", ())),
        rules=tuple(filters.pop("rules", ())),
        created_by="tok_0123456789abcdef",
        since_position=ledger.recorder.max_notification_id() or 0,
        now=datetime.now(UTC),
    )
    return record.id, secret


def round_payment(w: World) -> str:
    """5,000.00 paid without a contract: alert A04 (warning) on the account."""
    decision = w.decision("保洁", 5_000_00, on=TODAY - timedelta(days=25))
    return w.pay(w.expenditure(5_000_00, authorisation=decision))


def deliver_until(deliverer: Deliverer, receiver: Receiver, accepted: int = 1) -> None:
    def done(r: Receiver) -> bool:
        deliverer.deliver_due()
        return len(r.accepted()) >= accepted

    receiver.wait(done)


def record(store: SqlWebhooks, sid: str) -> WebhookRecord:
    found = store.subscription(sid)
    assert found is not None
    return found


def test_a_delivery_survives_a_failing_receiver_signed_and_with_one_id(
    w: World, runner: Runner, store: SqlWebhooks, deliverer: Deliverer
) -> None:
    with receiving(failures=2) as receiver:
        sid, secret = subscribe(store, w.ledger, receiver.url)
        paid = round_payment(w)
        runner.catch_up()
        deliver_until(deliverer, receiver)
    got = receiver.requests()
    assert [r.answered for r in got] == [500, 500, 200]
    alert = alert_id("A04", str(w.account_id), paid)
    assert {r.headers["webhook-id"] for r in got} == {delivery_id(sid, alert)}  # one id: a replay
    assert len({r.body for r in got}) == 1
    assert all(verify(secret, r.headers, r.body) for r in got)
    assert not verify(whsec("00" * 32), got[-1].headers, got[-1].body)  # nor under another
    body = json.loads(got[-1].body)
    assert (body["type"], body["alert"]["alert_id"], body["alert"]["rule"]) == (
        "alert.raised",
        alert,
        "A04",
    )
    assert body["alert"]["complex_id"] == str(w.complex_id)
    seen = record(store, sid)
    assert seen.counts == {"pending": 0, "delivered": 1, "failed": 0, "attempts": 3}
    assert seen.last is not None
    assert (seen.last.status, seen.last.attempts, seen.last.last_status_code) == (
        "delivered",
        3,
        200,
    )
    assert seen.last.next_attempt_at is None
    assert seen.last.delivered_at is not None


def test_a_subscription_gets_only_alerts_inside_its_jurisdiction_and_filter(
    w: World, runner: Runner, store: SqlWebhooks, deliverer: Deliverer
) -> None:
    with receiving() as inside, receiving() as elsewhere:
        sid, _ = subscribe(store, w.ledger, inside.url, jurisdiction="370202001")  # the street
        others = [
            subscribe(store, w.ledger, elsewhere.url, jurisdiction="370203")[0],  # next district
            subscribe(store, w.ledger, elsewhere.url, severities=["critical"])[0],
            subscribe(store, w.ledger, elsewhere.url, rules=["A05"])[0],
        ]
        round_payment(w)
        runner.catch_up()
        deliver_until(deliverer, inside)
        assert deliverer.deliver_due() == 0
    assert {json.loads(r.body)["alert"]["district"] for r in inside.requests()} == {"370202"}
    assert elsewhere.requests() == []
    assert record(store, sid).counts["delivered"] == 1
    assert all(store.deliveries(other, 10) == [] for other in others)


def test_a_rebuild_enqueues_nothing_again(
    w: World, runner: Runner, store: SqlWebhooks, deliverer: Deliverer
) -> None:
    with receiving() as receiver:
        early, _ = subscribe(store, w.ledger, receiver.url)
        round_payment(w)  # after `early`, before `late`
        late, _ = subscribe(store, w.ledger, receiver.url)
        runner.catch_up()
        deliver_until(deliverer, receiver)
        runner.rebuild()
        runner.rebuild()
        assert deliverer.deliver_due() == 0
    assert len(receiver.requests()) == 1
    assert [d.status for d in store.deliveries(early, 10)] == ["delivered"]
    assert store.deliveries(late, 10) == []  # its alert was raised before it subscribed


def test_a_delivery_fails_for_good_after_the_retry_window(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    deliverer = webhook_deliverer(fast)
    try:
        with receiving(failures=1000, status=503) as receiver:
            sid, _ = subscribe(store, w.ledger, receiver.url)
            round_payment(w)
            runner.catch_up()
            now = datetime.now(UTC)
            deliverer.clock = lambda: now
            assert deliverer.deliver_due() == 1
            (pending,) = store.deliveries(sid, 10)
            assert (pending.status, pending.attempts, pending.last_error) == (
                "pending",
                1,
                "http_status",
            )
            assert pending.next_attempt_at is not None
            assert pending.next_attempt_at > now
            now += timedelta(hours=25)  # a day has passed: the last attempt fails for good
            assert deliverer.deliver_due() == 1
            assert deliverer.deliver_due() == 0
    finally:
        deliverer.close()
    (failed,) = store.deliveries(sid, 10)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 2, 503)
    assert failed.next_attempt_at is None
    assert record(store, sid).counts == {"pending": 0, "delivered": 0, "failed": 1, "attempts": 2}


def test_an_unreachable_receiver_is_retried_with_the_error_recorded(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    with receiving() as receiver:
        url = receiver.url
    sid, _ = subscribe(store, w.ledger, url)  # nothing listens there any more
    round_payment(w)
    runner.catch_up()
    deliverer = webhook_deliverer(fast.model_copy(update={"webhook_retry_base_seconds": 60.0}))
    try:
        assert deliverer.deliver_due() == 1  # the retry is a minute away
    finally:
        deliverer.close()
    (pending,) = store.deliveries(sid, 10)
    assert (pending.status, pending.last_status_code) == ("pending", None)
    assert pending.last_error == "connection_refused"  # a class: no exception text, no address


def test_an_inside_address_is_not_sent_to_without_the_allow_setting(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    """Subscriptions stored before the checks (or whose name now resolves inside) are checked
    again at delivery: nothing reaches the receiver, and the failure is recorded as a class."""
    with receiving() as receiver:
        literal, _ = subscribe(store, w.ledger, receiver.url)
        named, _ = subscribe(store, w.ledger, f"http://localhost:{receiver.port}/hook")
        round_payment(w)
        runner.catch_up()
        strict = webhook_deliverer(
            fast.model_copy(
                update={"webhook_allowed_hosts": "", "webhook_retry_base_seconds": 60.0}
            )
        )
        try:
            assert strict.deliver_due() == 2
        finally:
            strict.close()
    assert receiver.requests() == []
    for sid in (literal, named):
        (refused,) = store.deliveries(sid, 10)
        assert (refused.status, refused.last_status_code, refused.last_error) == (
            "pending",
            None,
            "address_refused",
        )


class Table:
    """A resolver that answers from a table, counting questions (no DNS server is asked)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, host: str, port: int) -> list[str]:
        assert host.endswith(".test"), host
        self.asked += 1
        return self.answers[min(self.asked, len(self.answers)) - 1]


def test_a_delivery_connects_to_the_address_checked_under_its_name(
    w: World, runner: Runner, store: SqlWebhooks, deliverer: Deliverer
) -> None:
    # the name resolves to the receiver, then (rebinding) inside elsewhere: the attempt asks
    # once and connects to what it checked
    table = Table(["127.0.0.1"], ["10.0.0.1"])
    deliverer.targets = Targets(["receiver.test"], require_https=False, resolve=table)
    with receiving() as receiver:
        sid, secret = subscribe(store, w.ledger, f"http://receiver.test:{receiver.port}/hook")
        round_payment(w)
        runner.catch_up()
        assert deliverer.deliver_due() == 1
    (got,) = receiver.accepted()
    assert got.headers["host"] == f"receiver.test:{receiver.port}"
    assert verify(secret, got.headers, got.body)
    assert table.asked == 1
    assert record(store, sid).counts["delivered"] == 1


def test_https_is_pinned_with_the_name_in_sni_and_the_certificate_check(
    w: World, runner: Runner, store: SqlWebhooks, deliverer: Deliverer, tmp_path: Path
) -> None:
    cert, key = certificate(tmp_path, "receiver.test")
    deliverer.tls = ssl.create_default_context(cafile=cert)
    deliverer.targets = Targets(["receiver.test", "other.test"], resolve=Table(["127.0.0.1"]))
    deliverer.retry = replace(deliverer.retry, base_seconds=60.0)  # the refused one waits
    with receiving(tls=(cert, key)) as receiver:
        good, _ = subscribe(store, w.ledger, f"https://receiver.test:{receiver.port}/hook")
        bad, _ = subscribe(store, w.ledger, f"https://other.test:{receiver.port}/hook")
        round_payment(w)
        runner.catch_up()
        assert deliverer.deliver_due() == 2
    assert len(receiver.accepted()) == 1
    assert [d.status for d in store.deliveries(good, 10)] == ["delivered"]
    (refused,) = store.deliveries(bad, 10)  # the certificate is not valid for other.test
    assert (refused.status, refused.last_error) == ("pending", "tls_error")


def test_a_receiver_that_never_answers_times_out(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    slow_retry = {"webhook_timeout_seconds": 0.5, "webhook_retry_base_seconds": 60.0}
    deliverer = webhook_deliverer(fast.model_copy(update=slow_retry))  # one attempt, then a wait
    try:
        with receiving(hang=True) as receiver:
            sid, _ = subscribe(store, w.ledger, receiver.url)
            round_payment(w)
            runner.catch_up()
            started = time.monotonic()
            assert deliverer.deliver_due() == 1
            took = time.monotonic() - started
    finally:
        deliverer.close()
    assert 0.5 <= took < 3.0
    assert len(receiver.requests()) == 1
    (pending,) = store.deliveries(sid, 10)
    assert (pending.status, pending.last_status_code, pending.last_error) == (
        "pending",
        None,
        "timeout",
    )


def test_a_hanging_receiver_does_not_hold_up_another_subscribers_deliveries(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    timeout = 4.0  # how long the hanging receiver holds each attempt
    deliverer = webhook_deliverer(
        fast.model_copy(update={"webhook_timeout_seconds": timeout, "webhook_poll_seconds": 0.05})
    )
    stop = threading.Event()
    worker = threading.Thread(target=deliverer.run, args=(stop,))
    try:
        with receiving(hang=True) as hanging, receiving() as answering:
            stuck, _ = subscribe(store, w.ledger, hanging.url)
            other, _ = subscribe(store, w.ledger, answering.url)
            round_payment(w)
            decision = w.decision("绿化", 5_000_00, on=TODAY - timedelta(days=25))
            w.pay(w.expenditure(5_000_00, authorisation=decision, purpose="绿化"))
            runner.catch_up()
            expected = len(store.deliveries(other, 10))
            assert expected >= 2
            assert len(store.deliveries(stuck, 10)) == expected
            with store.database.transaction() as tx:  # the hanging one's deliveries come first
                earlier = stamp(tx.dialect, datetime.now(UTC) - timedelta(minutes=1))
                tx.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE subscription_id = ?",
                    (earlier, stuck),
                )
            started = time.monotonic()
            worker.start()
            answering.wait(lambda r: len(r.accepted()) >= expected, timeout=10)
            took = time.monotonic() - started
            assert len(hanging.requests()) == 1  # one attempt at a time per subscription
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(timeout=3 * timeout)
        deliverer.close()
    assert took < timeout / 2, took  # not held up behind the hanging receiver's attempts
    assert not worker.is_alive()
    assert record(store, other).counts["delivered"] == expected


def test_a_lease_left_by_a_dead_worker_expires_and_the_delivery_is_sent_again(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    sid, _ = subscribe(store, w.ledger, "http://127.0.0.1:9/hook")
    round_payment(w)
    decision = w.decision("绿化", 5_000_00, on=TODAY - timedelta(days=25))
    w.pay(w.expenditure(5_000_00, authorisation=decision, purpose="绿化"))
    runner.catch_up()
    assert len(store.deliveries(sid, 10)) >= 2
    now, lease = datetime.now(UTC), timedelta(seconds=40)
    first = claim(store.database, now, lease)  # and the worker dies: never settled
    assert first is not None
    assert claim(store.database, now, lease) is None  # the subscription is leased meanwhile
    assert claim(store.database, now + lease / 2, lease) is None
    later = now + lease + timedelta(seconds=1)  # the lease has expired
    other = claim(store.database, later, lease)
    assert other is not None
    assert other.delivery_id != first.delivery_id  # due earlier than the re-leased one
    settle(store.database, other, now=later, status_code=200, error=None, retry_at=None)
    again = claim(store.database, later, lease)  # settling released the subscription
    assert again is not None
    assert again.delivery_id == first.delivery_id  # at least once: the same delivery again


def test_a_raw_error_stored_before_the_classes_is_shown_as_its_class(
    w: World, runner: Runner, store: SqlWebhooks
) -> None:
    sid, _ = subscribe(store, w.ledger, "http://127.0.0.1:9/hook")
    round_payment(w)
    runner.catch_up()
    for raw, shown in [
        ("ConnectionRefusedError: [Errno 111] Connection refused", "connection_refused"),
        ("URLError: <urlopen error timed out>", "timeout"),
        ("URLError: <urlopen error [Errno -2] Name or service not known>", "dns_failure"),
        ("URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] ...>", "tls_error"),
        ("HTTP 502", "http_status"),
        ("RemoteDisconnected: Remote end closed connection without response", "connection_error"),
    ]:
        with store.database.transaction() as tx:
            tx.execute("UPDATE webhook_deliveries SET last_error = ?", (raw,))
        (delivery,) = store.deliveries(sid, 10)
        assert delivery.last_error == shown, raw


def test_two_workers_never_send_one_delivery_at_once(
    w: World, runner: Runner, store: SqlWebhooks, fast: Settings
) -> None:
    with receiving() as receiver:
        for _ in range(6):
            subscribe(store, w.ledger, receiver.url)
        round_payment(w)
        runner.catch_up()
        workers = [webhook_deliverer(fast) for _ in range(2)]
        threads = [threading.Thread(target=d.deliver_due) for d in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.close()
    ids = [r.headers["webhook-id"] for r in receiver.requests()]
    assert len(ids) == 6
    assert len(set(ids)) == 6


@pytest.mark.slow
def test_commonfund_project_delivers_beside_the_read_models(
    w: World, store: SqlWebhooks, fast: Settings
) -> None:
    env = {
        **os.environ,
        "COMMONFUND_DATABASE_URL": fast.database_url,
        "COMMONFUND_WEBHOOK_POLL_SECONDS": "0.05",
        "COMMONFUND_WEBHOOK_ALLOWED_HOSTS": fast.webhook_allowed_hosts,
        "COMMONFUND_WEBHOOK_REQUIRE_HTTPS": str(fast.webhook_require_https).lower(),
    }
    with receiving() as receiver:
        sid, secret = subscribe(store, w.ledger, receiver.url)
        round_payment(w)
        process = subprocess.Popen(
            [sys.executable, "-m", "commonfund.cli", "project"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            receiver.wait(lambda r: len(r.accepted()) >= 1, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    (got,) = receiver.requests()
    assert verify(secret, got.headers, got.body)
    assert got.headers["webhook-id"] == store.deliveries(sid, 1)[0].id


def test_the_signature_is_standard_webhooks_and_the_back_off_doubles() -> None:
    # the Standard Webhooks specification's own example: a value we did not compute
    assert (
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            '{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    # a secret stored as 64 hex digits (before Standard Webhooks) signs with the same 32 bytes
    assert whsec("0f" * 32) == "whsec_" + base64.b64encode(b"\x0f" * 32).decode()
    assert whsec(whsec("0f" * 32)) == whsec("0f" * 32)
    delays = [backoff(n, 10.0, 3600.0, lambda: 1.0) for n in range(1, 12)]
    assert delays[:4] == [10.0, 20.0, 40.0, 80.0]
    assert max(delays) == 3600.0
    assert backoff(3, 10.0, 3600.0, lambda: 0.0) == 20.0  # equal jitter: at least half
