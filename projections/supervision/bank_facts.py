"""The supervision view's facts of the bank feed (issue #14) and its event rules B06, B07.

Handlers called by ``view.py`` in log order inside the runner's batch: the account's bank
code (B05), the feed and its account, each statement's end and closing (B03–B05; B07 fires
on its continuity breaks), each line (B01, B02; B06 fires on one dated outside the account's
life), and which entries each match holds (B03). The clock rules are ``bank_rules.py``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledger.account import CommonFundAccount as Account
from ledger.bank.feed import BankFeed
from projections.db import insert_many
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.bank_rules import SHOWN
from projections.supervision.facts import Step

LINE_COLUMNS = (
    "generation, account_id, line_key, direction, amount, value_on, statement_key, position"
)
LINE_TYPES = ("integer", "text", "text", "text", "bigint", "text", "text", "bigint")


def _account(s: Step, e: Any) -> tuple[str, str]:
    return s.feed(str(e.originator_id))


def opened(s: Step, position: int, e: Account.Opened) -> None:
    s.run(
        "INSERT INTO sup_bank_accounts (generation, account_id, bank_code) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        str(e.originator_id), e.bank_code,
    )  # fmt: skip


def started(s: Step, position: int, e: BankFeed.Started) -> None:
    feed_id = str(e.originator_id)
    if feed_id not in s.memory.feeds:
        s.memory.load_feeds(s.tx, s.g, [feed_id])
    if s.memory.feeds[feed_id] is None:
        s.memory.feeds[feed_id] = (e.account_id, e.complex_id)
    s.run(
        "INSERT INTO sup_bank_feeds (generation, feed_id, account_id, complex_id)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.account_id, e.complex_id,
    )  # fmt: skip


def statement(s: Step, position: int, e: BankFeed.StatementRecorded) -> None:
    """The statement joins the facts; B07 fires on its continuity breaks."""
    account_id, complex_id = _account(s, e)
    r = e.statement
    ends_on = r["closing_on"] or r["to_on"] or e.value_date
    s.run(
        "INSERT INTO sup_bank_statements (generation, account_id, statement_key, from_on, ends_on,"
        " sequence, closing, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        account_id, r["key"], r["from_on"], ends_on, r["sequence"], r["closing"], position,
    )  # fmt: skip
    if not r["breaks"]:
        return
    shown = [
        {**b, "expected": yuan(b["expected"]), "got": yuan(b["got"])} if b["kind"] == "opening"
        else dict(b)
        for b in r["breaks"]
    ]  # fmt: skip
    zh = "；".join(
        f"期初余额{b['got']}元与上一份对账单期末余额{b['expected']}元不符" if b["kind"] == "opening"
        else f"电子序号应为{b['expected']}，实为{b['got']}"
        for b in shown
    )  # fmt: skip
    en = "; ".join(
        f"its opening balance {b['got']} is not the previous closing {b['expected']}"
        if b["kind"] == "opening"
        else f"its sequence number is {b['got']}, {b['expected']} was next"
        for b in shown
    )  # fmt: skip
    s.found(
        position,
        [
            Finding(
                s.catalog["B07"], "account", account_id, complex_id, f"statement/{r['key']}",
                ends_on,
                {"account_id": account_id, "statement": r["key"], "message_id": r["message_id"],
                 "breaks": shown, "previous": r["breaks"][0]["previous"]},
                f"银行对账单{r['key']}不连续：{zh}。",
                f"The bank statement {r['key']} does not follow on: {en}.",
            )
        ],
    )  # fmt: skip


def lines(s: Step, position: int, e: BankFeed.LinesRecorded) -> None:
    """The lines join the facts; B06 fires on those dated outside the account's life."""
    account_id, complex_id = _account(s, e)
    insert_many(
        s.tx, "sup_bank_lines", LINE_COLUMNS, LINE_TYPES,
        [(s.g, account_id, ln["key"], ln["direction"], ln["amount"], ln["value_on"],
          ln["statement"], position) for ln in e.lines],
        conflict=" ON CONFLICT DO NOTHING",
    )  # fmt: skip
    life = s.account(account_id).row
    if life is None:
        return
    opened_on, closed_on = life.opened_on, life.closed_on
    outside = [
        (ln["statement"], ln["key"], ln["direction"], ln["amount"], ln["value_on"])
        for ln in e.lines
        if ln["value_on"] < opened_on or (closed_on and ln["value_on"] > closed_on)
    ]
    s.found(position, outside_life(s, account_id, complex_id, opened_on, closed_on, outside))


