"""The bank feed's rules (issue #14): B01–B05 on the clock, B06 and B07 on the feed's events.

Clock rules run when the supervision view applies a tick, over the facts as of that position
(``sup_bank_*``, ``sup_entries``, ``sup_accounts``), counting only what is dated on or before
``as_of``. Triggers name the line, entry, statement or date that made the rule fire, so the
next day's run finds the same alert and raises nothing new (docs/alerts.md, "Bank feed").
Working days are China's official calendar (``ledger.calendar``), counted after the value date:
"within 1 working day" of a Monday's debit leaves the committee Tuesday; Wednesday's run fires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ledger import calendar
from projections.bank.reconciliation import Balances, EntryRow
from projections.db import Tx
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog

SIDE = {"debit": ("B01", "支出", "debit"), "credit": ("B02", "收入", "credit")}
SHOWN = 20  # lines an alert's evidence lists (with their count and total)


def _d(text: object) -> date:
    return date.fromisoformat(str(text))


def beyond(first: date, last: date, span: int) -> bool:
    """Whether more than ``span`` working days lie after ``first``, up to and including ``last``
    (``calendar.apart(first, last) > span``, counting no further than needed)."""
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += calendar.is_working_day(day)
        if count > span:
            return True
        day += timedelta(days=1)
    return False


def covers(first: date, last: date, span: int) -> bool:
    """Whether ``last`` lies ``span`` working days or more after ``first``."""
    return last >= first if span <= 0 else beyond(first, last, span - 1)


def _unmatched_lines(tx: Tx, g: int, c: Catalog, as_of: date, direction: str) -> list[Finding]:
    rule_id, zh_side, en_side = SIDE[direction]
    rule, span, day = c[rule_id], c[rule_id].params["working_days"], as_of.isoformat()
    found = []
    for account_id, complex_id, key, amount, value_on in tx.execute(
        "SELECT l.account_id, f.complex_id, l.line_key, l.amount, l.value_on"
        " FROM sup_bank_lines l JOIN sup_bank_feeds f ON f.generation = l.generation"
        " AND f.account_id = l.account_id WHERE l.generation = ? AND l.direction = ?"
        " AND l.match_id IS NULL AND l.value_on <= ? ORDER BY l.account_id, l.line_key",
        (g, direction, day),
    ):
        if not beyond(_d(value_on), as_of, span):
            continue
        found.append(
            Finding(
                rule, "account", str(account_id), str(complex_id), f"line/{key}", day,
                {"account_id": account_id, "bank_line": key, "direction": direction,
                 "amount": yuan(int(amount)), "value_date": value_on, "working_days": span,
                 "as_of": day, "calendar": calendar.note(_d(value_on), as_of)},
                f"银行于{value_on}{zh_side}{yuan(int(amount))}元（流水{key}），"
                f"{span}个工作日内未在账簿中记录。",
                f"The bank shows a {en_side} of {yuan(int(amount))} on {value_on} (line {key})"
                f" that the ledger has not recorded within {span} working day(s).",
            )
        )  # fmt: skip
    return found


def unmatched_debits(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """B01: a bank debit not matched to a ledger entry within N working days (money left the
    account and the books do not say so: the account spent to zero)."""
    return _unmatched_lines(tx, g, c, as_of, "debit")


def unmatched_credits(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """B02: a bank credit not matched within N working days (income missing from the books)."""
    return _unmatched_lines(tx, g, c, as_of, "credit")


def _feeds(tx: Tx, g: int, as_of: date) -> dict[str, tuple[str, date, date]]:
    """Each account with a statement ending by ``as_of``: complex, feed start, last end."""
    return {
        str(a): (str(cid), _d(start), _d(last))
        for a, cid, start, last in tx.execute(
            "SELECT s.account_id, f.complex_id, MIN(COALESCE(s.from_on, s.ends_on)),"
            " MAX(s.ends_on) FROM sup_bank_statements s JOIN sup_bank_feeds f"
            " ON f.generation = s.generation AND f.account_id = s.account_id"
            " WHERE s.generation = ? AND s.ends_on <= ? GROUP BY s.account_id, f.complex_id",
            (g, as_of.isoformat()),
        )
    }


def unseen_entries(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """B03: a ledger entry dated on or after the feed's first statement that the bank does not
    show: judged once a statement covers its value date + N working days, and still unmatched."""
    rule, span, day = c["B03"], c["B03"].params["working_days"], as_of.isoformat()
    feeds = _feeds(tx, g, as_of)
    found = []
    for account_id, entry_id, kind, value_date, amount in tx.execute(
        "SELECT e.account_id, e.entry_id, e.kind, e.value_date, e.amount FROM sup_bank_feeds f"
        " JOIN sup_entries e ON e.generation = f.generation AND e.account_id = f.account_id"
        " WHERE f.generation = ? AND e.amount <> 0 AND e.value_date <= ?"
        " AND NOT EXISTS (SELECT 1 FROM sup_bank_links k"
        " WHERE k.generation = e.generation AND k.account_id = e.account_id"
        " AND k.entry_id = e.entry_id) ORDER BY e.account_id, e.entry_id",
        (g, day),
    ):
        feed = feeds.get(str(account_id))
        if feed is None:
            continue
        complex_id, start, last = feed
        on = _d(value_date)
        if on < start or not covers(on, last, span):
            continue
        money = yuan(abs(int(amount)))
        found.append(
            Finding(
                rule, "account", str(account_id), complex_id, f"entry/{entry_id}", day,
                {"account_id": account_id, "entries": [entry_id], "kind": kind, "amount": money,
                 "direction": "credit" if int(amount) > 0 else "debit", "value_date": value_date,
                 "statements_through": last.isoformat(), "working_days": span, "as_of": day,
                 "calendar": calendar.note(on, last)},
                f"账簿于{value_date}记录的{money}元（{entry_id}）在其后{span}个工作日的银行对账单中"
                f"未见对应流水（对账单截至{last}）。",
                f"The ledger's entry {entry_id} of {money} on {value_date} does not appear in the"
                f" bank's statements through {last}, {span} working day(s) on.",
            )
        )  # fmt: skip
    return found


def balance_differs(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """B04: the latest statement judged (ended N working days before ``as_of``) closes at a
    balance other than the ledger's on its end date. One alert per run of differing statements:
    the trigger is the end of the first statement of the run."""
    span, day = c["B04"].params["working_days"], as_of.isoformat()
    statements: dict[str, list[tuple[date, int, int, str]]] = defaultdict(list)
    for account_id, key, ends_on, sequence, closing in tx.execute(
        "SELECT account_id, statement_key, ends_on, sequence, closing FROM sup_bank_statements"
        " WHERE generation = ? AND closing IS NOT NULL AND ends_on <= ?",
        (g, day),
    ):
        if not covers(_d(ends_on), as_of, span):
            continue
        statements[str(account_id)].append(
            (_d(ends_on), int(sequence or 0), int(closing), str(key))
        )
    if not statements:
        return []
    days: dict[str, list[EntryRow]] = defaultdict(list)
    for account_id, value_date, total in tx.execute(
        "SELECT e.account_id, e.value_date, SUM(e.amount) FROM sup_bank_feeds f"
        " JOIN sup_entries e ON e.generation = f.generation AND e.account_id = f.account_id"
        " WHERE f.generation = ? AND e.value_date <= ? GROUP BY e.account_id, e.value_date",
        (g, day),
    ):
        if str(account_id) in statements:
            days[str(account_id)].append(
                EntryRow("", "", int(total), _d(value_date), matched=False)
            )
    owners = _feeds(tx, g, as_of)
    found = []
    for account_id, ordered in sorted(statements.items()):
        balances, since = Balances(days[account_id]), None
        for ends_on, _, closing, _key in sorted(ordered):
            ledger = balances.on(ends_on)
            since = (since or ends_on) if closing != ledger else None
        if since is None:
            continue
        ends_on, _, closing, key = max(ordered)
        ledger = balances.on(ends_on)
        found.append(_differs(c, account_id, owners[account_id][0], key, ends_on, closing, ledger,
                              since, day))  # fmt: skip
    return found


def _differs(  # noqa: PLR0917 - one finding's figures
    c: Catalog, account_id: str, complex_id: str, key: str, ends_on: date, closing: int,
    ledger: int, since: date, day: str,
) -> Finding:  # fmt: skip
    gap = yuan(closing - ledger)
    evidence: dict[str, Any] = {
        "account_id": account_id, "statement": key, "statement_end": ends_on.isoformat(),
        "bank_balance": yuan(closing), "ledger_balance": yuan(ledger), "difference": gap,
        "differs_since": since.isoformat(), "as_of": day,
    }  # fmt: skip
    return Finding(
        c["B04"], "account", account_id, complex_id, f"differs/{since.isoformat()}", day, evidence,
        f"银行对账单（{key}）截至{ends_on}的余额为{yuan(closing)}元，账簿同日余额为{yuan(ledger)}元，"
        f"相差{gap}元（自{since}起不符）。",
        f"The bank statement {key} closes on {ends_on} at {yuan(closing)}; the ledger stands at"
        f" {yuan(ledger)} that day, a difference of {gap} (differing since {since}).",
    )  # fmt: skip


def no_statement(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """B05: an open account with a bank code has had no statement ending in the last N days
    (counted from its last statement's end, else from its opening)."""
    rule, days, day = c["B05"], c["B05"].params["days"], as_of.isoformat()
    found = []
    for account_id, complex_id, opened_on, last in tx.execute(
        "SELECT a.account_id, a.complex_id, a.opened_on, (SELECT MAX(s.ends_on)"
        " FROM sup_bank_statements s WHERE s.generation = a.generation"
        " AND s.account_id = a.account_id AND s.ends_on <= ?) FROM sup_accounts a"
        " JOIN sup_bank_accounts b ON b.generation = a.generation AND b.account_id = a.account_id"
        " WHERE a.generation = ? AND b.bank_code <> '' AND a.opened_on <= ?"
        " AND (a.closed_on = '' OR a.closed_on > ?) ORDER BY a.account_id",
        (day, g, day, day),
    ):
        since = _d(last or opened_on)
        quiet = (as_of - since).days
        if quiet <= days:
            continue
        what_zh = f"最近一份对账单截至{since}" if last else f"自{since}开户以来未收到对账单"
        what_en = (
            f"its last statement ends on {since}" if last else f"none since it opened on {since}"
        )
        found.append(
            Finding(
                rule, "account", str(account_id), str(complex_id), f"quiet/{since.isoformat()}",
                day,
                {"account_id": account_id, "last_statement_end": last, "opened_on": opened_on,
                 "days": quiet, "limit_days": days, "as_of": day},
                f"账户已{quiet}天未收到银行对账单（{what_zh}）。",
                f"No bank statement for {quiet} days: {what_en}.",
            )
        )  # fmt: skip
    return found


CLOCK: dict[str, Callable[[Tx, int, Catalog, date], list[Finding]]] = {
    "B01": unmatched_debits,
    "B02": unmatched_credits,
    "B03": unseen_entries,
    "B04": balance_differs,
    "B05": no_statement,
}
