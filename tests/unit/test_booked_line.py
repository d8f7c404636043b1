"""ExpenditureBooked version 2 (issue #13 item 4): a stored v1 booking upcasts to "no line
carried", and its hash is still the one it was recorded with (H12)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from ledger.account import CommonFundAccount as Account
from ledger.account.entries import Proposal, booked_line
from ledger.chain import event_hash
from ledger.integrity import _recorded_hash
from ledger.personal import StoredParty

DATA = Path(__file__).resolve().parents[1] / "data" / "expenditure_booked_v1.json"
TOPIC = "ledger.account:CommonFundAccount.ExpenditureBooked"
COMPANY_PAYEE = StoredParty(
    name="某公司",
    kind="organisation",
    identity_key="",
    bank_account="",
    public_name="某公司",
    person="",
    name_key="",
    bank_key="",
)


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def stored_v1_bookings() -> list[StoredEvent]:
    events = json.loads(DATA.read_text(encoding="utf-8"))["events"]
    return [
        StoredEvent(
            originator_id=UUID(e["originator_id"]),
            originator_version=e["originator_version"],
            topic=e["topic"],
            state=e["state"].encode(),
        )
        for e in events
        if e["topic"] == TOPIC
    ]


def test_the_upcaster_says_a_v1_booking_carries_no_line() -> None:
    state: dict[str, Any] = {"expenditure_id": "x", "amount": 100, "approvers": ["m1", "m2"]}
    Account.ExpenditureBooked.upcast_v1_v2(state)
    assert state == {"expenditure_id": "x", "amount": 100, "approvers": ["m1", "m2"], "line": None}
    assert Account.ExpenditureBooked.class_version == 2


def test_a_stored_v1_booking_decodes_with_no_line_and_keeps_its_hash() -> None:
    m = mapper()
    app = cast(Application[UUID], SimpleNamespace(mapper=m))
    stored = stored_v1_bookings()
    assert len(stored) == 6  # the fixture's bookings, made by the code before version 2
    for record in stored:
        assert b'"class_version"' not in record.state
        assert b'"line"' not in record.state
        event = cast(Account.ExpenditureBooked, m.to_domain_event(record))
        assert isinstance(event, Account.ExpenditureBooked)
        assert event.line is None
        assert event.amount > 0
        assert event.approvers
        # the upcast field is not in the hash: verify recomputes what was recorded
        assert _recorded_hash(app, record, event) == event.chain_hash
        assert event_hash(TOPIC, vars(event)) != event.chain_hash  # (the line would change it)


def test_a_v2_booking_round_trips_with_its_line_and_its_hash() -> None:
    m = mapper()
    app = cast(Application[UUID], SimpleNamespace(mapper=m))
    old = cast(Account.ExpenditureBooked, m.to_domain_event(stored_v1_bookings()[0]))
    proposal = Proposal(
        fingerprint="f", category="repairs", payee=COMPANY_PAYEE, method="transfer", amount=old.amount,
        purpose="换门禁", purpose_key="换门禁", value_date=old.value_date,
        authorisation_kind="resolution", authorisation_id="r-1", contract_ref="HT-1",
        description="", proposer="m1", approvals=["m1", "m2"], status="proposed",
    )  # fmt: skip
    fields = {k: v for k, v in vars(old).items() if k not in {"chain_hash", "line"}} | {
        "line": booked_line(proposal)
    }
    fields["chain_hash"] = event_hash(TOPIC, fields)  # as ChainedAggregate.trigger_event does
    new = object.__new__(Account.ExpenditureBooked)
    object.__setattr__(new, "__dict__", fields)
    record = m.to_stored_event(new)
    assert b'"class_version":2' in record.state
    again = cast(Account.ExpenditureBooked, m.to_domain_event(record))
    assert again.line == booked_line(proposal)
    assert again.line is not None
    assert again.line["contract_ref"] == "HT-1"
    assert _recorded_hash(app, record, again) == again.chain_hash
    assert event_hash(TOPIC, vars(again)) == again.chain_hash
