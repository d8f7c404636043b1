"""Event rules over an account's balance by value date (spec/alerts.md): A12 sharp fall, A14 waking.

The balance on a day is the sum of every entry the read model holds dated on
or before it (``sup_entries``, as the view remembers an account's:
``memory.py``), so an entry recorded late counts on its own date. Both rules
run when money goes out (a payment, or the reversal of an income), before
that outflow is added to the facts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ledger import calendar
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog
from projections.supervision.memory import AccountRows, Entry


@dataclass(frozen=True, slots=True)
class Outflow:
    account_id: str
    complex_id: str
    entry_id: str
    value_date: str
    amount: int  # positive, fen
    what_zh: str  # what took the money out, for the explanation
    what_en: str

    def evidence(self, **more: Any) -> dict[str, Any]:
        return {
            "account_id": self.account_id, "entries": [self.entry_id],
            "amount": yuan(self.amount), "value_date": self.value_date, **more,
        }  # fmt: skip


def _balance_before(entries: Iterable[Entry], day: str) -> int:
    return sum(e.amount for e in entries if e.value_date < day)


def _active(e: Entry) -> bool:
    return not (e.kind == "income" and e.category == "interest")  # interest is not activity


def sharp_fall(c: Catalog, o: Outflow, account: AccountRows) -> list[Finding]:
    """A12: the outflow takes the balance more than 30% below its peak of the last 30 days.

    Fires on the outflow that crosses the line, not on later ones in the same fall.
    """
    params = c["A12"].params
    day = date.fromisoformat(o.value_date)
    since = (day - timedelta(days=params["days"])).isoformat()
    entries = account.entries.values()
    balance = peak = _balance_before(entries, since)
    peak_on = since
    per_day: dict[str, int] = {}
    for e in entries:
        if since <= e.value_date <= o.value_date:
            per_day[e.value_date] = per_day.get(e.value_date, 0) + e.amount
    for on, change in sorted(per_day.items()):
        balance += change
        if balance > peak:
            peak, peak_on = balance, on
    after = balance - o.amount
    line = params["fall_bp"]
    if (
        peak <= 0
        or (peak - balance) * 10_000 > peak * line
        or (peak - after) * 10_000 <= peak * line
    ):
        return []
    fall = f"{(peak - after) * 100 / peak:.1f}%"
    return [
        Finding(
            c["A12"], "account", o.account_id, o.complex_id, o.entry_id, o.value_date,
            o.evidence(peak=yuan(peak), peak_on=peak_on, balance_before=yuan(balance),
                       balance_after=yuan(after), fall=fall, window_days=params["days"]),
            f"{o.what_zh}后余额{yuan(after)}元，较{params['days']}天内最高的{yuan(peak)}元（{peak_on}）"
            f"下降{fall}。",
            f"After {o.what_en} the balance is {yuan(after)}, {fall} below its {params['days']}-day"
            f" peak of {yuan(peak)} on {peak_on}.",
        )
    ]  # fmt: skip


def _wake(account: AccountRows, o: Outflow, dormant_days: int, span: int) -> str | None:
    """The day the account woke (first activity after a quiet spell), if within ``span`` of o."""
    day = date.fromisoformat(o.value_date)
    active = sorted(
        {
            e.value_date
            for e in account.entries.values()
            if _active(e) and e.value_date <= o.value_date
        },
        reverse=True,
    )[:64]
    days = sorted({date.fromisoformat(d) for d in active} | {day})
    if account.row is not None:
        days = sorted(set(days) | {date.fromisoformat(account.row.opened_on)})
    for before, woke in reversed(list(itertools.pairwise(days))):
        if not calendar.within(woke, day, span):
            break
        if (woke - before).days - 1 >= dormant_days:  # the quiet days lie strictly between
            return woke.isoformat()
    return None


def waking_payout(c: Catalog, o: Outflow, account: AccountRows) -> list[Finding]:
    """A14: an account quiet ≥ 180 days pays out ≥ 20% of its balance within 10 working days
    of waking (its first activity after the quiet spell; interest credits are not activity).

    Quiet days are the days strictly between two activities: last active on 2026-05-20, an
    account waking on 2026-11-17 was quiet for 180 days (05-21 to 11-16), as A13 counts.
    """
    params = c["A14"].params
    woke = _wake(account, o, params["dormant_days"], params["working_days"])
    if woke is None:
        return []
    entries = account.entries.values()
    at_waking = _balance_before(entries, woke)
    paid = o.amount - sum(
        e.amount for e in entries
        if e.amount < 0 and e.kind in ("expenditure", "reversal")
        and woke <= e.value_date <= o.value_date
    )  # fmt: skip
    if at_waking <= 0 or paid * 10_000 < at_waking * params["share_bp"]:
        return []
    share = f"{paid * 100 / at_waking:.1f}%"
    return [
        Finding(
            c["A14"], "account", o.account_id, o.complex_id, f"wake/{woke}", o.value_date,
            o.evidence(woke_on=woke, balance_at_waking=yuan(at_waking), paid_out=yuan(paid),
                       share=share, calendar=calendar.note(date.fromisoformat(woke),
                                                           date.fromisoformat(o.value_date))),
            f"账户沉寂{params['dormant_days']}天以上，{woke}恢复活动后付出{yuan(paid)}元，"
            f"占唤醒时余额{yuan(at_waking)}元的{share}。",
            f"Quiet for {params['dormant_days']} days or more, the account woke on {woke} and"
            f" paid out {yuan(paid)}, {share} of its {yuan(at_waking)} balance.",
        )
    ]  # fmt: skip
