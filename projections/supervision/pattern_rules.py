"""Event rules over a run of payments or inflows (spec/alerts.md): A02 split payments, A15 layering.

Both count **working days** on China's official calendar (``calendar.py``)
and look at what the read model holds around the new payment's value date
(the account's entries, as the view remembers them: ``memory.py``),
so a payment recorded late is judged among its neighbours by date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ledger import calendar
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog
from projections.supervision.event_rules import Payment
from projections.supervision.memory import Entry

NEIGHBOURHOOD = timedelta(days=45)  # wider than any 10-working-day span, holidays included


@dataclass(frozen=True, slots=True)
class _Paid:
    entry_id: str
    day: date
    amount: int


def _near_payments(entries: Iterable[Entry], p: Payment) -> list[_Paid]:
    """Earlier-recorded payments to the same payee under a committee decision, near p's date."""
    day = date.fromisoformat(p.value_date)
    since, until = (day - NEIGHBOURHOOD).isoformat(), (day + NEIGHBOURHOOD).isoformat()
    found = sorted(
        (e for e in entries
         if e.kind == "expenditure" and e.counterparty_key == p.payee_key
         and e.authorisation.startswith("decision:") and since <= e.value_date <= until),
        key=lambda e: (e.value_date, e.position),
    )  # fmt: skip
    return [_Paid(e.entry_id, date.fromisoformat(e.value_date), -e.amount) for e in found]


def _qualifies(c: Catalog, run: list[_Paid]) -> bool:
    params, limit = c["A02"].params, c.single_payment_limit
    if len(run) < params["count"]:
        return False
    near_limit = [x for x in run if x.amount * 10_000 >= limit * params["share_bp"]]
    return len(near_limit) >= params["count"] or sum(x.amount for x in run) > limit


def split_payments(
    c: Catalog, p: Payment, authorisation: str, entries: Iterable[Entry]
) -> list[Finding]:
    """A02: with p, ≥ 3 payments to one payee within 10 working days, each ≥ 90% of the single
    limit or together above it. Fires on the payment that completes such a run (not again for
    one that only lengthens it). Payments a resolution authorised need no splitting: not counted.
    """
    if not authorisation.startswith("decision:"):
        return []
    span = c["A02"].params["working_days"]
    this = _Paid(p.entry_id, date.fromisoformat(p.value_date), p.amount)
    others = _near_payments(entries, p)
    runs = [
        [x for x in others if x.day >= start and calendar.within(start, x.day, span)]
        for start in sorted({x.day for x in others if x.day <= this.day} | {this.day})
        if calendar.within(start, this.day, span)
    ]
    if any(_qualifies(c, run) for run in runs):
        return []  # p only lengthens a run that was found before
    for run in runs:
        if not _qualifies(c, [*run, this]):
            continue
        found = sorted([*run, this], key=lambda x: (x.day, x.entry_id))
        total = sum(x.amount for x in found)
        first, last = found[0].day, found[-1].day
        return [
            Finding(
                c["A02"], "account", p.account_id, p.complex_id, f"{p.payee_key}/{p.entry_id}",
                p.value_date,
                {
                    "account_id": p.account_id, "entries": [x.entry_id for x in found],
                    "amounts": [yuan(x.amount) for x in found], "total": yuan(total),
                    "payee": p.payee_name, "dates": [x.day.isoformat() for x in found],
                    "working_days": calendar.working_days(first, last),
                    "single_payment_limit": yuan(c.single_payment_limit),
                    "calendar": calendar.note(first, last), "value_date": p.value_date,
                },
                f"{first}至{last}（{calendar.working_days(first, last)}个工作日）向{p.payee_name}"
                f"付款{len(found)}笔，合计{yuan(total)}元，单笔限额{yuan(c.single_payment_limit)}元，"
                "疑似拆分支付以规避业主大会决议。",
                f"{len(found)} payments to {p.payee_name} from {first} to {last}"
                f" ({calendar.working_days(first, last)} working days), {yuan(total)} in all"
                f" against a single-payment limit of {yuan(c.single_payment_limit)}:"
                " possibly split to avoid an owners' resolution.",
            )
        ]  # fmt: skip
    return []


def layering(c: Catalog, p: Payment, entries: Iterable[Entry]) -> list[Finding]:
    """A15: ≥ 5 small inflows within the 10 working days up to an outflow ≥ 80% of their sum.

    Small: at most ``small_max`` each; the bank's interest is not an inflow anyone arranged.
    """
    params = c["A15"].params
    day = date.fromisoformat(p.value_date)
    since = (day - NEIGHBOURHOOD).isoformat()
    rows = sorted(
        (e for e in entries
         if e.kind == "income" and e.category != "interest" and e.reversed_by == ""
         and e.amount <= params["small_max"] and since <= e.value_date <= p.value_date),
        key=lambda e: (e.value_date, e.position),
    )  # fmt: skip
    inflows = [
        (e.entry_id, e.value_date, e.amount, e.counterparty)
        for e in rows
        if calendar.within(date.fromisoformat(e.value_date), day, params["working_days"])
    ]
    total = sum(a for _, _, a, _ in inflows)
    if len(inflows) < params["inflows"] or p.amount * 10_000 < total * params["share_bp"]:
        return []
    first = inflows[0][1]
    return [
        Finding(
            c["A15"], "account", p.account_id, p.complex_id, p.entry_id, p.value_date,
            p.evidence(
                inflows=[e for e, _, _, _ in inflows], inflow_total=yuan(total),
                inflow_count=len(inflows), first_inflow=first,
                payers=sorted({who for _, _, _, who in inflows}),
                calendar=calendar.note(date.fromisoformat(first), day),
            ),
            f"{first}起{len(inflows)}笔小额收入合计{yuan(total)}元，随后{p.value_date}"
            f"向{p.payee_name}一次付出{yuan(p.amount)}元。",
            f"{len(inflows)} small inflows from {first} ({yuan(total)} in all), then"
            f" {yuan(p.amount)} paid out to {p.payee_name} on {p.value_date}.",
        )
    ]  # fmt: skip
