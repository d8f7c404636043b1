"""The synthetic city's bank feeds (issue #14): statements derived from each account's ledger.

A complex planned with a feed (``ComplexSpec.bank_feed``, "monthly" or "weekly"; about nine in
ten) opens its account with a CNAPS ``bank_code`` and, once its year and the A anomalies are
written, gets one camt.053-shaped :class:`BankFile` imported through
``Ledger.import_bank_file``: statements from the account's opening to the day before ``today``
(calendar months, or Monday–Sunday weeks; the last one ends the day before ``today``),
balances continuous from 0.00, sequence numbers 1, 2, 3 …

Normal activity: every booked entry is one bank line, its value date shifted 0–2 days but never
past its statement's end (so every closing equals the ledger's balance on that day, B04), the
counterparty as a bank writes it (the ledger's name with "有限公司" and "有限责任公司"
swapped, a space after 青岛; never without its suffix, which would read as a person's name),
cash payments as a withdrawal with no
counterparty, interest from no one. The mistaken income and its reversal are not at the bank
(the matching cancels them in the books, "ledger_reversal"). Entries dated ``today`` are not on
any statement yet, and B03 does not judge them. So normal activity raises no B alert.

Planted differences (:data:`PLANTS`), one complex each, each a manifest anomaly whose
``bank_keys`` are what the rule's evidence names (docs/alerts.md, "Bank feed"):

- ``bank_debit_unrecorded`` (B01; B04 related: the bank then holds less than the books);
- ``bank_credit_unrecorded`` (B02; B04 related);
- ``expenditure_not_at_bank`` (B03: a booked transfer the bank never shows; B04 related);
- ``unrecorded_bank_fee`` (B04: the bank charges a fee the books never record, before the end
  of the last statement B04 judges; B01 related, the fee is an unmatched debit);
  ``bank_keys`` are the statements from the fee's on;
- ``feed_stopped`` (B05: no statement in the 10–20 days before ``today``); its key is B05's
  trigger, ``quiet/<last end>``;
- ``line_before_opening`` (B06: a 1.00 test credit and its return dated before the opening;
  B01 and B02 related, neither is in the books);
- ``sequence_gap`` (B07: one statement number skipped).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from dateutil.relativedelta import relativedelta

from ledger.application import Actor, Ledger
from ledger.bank.statement import BankFile, BankLine, BankStatement
from ledger.personal import match_key

if TYPE_CHECKING:
    from commonfund.synthetic import BuiltComplex

FEED_SHARE = 90  # % of complexes whose account has a bank code and a feed
CADENCES = ("monthly", "monthly", "weekly")
BANK_CLASS = {  # the first three digits of a CNAPS code, by the bank's name
    "青岛银行": "313",
    "中国建设银行青岛分行": "105",
    "中国工商银行青岛分行": "102",
    "青岛农商银行": "314",
    "中国银行青岛分行": "104",
}
QINGDAO = "4520"  # the CNAPS city code
SUFFIXES = ("有限责任公司", "有限公司")
FIRM = "远方嘉信瑞通达禾丰合众华益广汇"  # names no payee of normal activity has


def cnaps_code(bank: str, code: str) -> str:
    """A 12-digit bank code (联行号) for a complex's bank: bank class, city, a branch, a check."""
    branch = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % 10_000
    return f"{BANK_CLASS.get(bank, '402')}{QINGDAO}{branch:04d}0"


def plan_feed(rng: random.Random) -> str:
    """The feed a complex gets: "" (none, no bank code), "monthly" or "weekly"."""
    return rng.choice(CADENCES) if rng.randrange(100) < FEED_SHARE else ""


@dataclass(slots=True)
class _Line:
    key: str
    direction: str
    amount: int
    on: date
    counterparty: str = ""
    remittance: str = ""
    entry_id: str | None = None


