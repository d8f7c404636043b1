"""The maintenance fund's rules (spec/alerts.md, issue #6): A09, A17, A18, A19, A22, A26 (and A24).

Event rules read the new event and the facts ``maintenance_facts.py`` keeps; the clock
rules (A09, A17's disclosure) run in the sweep of ``clock_rules.py``, over the
facts dated on or before ``as_of``. A rule that can meet a whole complex at once
(A19 on a disbursement over 10,000 units) asks the database once, set-wide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from ledger.base import ChainedAggregate
from ledger.maintenance import MaintenanceFund as Fund
from ledger.maintenance import RepairProject
from ledger.maintenance.rules import exceeds_share, share_of
from ledger.money import split_exact
from projections.db import Tx
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog

MISSED_SHOWN = 20  # A22: units named in the evidence; the count says how many in all


def event_ref(e: ChainedAggregate.Event) -> str:
    return f"{e.originator_id}/{e.originator_version}"


def _percent(part: int, whole: int) -> str:
    """Four decimals: one fen past 70% of a contract must not read as 70.00%."""
    return f"{part * 100 / whole:.4f}%" if whole else "—"


# --- A22: interest not fully allocated ----------------------------------------------


def interest_gap(c: Catalog, e: Fund.InterestAllocated, complex_id: str) -> list[Finding]:
    """A22: an allocation whose parts do not sum to the interest received, or that leaves out a
    unit with a positive weight whose exact share is a fen or more (the domain's allocation is
    exact, H10: this catches an import or an event that was not made by it)."""
    least = max(1, c["A22"].params["min_fen"])
    parts: Mapping[str, int] = e.parts
    weights: Mapping[str, int] = e.weights
    allocated = sum(parts.values())
    gap = e.total - allocated
    whole = sum(w for w in weights.values() if w > 0)
    missed = sorted(
        u for u, w in weights.items() if w > 0 and not parts.get(u) and e.total * w >= whole * least
    )
    if abs(gap) < least and not missed:
        return []
    fund_id = str(e.originator_id)
    shown = [
        {"unit_id": u, "weight": weights[u], "share": yuan(e.total * weights[u] // whole)}
        for u in missed[:MISSED_SHOWN]
    ]
    evidence = {
        "fund_id": fund_id, "event": event_ref(e), "period": f"{e.period_from}/{e.period_to}",
        "total": yuan(e.total), "allocated": yuan(allocated), "gap": yuan(gap),
        "units_missed": shown, "units_missed_count": len(missed), "reference": e.reference,
        "value_date": e.value_date,
    }  # fmt: skip
    zh, en = [], []
    if abs(gap) >= least:
        zh.append(
            f"分配到分户账的合计为{yuan(allocated)}元，与收到的利息{yuan(e.total)}元相差{yuan(gap)}元"
        )
        en.append(
            f"the units got {yuan(allocated)} of the {yuan(e.total)} received ({yuan(gap)} apart)"
        )
    if missed:
        zh.append(f"{len(missed)}个有余额的分户（如{missed[0]}）应得至少{yuan(least)}元却未分到")
        en.append(
            f"{len(missed)} unit(s) with a balance (e.g. {missed[0]}) due at least {yuan(least)}"
            " got nothing"
        )
    return [
        Finding(
            c["A22"], "fund", fund_id, complex_id, event_ref(e), e.value_date, evidence,
            f"{e.period_from}至{e.period_to}的维修资金利息未足额分配：{'；'.join(zh)}。",
            f"Interest of {e.period_from} to {e.period_to} not fully allocated: {'; '.join(en)}.",
        )
    ]  # fmt: skip


# --- A19: below 30% of the first deposit ------------------------------------------------


def _parts_relation(tx: Tx, parts: Mapping[str, int]) -> tuple[str, list[Any]]:
    """The disbursement's parts as a relation ``d(unit_id, amount)`` and its parameters."""
    if tx.dialect == "postgres":
        return (
            "SELECT * FROM unnest(%b::text[], %b::bigint[]) AS p(unit_id, amount)",
            [list(parts), list(parts.values())],
        )
    return "SELECT key AS unit_id, value AS amount FROM json_each(?)", [json.dumps(parts)]