def outside_life(  # noqa: PLR0917 - one account's lines
    s: Step,
    account_id: str,
    complex_id: str,
    opened_on: str,
    closed_on: str,
    outside: list[tuple[str, str, str, int, str]],
) -> list[Finding]:
    """B06, one alert per statement: its lines dated before the opening or after the closing."""
    by_statement: dict[str, list[tuple[str, str, int, str]]] = defaultdict(list)
    for key, line_key, direction, amount, value_on in outside:
        by_statement[key].append((line_key, direction, amount, value_on))
    found = []
    for key, found_lines in sorted(by_statement.items()):
        found_lines.sort(key=lambda x: (x[3], x[0]))
        first, last = found_lines[0][3], found_lines[-1][3]
        when_zh = f"开户日{opened_on}之前" if first < opened_on else f"销户日{closed_on}之后"
        when_en = f"before it opened on {opened_on}" if first < opened_on else (
            f"after it closed on {closed_on}"
        )  # fmt: skip
        found.append(
            Finding(
                s.catalog["B06"], "account", account_id, complex_id, f"activity/{key}", first,
                {"account_id": account_id, "statement": key, "opened_on": opened_on,
                 "closed_on": closed_on or None, "count": len(found_lines),
                 "total": yuan(sum(x[2] for x in found_lines)),
                 "bank_lines": [{"key": k, "direction": d, "amount": yuan(a), "value_date": v}
                                for k, d, a, v in found_lines[:SHOWN]]},
                f"银行对账单{key}中有{len(found_lines)}笔交易发生在账户{when_zh}"
                f"（{first}至{last}）。",
                f"The bank statement {key} shows {len(found_lines)} transaction(s) on the"
                f" account {when_en} ({first} to {last}).",
            )
        )  # fmt: skip
    return found


def closed(s: Step, position: int, e: Account.Closed) -> None:
    """An account closed on a day the bank shows activity after: B06 for those lines."""
    account_id = str(e.originator_id)
    rows = s.run(
        "SELECT l.statement_key, l.line_key, l.direction, l.amount, l.value_on, f.complex_id,"
        " a.opened_on FROM sup_bank_lines l JOIN sup_bank_feeds f ON f.generation = l.generation"
        " AND f.account_id = l.account_id JOIN sup_accounts a ON a.generation = l.generation"
        " AND a.account_id = l.account_id WHERE l.generation = ? AND l.account_id = ?"
        " AND l.value_on > ?",
        account_id, e.value_date,
    )  # fmt: skip
    if not rows:
        return
    outside = [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]
    complex_id, opened_on = str(rows[0][5]), str(rows[0][6])
    s.found(position, outside_life(s, account_id, complex_id, opened_on, e.value_date, outside))


def matched(s: Step, position: int, e: BankFeed.Matched) -> None:
    account_id, _ = _account(s, e)
    s.tx.executemany(
        "UPDATE sup_bank_lines SET match_id = ? WHERE generation = ? AND account_id = ?"
        " AND line_key = ?",
        [(m["match_id"], s.g, account_id, k) for m in e.matches for k in m["bank_keys"]],
    )
    insert_many(
        s.tx, "sup_bank_links", "generation, account_id, entry_id, match_id",
        ("integer", "text", "text", "text"),
        [(s.g, account_id, i, m["match_id"]) for m in e.matches for i in m["entry_ids"]],
        conflict=" ON CONFLICT (generation, account_id, entry_id) DO UPDATE"
        " SET match_id = excluded.match_id",
    )  # fmt: skip


def unmatched(s: Step, position: int, e: BankFeed.Unmatched) -> None:
    account_id, _ = _account(s, e)
    keyed = [(s.g, account_id, match_id) for match_id in e.match_ids]
    s.tx.executemany(
        "UPDATE sup_bank_lines SET match_id = NULL WHERE generation = ? AND account_id = ?"
        " AND match_id = ?",
        keyed,
    )
    s.tx.executemany(
        "DELETE FROM sup_bank_links WHERE generation = ? AND account_id = ? AND match_id = ?",
        keyed,
    )