@dataclass(slots=True)
class Feed:
    """One account's bank record while it is made: its lines, its end, its planted changes."""

    built: BuiltComplex
    cadence: str
    today: date
    account_number: str
    lines: list[_Line] = field(default_factory=list)
    ends_on: date = date.min
    starts_on: date = date.min
    skip_after: date | None = None  # the first statement ending after it skips a number
    count: int = 0

    def key(self, on: date) -> str:
        self.count += 1
        return f"{self.account_number[-6:]}{on:%Y%m%d}{self.count:05d}"

    def periods(self) -> list[tuple[date, date]]:
        first = self.built.opened_on
        if self.cadence == "weekly":
            start = first - timedelta(days=first.weekday())
            step: Callable[[date], date] = lambda d: d + timedelta(days=7)  # noqa: E731
        else:
            start = first.replace(day=1)
            step = lambda d: d + relativedelta(months=1)  # noqa: E731
        out = []
        while start <= self.ends_on:
            out.append((start, min(step(start) - timedelta(days=1), self.ends_on)))
            start = step(start)
        out[0] = (min(out[0][0], self.starts_on), out[0][1])
        return out

    def end_of_period(self, on: date) -> date:
        for start, end in self.periods():
            if start <= on <= end:
                return end
        return self.ends_on

    def statements(self) -> tuple[BankStatement, ...]:
        out, balance, sequence, skipped = [], 0, 0, False
        for n, (start, end) in enumerate(self.periods(), start=1):
            sequence += 1
            if not skipped and self.skip_after is not None and end > self.skip_after:
                sequence, skipped = sequence + 1, True
            lines = sorted((x for x in self.lines if start <= x.on <= end), key=lambda x: x.key)
            opening = balance
            balance += sum(x.amount if x.direction == "credit" else -x.amount for x in lines)
            out.append(
                BankStatement(
                    statement_id=self.statement_id(sequence), account_number=self.account_number,
                    currency="CNY", opening=opening, closing=balance, closing_on=end,
                    from_on=start, to_on=end, sequence=sequence, where=f"Stmt[{n}]",
                    lines=tuple(
                        BankLine(
                            key=x.key, reference=x.key, direction=x.direction,  # type: ignore[arg-type]
                            amount=x.amount, booked_on=x.on, value_on=x.on,
                            counterparty=x.counterparty, remittance=x.remittance,
                            transaction_code="PMNT/RCDT/DMCT" if x.direction == "credit"
                            else "PMNT/ICDT/DMCT", where=f"Stmt[{n}]/Ntry[{k}]",
                        )
                        for k, x in enumerate(lines, start=1)
                    ),
                )
            )  # fmt: skip
        return tuple(out)

    def statement_id(self, sequence: int) -> str:
        return f"STMT-{self.account_number}-{sequence:04d}"

    def statement_keys_from(self, on: date) -> list[str]:
        return [s.statement_id for s in self.statements() if s.to_on and s.to_on >= on]


def bank_name(name: str, rng: random.Random) -> str:
    """A counterparty's name as a bank prints it: 有限公司 and 有限责任公司 swapped, a space after 青岛."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and rng.randrange(3) == 0:
            name = name[: -len(suffix)] + rng.choice(SUFFIXES)
            break
    if name.startswith("青岛") and rng.randrange(4) == 0:
        name = "青岛 " + name[2:]
    return name


def derive(
    ledger: Ledger, built: BuiltComplex, cadence: str, rng: random.Random, today: date
) -> Feed:
    """The bank's record of the account as its ledger has it (see the module docstring)."""
    account = ledger.account(UUID(built.account_id))
    names = {match_key(p): p["name"] for role, p in built.payees.items() if role != "bank"}
    feed = Feed(built, cadence, today, account.account_number)
    feed.ends_on = today - timedelta(days=1)
    feed.starts_on = built.opened_on
    for entry_id, entry in sorted(
        account.entries.items(), key=lambda e: (e[1]["value_date"], e[0])
    ):
        if entry["amount"] == 0 or entry["reverses"] or entry["reversed_by"]:
            continue  # the mistaken income and its reversal: never at the bank
        value = date.fromisoformat(entry["value_date"])
        if value > feed.ends_on:
            continue  # not on a statement yet
        on = min(value + timedelta(days=rng.choice((0, 0, 1, 1, 2))), feed.end_of_period(value))
        proposal = account.proposals.get(entry_id)
        cash = proposal is not None and proposal["method"] == "cash"
        if proposal is not None:
            payee = proposal["payee"]
            party = "" if cash or payee.get("person") else str(payee["name"])
        else:  # income: the payer the generator chose; the bank's own interest names no one
            party = names.get(entry.get("party", ""), "")
        feed.lines.append(
            _Line(
                feed.key(on), "credit" if entry["amount"] > 0 else "debit", abs(entry["amount"]),
                on, bank_name(party, rng) if party else "",
                "现金支取" if cash else "结息" if not party and entry["amount"] > 0 else "转账",
                entry_id,
            )
        )  # fmt: skip
    return feed


def import_feed(ledger: Ledger, feed: Feed, bank_code: str) -> None:
    statements = feed.statements()
    digest = hashlib.sha256(repr(statements).encode()).hexdigest()
    file = BankFile(
        format="camt.053.001.08", message_id=f"MSG-{feed.account_number}-{feed.ends_on:%Y%m%d}",
        sha256=digest, statements=statements,
    )  # fmt: skip
    ledger.import_bank_file(UUID(feed.built.account_id), file, actor=Actor("bank", bank_code))


# --- planted differences ----------------------------------------------------------------------


def _day(feed: Feed, rng: random.Random, low: int, high: int) -> date:
    return feed.today - timedelta(days=rng.randint(low, high))


def _firm(rng: random.Random, kind: str) -> str:
    return f"青岛{rng.choice(FIRM)}{rng.choice(FIRM)}{kind}"


def _odd_amount(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high) * 100 + rng.randint(1, 99)


