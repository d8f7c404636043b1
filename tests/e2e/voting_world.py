"""Ballots made over HTTP (issue #16): announced, open, voted, closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.e2e.world import Builder, Side
from tests.plugins.builders import key

CST = timezone(timedelta(hours=8))
SCAN = "ab" * 32


def matter_body(item: int = 1, **extra: Any) -> dict[str, Any]:
    return {"item": item, "question": "是否同意续聘物业服务企业？", "documents": ["cd" * 32],
            **extra}  # fmt: skip


def ballot_body(
    now: datetime, *, closes: timedelta = timedelta(days=5), matters: list[Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A ballot announced 20 days ago that opened an hour before ``now``."""
    opens = now.astimezone(CST) - timedelta(hours=1)
    return {
        "title": "2026年第二次业主大会",
        "matters": matters or [matter_body()],
        "notice_on": (opens.date() - timedelta(days=20)).isoformat(),
        "opens_at": opens.isoformat(),
        "closes_at": (opens + closes).isoformat(),
        **extra,
    }


def announce(b: Builder, a: Side, **extra: Any) -> str:
    made = b.post(f"/v1/complexes/{a.complex_id}/ballots", a.tokens["m1"],
                  ballot_body(b.api.clock(), **extra))  # fmt: skip
    return str(made["id"])


def open_ballot(b: Builder, a: Side, **extra: Any) -> str:
    ballot = announce(b, a, **extra)
    b.post(f"/v1/ballots/{ballot}/open", a.tokens["m1"], None, expect=200)
    return ballot


def owner_token(b: Builder, a: Side, i: int) -> str:
    """The owner of unit 1-00i (keys as tests.e2e.world.unit_rows makes them)."""
    if i == 1 and "owner" in a.tokens:
        return a.tokens["owner"]
    return b.issue(role="owner", complex_id=a.complex_id, owner_key=key(f"owner-1-{i}"))


def vote(b: Builder, ballot: str, token: str, choice: str = "agree") -> dict[str, Any]:
    return b.post(f"/v1/ballots/{ballot}/votes", token, {"choices": {"1": choice}})


@contextmanager
def days_ago(b: Builder, days: int) -> Iterator[None]:
    clock = b.api.clock
    now = clock.now
    clock.now = now - timedelta(days=days)
    try:
        yield
    finally:
        clock.now = now


def voted_past(b: Builder, a: Side, voters: int = 1, **extra: Any) -> tuple[str, list[str]]:
    """A ballot that ran from 10 days ago to yesterday; ``voters`` owners agreed. Its receipts."""
    with days_ago(b, 10):
        ballot = open_ballot(b, a, closes=timedelta(days=9), **extra)
        receipts = [
            vote(b, ballot, owner_token(b, a, i))["votes"][0]["receipt"]
            for i in range(1, voters + 1)
        ]
    return ballot, receipts


def closed(b: Builder, a: Side, voters: int = 1, **extra: Any) -> tuple[str, list[str]]:
    ballot, receipts = voted_past(b, a, voters, **extra)
    b.post(f"/v1/ballots/{ballot}/close", a.tokens["m1"], None, expect=200)
    return ballot, receipts
