"""The full lifecycle over HTTP, as the README tells it (issue #3 acceptance)."""

from __future__ import annotations

from datetime import timedelta

from tests.plugins.api import Api
from tests.plugins.builders import key
from tests.plugins.clock import TODAY

ELECTED = (TODAY - timedelta(days=60)).isoformat()


def units(n: int) -> list[dict[str, object]]:
    return [
        {
            "unit_id": f"1-{i:03d}",
            "building": "1",
            "floor_area": "89.50",
            "owner_key": key(f"owner{i}"),
        }
        for i in range(1, n + 1)
    ]


def members() -> list[dict[str, object]]:
    return [
        {
            "member_id": f"m{i}",
            "name": f"委员{i}",
            "identity_key": key(f"m{i}"),
            "role": "chair" if i == 1 else "member",
            "signatory": i <= 3,
        }
        for i in range(1, 6)
    ]


def test_the_whole_lifecycle_over_http(api: Api) -> None:
    complex_ = api.call(
        "POST",
        "/v1/complexes",
        api.operator,
        expect=201,
        json={
            "code": "QD-SN-0001",
            "name": "海韵花园",
            "district": "370202",
            "street": "370202001",
            "community": "370202001001",
            "units": units(12),
        },
    )
    cid = complex_["id"]
    assert complex_["unit_count"] == 12
    assert complex_["floor_area"] == "1074.00"
    regulator = api.token(role="regulator", jurisdiction="370202")
    unit_ids = [u["unit_id"] for u in units(12)]
    election = api.call(
        "POST",
        f"/v1/complexes/{cid}/resolutions",
        regulator,
        expect=201,
        json={
            "matter": 3,
            "purpose": "选举业主委员会",
            "period_from": ELECTED,
            "period_to": ELECTED,
            "participated": unit_ids,
            "consented": unit_ids,
            "closed_on": ELECTED,
        },
    )
    assert election["outcome"] == "passed"
    committee = api.call(
        "POST",
        f"/v1/complexes/{cid}/committees",
        regulator,
        expect=201,
        json={
            "election_resolution_id": election["id"],
            "elected_on": ELECTED,
            "term_end": (TODAY + timedelta(days=900)).isoformat(),
            "members": members(),
        },
    )
    kid = committee["id"]
    m1 = api.token(role="committee", complex_id=cid, member_id="m1")
    m2 = api.token(role="committee", complex_id=cid, member_id="m2")
    early = api.call(
        "POST",
        f"/v1/complexes/{cid}/account",
        m1,
        expect=422,
        json={
            "bank": "青岛银行",
            "account_number": "6228480012345678",
            "signatories": ["m1", "m2"],
            "opened_on": TODAY.isoformat(),
        },
    )
    assert (early["rule"], early["type"]) == ("H01", "/problems/committee-not-sealed")
    api.call(
        "POST",
        f"/v1/committees/{kid}/filing",
        regulator,
        expect=200,
        json={
            "number": "市南备〔2026〕18号",
            "authority": "市南区住房和城乡建设局",
            "filed_on": (TODAY - timedelta(days=50)).isoformat(),
        },
    )
    sealed = api.call(
        "POST",
        f"/v1/committees/{kid}/seal",
        m1,
        expect=200,
        json={
            "seal_number": "3702020012345",
            "sealed_on": (TODAY - timedelta(days=45)).isoformat(),
        },
    )
    assert sealed["status"] == "sealed"
    account = api.call(
        "POST",
        f"/v1/complexes/{cid}/account",
        m1,
        expect=201,
        json={
            "bank": "青岛银行",
            "account_number": "6228480012345678",
            "signatories": ["m1", "m2", "m3"],
            "opened_on": (TODAY - timedelta(days=40)).isoformat(),
        },
    )
    aid = account["id"]
    income = api.call(
        "POST",
        f"/v1/accounts/{aid}/income",
        m1,
        key="inc-1",
        expect=201,
        json={
            "category": "parking",
            "payer": {"name": "青岛某物业服务有限公司", "kind": "organisation"},
            "amount": "8500.00",
            "value_date": TODAY.isoformat(),
            "contract_ref": "WY-2026-01",
            "collected": {
                "collector": "青岛某物业服务有限公司",
                "gross": "10000.00",
                "deduction": "1500.00",
                "contracted_rate": "0.15",
            },
        },
    )
    assert income["amount"] == "8500.00"
    decision = api.call(
        "POST",
        f"/v1/committees/{kid}/decisions",
        m1,
        expect=201,
        json={
            "purpose": "小区公共区域保洁",
            "amount_cap": "20000.00",
            "decided_on": (TODAY - timedelta(days=5)).isoformat(),
            "approvers": ["m1", "m2", "m3"],
        },
    )
    assert decision["approved"] is True
    proposal = api.call(
        "POST",
        f"/v1/accounts/{aid}/expenditures",
        m1,
        key="exp-1",
        expect=201,
        json={
            "category": "cleaning_greening",
            "payee": {"name": "青岛洁美保洁有限公司", "kind": "organisation"},
            "method": "transfer",
            "amount": "3200.00",
            "purpose": "小区公共区域保洁",
            "value_date": TODAY.isoformat(),
            "authorisation": {"kind": "decision", "id": decision["id"]},
        },
    )
    assert (proposal["status"], proposal["approvals"]) == ("proposed", ["m1"])
    booked = api.call(
        "POST",
        f"/v1/accounts/{aid}/expenditures/{proposal['id']}/approvals",
        m2,
        key="appr-1",
        expect=200,
    )
    assert (booked["status"], booked["approvals"]) == ("booked", ["m1", "m2"])
    assert api.call("GET", f"/v1/accounts/{aid}", m1, expect=200)["balance"] == "5300.00"
    reversal = api.call(
        "POST",
        f"/v1/accounts/{aid}/reversals",
        m1,
        key="rev-1",
        expect=201,
        json={"reverses": proposal["id"], "reason": "重复付款", "value_date": TODAY.isoformat()},
    )
    assert (reversal["kind"], reversal["amount"], reversal["reverses"]) == (
        "reversal",
        "3200.00",
        proposal["id"],
    )
    api.call(
        "POST",
        f"/v1/accounts/{aid}/suspension",
        regulator,
        expect=200,
        json={"reason": "核查可疑支出"},
    )
    blocked = api.call(
        "POST",
        f"/v1/accounts/{aid}/expenditures",
        m1,
        key="exp-2",
        expect=422,
        json={
            "category": "cleaning_greening",
            "payee": {"name": "青岛洁美保洁有限公司", "kind": "organisation"},
            "method": "transfer",
            "amount": "100.00",
            "purpose": "小区公共区域保洁",
            "value_date": TODAY.isoformat(),
            "authorisation": {"kind": "decision", "id": decision["id"]},
        },
    )
    assert blocked["rule"] == "H02"
    resumed = api.call("DELETE", f"/v1/accounts/{aid}/suspension", regulator, expect=200)
    assert resumed["payments_suspended"] is False
    entries = api.call("GET", f"/v1/accounts/{aid}/entries?limit=2", m1, expect=200)
    assert [e["kind"] for e in entries["items"]] == ["income", "expenditure"]
    rest = api.call(
        "GET", f"/v1/accounts/{aid}/entries?cursor={entries['next_cursor']}", m1, expect=200
    )
    assert [e["kind"] for e in rest["items"]] == ["reversal"]
    assert rest["next_cursor"] is None
    past = api.call(
        "GET",
        f"/v1/accounts/{aid}/balance?as_of={(TODAY - timedelta(days=1)).isoformat()}",
        regulator,
        expect=200,
    )
    assert past["balance"] == "0.00"
    # Closing needs a zero balance (H13): reverse the income, then close.
    api.call(
        "POST",
        f"/v1/accounts/{aid}/reversals",
        m1,
        key="rev-2",
        expect=201,
        json={"reverses": income["id"], "reason": "退回", "value_date": TODAY.isoformat()},
    )
    closed = api.call(
        "POST",
        f"/v1/accounts/{aid}/closure",
        m1,
        key="close-1",
        expect=200,
        json={"reason": "测试结束"},
    )
    assert (closed["status"], closed["balance"]) == ("closed", "0.00")