def _extra(feed: Feed, rng: random.Random, direction: str, who: str, what: str) -> _Line:
    on = _day(feed, rng, 20, 60)
    line = _Line(feed.key(on), direction, _odd_amount(rng, 2_000, 4_600), on, who, what)
    feed.lines.append(line)
    return line


def bank_debit_unrecorded(feed: Feed, rng: random.Random) -> BPlant:
    """B01: money left the account at the bank and the books never say so."""
    line = _extra(feed, rng, "debit", _firm(rng, "商贸有限公司"), "转账支出")
    return BPlant(["B01"], ["B04"], [line.key], [line.amount], [line.on])


def bank_credit_unrecorded(feed: Feed, rng: random.Random) -> BPlant:
    """B02: income the bank received and the books never recorded."""
    line = _extra(feed, rng, "credit", _firm(rng, "文化传媒有限公司"), "场地使用费")
    return BPlant(["B02"], ["B04"], [line.key], [line.amount], [line.on])


def expenditure_not_at_bank(feed: Feed, rng: random.Random) -> BPlant:
    """B03: a booked transfer the bank never shows (20–90 days before today)."""
    candidates = [
        x for x in feed.lines
        if x.entry_id and x.direction == "debit" and x.remittance == "转账"
        and feed.today - timedelta(days=90) <= x.on <= feed.today - timedelta(days=20)
    ]  # fmt: skip
    if not candidates:
        raise PlantingSkipped("no transfer to leave out")
    line = rng.choice(candidates)
    feed.lines.remove(line)
    assert line.entry_id is not None  # noqa: S101 - the candidates are entries
    return BPlant(["B03"], ["B04"], [line.entry_id], [line.amount], [line.on], [line.entry_id])


def unrecorded_bank_fee(feed: Feed, rng: random.Random) -> BPlant:
    """B04: the bank charges an account fee the books never record; the closings then differ.

    Dated 5–25 days before the end of the last statement B04 judges on ``today`` (one ending a
    week or more before it, past B04's 3 working days of grace), so that statement differs."""
    judged = max(end for _, end in feed.periods() if end <= feed.today - timedelta(days=7))
    on = max(feed.built.opened_on, judged - timedelta(days=rng.randint(5, 25)))
    line = _Line(feed.key(on), "debit", rng.randint(5, 50) * 100, on, "", "账户管理费")
    feed.lines.append(line)
    return BPlant(["B04"], ["B01"], [line.key, *feed.statement_keys_from(on)], [line.amount], [on])


def feed_stopped(feed: Feed, rng: random.Random) -> BPlant:
    """B05: the bank's statements stop 10–20 days before today."""
    feed.ends_on = _day(feed, rng, 10, 20)
    feed.lines = [x for x in feed.lines if x.on <= feed.ends_on]
    return BPlant(["B05"], [], [f"quiet/{feed.ends_on.isoformat()}"], [], [feed.ends_on])


def line_before_opening(feed: Feed, rng: random.Random) -> BPlant:
    """B06: a 1.00 test credit and its return, dated 1–3 days before the account was opened."""
    on = feed.built.opened_on - timedelta(days=rng.randint(1, 3))
    feed.starts_on = min(feed.starts_on, on)
    pair = [
        _Line(feed.key(on), "credit", 1_00, on, "", "账户验证"),
        _Line(feed.key(on), "debit", 1_00, on, "", "账户验证退回"),
    ]
    feed.lines.extend(pair)
    first = feed.statement_id(1)
    return BPlant(["B06"], ["B01", "B02"], [first, *(x.key for x in pair)], [1_00, 1_00], [on, on])


def sequence_gap(feed: Feed, rng: random.Random) -> BPlant:
    """B07: one statement number skipped (a statement lost between the bank and us)."""
    feed.skip_after = _day(feed, rng, 40, 120)
    gap = next(s for n, s in enumerate(feed.statements(), start=1) if s.sequence != n)
    return BPlant(["B07"], [], [gap.statement_id], [], [gap.to_on or feed.ends_on])


@dataclass(frozen=True, slots=True)
class BPlant:
    expected: list[str]
    related: list[str]
    keys: list[str]
    amounts: list[int]
    dates: list[date]
    entries: list[str] = field(default_factory=list)


class PlantingSkipped(RuntimeError):
    """This feed cannot carry the difference; the next host is tried."""


BANK_PLANTS: dict[str, Callable[[Feed, random.Random], BPlant]] = {
    "bank_debit_unrecorded": bank_debit_unrecorded,
    "bank_credit_unrecorded": bank_credit_unrecorded,
    "expenditure_not_at_bank": expenditure_not_at_bank,
    "unrecorded_bank_fee": unrecorded_bank_fee,
    "feed_stopped": feed_stopped,
    "line_before_opening": line_before_opening,
    "sequence_gap": sequence_gap,
}
