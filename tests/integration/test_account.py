"""The common-fund account under H01, H02, H03, H05, H06, H07, H13 and idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.account import CommonFundAccount
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Ledger
from ledger.errors import (
    AccountOpeningRefused,
    AuthorisationMissing,
    CashLimitExceeded,
    ClosureRefused,
    CommitteeNotSealed,
    DebitBlocked,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCommand,
    MakerCheckerViolation,
    MemberNotInOffice,
    UnknownCategory,
)
from tests.plugins.builders import (
    COMPANY,
    OPERATOR,
    REGULATOR,
    World,
    elect,
    file_and_seal,
    member_actor,
    register,
    successor_account,
    world,
)
from tests.plugins.clock import TODAY, MovableClock

# --- H01 -------------------------------------------------------------------------


# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


def test_account_cannot_open_before_the_seal(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids)
    ledger.file_committee(
        committee_id,
        number="F",
        authority="区住建局",
        filed_on=TODAY - timedelta(days=50),
        actor=OPERATOR,
    )
    with pytest.raises(CommitteeNotSealed, match="record the seal before opening") as refused:
        ledger.open_account(
            complex_id,
            bank="b",
            account_number="1",
            signatories=["m1", "m2"],
            opened_on=TODAY,
            actor=member_actor("m1"),
        )
    assert refused.value.rule == "H01"


@pytest.mark.parametrize(
    ("signatories", "message"), [(["m1"], "at least two"), (["m1", "x9"], "not members")]
)
def test_account_needs_two_signatories_from_the_committee(
    ledger: Ledger, signatories: list[str], message: str
) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids)
    file_and_seal(ledger, committee_id, TODAY - timedelta(days=60))
    with pytest.raises(AccountOpeningRefused, match=message):
        ledger.open_account(
            complex_id,
            bank="b",
            account_number="1",
            signatories=signatories,
            opened_on=TODAY,
            actor=member_actor("m1"),
        )


def test_account_cannot_open_after_the_term(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    elected = TODAY - timedelta(days=100)
    committee_id = elect(
        ledger, complex_id, unit_ids, elected_on=elected, term_end=TODAY - timedelta(days=1)
    )
    file_and_seal(ledger, committee_id, elected)
    with pytest.raises(AccountOpeningRefused, match="term"):
        ledger.open_account(
            complex_id,
            bank="b",
            account_number="1",
            signatories=["m1", "m2"],
            opened_on=TODAY - timedelta(days=5),
            actor=member_actor("m1"),
        )


# --- maker-checker and booking (H06) ------------------------------------------------


def test_expenditure_is_booked_only_when_a_second_signatory_approves(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(10_000_00)
    decision = w.decision("保洁", 5_000_00)
    expenditure_id = w.propose(w.expenditure(1_200_00, authorisation=decision))
    assert ledger.account(w.account_id).balance == 10_000_00
    receipt = ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m2"))
    assert receipt.status == "booked"
    assert ledger.account(w.account_id).balance == 8_800_00


def test_the_proposer_cannot_also_be_the_checker(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(10_000_00)
    expenditure_id = w.propose(w.expenditure(100_00, authorisation=w.decision("保洁", 500_00)))
    again = ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m1"))
    assert again.status == "proposed"
    assert again.replayed


def test_a_member_who_is_not_a_signatory_cannot_approve(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(10_000_00)
    expenditure_id = w.propose(w.expenditure(100_00, authorisation=w.decision("保洁", 500_00)))
    with pytest.raises(MakerCheckerViolation, match="not a signatory") as refused:
        ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m4"))
    assert refused.value.rule == "H06"


def test_the_payee_is_never_an_approver(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(10_000_00)
    m2 = w.members[1]
    payee = Party(
        name=m2["name"], kind="individual", identity_key=m2["identity_key"], bank_account=""
    )
    details = w.expenditure(100_00, authorisation=w.decision("保洁", 500_00), payee=payee)
    expenditure_id = w.propose(details)
    with pytest.raises(MakerCheckerViolation, match="payee"):
        ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m2"))
    booked = ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m3"))
    assert booked.status == "booked"


def test_the_payee_named_like_an_approver_without_an_identity_key_is_refused(
    ledger: Ledger,
) -> None:
    """H06 compares people by keyed hashes of their names (the names themselves are sealed):
    a payee who is m2 by name, spelt with a zero-width space, sent as an organisation."""
    w = world(ledger)
    w.income(10_000_00)
    name = w.members[1]["name"]
    payee = Party(
        name=f"{name[0]}\u200b{name[1:]}", kind="organisation", identity_key="", bank_account=""
    )
    details = w.expenditure(100_00, authorisation=w.decision("保洁", 500_00), payee=payee)
    expenditure_id = w.propose(details)
    with pytest.raises(MakerCheckerViolation, match="payee"):
        ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m2"))


def test_proposal_can_be_withdrawn_by_its_proposer_or_rejected(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 500_00)
    first = w.propose(w.expenditure(100_00, authorisation=decision))
    ledger.withdraw_expenditure(w.account_id, first, actor=member_actor("m1"))
    second = w.propose(w.expenditure(100_00, authorisation=decision))
    ledger.reject_expenditure(w.account_id, second, reason="报价过高", actor=member_actor("m3"))
    account = ledger.account(w.account_id)
    assert [account.proposals[e]["status"] for e in (first, second)] == ["withdrawn", "rejected"]
    assert account.balance == 1_000_00


# --- H03 -------------------------------------------------------------------------


def test_the_balance_may_reach_zero_but_never_go_below(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 5_000_00)
    w.pay(w.expenditure(1_000_00, authorisation=decision))
    assert ledger.account(w.account_id).balance == 0
    w.income(50_00)
    expenditure_id = w.propose(w.expenditure(50_01, authorisation=decision))
    with pytest.raises(InsufficientBalance) as refused:
        ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m2"))
    assert refused.value.rule == "H03"
    assert ledger.account(w.account_id).balance == 50_00


def test_reversing_an_income_that_was_spent_is_refused(ledger: Ledger) -> None:
    w = world(ledger)
    income = w.income(1_000_00)
    w.pay(w.expenditure(600_00, authorisation=w.decision("保洁", 5_000_00)))
    with pytest.raises(InsufficientBalance):
        ledger.reverse_entry(
            w.account_id,
            reverses=income,
            reason="录错",
            value_date=TODAY,
            idempotency_key="rev",
            actor=member_actor("m1"),
        )


# --- H02 -------------------------------------------------------------------------


def test_debit_refused_while_suspended_and_allowed_after_resume(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(10_000_00)
    decision = w.decision("保洁", 5_000_00)
    ledger.suspend_payments(w.account_id, reason="核查可疑支出", actor=REGULATOR)
    with pytest.raises(DebitBlocked, match="suspended") as refused:
        w.propose(w.expenditure(100_00, authorisation=decision))
    assert refused.value.rule == "H02"
    w.income(1_00)  # income is still recorded, so nothing is lost
    ledger.resume_payments(w.account_id, reason="核查完毕", actor=REGULATOR)
    w.pay(w.expenditure(100_00, authorisation=decision))
    assert ledger.account(w.account_id).balance == 9_901_00


def test_debit_refused_after_term_expiry(ledger: Ledger, clock: MovableClock) -> None:
    elected = TODAY - timedelta(days=200)
    clock.set_today(TODAY - timedelta(days=30))
    w = world(ledger, elected_on=elected, term_end=TODAY - timedelta(days=1))
    w.income(10_000_00, on=TODAY - timedelta(days=30))
    decision = w.decision("保洁", 5_000_00, on=TODAY - timedelta(days=30))
    clock.set_today(TODAY)
    with pytest.raises(DebitBlocked, match="term") as refused:
        w.propose(w.expenditure(100_00, authorisation=decision, on=TODAY - timedelta(days=10)))
    assert refused.value.rule == "H02"
    w.income(5_00)
    assert ledger.account(w.account_id).balance == 10_005_00


def test_debit_refused_on_the_day_after_the_last_day_of_term_but_allowed_on_it(
    ledger: Ledger,
) -> None:
    elected = TODAY - timedelta(days=200)
    w = world(ledger, elected_on=elected, term_end=TODAY)
    w.income(1_000_00)
    decision = w.decision("保洁", 5_000_00)
    w.pay(w.expenditure(100_00, authorisation=decision))
    assert ledger.account(w.account_id).balance == 900_00


def test_debit_refused_once_the_committee_is_succeeded_or_dissolved(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 5_000_00)
    pending = w.propose(w.expenditure(100_00, authorisation=decision))
    successor = elect(ledger, w.complex_id, w.unit_ids, key_="next", elected_on=TODAY)  # m2 too
    with pytest.raises(DebitBlocked, match="succeeded"):
        ledger.approve_expenditure(w.account_id, pending, actor=member_actor("m2"))
    ledger.dissolve_committee(successor, reason="业主大会决定解散", on=TODAY, actor=REGULATOR)
    with pytest.raises(MemberNotInOffice, match="dissolved"):  # H15 refuses before H02
        ledger.approve_expenditure(w.account_id, pending, actor=member_actor("m2"))


def test_refused_payment_attempts_are_kept_in_the_stream(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    ledger.suspend_payments(w.account_id, reason="核查", actor=REGULATOR)
    with pytest.raises(DebitBlocked):
        w.propose(w.expenditure(100_00, authorisation=w.decision("保洁", 500_00)))
    refused = [
        e
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.PaymentRefused)
    ]
    assert [(e.rule, e.amount) for e in refused] == [("H02", 100_00)]


# --- H05 -------------------------------------------------------------------------


def test_payment_at_the_committee_limit_needs_only_a_decision(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(20_000_00)
    w.pay(w.expenditure(5_000_00, authorisation=w.decision("保洁", 5_000_00)))
    assert ledger.account(w.account_id).balance == 15_000_00


def test_payment_one_fen_above_the_limit_needs_a_resolution(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(20_000_00)
    with pytest.raises(AuthorisationMissing, match="passed resolution") as refused:
        w.propose(w.expenditure(5_000_01, authorisation=w.decision("保洁", 10_000_00)))
    assert refused.value.rule == "H05"


def test_cumulative_spending_per_purpose_per_year_is_limited(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(30_000_00)
    decision = w.decision("保洁", 30_000_00)
    for _ in range(4):
        w.pay(w.expenditure(5_000_00, authorisation=decision))  # 20,000.00 in all: allowed
    with pytest.raises(AuthorisationMissing, match="already paid for this purpose"):
        w.propose(w.expenditure(1, authorisation=decision))


def test_a_decision_without_a_majority_does_not_authorise(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    weak = w.decision("保洁", 500_00, approvers=("m1", "m2"))
    with pytest.raises(AuthorisationMissing, match="not approved by a majority"):
        w.propose(w.expenditure(100_00, authorisation=weak))


def resolution(w: World, *, purpose: str, cap: int, passed: bool = True) -> str:
    voters = w.unit_ids if passed else w.unit_ids[:3]
    return w.ledger.record_resolution(
        w.complex_id,
        idempotency_key=w.next_key("res"),
        matter=9,
        purpose=purpose,
        amount_cap=cap,
        period_from=TODAY - timedelta(days=30),
        period_to=TODAY + timedelta(days=60),
        scope_units=None,
        participated=voters,
        consented=voters,
        closed_on=TODAY - timedelta(days=30),
        actor=OPERATOR,
    ).id


def test_a_large_payment_with_a_covering_resolution_is_booked(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(100_000_00)
    res = resolution(w, purpose="更换门禁系统", cap=60_000_00)
    w.pay(w.expenditure(60_000_00, authorisation=res, kind="resolution", purpose="更换门禁系统"))
    with pytest.raises(AuthorisationMissing, match="caps spending"):
        w.propose(w.expenditure(1, authorisation=res, kind="resolution", purpose="更换门禁系统"))


@pytest.mark.parametrize(
    ("purpose", "passed", "message"),
    [
        ("别的用途", True, "another purpose"),
        ("更换门禁系统", False, "not passed"),
    ],
)
def test_a_resolution_for_another_purpose_or_not_passed_does_not_cover(
    ledger: Ledger, purpose: str, passed: bool, message: str
) -> None:
    w = world(ledger)
    w.income(100_000_00)
    res = resolution(w, purpose=purpose, cap=60_000_00, passed=passed)
    with pytest.raises(AuthorisationMissing, match=message):
        w.propose(
            w.expenditure(10_000_00, authorisation=res, kind="resolution", purpose="更换门禁系统")
        )


# --- H07 -------------------------------------------------------------------------


def test_cash_of_one_thousand_is_accepted_and_one_fen_more_refused(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(5_000_00)
    decision = w.decision("保洁", 5_000_00)
    w.pay(w.expenditure(1_000_00, authorisation=decision, method="cash"))
    with pytest.raises(CashLimitExceeded) as refused:
        w.propose(w.expenditure(1_000_01, authorisation=decision, method="cash"))
    assert refused.value.rule == "H07"


# --- reversals and idempotency ------------------------------------------------------


def test_a_reversal_names_the_original_and_restores_the_balance(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(1_000_00)
    paid = w.pay(w.expenditure(300_00, authorisation=w.decision("保洁", 5_000_00)))
    receipt = ledger.reverse_entry(
        w.account_id,
        reverses=paid,
        reason="重复付款",
        value_date=TODAY,
        idempotency_key="rev-1",
        actor=member_actor("m1"),
    )
    account = ledger.account(w.account_id)
    assert account.balance == 1_000_00
    assert account.entries[paid]["reversed_by"] == receipt.id
    assert account.entries[receipt.id]["reverses"] == paid
    with pytest.raises(Exception, match="already reversed"):
        ledger.reverse_entry(
            w.account_id,
            reverses=paid,
            reason="again",
            value_date=TODAY,
            idempotency_key="rev-2",
            actor=member_actor("m1"),
        )


@pytest.mark.stores("sqlite", "postgres")  # the first result is read back from the store
def test_a_repeated_request_returns_the_first_result_and_a_different_body_is_refused(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    details = IncomeDetails(category="parking", payer=COMPANY, amount=500_00, value_date=TODAY)
    first = ledger.record_income(
        w.account_id, details, idempotency_key="k1", actor=member_actor("m1")
    )
    again = ledger.record_income(
        w.account_id, details, idempotency_key="k1", actor=member_actor("m1")
    )
    assert (again.id, again.version, again.replayed) == (first.id, first.version, True)
    other = IncomeDetails(category="parking", payer=COMPANY, amount=500_01, value_date=TODAY)
    with pytest.raises(IdempotencyConflict):
        ledger.record_income(w.account_id, other, idempotency_key="k1", actor=member_actor("m1"))
    assert ledger.account(w.account_id).balance == 500_00


# --- H13 -------------------------------------------------------------------------


def test_closing_with_money_in_it_is_refused_and_at_zero_allowed(ledger: Ledger) -> None:
    w = world(ledger)
    income = w.income(100_00)
    with pytest.raises(ClosureRefused, match="holds 10000 fen") as refused:
        ledger.close_account(
            w.account_id, successor_id=None, reason="销户", actor=member_actor("m1")
        )
    assert refused.value.rule == "H13"
    ledger.reverse_entry(
        w.account_id,
        reverses=income,
        reason="录错",
        value_date=TODAY,
        idempotency_key="r",
        actor=member_actor("m1"),
    )
    receipt = ledger.close_account(
        w.account_id, successor_id=None, reason="销户", actor=member_actor("m1")
    )
    assert receipt.status == "closed"


def test_a_successor_committee_closes_the_old_account_by_transfer(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(7_777_77)
    successor = successor_account(w)
    with pytest.raises(MemberNotInOffice, match="committee in office"):  # m1 left with the old
        ledger.close_account(
            w.account_id, successor_id=successor, reason="换届", actor=member_actor("m1")
        )
    ledger.close_account(
        w.account_id, successor_id=successor, reason="换届", actor=member_actor("m1n")
    )
    assert ledger.account(w.account_id).balance == 0
    assert ledger.account(w.account_id).status == "closed"
    assert ledger.account(successor).balance == 7_777_77


def test_a_regulator_closes_only_after_dissolution(ledger: Ledger) -> None:
    w = world(ledger)
    with pytest.raises(ClosureRefused, match="dissolved"):
        ledger.close_account(w.account_id, successor_id=None, reason="x", actor=REGULATOR)
    ledger.dissolve_committee(w.committee_id, reason="解散", on=TODAY, actor=REGULATOR)
    assert (
        ledger.close_account(w.account_id, successor_id=None, reason="x", actor=REGULATOR).status
        == "closed"
    )


def test_balance_on_a_past_date_counts_entries_by_value_date(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(100_00, on=TODAY - timedelta(days=10))
    w.income(50_00, on=TODAY)
    assert ledger.balance_as_of(w.account_id, TODAY - timedelta(days=1)) == 100_00
    assert ledger.balance_as_of(w.account_id, TODAY) == 150_00


def test_entries_cannot_be_dated_in_the_future_or_before_the_opening(ledger: Ledger) -> None:
    w = world(ledger)
    for day in (TODAY + timedelta(days=1), TODAY - timedelta(days=400)):
        details = IncomeDetails(category="parking", payer=COMPANY, amount=1_00, value_date=day)
        with pytest.raises(InvalidCommand, match="value_date"):
            ledger.record_income(
                w.account_id, details, idempotency_key=f"k{day}", actor=member_actor("m1")
            )
    assert ledger.account(w.account_id).balance == 0


def test_income_collected_by_a_property_company_records_gross_deduction_and_rate(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    collected = IncomeDetails(
        category="parking",
        payer=COMPANY,
        amount=8_500_00,
        value_date=TODAY,
        gross=10_000_00,
        deduction=1_500_00,
        contracted_rate_bp=1_500,
        collector="青岛某物业服务有限公司",
        contract_ref="WY-2026-01",
    )
    ledger.record_income(w.account_id, collected, idempotency_key="c1", actor=member_actor("m1"))
    event = next(
        e
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.IncomeRecorded)
    )
    assert (event.gross, event.deduction, event.contracted_rate_bp) == (10_000_00, 1_500_00, 1_500)
    wrong = IncomeDetails(
        category="parking",
        payer=COMPANY,
        amount=9_000_00,
        value_date=TODAY,
        gross=10_000_00,
        deduction=1_500_00,
        contracted_rate_bp=1_500,
        collector="青岛某物业服务有限公司",
    )
    with pytest.raises(InvalidCommand, match="gross minus the deduction"):
        ledger.record_income(w.account_id, wrong, idempotency_key="c2", actor=member_actor("m1"))
    partial = IncomeDetails(
        category="parking", payer=COMPANY, amount=8_500_00, value_date=TODAY, gross=10_000_00
    )
    with pytest.raises(InvalidCommand, match="records all four"):
        ledger.record_income(w.account_id, partial, idempotency_key="c3", actor=member_actor("m1"))
    unknown = IncomeDetails(category="lottery", payer=COMPANY, amount=1, value_date=TODAY)
    with pytest.raises(UnknownCategory):
        ledger.record_income(w.account_id, unknown, idempotency_key="c4", actor=member_actor("m1"))
    assert ledger.account_summary(w.account_id).balance == 8_500_00
