"""Raising alerts over HTTP for the e2e tests: book payments that a rule flags, find the alert.

A payment is proposed by m1 and approved by m2 with ``Prefer: read-your-writes``,
so once it is booked the supervision read model has applied it too.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.world import Builder, Side, expenditure_body


def pay(b: Builder, side: Side, amount: str, **changes: Any) -> str:
    """Book a payment on ``side``'s account; its expenditure id (the alert's evidence names it)."""
    body = {**expenditure_body(side.decision_id, amount), **changes}
    path = f"/v1/accounts/{side.account_id}/expenditures"
    expenditure = str(b.post(path, side.tokens["m1"], body)["id"])
    response = b.api.client.post(
        f"{path}/{expenditure}/approvals",
        headers={
            "Authorization": f"Bearer {side.tokens['m2']}",
            "Idempotency-Key": b.fresh("approve"),
            "Prefer": "read-your-writes",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "read-your-writes"
    return expenditure


def alert_on(b: Builder, rule: str, expenditure: str) -> dict[str, Any]:
    """The alert of ``rule`` whose evidence names the expenditure (as the operator sees it)."""
    page = b.api.call(
        "GET", "/v1/alerts", b.api.operator, expect=200, params={"rule": rule, "limit": 500}
    )
    found = [a for a in page["items"] if expenditure in a["evidence"].get("entries", [])]
    assert len(found) == 1, (rule, expenditure, page)
    alert: dict[str, Any] = found[0]
    return alert


def round_payment(b: Builder, side: Side, **changes: Any) -> str:
    """A04: a round 5,000.00 paid with no contract reference; the alert's id."""
    return str(alert_on(b, "A04", pay(b, side, "5000.00", **changes))["alert_id"])


def cash_payment(b: Builder, side: Side, **changes: Any) -> str:
    """A06: 900.00 in cash, 90% of the single cash payment limit; the alert's id."""
    expenditure = pay(b, side, "900.00", method="cash", **changes)
    return str(alert_on(b, "A06", expenditure)["alert_id"])
