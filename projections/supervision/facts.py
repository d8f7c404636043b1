"""The supervision view's second set of facts and the rules that read them (issue #5, part two).

Entries by value date (A10–A15), accounts' lives (A08, A13), committees'
terms and handovers (A07, A21, A25), resolutions (A07, A20), publications
(A08), and the clock ticks that run the clock rules. Handlers are called by
``view.py`` in log order inside the runner's batch transaction.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, Protocol

from ledger.account import CommonFundAccount as Account
from ledger.account.entries import BookedLine
from ledger.base import ChainedAggregate
from ledger.committees.committee import Committee
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex
from ledger.personal import party_of
from ledger.supervision import SupervisionClock
from projections.db import Tx
from projections.supervision import authority_rules, balance_rules, clock_rules, pattern_rules
from projections.supervision.alerts import Finding, OnRaise, raise_alerts
from projections.supervision.catalog import Catalog
from projections.supervision.event_rules import Payment
from projections.supervision.memory import AccountRows, Budget, Entry, Memory, Opened


class Step(Protocol):
    g: int
    catalog: Catalog
    hooks: list[OnRaise]

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]: ...

    def owner(self, stream_id: str) -> tuple[str, str]: ...

    def account(self, account_id: str) -> AccountRows: ...

    def feed(self, feed_id: str) -> tuple[str, str]: ...

    def committee(self, committee_id: str) -> tuple[str, int] | None: ...

    def complex_budgets(self, complex_id: str) -> tuple[list[Budget], list[Entry]]: ...

    @property
    def tx(self) -> Tx: ...

    @property
    def memory(self) -> Memory: ...

    def found(self, position: int, findings: list[Finding]) -> None: ...


def entry(  # noqa: PLR0917 - one row of sup_entries
    s: Step,
    position: int,
    account_id: str,
    entry_id: str,
    kind: str,
    category: str,
    value_date: str,
    amount: int,
    contract_ref: str = "",
    counterparty: str = "",
    counterparty_key: str = "",
    authorisation: str = "",
) -> None:
    s.account(account_id)
    s.memory.add_entry(
        account_id,
        Entry(
            entry_id, kind, category, value_date, amount, counterparty, counterparty_key,
            authorisation, position,
        ),
    )  # fmt: skip
    s.run(
        "INSERT INTO sup_entries (generation, account_id, entry_id, kind, category, value_date,"
        " amount, contract_ref, counterparty, counterparty_key, authorisation, position)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        account_id, entry_id, kind, category, value_date, amount, contract_ref, counterparty,
        counterparty_key, authorisation, position,
    )  # fmt: skip


# --- money -----------------------------------------------------------------------


def income(s: Step, position: int, e: Account.IncomeRecorded) -> None:
    entry(
        s, position, str(e.originator_id), e.entry_id, "income", e.category, e.value_date,
        e.amount, e.contract_ref, party_of(e.payer)["public_name"],
    )  # fmt: skip


def transferred_in(s: Step, position: int, e: Account.TransferredIn) -> None:
    entry(s, position, str(e.originator_id), e.entry_id, "transfer_in", "", e.value_date, e.amount)


def transferred_out(s: Step, position: int, e: Account.TransferredOut) -> None:
    """A closing transfer to the complex's own successor account: no fall, no layering."""
    entry(
        s, position, str(e.originator_id), e.entry_id, "transfer_out", "", e.value_date,
        -e.amount,
    )  # fmt: skip


def booked(s: Step, position: int, p: Payment, line: BookedLine) -> None:
    """Rules on a booked payment that read the entries, then the payment joins them."""
    c, authorisation = s.catalog, f"{line['authorisation_kind']}:{line['authorisation_id']}"
    outflow = balance_rules.Outflow(
        p.account_id, p.complex_id, p.entry_id, p.value_date, p.amount,
        f"向{p.payee_name}付款", f"paying {p.payee_name}",
    )  # fmt: skip
    account = s.account(p.account_id)
    entries = account.entries.values()
    findings = [
        *pattern_rules.split_payments(c, p, authorisation, entries),
        *pattern_rules.layering(c, p, entries),
        *balance_rules.sharp_fall(c, outflow, account),
        *balance_rules.waking_payout(c, outflow, account),
    ]
    if line["category"] == authority_rules.OPERATIONS:
        findings.extend(authority_rules.over_budget(c, p, *s.complex_budgets(p.complex_id)))
    s.found(position, findings)
    entry(
        s, position, p.account_id, p.entry_id, "expenditure", line["category"], p.value_date,
        -p.amount, p.contract_ref, p.payee_name, p.payee_key, authorisation,
    )  # fmt: skip


def reversed_entry(s: Step, position: int, e: Account.EntryReversed) -> None:
    account_id = str(e.originator_id)
    account = s.account(account_id)
    reversed_ = account.entries.get(e.reverses)
    category, counterparty = (
        (reversed_.category, reversed_.counterparty) if reversed_ is not None else ("", "")
    )
    if e.amount < 0:  # reversing an income takes money out
        complex_id = s.owner(account_id)[0]
        outflow = balance_rules.Outflow(
            account_id, complex_id, e.entry_id, e.value_date, -e.amount,
            f"冲销{counterparty}的收入", f"reversing income from {counterparty}",
        )  # fmt: skip
        s.found(
            position,
            [
                *balance_rules.sharp_fall(s.catalog, outflow, account),
                *balance_rules.waking_payout(s.catalog, outflow, account),
            ],
        )
    entry(s, position, account_id, e.entry_id, "reversal", category, e.value_date, e.amount)
    s.memory.reverse(account_id, e.reverses, e.entry_id)
    s.tx.execute(
        "UPDATE sup_entries SET reversed_by = ? WHERE generation = ? AND account_id = ?"
        " AND entry_id = ?",
        (e.entry_id, s.g, account_id, e.reverses),
    )


