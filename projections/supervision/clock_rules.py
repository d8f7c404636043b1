"""Clock rules (spec/alerts.md): what is missing once a date has passed, for one ``as_of`` date.

They run when the read model applies a ``SupervisionClock.Ticked`` event, over
the facts as of that log position, and only facts dated on or before ``as_of``
count, so a run for a past date is reproducible and a replay raises the same
alerts. Each trigger names the term, period or date that made it fire, so a
later run finds the same alert (same id) and raises nothing new. Each rule is
a few set-wide queries: a sweep covers every complex at once.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from statistics import median
from typing import Any

from dateutil.relativedelta import relativedelta

from ledger.periods import Period
from projections.db import Tx
from projections.statements.content import yuan
from projections.supervision import bank_rules, maintenance_rules
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog

RECURRING = ("parking", "advertising", "venue_rent")  # A10: contracted income that recurs
ClockRule = Callable[[Tx, int, Catalog, date], list[Finding]]


def _d(text: object) -> date:
    return date.fromisoformat(str(text))


def term_ending(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A07: the term ends within 90 days (or has ended) and no re-election resolution is recorded.

    Re-election: a passed resolution of art. 278 item 3 of the same complex, other than the
    committee's own election, closed since its election. A committee already succeeded or
    dissolved is past this question.
    """
    days = c["A07"].params["days"]
    rows = tx.execute(
        "SELECT c.committee_id, c.complex_id, c.elected_on, c.term_end FROM sup_committees c"
        " WHERE c.generation = ? AND c.term_end <= ? AND (c.ended_on = '' OR c.ended_on > ?)"
        " AND NOT EXISTS (SELECT 1 FROM sup_resolutions r WHERE r.generation = c.generation"
        " AND r.complex_id = c.complex_id AND r.matter = 3 AND r.passed = 1"
        " AND r.resolution_id <> c.election_resolution_id AND r.closed_on >= c.elected_on"
        " AND r.closed_on <= ?) ORDER BY c.committee_id",
        (g, (as_of + timedelta(days=days)).isoformat(), as_of.isoformat(), as_of.isoformat()),
    )
    found = []
    for committee_id, complex_id, elected_on, term_end in rows:
        left = (_d(term_end) - as_of).days
        when_zh = f"还有{left}天届满（{term_end}）" if left >= 0 else f"已于{term_end}届满"
        when_en = f"ends in {left} days ({term_end})" if left >= 0 else f"ended on {term_end}"
        found.append(
            Finding(
                c["A07"], "committee", str(committee_id), str(complex_id), f"term/{term_end}",
                as_of.isoformat(),
                {"committee_id": committee_id, "elected_on": elected_on, "term_end": term_end,
                 "days_left": left, "as_of": as_of.isoformat()},
                f"业委会任期{when_zh}，尚未记录换届选举决议。",
                f"The committee's term {when_en} and no re-election resolution is recorded.",
            )
        )  # fmt: skip
    return found


