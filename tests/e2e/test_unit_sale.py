"""A unit's sale over HTTP: the new owner, and the maintenance-fund sub-ledger going with the unit."""

from __future__ import annotations

from uuid import UUID

from ledger.application import Ledger
from ledger.maintenance import MaintenanceFund
from ledger.maintenance.receipts import fund_id
from tests.e2e.world import Builder
from tests.plugins.api import Api
from tests.plugins.builders import key
from tests.plugins.maintenance import AUTHORITY


def test_a_sale_changes_the_owner_and_takes_the_sub_ledger_along(api: Api) -> None:
    a = Builder(api).side("370202")
    unit = a.unit_ids[0]
    services_ledger: Ledger = api.client.app.state.services.ledger  # type: ignore[attr-defined]
    services_ledger.maintenance.record_deposits(
        UUID(a.complex_id), {unit: 2_000_00}, kind="first", on=api.clock().date(),
        reference="首次缴存", idempotency_key="first", actor=AUTHORITY,
    )  # fmt: skip
    buyer = key("buyer-1")
    path = f"/v1/complexes/{a.complex_id}/units/{unit}/sale"
    api.call("POST", path, api.operator, expect=201, json={"new_owner_key": buyer,
                                                           "sold_on": "2026-11-20"})  # fmt: skip
    complex_ = services_ledger.complex(UUID(a.complex_id))
    assert complex_.units[unit]["owner_key"] == buyer
    sold = [
        e for e in services_ledger.events.get(fund_id(UUID(a.complex_id)))
        if isinstance(e, MaintenanceFund.SubLedgerTransferred)
    ]  # fmt: skip
    assert [(e.unit_id, e.to_owner_key, e.balance) for e in sold] == [(unit, buyer, 2_000_00)]
    # the same buyer again is a clear refusal, not a second transfer
    again = api.client.post(path, json={"new_owner_key": buyer, "sold_on": "2026-11-21"},
                            headers={"Authorization": f"Bearer {api.operator}"})  # fmt: skip
    assert again.status_code == 422, again.text
    assert "already belongs" in again.json()["detail"]


def test_a_sale_of_an_unknown_unit_or_in_the_future_is_refused(api: Api) -> None:
    a = Builder(api).side("370202")
    headers = {"Authorization": f"Bearer {api.operator}"}
    body = {"new_owner_key": key("buyer-2"), "sold_on": "2026-11-20"}
    missing = api.client.post(f"/v1/complexes/{a.complex_id}/units/9-999/sale", json=body,
                              headers=headers)  # fmt: skip
    assert missing.status_code == 404, missing.text
    later = api.client.post(
        f"/v1/complexes/{a.complex_id}/units/{a.unit_ids[0]}/sale",
        json={**body, "sold_on": "2099-01-01"}, headers=headers,
    )  # fmt: skip
    assert later.status_code == 422, later.text
    assert "future" in later.json()["detail"]
