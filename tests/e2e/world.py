"""A world over HTTP for the e2e tests: complexes with a sealed committee, an open account,
income, a decision and pending expenditures, and the tokens of everyone who acts on them.

Everything is made through the API itself (as the walk-through does), so a world is
exactly what a deployment would hold after the same calls.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.routing import iter_route_contexts

from api.app import create_app
from tests.plugins.api import Api
from tests.plugins.builders import key
from tests.plugins.clock import TODAY

ELECTED = TODAY - timedelta(days=60)
PLACES = {
    "370202": ("370202001", "370202001001"),  # 市南区
    "370203": ("370203001", "370203001001"),  # 市北区
}
UNITS = 12


def day(offset: int = 0) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def unit_rows(count: int, *, building: str = "1") -> list[dict[str, Any]]:
    return [
        {
            "unit_id": f"{building}-{i:03d}",
            "building": building,
            "floor_area": "89.50",
            "owner_key": key(f"owner-{building}-{i}"),
        }
        for i in range(1, count + 1)
    ]


def member_rows(tag: str = "") -> list[dict[str, Any]]:
    """Five members, m1–m3 signatories, m1 the chair."""
    return [
        {
            "member_id": f"m{i}",
            "name": f"委员{i}{tag}",
            "identity_key": key(f"member-{i}{tag}"),
            "role": "chair" if i == 1 else "member",
            "signatory": i <= 3,
        }
        for i in range(1, 6)
    ]


def income_body(amount: str = "8500.00") -> dict[str, Any]:
    return {
        "category": "parking",
        "payer": {"name": "青岛某物业服务有限公司", "kind": "organisation"},
        "amount": amount,
        "value_date": day(),
        "contract_ref": "WY-2026-01",
    }


def expenditure_body(decision_id: str, amount: str) -> dict[str, Any]:
    return {
        "category": "cleaning_greening",
        "payee": {"name": "青岛洁美保洁有限公司", "kind": "organisation"},
        "method": "transfer",
        "amount": amount,
        "purpose": "小区公共区域保洁",
        "value_date": day(),
        "authorisation": {"kind": "decision", "id": decision_id},
    }


def election_body(unit_ids: list[str], on: str) -> dict[str, Any]:
    return {
        "matter": 3,
        "purpose": "选举业主委员会",
        "period_from": on,
        "period_to": on,
        "participated": unit_ids,
        "consented": unit_ids,
        "closed_on": on,
    }


@dataclass
class Side:
    """One complex and what lives in it; ``tokens`` act inside it (m1, m2, m4, owner)."""

    district: str
    complex_id: str
    code: str
    name: str
    unit_ids: list[str]
    committee_id: str
    election_id: str
    tokens: dict[str, str]
    account_id: str = ""
    income_id: str = ""
    decision_id: str = ""
    mine: str = ""  # a pending expenditure proposed (and so approved) by m1
    theirs: str = ""  # a pending expenditure proposed by m2, awaiting a second signatory


class Builder:
    """Makes sides through the API; unique codes and Idempotency-Keys per test."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.serial = itertools.count(1)
        self.regulators = {
            code: self.issue(role="regulator", jurisdiction=code)
            for code in ("370202", "370203", "370200")
        }

    def fresh(self, kind: str) -> str:
        return f"{kind}-{next(self.serial)}"

    def issue(self, **scope: Any) -> str:
        """A token issued by the operator over HTTP (one pool, faster than a store per token)."""
        issued = self.api.call(
            "POST", "/v1/admin/tokens", self.api.operator, expect=201, json=scope
        )
        return str(issued["token"])

    def issue_record(self, **scope: Any) -> dict[str, Any]:
        issued: dict[str, Any] = self.api.call(
            "POST", "/v1/admin/tokens", self.api.operator, expect=201, json=scope
        )
        return issued

    def post(self, path: str, token: str, body: Any, expect: int = 201) -> dict[str, Any]:
        result: dict[str, Any] = self.api.call(
            "POST", path, token, expect=expect, json=body, key=self.fresh("k")
        )
        return result

    def side(
        self, district: str, *, account: bool = True, spend: bool = True, everyone: bool = True
    ) -> Side:
        """A complex with a sealed committee; then, as asked, its account and some spending.

        Tokens: m1 always, m2 when there is spending (it proposes one payment), m4 (not a
        signatory) and an owner when ``everyone``.
        """
        n = next(self.serial)
        street, community = PLACES[district]
        code = f"QD-{district}-{n:04d}"
        name = f"测试花园{district}第{n}号"
        units = unit_rows(UNITS)
        created = self.post(
            "/v1/complexes",
            self.api.operator,
            {
                "code": code,
                "name": name,
                "district": district,
                "street": street,
                "community": community,
                "units": units,
            },
        )
        cid = str(created["id"])
        regulator = self.regulators[district]
        unit_ids = [str(u["unit_id"]) for u in units]
        election = self.post(
            f"/v1/complexes/{cid}/resolutions",
            regulator,
            election_body(unit_ids, ELECTED.isoformat()),
        )
        committee = self.post(
            f"/v1/complexes/{cid}/committees",
            regulator,
            {
                "election_resolution_id": election["id"],
                "elected_on": ELECTED.isoformat(),
                "term_end": day(900),
                "members": member_rows(),
            },
        )
        kid = str(committee["id"])
        spending = account and spend
        who = ["m1", *(["m2"] if spending else []), *(["m4"] if everyone else [])]
        tokens = {m: self.issue(role="committee", complex_id=cid, member_id=m) for m in who}
        if everyone:
            tokens["owner"] = self.issue(role="owner", complex_id=cid, owner_key=key("owner-1-1"))
        side = Side(district, cid, code, name, unit_ids, kid, str(election["id"]), tokens)
        self.post(
            f"/v1/committees/{kid}/filing",
            regulator,
            {"number": f"备〔2026〕{n}号", "authority": "区住房和城乡建设局", "filed_on": day(-50)},
            expect=200,
        )
        self.post(
            f"/v1/committees/{kid}/seal",
            tokens["m1"],
            {"seal_number": f"37020200{n:05d}", "sealed_on": day(-45)},
            expect=200,
        )
        if account:
            self.open_account(side)
        if spending:
            self.spend(side)
        return side

    def open_account(self, side: Side) -> None:
        account = self.post(
            f"/v1/complexes/{side.complex_id}/account",
            side.tokens["m1"],
            {
                "bank": "青岛银行",
                "account_number": "6228480012345678",
                "signatories": ["m1", "m2", "m3"],
                "opened_on": day(-40),
            },
        )
        side.account_id = str(account["id"])

    def spend(self, side: Side) -> None:
        """Income of 8500.00, a cleaning decision, and two pending expenditures."""
        aid, m1, m2 = side.account_id, side.tokens["m1"], side.tokens["m2"]
        side.income_id = str(self.post(f"/v1/accounts/{aid}/income", m1, income_body())["id"])
        decision = self.post(
            f"/v1/committees/{side.committee_id}/decisions",
            m1,
            {
                "purpose": "小区公共区域保洁",
                "amount_cap": "20000.00",
                "decided_on": day(-5),
                "approvers": ["m1", "m2", "m3"],
            },
        )
        side.decision_id = str(decision["id"])
        path = f"/v1/accounts/{aid}/expenditures"
        side.mine = str(self.post(path, m1, expenditure_body(side.decision_id, "1000.00"))["id"])
        side.theirs = str(self.post(path, m2, expenditure_body(side.decision_id, "1200.00"))["id"])


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves; HEAD is Starlette's automatic twin of GET."""
    app = create_app(_never_started, lambda _: {})
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        assert route.path is not None
        found |= {(m, route.path) for m in (route.methods or set()) if m != "HEAD"}
    return sorted(found, key=lambda r: (r[1], r[0]))


def _never_started() -> Any:
    raise AssertionError("the route list needs no running app")