def handover_missing(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A21: no handover recorded N days after the committee's time in office ended.

    Its time ends at the earliest of: the term's end date (the term expires on it), its
    succession by a newly elected committee, its dissolution. Due N days after that date.
    """
    days = c["A21"].params["days"]
    rows = tx.execute(
        "SELECT committee_id, complex_id, term_end, ended_on, status FROM sup_committees"
        " WHERE generation = ? AND (handed_over_on = '' OR handed_over_on > ?)"
        " AND (term_end <= ? OR (ended_on <> '' AND ended_on <= ?)) ORDER BY committee_id",
        (g, as_of.isoformat(), as_of.isoformat(), as_of.isoformat()),
    )
    found = []
    for committee_id, complex_id, term_end, ended_on, status in rows:
        ends = [_d(term_end)]
        if ended_on and _d(ended_on) <= as_of:
            ends.append(_d(ended_on))
        ended = min(ends)
        due = ended + timedelta(days=days)
        if as_of <= due:
            continue
        found.append(
            Finding(
                c["A21"], "committee", str(committee_id), str(complex_id),
                f"handover/{ended.isoformat()}", as_of.isoformat(),
                {"committee_id": committee_id, "term_end": term_end, "ended_on": ended.isoformat(),
                 "status": status, "handover_due": due.isoformat(), "as_of": as_of.isoformat()},
                f"业委会于{ended}离任（任期届满、被接替或解散），应在{due}前办理交接，至{as_of}仍未记录。",
                f"The committee left office on {ended}; the handover was due by {due} and is"
                f" not recorded as of {as_of}.",
            )
        )  # fmt: skip
    return found


def _lives(tx: Tx, g: int, as_of: date) -> dict[str, list[tuple[date, date]]]:
    """Each complex's accounts' lives, opened to closed (or ``as_of``), as of ``as_of``."""
    lives: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for complex_id, opened, closed in tx.execute(
        "SELECT complex_id, opened_on, closed_on FROM sup_accounts WHERE generation = ?"
        " AND opened_on <= ? ORDER BY complex_id, opened_on",
        (g, as_of.isoformat()),
    ):
        end = _d(closed) if closed and _d(closed) <= as_of else as_of
        lives[str(complex_id)].append((_d(opened), end))
    return lives


def _periods(lives: tuple[tuple[date, date], ...], as_of: date) -> list[Period]:
    """The quarters and years that overlap an account's life and have ended by ``as_of``."""
    found: set[Period] = set()
    for opened, closed in lives:
        for kind in ("quarter", "year"):
            period = Period.containing(opened, kind)
            while period.start <= closed and period.end < as_of:
                found.add(period)
                period = period.following()
    return sorted(found)


def unpublished(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A08: a quarter's statement not published 15 days after the quarter, a year's by 03-31
    of the next; a publication after the deadline is late all the same. Every quarter and year
    that overlaps the life of one of the complex's accounts needs its statement."""
    params = c["A08"].params
    published: dict[tuple[str, str], str] = {
        (str(cid), str(period)): str(on)
        for cid, period, on in tx.execute(
            "SELECT complex_id, period, published_on FROM sup_publications WHERE generation = ?"
            " AND published_on <= ?",
            (g, as_of.isoformat()),
        )
    }
    rule, day = c["A08"], as_of.isoformat()
    # Complexes share their accounts' opening dates and periods: each is worked out once.
    periods_of: dict[tuple[tuple[date, date], ...], list[tuple[str, date, str]]] = {}
    texts: dict[tuple[str, str | None], tuple[str, str]] = {}
    found = []
    for complex_id, lives in sorted(_lives(tx, g, as_of).items()):
        key = tuple(lives)
        if key not in periods_of:
            dues = [(p.name, _due(p, params)) for p in _periods(key, as_of)]
            periods_of[key] = [(name, due, due.isoformat()) for name, due in dues]
        for name, due, due_text in periods_of[key]:
            on = published.get((complex_id, name))
            if as_of <= due or (on is not None and _d(on) <= due):
                continue
            if (name, on) not in texts:
                late_zh = f"逾期于{on}公示" if on else "尚未公示"
                late_en = f"was published late, on {on}" if on else "is not published"
                texts[name, on] = (
                    f"{name}收支情况应于{due}前公示，{late_zh}。",
                    f"The statement of {name} was due by {due} and {late_en}.",
                )
            zh, en = texts[name, on]
            found.append(
                Finding(
                    rule, "complex", complex_id, complex_id, name, day,
                    {"complex_id": complex_id, "period": name, "due": due_text,
                     "published_on": on, "as_of": day},
                    zh, en,
                )
            )  # fmt: skip
    return found


def _due(period: Period, params: Mapping[str, int]) -> date:
    """When a period's statement must be published (A08)."""
    if period.kind == "quarter":
        return period.end + timedelta(days=params["quarter_days"])
    return date(period.start.year + 1, params["annual_month"], params["annual_day"])


def _open_accounts(tx: Tx, g: int, as_of: date) -> dict[str, tuple[str, date]]:
    return {
        str(a): (str(cid), _d(opened))
        for a, cid, opened in tx.execute(
            "SELECT account_id, complex_id, opened_on FROM sup_accounts WHERE generation = ?"
            " AND opened_on <= ? AND (closed_on = '' OR closed_on > ?)",
            (g, as_of.isoformat(), as_of.isoformat()),
        )
    }


def _months_between(first: date, last: date) -> int:
    return max(1, round((last - first).days / 30.44))


def overdue_income(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A10: contracted recurring income more than 30 days overdue.

    Recurring: income of category parking, advertising or venue_rent under one contract
    reference, received at least twice; its cadence is the median interval between receipts
    in whole months, and the next is due that many months after the last.
    """
    params = c["A10"].params
    accounts = _open_accounts(tx, g, as_of)
    recurring = (
        " FROM sup_entries WHERE generation = ? AND kind = 'income' AND contract_ref <> ''"
        " AND category IN ('parking', 'advertising', 'venue_rent') AND reversed_by = ''"
        " AND value_date <= ?"
    )
    # The cadence is at least a month (28 days or more), so a contract whose last receipt is
    # no more than days + 28 days old is not overdue: only the others are read receipt by receipt.
    recent = (as_of - timedelta(days=params["days"] + 28)).isoformat()
    candidates = {
        (str(account_id), str(ref))
        for account_id, ref, count, last in tx.execute(
            f"SELECT account_id, contract_ref, COUNT(*), MAX(value_date){recurring}"
            " GROUP BY account_id, contract_ref",
            (g, as_of.isoformat()),
        )
        if str(account_id) in accounts
        and int(count) >= params["min_receipts"]
        and str(last) < recent
    }
    receipts: dict[tuple[str, str], list[tuple[date, str, str, str, int]]] = defaultdict(list)
    wanted = sorted({account_id for account_id, _ in candidates})
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for account_id, ref, day, entry_id, category, payer, amount in tx.execute(
            "SELECT account_id, contract_ref, value_date, entry_id, category, counterparty,"
            f" amount{recurring} AND account_id IN ({', '.join('?' * len(chunk))})"
            " ORDER BY account_id, contract_ref, value_date, position",
            (g, as_of.isoformat(), *chunk),
        ):
            if (str(account_id), str(ref)) in candidates:
                receipts[(str(account_id), str(ref))].append(
                    (_d(day), str(entry_id), str(category), str(payer), int(amount))
                )
    found = []
    for (account_id, ref), got in sorted(receipts.items()):
        if len(got) < params["min_receipts"]:
            continue
        cadence = round(median(_months_between(a[0], b[0]) for a, b in itertools.pairwise(got)))
        last, entry_id, category, payer, amount = got[-1]
        due = last + relativedelta(months=cadence)
        late = (as_of - due).days
        if late <= params["days"]:
            continue
        found.append(
            Finding(
                c["A10"], "account", account_id, accounts[account_id][0],
                f"{ref}/{last.isoformat()}", as_of.isoformat(),
                {"account_id": account_id, "contract_ref": ref, "category": category,
                 "payer": payer, "entries": [entry_id], "last_received": last.isoformat(),
                 "last_amount": yuan(amount), "receipts": len(got), "cadence_months": cadence,
                 "due": due.isoformat(), "days_overdue": late, "as_of": as_of.isoformat()},
                f"合同{ref}（{payer}）的收入每{cadence}个月一次，应于{due}到账，已逾期{late}天。",
                f"Income under contract {ref} ({payer}) comes every {cadence} month(s); the"
                f" payment due on {due} is {late} days overdue.",
            )
        )  # fmt: skip
    return found


def _quarter_before(period: Period) -> Period:
    return Period.containing(period.start - timedelta(days=1), "quarter")


def income_drop(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A11: the last quarter's income below 50% of the average of the four before it.

    Judged once the quarter is ``grace_days`` behind (late entries come in), and only for an
    account open through all five quarters: a first, partial quarter is not a drop.
    Income: every income entry not reversed (transfers between own accounts are not income).
    """
    params = c["A11"].params
    latest = Period.containing(as_of - timedelta(days=params["grace_days"] + 1), "quarter")
    if latest.end >= as_of - timedelta(days=params["grace_days"]):
        latest = _quarter_before(latest)
    trailing = [_quarter_before(latest)]
    for _ in range(params["trailing_quarters"] - 1):
        trailing.append(_quarter_before(trailing[-1]))
    first = trailing[-1].start if trailing else latest.start
    found = []
    for account_id, complex_id, current, before in tx.execute(
        "SELECT a.account_id, a.complex_id,"
        " COALESCE(SUM(CASE WHEN e.value_date >= ? THEN e.amount ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN e.value_date < ? THEN e.amount ELSE 0 END), 0)"
        " FROM sup_accounts a LEFT JOIN sup_entries e ON e.generation = a.generation"
        " AND e.account_id = a.account_id AND e.kind = 'income' AND e.reversed_by = ''"
        " AND e.value_date >= ? AND e.value_date <= ?"
        " WHERE a.generation = ? AND a.opened_on <= ? AND (a.closed_on = '' OR a.closed_on > ?)"
        " GROUP BY a.account_id, a.complex_id ORDER BY a.account_id",
        (
            latest.start.isoformat(), latest.start.isoformat(), first.isoformat(),
            latest.end.isoformat(), g, first.isoformat(), latest.end.isoformat(),
        ),
    ):  # fmt: skip
        now, total = int(current), int(before)
        quarters = params["trailing_quarters"]
        if total <= 0 or now * quarters * 10_000 >= total * params["share_bp"]:
            continue
        average = total // max(1, quarters)
        found.append(
            Finding(
                c["A11"], "account", str(account_id), str(complex_id), latest.name,
                as_of.isoformat(),
                {"account_id": account_id, "quarter": latest.name, "income": yuan(now),
                 "trailing_average": yuan(average), "trailing": [q.name for q in trailing],
                 "as_of": as_of.isoformat()},
                f"{latest.name}收入{yuan(now)}元，不足此前{quarters}个季度平均{yuan(average)}元的一半。",
                f"Income in {latest.name} was {yuan(now)}, under half the {yuan(average)}"
                f" average of the {quarters} quarters before.",
            )
        )  # fmt: skip
    return found


def inactive(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A13: no activity on an open account for 180 days (and a closure risk at 330).

    Activity: any entry but the bank's interest, or the opening itself.
    """
    params = c["A13"].params
    found = []
    for account_id, complex_id, opened, last in tx.execute(
        "SELECT a.account_id, a.complex_id, a.opened_on, (SELECT MAX(e.value_date)"
        " FROM sup_entries e WHERE e.generation = a.generation AND e.account_id = a.account_id"
        " AND NOT (e.kind = 'income' AND e.category = 'interest') AND e.value_date <= ?)"
        " FROM sup_accounts a"
        " WHERE a.generation = ? AND a.opened_on <= ? AND (a.closed_on = '' OR a.closed_on > ?)"
        " ORDER BY a.account_id",
        (as_of.isoformat(), g, as_of.isoformat(), as_of.isoformat()),
    ):
        since = str(last or opened)
        quiet = (as_of - _d(since)).days
        for level, days in (("quiet", params["quiet_days"]), ("closure", params["closure_days"])):
            if quiet < days:
                continue
            risk_zh = "，存在被销户风险" if level == "closure" else ""
            risk_en = "; it risks being closed" if level == "closure" else ""
            found.append(_quiet(c, str(account_id), str(complex_id), since, quiet, level, as_of,
                                f"账户自{since}起{quiet}天无收支活动{risk_zh}。",
                                f"No activity on the account for {quiet} days, since {since}{risk_en}."))  # fmt: skip
    return found


def _quiet(  # noqa: PLR0917 - one call site
    c: Catalog,
    account_id: str,
    complex_id: str,
    since: str,
    quiet: int,
    level: str,
    as_of: date,
    zh: str,
    en: str,
) -> Finding:
    evidence: dict[str, Any] = {
        "account_id": account_id, "last_activity": since, "quiet_days": quiet, "level": level,
        "as_of": as_of.isoformat(),
    }  # fmt: skip
    return Finding(
        c["A13"], "account", account_id, complex_id, f"{level}/{since}", as_of.isoformat(),
        evidence, zh, en,
    )  # fmt: skip


CLOCK_RULES: dict[str, ClockRule] = {
    "A07": term_ending,
    "A08": unpublished,
    "A09": maintenance_rules.disclosure_overdue,
    "A10": overdue_income,
    "A11": income_drop,
    "A13": inactive,
    "A17": maintenance_rules.emergency_undisclosed,
    "A21": handover_missing,
    **bank_rules.CLOCK,  # B01–B05 (issue #14)
}


def sweep(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """Every clock rule for ``as_of``, in rule order."""
    return [
        finding for rule in sorted(CLOCK_RULES) for finding in CLOCK_RULES[rule](tx, g, c, as_of)
    ]
