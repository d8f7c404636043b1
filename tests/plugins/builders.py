"""Plugin: builders of a complex with units, an elected, filed and sealed committee, an open account."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.account.entries import ExpenditureDetails, IncomeDetails, Party
from ledger.application import Actor, Ledger
from ledger.committees.committee import Member
from ledger.complexes.complex import Unit
from tests.plugins.clock import TODAY

OPERATOR = Actor("operator", "op-1")
REGULATOR = Actor("regulator", "reg-370202")
COMPANY = Party(
    name="青岛某物业服务有限公司", kind="organisation", identity_key="", bank_account=""
)


def key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def member_actor(member_id: str) -> Actor:
    return Actor("committee", f"token-{member_id}", member_id)


def units(count: int, *, area: int = 10_000, prefix: str = "1") -> dict[str, Unit]:
    return {
        f"{prefix}-{i:03d}": Unit(
            building=prefix, area=area, owner_key=key(f"owner-{prefix}-{i}"), developer_held=False
        )
        for i in range(1, count + 1)
    }


def members(count: int = 5, *, signatories: int = 3, tag: str = "") -> list[Member]:
    return [
        Member(
            member_id=f"m{i}{tag}",
            name=f"委员{i}{tag}",
            identity_key=key(f"member-{i}{tag}"),
            role="chair" if i == 1 else ("vice_chair" if i == 2 else "member"),
            signatory=i <= signatories,
        )
        for i in range(1, count + 1)
    ]


@dataclass
class World:
    ledger: Ledger
    complex_id: UUID
    committee_id: UUID
    account_id: UUID
    unit_ids: list[str]
    members: list[Member] = field(default_factory=list)
    counter: int = 0

    def next_key(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter}"

    def income(
        self,
        amount: int,
        *,
        on: date = TODAY,
        category: str = "parking",
        payer: Party = COMPANY,
        bank_reference: str = "",
    ) -> str:
        details = IncomeDetails(
            category=category, payer=payer, amount=amount, value_date=on,
            bank_reference=bank_reference,
        )  # fmt: skip
        receipt = self.ledger.record_income(
            self.account_id,
            details,
            idempotency_key=self.next_key("income"),
            actor=member_actor("m1"),
        )
        return receipt.id

    def decision(
        self,
        purpose: str,
        cap: int,
        *,
        approvers: tuple[str, ...] = ("m1", "m2", "m3"),
        on: date = TODAY - timedelta(days=30),
    ) -> str:
        return self.ledger.record_decision(
            self.committee_id,
            idempotency_key=self.next_key("decision"),
            purpose=purpose,
            amount_cap=cap,
            decided_on=on,
            approvers=list(approvers),
            actor=member_actor("m1"),
        ).id

    def expenditure(
        self,
        amount: int,
        *,
        authorisation: str,
        kind: str = "decision",
        purpose: str = "保洁",
        method: str = "transfer",
        payee: Party = COMPANY,
        on: date = TODAY,
        proposer: str = "m1",
        contract_ref: str = "",
    ) -> ExpenditureDetails:
        return ExpenditureDetails(
            category="cleaning_greening",
            payee=payee,
            method=method,
            amount=amount,
            purpose=purpose,
            value_date=on,
            authorisation_kind=kind,  # type: ignore[arg-type]
            authorisation_id=authorisation,
            contract_ref=contract_ref,
        )

    def propose(self, details: ExpenditureDetails, *, by: str = "m1") -> str:
        return self.ledger.propose_expenditure(
            self.account_id, details, idempotency_key=self.next_key("exp"), actor=member_actor(by)
        ).id

    def pay(self, details: ExpenditureDetails, *, by: str = "m1", checker: str = "m2") -> str:
        expenditure_id = self.propose(details, by=by)
        receipt = self.ledger.approve_expenditure(
            self.account_id, expenditure_id, actor=member_actor(checker)
        )
        assert receipt.status == "booked"
        return expenditure_id


def elect(
    ledger: Ledger,
    complex_id: UUID,
    unit_ids: list[str],
    *,
    key_: str = "election",
    elected_on: date = TODAY - timedelta(days=60),
    term_end: date | None = None,
    team: list[Member] | None = None,
) -> UUID:
    resolution = ledger.record_resolution(
        complex_id,
        idempotency_key=key_,
        matter=3,
        purpose="选举业主委员会",
        amount_cap=None,
        period_from=elected_on - timedelta(days=20),
        period_to=elected_on,
        scope_units=None,
        participated=unit_ids,
        consented=unit_ids,
        closed_on=elected_on,
        actor=OPERATOR,
    )
    committee = ledger.elect_committee(
        complex_id,
        election_resolution_id=UUID(resolution.id),
        elected_on=elected_on,
        term_end=term_end or elected_on + timedelta(days=3 * 365),
        members=team or members(),
        actor=OPERATOR,
    )
    return UUID(committee.id)


def file_and_seal(ledger: Ledger, committee_id: UUID, elected_on: date) -> None:
    ledger.file_committee(
        committee_id,
        number="SN-2026-001",
        authority="市南区住房和城乡建设局",
        filed_on=elected_on + timedelta(days=10),
        actor=OPERATOR,
    )
    ledger.seal_committee(
        committee_id,
        seal_number="QD-SEAL-1",
        sealed_on=elected_on + timedelta(days=15),
        actor=OPERATOR,
    )


def register(
    ledger: Ledger, code: str = "QD-SN-0001", unit_count: int = 12
) -> tuple[UUID, list[str]]:
    the_units = units(unit_count)
    receipt = ledger.register_complex(
        code=code,
        name="海韵花园",
        district="370202",
        street="370202001",
        community="370202001001",
        units=the_units,
        actor=OPERATOR,
    )
    return UUID(receipt.id), list(the_units)


def world(
    ledger: Ledger,
    *,
    code: str = "QD-SN-0001",
    elected_on: date = TODAY - timedelta(days=60),
    term_end: date | None = None,
    bank_code: str = "",
) -> World:
    """A complex with 12 units, a sealed committee of 5 (m1–m3 signatories), an open account
    (held by the bank of ``bank_code``, where given: issue #14)."""
    complex_id, unit_ids = register(ledger, code)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=elected_on, term_end=term_end)
    file_and_seal(ledger, committee_id, elected_on)
    account = ledger.open_account(
        complex_id,
        bank="青岛银行市南支行",
        account_number="6228480012345678",
        signatories=["m1", "m2", "m3"],
        opened_on=elected_on + timedelta(days=20),
        actor=member_actor("m1"),
        bank_code=bank_code,
    )
    return World(ledger, complex_id, committee_id, UUID(account.id), unit_ids, members())


def successor_account(w: World, *, key_: str = "successor") -> UUID:
    """A new committee (members m1n–m5n) elected 5 days ago, filed, sealed, with its own account."""
    committee_id = elect(
        w.ledger,
        w.complex_id,
        w.unit_ids,
        key_=key_,
        elected_on=TODAY - timedelta(days=5),
        team=members(5, tag="n"),
    )
    w.ledger.file_committee(
        committee_id, number="F2", authority="区住建局", filed_on=TODAY, actor=OPERATOR
    )
    w.ledger.seal_committee(committee_id, seal_number="S2", sealed_on=TODAY, actor=OPERATOR)
    receipt = w.ledger.open_account(
        w.complex_id,
        bank="青岛银行",
        account_number="2",
        signatories=["m1n", "m2n"],
        opened_on=TODAY,
        actor=member_actor("m1n"),
    )
    return UUID(receipt.id)


@pytest.fixture
def sealed_world(ledger: Ledger) -> World:
    """``world(ledger)``: 12 units, a sealed committee of 5 (m1–m3 signatories), an open account."""
    return world(ledger)