def replenishment(tx: Tx, g: int, c: Catalog, e: Fund.Disbursed, complex_id: str) -> list[Finding]:
    """A19: the units this debit takes from at or above 30% of their first deposit to below it.

    Run before the debit is applied to ``sup_fund_units``; one query whatever the number of
    units. A unit already below stays without a new alert until it is topped up and falls again.
    """
    share_bp = c["A19"].params["share_bp"]
    fund_id = str(e.originator_id)
    relation, params = _parts_relation(tx, e.parts)
    rows = tx.execute(
        # CROSS JOIN: SQLite then reads the parts once, looking each unit up by its key
        f"SELECT u.unit_id, u.balance, u.first_deposit, d.amount FROM ({relation}) d"  # noqa: S608
        " CROSS JOIN sup_fund_units u WHERE u.generation = ? AND u.fund_id = ?"
        " AND u.unit_id = d.unit_id AND u.first_deposit > 0"
        " AND u.balance * 10000 >= u.first_deposit * ?"
        " AND (u.balance - d.amount) * 10000 < u.first_deposit * ? ORDER BY u.unit_id",
        (*params, g, fund_id, share_bp, share_bp),
    )
    line = f"{share_bp / 100:g}%"
    found = []
    for unit_id, balance, first, amount in rows:
        after = int(balance) - int(amount)
        evidence = {
            "fund_id": fund_id, "unit_id": unit_id, "event": event_ref(e),
            "project_id": e.project_id, "disbursement_id": e.disbursement_id,
            "share": yuan(int(amount)), "balance_before": yuan(int(balance)),
            "balance_after": yuan(after), "first_deposit": yuan(int(first)),
            "threshold": yuan(int(first) * share_bp // 10_000), "value_date": e.value_date,
        }  # fmt: skip
        found.append(
            Finding(
                c["A19"], "unit", f"{fund_id}/{unit_id}", complex_id, event_ref(e), e.value_date,
                evidence,
                f"分户{unit_id}分摊维修费用{yuan(int(amount))}元后余额{yuan(after)}元，低于首次交存额"
                f"{yuan(int(first))}元的{line}，请业主及时续交。",
                f"Unit {unit_id}'s sub-ledger is {yuan(after)} after its {yuan(int(amount))} share"
                f" of a repair, below {line} of its {yuan(int(first))} first deposit: its owner"
                " should top it up.",
            )
        )  # fmt: skip
    return found


def arrived_below(c: Catalog, e: Fund.Deposited, complex_id: str) -> list[Finding]:
    """A19 at the authority's initial transfer: units that arrive already below 30% of the
    first deposit the authority names (their money was spent while the authority held it)."""
    if e.kind != "initial_transfer":
        return []
    share_bp = c["A19"].params["share_bp"]
    fund_id = str(e.originator_id)
    line = f"{share_bp / 100:g}%"
    found = []
    for unit_id in sorted(e.parts):
        balance, first = int(e.parts[unit_id]), int(e.first_deposits.get(unit_id, 0))
        if first <= 0 or balance * 10_000 >= first * share_bp:
            continue
        evidence = {
            "fund_id": fund_id, "unit_id": unit_id, "event": event_ref(e),
            "transferred": yuan(balance), "balance_after": yuan(balance),
            "first_deposit": yuan(first), "threshold": yuan(first * share_bp // 10_000),
            "value_date": e.value_date,
        }  # fmt: skip
        found.append(
            Finding(
                c["A19"], "unit", f"{fund_id}/{unit_id}", complex_id, event_ref(e), e.value_date,
                evidence,
                f"分户{unit_id}由主管部门划转时余额仅{yuan(balance)}元，低于首次交存额"
                f"{yuan(first)}元的{line}，请业主及时续交。",
                f"Unit {unit_id}'s sub-ledger arrived from the authority at {yuan(balance)}, below"
                f" {line} of its {yuan(first)} first deposit: its owner should top it up.",
            )
        )  # fmt: skip
    return found


# --- A17 (budget) and A18: refused payouts --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Project:
    """A repair project as the rules see it (a row of ``sup_projects``)."""

    project_id: str
    fund_id: str
    complex_id: str
    kind: str
    budget: int
    contract_sum: int
    planned_on: str
    accepted_on: str


def payout_refused(c: Catalog, e: RepairProject.DisbursementRefused, p: Project) -> list[Finding]:
    """A17 (an emergency's payout refused over its budget) and A18 (a payout refused before
    completion acceptance that would have passed 70% of the contract), from H09 refusals;
    A24 from H07 refusals (a blocked attempt is itself a signal)."""
    if e.rule == "H07":
        return _payee_refused(c, e, p)
    if e.rule != "H09":
        return []
    attempted = e.disbursed_before + e.amount
    evidence = {
        "project_id": p.project_id, "fund_id": p.fund_id, "event": event_ref(e),
        "disbursement_id": e.disbursement_id, "amount": yuan(e.amount),
        "disbursed_before": yuan(e.disbursed_before), "attempted_total": yuan(attempted),
        "budget": yuan(p.budget), "contract_sum": yuan(p.contract_sum), "kind": p.kind,
        "refusal": e.detail, "value_date": e.value_date,
    }  # fmt: skip
    found = []
    if p.kind == "emergency" and attempted > p.budget:
        found.append(
            Finding(
                c["A17"], "project", p.project_id, p.complex_id, f"budget/{event_ref(e)}",
                e.value_date, evidence,
                f"应急维修项目试图支付{yuan(e.amount)}元，累计将达{yuan(attempted)}元，超过预算"
                f"{yuan(p.budget)}元，已被拒绝（H09）。",
                f"An emergency repair tried to pay {yuan(e.amount)}, which would take it to"
                f" {yuan(attempted)}, above its {yuan(p.budget)} budget; refused (H09).",
            )
        )  # fmt: skip
    ratio_bp = c["A18"].params["ratio_bp"]
    if not p.accepted_on and exceeds_share(attempted, p.contract_sum, ratio_bp):
        limit = share_of(p.contract_sum, ratio_bp)
        share = _percent(attempted, p.contract_sum)
        found.append(
            Finding(
                c["A18"], "project", p.project_id, p.complex_id, event_ref(e), e.value_date,
                {**evidence, "limit": yuan(limit), "share_of_contract": share},
                f"竣工验收前试图支付{yuan(e.amount)}元，累计将达合同价{yuan(p.contract_sum)}元的"
                f"{share}，超过{ratio_bp / 100:g}%（{yuan(limit)}元），已被拒绝。",
                f"Before completion acceptance a payout of {yuan(e.amount)} would have taken the"
                f" project to {share} of its {yuan(p.contract_sum)} contract, above"
                f" {ratio_bp / 100:g}% ({yuan(limit)}); refused.",
            )
        )  # fmt: skip
    return found


def _payee_refused(c: Catalog, e: RepairProject.DisbursementRefused, p: Project) -> list[Finding]:
    """A24 on the fund: a payout refused under H07 (cash, or not the project's contractor)."""
    evidence = {
        "project_id": p.project_id, "fund_id": p.fund_id, "event": event_ref(e),
        "disbursement_id": e.disbursement_id, "rule": e.rule, "amount": yuan(e.amount),
        "detail": e.detail, "value_date": e.value_date,
    }  # fmt: skip
    return [
        Finding(
            c["A24"], "project", p.project_id, p.complex_id, event_ref(e), e.value_date, evidence,
            f"一笔{yuan(e.amount)}元的维修资金支付被规则{e.rule}拒绝：{e.detail}",
            f"A maintenance-fund payout of {yuan(e.amount)} was refused under {e.rule}: {e.detail}",
        )
    ]  # fmt: skip


def emergency_refused(
    c: Catalog, e: Fund.UseRefused, fund_id: str, complex_id: str
) -> list[Finding]:
    """A17: an emergency use attempted without the street office's confirmation, or of a
    category not on the city's list, and refused under H08 (the attempt is the signal).

    One alert per attempted project (its id comes from the committee's key), however
    often the same plan is sent again."""
    if e.kind != "emergency" or e.rule != "H08":
        return []
    evidence = {
        "fund_id": fund_id, "project_id": e.project_id, "event": event_ref(e),
        "category": e.category, "budget": yuan(e.budget), "refusal": e.detail,
        "value_date": e.value_date,
    }  # fmt: skip
    return [
        Finding(
            c["A17"], "project", e.project_id, complex_id, f"refused/{e.project_id}",
            e.value_date, evidence,
            f"试图以应急方式动用维修资金（{e.category}，预算{yuan(e.budget)}元），"
            f"但未满足应急使用条件，已被拒绝（H08）：{e.detail}",
            f"An emergency use of the maintenance fund ({e.category}, budget"
            f" {yuan(e.budget)}) was attempted without meeting the emergency conditions and"
            f" refused (H08): {e.detail}",
        )
    ]  # fmt: skip


# --- A26: unit sub-ledgers short of their share (H03) ---------------------------------------


def shortfall_refused(
    c: Catalog, e: RepairProject.DisbursementRefused, p: Project
) -> list[Finding]:
    """A26 on a payout refused under H03: the units short of their share, as the refusal
    recorded them (``DisbursementRefused.shortfalls``; one stored before issue #12 has none)."""
    if e.rule != "H03":
        return []
    least = max(1, c["A26"].params["min_fen"])
    short = [(str(u), int(b), int(s)) for u, b, s in e.shortfalls if int(s) - int(b) >= least]
    if not short:
        return []
    return _shortfalls(
        c, p, short, trigger=f"shortfall/{e.disbursement_id}", on=e.value_date,
        evidence={"event": event_ref(e), "disbursement_id": e.disbursement_id,
                  "amount": yuan(e.amount), "refusal": e.detail},
        zh=f"一笔{yuan(e.amount)}元的维修资金支付因分户账余额不足被拒绝（H03）",
        en=f"A maintenance payout of {yuan(e.amount)} was refused: sub-ledgers fall short (H03)",
    )  # fmt: skip


def shortfall_planned(tx: Tx, g: int, c: Catalog, e: RepairProject.Planned) -> list[Finding]:
    """A26 when a project is planned: the affected units whose balances cannot bear their share
    of its contract sum by floor area (H03 would refuse the payouts), read set-wide from
    ``sup_fund_units`` as the fund stands at the plan (a unit with no sub-ledger holds 0)."""
    least = max(1, c["A26"].params["min_fen"])
    parts = split_exact(e.contract_sum, e.affected)
    relation, params = _parts_relation(tx, parts)
    rows = tx.execute(
        f"SELECT d.unit_id, COALESCE(u.balance, 0), d.amount FROM ({relation}) d"  # noqa: S608
        " LEFT JOIN sup_fund_units u ON u.generation = ? AND u.fund_id = ?"
        " AND u.unit_id = d.unit_id WHERE d.amount - COALESCE(u.balance, 0) >= ?"
        " ORDER BY d.unit_id",
        (*params, g, e.fund_id, least),
    )
    if not rows:
        return []
    project = Project(
        str(e.originator_id), e.fund_id, e.complex_id, e.kind, e.budget, e.contract_sum,
        e.value_date, "",
    )  # fmt: skip
    return _shortfalls(
        c, project, [(str(u), int(b), int(s)) for u, b, s in rows], trigger="plan",
        on=e.value_date, evidence={"event": event_ref(e), "contract_sum": yuan(e.contract_sum)},
        zh=f"维修项目按合同价{yuan(e.contract_sum)}元分摊时，分户账余额不足",
        en=f"A repair planned at a contract sum of {yuan(e.contract_sum)} exceeds sub-ledgers",
    )  # fmt: skip


def _shortfalls(
    c: Catalog,
    p: Project,
    short: list[tuple[str, int, int]],
    *,
    trigger: str,
    on: str,
    evidence: dict[str, Any],
    zh: str,
    en: str,
) -> list[Finding]:
    """One warning to the committee (subject the project) and an info notice per short unit
    (subject the unit, its owner's): two audiences, two severities, one rule."""
    rule = c["A26"]
    total = sum(share - balance for _, balance, share in short)
    first, first_balance, first_share = short[0]
    shown = [
        {"unit_id": u, "balance": yuan(b), "share": yuan(s), "shortfall": yuan(s - b)}
        for u, b, s in short[:MISSED_SHOWN]
    ]
    base = {"project_id": p.project_id, "fund_id": p.fund_id, "value_date": on, **evidence}
    found = [
        Finding(
            rule, "project", p.project_id, p.complex_id, trigger, on,
            {**base, "units_short": shown, "units_short_count": len(short),
             "total_shortfall": yuan(total)},
            f"{zh}：{len(short)}户共差{yuan(total)}元（如分户{first}差"
            f"{yuan(first_share - first_balance)}元），请通知业主续交后再支付。",
            f"{en}: {len(short)} unit(s) short by {yuan(total)} in all (e.g. unit {first} by"
            f" {yuan(first_share - first_balance)}); their owners must top up first.",
        )
    ]  # fmt: skip
    for unit_id, balance, share in short:
        found.append(
            Finding(
                rule, "unit", f"{p.fund_id}/{unit_id}", p.complex_id, f"{p.project_id}/{trigger}",
                on,
                {**base, "unit_id": unit_id, "balance": yuan(balance), "share": yuan(share),
                 "shortfall": yuan(share - balance)},
                f"分户{unit_id}余额{yuan(balance)}元，不足以分摊维修费用{yuan(share)}元（差"
                f"{yuan(share - balance)}元），请业主及时续交。",
                f"Unit {unit_id}'s sub-ledger holds {yuan(balance)}, short of its"
                f" {yuan(share)} share of a repair by {yuan(share - balance)}: its owner should"
                " top it up.",
                severity="info",
            )
        )  # fmt: skip
    return found


# --- clock rules: A09 and A17's disclosure --------------------------------------------------


def _d(text: object) -> date:
    return date.fromisoformat(str(text))


def disclosure_overdue(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A09: a fund with no annual statement published for more than 12 months, counted from the
    later of its establishment and its last publication dated on or before ``as_of``."""
    months = c["A09"].params["months"]
    day = as_of.isoformat()
    earliest = (as_of - timedelta(days=28 * months)).isoformat()  # 12 months ≥ 336 days
    found = []
    for fund_id, complex_id, established, last in tx.execute(
        "SELECT f.fund_id, f.complex_id, f.established_on, (SELECT MAX(d.published_on || ' ' ||"
        " d.year) FROM sup_fund_disclosures d WHERE d.generation = f.generation"
        " AND d.fund_id = f.fund_id AND d.published_on <= ?) FROM sup_funds f"
        " WHERE f.generation = ? AND f.established_on < ? ORDER BY f.fund_id",
        (day, g, earliest),
    ):
        last_on, last_year = str(last).split(" ") if last else (None, None)
        since = max(str(established), last_on or "")
        due = _d(since) + relativedelta(months=months)
        if as_of <= due:
            continue
        what_zh = (
            f"上次公示的是{last_year}年度报告（{last_on}）"
            if last_on
            else f"自{established}设立以来从未公示"
        )
        what_en = (
            f"the last, for {last_year}, was published on {last_on}"
            if last_on
            else f"none since it was established on {established}"
        )
        found.append(
            Finding(
                c["A09"], "fund", str(fund_id), str(complex_id), f"disclosure/{since}", day,
                {"fund_id": fund_id, "established_on": established, "last_year": last_year,
                 "last_published_on": last_on, "counted_from": since, "due": due.isoformat(),
                 "as_of": day},
                f"维修资金年度报告应于{due}前公示，{what_zh}。",
                f"The maintenance fund's annual statement was due by {due}: {what_en}.",
            )
        )  # fmt: skip
    return found


def emergency_undisclosed(tx: Tx, g: int, c: Catalog, as_of: date) -> list[Finding]:
    """A17: an emergency use not disclosed within 7 days of its planning (late or not yet)."""
    days = c["A17"].params["days"]
    day = as_of.isoformat()
    found = []
    for project_id, complex_id, fund_id, planned_on, disclosed_on in tx.execute(
        "SELECT project_id, complex_id, fund_id, planned_on, disclosed_on FROM sup_projects"
        " WHERE generation = ? AND kind = 'emergency' AND planned_on < ?"
        " ORDER BY project_id",
        (g, (as_of - timedelta(days=days)).isoformat()),
    ):
        due = _d(planned_on) + timedelta(days=days)
        on = str(disclosed_on) if disclosed_on and str(disclosed_on) <= day else None
        if on is not None and _d(on) <= due:
            continue
        late_zh = f"逾期于{on}公开" if on else "至今未公开"
        late_en = f"was disclosed late, on {on}" if on else "is not disclosed"
        found.append(
            Finding(
                c["A17"], "project", str(project_id), str(complex_id), f"disclosure/{planned_on}",
                day,
                {"project_id": project_id, "fund_id": fund_id, "planned_on": planned_on,
                 "due": due.isoformat(), "disclosed_on": on, "as_of": day},
                f"应急维修项目于{planned_on}启动，应在{days}天内（{due}前）向业主公开，{late_zh}。",
                f"An emergency repair planned on {planned_on} was to be disclosed within {days}"
                f" days (by {due}) and {late_en}.",
            )
        )  # fmt: skip
    return found
