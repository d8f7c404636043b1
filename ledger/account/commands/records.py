"""What an account command answers from the record: a replay's receipt, a kept refusal (A24)."""

from __future__ import annotations

from datetime import date

from ledger.account.account import CommonFundAccount
from ledger.errors import LedgerError
from ledger.personal import StoredParty
from ledger.unit_of_work import Actor, Receipt, UnitOfWork


def replay_receipt(
    work: UnitOfWork, account: CommonFundAccount, entry_id: str, field: str
) -> Receipt:
    """A replay's receipt from the ledger's record: when and by whom the entry was recorded.

    Issue #12: a retry after a crash that lost the stored response must answer what
    the first request answered, not the retrying caller's principal and no time.
    """
    event = work.recorded(account.id, lambda e: getattr(e, field, None) == entry_id)
    return Receipt(
        entry_id,
        account.version,
        replayed=True,
        balance=account.balance,
        recorded_at=event.timestamp.isoformat(),
        recorded_by=getattr(event, "principal", ""),
    )


def keep_payment_refusal(
    work: UnitOfWork,
    account: CommonFundAccount,
    expenditure_id: str,
    refusal: LedgerError,
    *,
    member_id: str,
    amount: int,
    payee: StoredParty,
    method: str,
    value_date: date,
    actor: Actor,
) -> None:
    """Record the refused attempt (A24) on the account, the unit of work's one way; the
    refusal is still raised."""
    work.keep_refusal(
        refusal,
        judged_on={account.id: account.version},
        stream=account.id,
        kind=CommonFundAccount,
        record=lambda fresh: fresh.record_refusal(
            expenditure_id, refusal, member_id=member_id, amount=amount, payee=payee,
            method=method, value_date=value_date, principal=actor.principal,
        ),
    )  # fmt: skip
