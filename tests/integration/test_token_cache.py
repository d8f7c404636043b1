"""Bearer tokens remembered for a few seconds (issue #15): a known token costs no transaction,
and a revocation made elsewhere takes effect once its record is older than the TTL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import authenticate
from api.token_cache import CachedTokens
from commonfund.server import build_stores
from commonfund.settings import Settings
from commonfund.stores import SqlStores

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class Counted(SqlStores):
    """The SQL store, counting the transactions it opens."""

    transactions = 0

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        self.transactions += 1
        with super()._transaction() as conn:
            yield conn


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(settings: Settings) -> Iterator[Counted]:
    stores = (
        Counted(postgres=settings.database_url)
        if settings.is_postgres
        else Counted(sqlite_path=settings.sqlite_path)
    )
    yield stores
    stores.close()


def issue(stores: SqlStores) -> tuple[str, str]:
    secret, record = stores.issue(
        role="operator", complex_id=None, member_id=None, owner_key=None, jurisdiction=None,
        expires_at=NOW + timedelta(days=1), label="test", now=NOW,
    )  # fmt: skip
    return secret, record.id


def test_a_cached_token_is_found_without_a_transaction(counted: Counted) -> None:
    secret, _ = issue(counted)
    tokens = CachedTokens(counted, seconds=5, clock=Clock())
    before = counted.transactions
    first = authenticate(tokens, f"Bearer {secret}", NOW)
    assert counted.transactions == before + 1
    for _ in range(20):
        assert authenticate(tokens, f"Bearer {secret}", NOW) == first
    assert counted.transactions == before + 1  # 20 requests, no more round trips


def test_a_token_revoked_by_another_process_stops_working_after_the_ttl(
    counted: Counted, settings: Settings
) -> None:
    secret, token_id = issue(counted)
    clock = Clock()
    tokens = CachedTokens(counted, seconds=5, clock=clock)
    authenticate(tokens, f"Bearer {secret}", NOW)
    elsewhere = build_stores(settings)  # another process's store: this cache hears nothing
    try:
        elsewhere.revoke(token_id, NOW)
    finally:
        elsewhere.close()
    clock.now += 4.9
    authenticate(tokens, f"Bearer {secret}", NOW)  # still within the TTL: the bounded delay
    clock.now += 0.2
    with pytest.raises(Exception, match="revoked") as refused:
        authenticate(tokens, f"Bearer {secret}", NOW)
    assert getattr(refused.value, "status_code", None) == 401


def test_a_revocation_through_this_process_takes_effect_at_once(counted: Counted) -> None:
    secret, token_id = issue(counted)
    tokens = CachedTokens(counted, seconds=5, clock=Clock())
    authenticate(tokens, f"Bearer {secret}", NOW)
    tokens.revoke(token_id, NOW)
    with pytest.raises(Exception, match="revoked"):
        authenticate(tokens, f"Bearer {secret}", NOW)


def test_an_expired_token_is_refused_though_its_record_is_cached(counted: Counted) -> None:
    secret, _ = issue(counted)
    tokens = CachedTokens(counted, seconds=5, clock=Clock())
    authenticate(tokens, f"Bearer {secret}", NOW)
    with pytest.raises(Exception, match="expired"):
        authenticate(tokens, f"Bearer {secret}", NOW + timedelta(days=2))


def test_an_unknown_token_is_looked_up_every_time(counted: Counted) -> None:
    tokens = CachedTokens(counted, seconds=5, clock=Clock())
    before = counted.transactions
    for _ in range(3):
        with pytest.raises(Exception, match="not known"):
            authenticate(tokens, "Bearer cf_nothing", NOW)
    assert counted.transactions == before + 3