def opened(s: Step, position: int, e: Account.Opened) -> None:
    account = s.account(str(e.originator_id))
    if account.row is None:
        account.row = Opened(e.complex_id, e.committee_id, e.value_date)
    s.run(
        "INSERT INTO sup_accounts (generation, account_id, complex_id, committee_id, opened_on)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.complex_id, e.committee_id, e.value_date,
    )  # fmt: skip


def closed(s: Step, position: int, e: Account.Closed) -> None:
    account = s.account(str(e.originator_id))
    if account.row is not None:
        account.row = dataclasses.replace(account.row, closed_on=e.value_date)
    s.tx.execute(
        "UPDATE sup_accounts SET closed_on = ? WHERE generation = ? AND account_id = ?",
        (e.value_date, s.g, str(e.originator_id)),
    )


def refused(s: Step, position: int, e: Account.PaymentRefused) -> None:
    account_id = str(e.originator_id)
    s.found(
        position,
        authority_rules.beyond_authority(s.catalog, e, account_id, s.owner(account_id)[0]),
    )


# --- committees and resolutions ------------------------------------------------------------


def elected(s: Step, position: int, e: Committee.Elected) -> None:
    if s.committee(str(e.originator_id)) is None:
        s.memory.committees[str(e.originator_id)] = (e.complex_id, len(e.members))
    s.run(
        "INSERT INTO sup_committees (generation, committee_id, complex_id, election_resolution_id,"
        " elected_on, term_end, seats, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'elected')"
        " ON CONFLICT DO NOTHING",
        str(e.originator_id), e.complex_id, e.election_resolution_id, e.elected_on, e.term_end,
        len(e.members),
    )  # fmt: skip


def _committee(s: Step, e: ChainedAggregate.Event, sql: str, *params: Any) -> None:
    s.tx.execute(
        f"UPDATE sup_committees SET {sql} WHERE generation = ? AND committee_id = ?",  # noqa: S608
        (*params, s.g, str(e.originator_id)),
    )


def filed(s: Step, position: int, e: Committee.Filed) -> None:
    _committee(s, e, "status = CASE WHEN status = 'elected' THEN 'filed' ELSE status END")


def sealed(s: Step, position: int, e: Committee.Sealed) -> None:
    _committee(s, e, "status = 'sealed'")


def superseded(s: Step, position: int, e: Committee.Superseded) -> None:
    _committee(
        s, e, "status = 'superseded', ended_on = CASE WHEN ended_on = '' THEN ? ELSE ended_on END",
        e.value_date,
    )  # fmt: skip


def dissolved(s: Step, position: int, e: Committee.Dissolved) -> None:
    _committee(
        s, e, "status = 'dissolved', ended_on = CASE WHEN ended_on = '' THEN ? ELSE ended_on END",
        e.value_date,
    )  # fmt: skip


def handed_over(s: Step, position: int, e: Committee.HandedOver) -> None:
    _committee(s, e, "handed_over_on = ?", e.handed_over_on)


def decided(s: Step, position: int, e: Committee.DecisionRecorded) -> None:
    s.found(position, authority_rules.depleted(s.catalog, e, s.committee(str(e.originator_id))))


def resolved(s: Step, position: int, e: Resolution.Recorded) -> None:
    """A07 reads a resolution's matter and outcome; A20 only the committee's yearly budget.

    So ``amount_cap`` holds the cap of a budget of category ``committee_operations`` and is
    NULL for every other resolution (the table has no category column; a resolution recorded
    before budgets had categories budgets no category).
    """
    operations = e.budget_category == authority_rules.OPERATIONS
    budgets = s.memory.budgets.get(e.complex_id)
    if (
        budgets is not None
        and operations
        and e.amount_cap is not None
        and e.passed
        and e.scope_units is None
        and all(b.resolution_id != str(e.originator_id) for b in budgets)
    ):
        budgets.append(
            Budget(str(e.originator_id), int(e.amount_cap), e.period_from, e.period_to, e.closed_on)
        )
    s.run(
        "INSERT INTO sup_resolutions (generation, resolution_id, complex_id, matter, purpose,"
        " amount_cap, period_from, period_to, closed_on, passed, whole_assembly)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.complex_id, e.matter, e.purpose,
        e.amount_cap if operations else None, e.period_from, e.period_to, e.closed_on,
        int(bool(e.passed)), int(e.scope_units is None),
    )  # fmt: skip


def published(s: Step, position: int, e: Complex.StatementPublished) -> None:
    s.run(
        "INSERT INTO sup_publications (generation, complex_id, period, published_on, position)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.period, e.value_date, position,
    )  # fmt: skip


# --- the clock ----------------------------------------------------------------------


def ticked(s: Step, position: int, e: SupervisionClock.Ticked) -> None:
    """Run every clock rule for the tick's date, against the facts as of this position."""
    as_of = date.fromisoformat(e.as_of)
    rules = sorted(clock_rules.CLOCK_RULES)
    known = {
        str(r[0])
        for r in s.tx.execute(
            "SELECT alert_id FROM alerts WHERE generation = ?"  # noqa: S608 - placeholders only
            f" AND rule IN ({', '.join('?' * len(rules))})",
            (s.g, *rules),
        )
    }
    findings = clock_rules.sweep(s.tx, s.g, s.catalog, as_of)
    raised = len(raise_alerts(s.tx, s.g, findings, position, s.hooks, known=known))
    s.run(
        "INSERT INTO sup_ticks (generation, as_of, position, alerts) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        e.as_of, position, raised,
    )  # fmt: skip
