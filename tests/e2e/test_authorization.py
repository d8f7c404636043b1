"""The authorization matrix (issue #3 acceptance, H15): every route × every principal.

Two complexes in different districts of Qingdao: A in 市南区 (370202) and B in 市北区
(370203), each with units, a sealed committee, an open account with income and two
pending expenditures. Every request targets A. The principals:

    op    the operator
    m1    committee token of A acting as m1 (chair, signatory)
    m4    committee token of A acting as m4 (member, not a signatory)
    cB    committee token of B (m1 of B): the wrong complex
    own   owner of a unit in A
    rA    regulator of A's district (370202)
    city  regulator of the city (370200), which covers both districts
    rB    regulator of B's district (370203): the wrong jurisdiction
    bank  a bank token
    exp   A's m1 token, expired
    rev   A's m1 token, revoked by the operator
    none  no Authorization header

Each cell is the exact status: 401 without valid credentials, 404 outside the
principal's scope (it may not know the thing exists), 403 inside it with a role that
may not act, and for allowed calls the success status, or the domain's own refusal
where the domain, not the credentials, says no. The route list comes from the app
itself, so a new route without a row fails here.

Allowed writes change state, so every cell that may change state runs on a world
where it is the first to act: the first on the route's own world (after all the
cells that cannot change anything), each further one on a fresh complex A.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx2 as httpx
import pytest

from bench.bank_files import camt053_bytes
from ledger.bank.statement import BankLine
from tests.e2e import maintenance_world, voting_world
from tests.e2e.alerting import round_payment
from tests.e2e.world import (
    Builder,
    Side,
    app_routes,
    day,
    election_body,
    expenditure_body,
    income_body,
    member_rows,
    unit_rows,
)
from tests.plugins.api import Api
from tests.plugins.builders import key
from tests.plugins.clock import TODAY

# Who may call what is decided at the HTTP edge and in the unit of work from the credential and
# the complex's place, by the same code over every store; ~95 routes, each on a world of its own,
# cost ~4 minutes of CI on PostgreSQL for no path the SQLite run does not take. The stores' own
# behaviour under these principals is covered where it differs: the members-in-office sweep
# (test_members_in_office_http.py) and the H15 checks of tests/integration run on both.
pytestmark = pytest.mark.stores("sqlite")

PRINCIPALS = ("op", "m1", "m4", "cB", "own", "rA", "city", "rB", "bank", "exp", "rev", "none")
OUT_OF_SCOPE = ("cB", "rB", "bank")  # may not know anything of complex A exists
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Call:
    """How a cell calls its route: ids that differ from A's defaults, a body, a query."""

    ids: dict[str, str] = field(default_factory=dict)
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # a raw body (a bank file), sent with ``headers``
    headers: dict[str, str] = field(default_factory=dict)


Prepare = Callable[[Builder, Side], Call]


def plain(b: Builder, a: Side) -> Call:
    return Call()


def page_published(b: Builder, a: Side) -> Call:
    """A's committee publishes September for the owners' page (the JSON rows publish others)."""
    b.post(f"/v1/complexes/{a.complex_id}/statements/2026-09/publication", a.tokens["m1"], None)
    return Call(ids={"period": "2026-09"})


def home_page(b: Builder, a: Side) -> Call:
    """A's home, once the directory (the supervision read model) lists it."""
    deadline = time.monotonic() + 10
    while b.api.client.get(f"/c/{a.code}").status_code != 200:
        assert time.monotonic() < deadline, "the directory never listed the complex"
        time.sleep(0.05)
    return Call(ids={"code": a.code})


@dataclass(frozen=True)
class Row:
    statuses: str  # one status per principal, in PRINCIPALS order
    prepare: Prepare = plain  # runs once per world, before the cells that use it
    account: bool = True  # A has an open account (False: A is made without one)
    lean: bool = False  # a fresh A for this row needs only its sealed committee
    refusals: dict[str, str] = field(default_factory=dict)  # principal -> the domain's problem

    def expected(self) -> dict[str, int]:
        codes = [int(s) for s in self.statuses.split()]
        assert len(codes) == len(PRINCIPALS), self.statuses
        return dict(zip(PRINCIPALS, codes, strict=True))

    @property
    def public(self) -> bool:
        return set(self.expected().values()) == {200}


def path_of(template: str, a: Side, call: Call, *, ghost: bool = False) -> str:
    """The route's own path template, filled with A's ids (or the cell's own).

    A ``ghost`` path names ids that exist nowhere, to compare the 404s.
    """
    if ghost:
        return template.format_map(defaultdict(lambda: str(uuid4())))
    ids = {
        "complex_id": a.complex_id,
        "committee_id": a.committee_id,
        "resolution_id": a.election_id,
        "account_id": a.account_id,
        "expenditure_id": a.mine,
        "token_id": "tok_0000000000000000",
        "slug": "debit-blocked",
        "period": "2026-10",
        "year": "2026",
        "alert_id": "00000000-0000-0000-0000-000000000000",  # rows that need one raise it
        "rule_id": "A04",
        "link_id": "link-00000000-0000-0000-0000-000000000000",  # rows that need one make it
    }
    return template.format(**{**ids, **call.ids})


# --- what each route is called with (all bodies valid: only the principal varies) -----


def body(make: Callable[[Side], Any]) -> Prepare:
    return lambda b, a: Call(json=make(a))


def new_complex(b: Builder, a: Side) -> Call:
    n = b.fresh("new")
    return Call(
        json={
            "code": f"QD-MX-{n}",
            "name": f"新登记小区{n}",
            "district": "370202",
            "street": "370202001",
            "community": "370202001001",
            "units": unit_rows(3),
        }
    )


def new_committee(b: Builder, a: Side, *, filed: bool) -> str:
    """Elect (and maybe file) a successor committee of A: the old one is superseded."""
    regulator = b.regulators[a.district]
    election = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions", regulator, election_body(a.unit_ids, day(-10))
    )
    committee = b.post(
        f"/v1/complexes/{a.complex_id}/committees",
        regulator,
        {
            "election_resolution_id": election["id"],
            "elected_on": day(-10),
            "term_end": day(1000),
            "members": member_rows("新"),
        },
    )
    kid = str(committee["id"])
    if filed:
        b.post(
            f"/v1/committees/{kid}/filing",
            regulator,
            {"number": "备〔2026〕99号", "authority": "区住房和城乡建设局", "filed_on": day(-5)},
            expect=200,
        )
    return kid


def elect(b: Builder, a: Side) -> Call:
    election = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions",
        b.regulators[a.district],
        election_body(a.unit_ids, day(-3)),
    )
    return Call(
        json={
            "election_resolution_id": election["id"],
            "elected_on": day(-3),
            "term_end": day(1000),
            "members": member_rows("新"),
        }
    )


def member_change(a: Side) -> dict[str, Any]:
    joining = {
        "member_id": "m6",
        "name": "委员6",
        "identity_key": key("member-6"),
        "role": "member",
        "signatory": False,
    }
    return {"added": [joining], "removed": ["m5"], "changed_on": day()}


def refiling(b: Builder, a: Side) -> Call:
    """After a member change the committee files again."""
    b.post(
        f"/v1/committees/{a.committee_id}/members",
        b.regulators[a.district],
        member_change(a),
        expect=200,
    )
    return Call(
        json={"number": "备〔2026〕100号", "authority": "区住房和城乡建设局", "filed_on": day()}
    )


def unsealed(b: Builder, a: Side) -> Call:
    kid = new_committee(b, a, filed=True)
    return Call({"committee_id": kid}, {"seal_number": "3702029999", "sealed_on": day()})


def superseded(b: Builder, a: Side) -> Call:
    new_committee(b, a, filed=False)
    return Call(json={"handed_over_on": day()})


def resolution(a: Side) -> dict[str, Any]:
    return {
        "matter": 9,
        "purpose": "更换单元门禁系统",
        "amount_cap": "60000.00",
        "period_from": day(),
        "period_to": day(180),
        "participated": a.unit_ids,
        "consented": a.unit_ids,
        "closed_on": day(-1),
    }


def account(a: Side) -> dict[str, Any]:
    return {
        "bank": "青岛银行",
        "account_number": "6228480087654321",
        "signatories": ["m1", "m2", "m3"],
        "opened_on": day(-1),
    }


def decision(a: Side) -> dict[str, Any]:
    return {
        "purpose": "绿化养护",
        "amount_cap": "3000.00",
        "decided_on": day(),
        "approvers": ["m1", "m2", "m3"],
    }


def reject_theirs(b: Builder, a: Side) -> Call:
    """m2's proposal: m1 is the second signatory it waits for."""
    return Call({"expenditure_id": a.theirs}, {"reason": "报价高于市场价"})


def approve_theirs(b: Builder, a: Side) -> Call:
    return Call({"expenditure_id": a.theirs})


def suspended(b: Builder, a: Side) -> Call:
    b.post(
        f"/v1/accounts/{a.account_id}/suspension",
        b.regulators[a.district],
        {"reason": "核查可疑支出"},
        expect=200,
    )
    return Call()


def closable(b: Builder, a: Side) -> Call:
    """Reverse the only income: at a zero balance the committee may close (H13)."""
    b.post(
        f"/v1/accounts/{a.account_id}/reversals",
        a.tokens["m1"],
        {"reverses": a.income_id, "reason": "退回", "value_date": day()},
    )
    return Call(json={"reason": "测试关闭"})


def published(b: Builder, a: Side) -> Call:
    """A's committee publishes October, so the public statement exists."""
    b.post(f"/v1/complexes/{a.complex_id}/statements/2026-10/publication", a.tokens["m1"], None)
    return Call()


def published_quarter(b: Builder, a: Side) -> Call:
    """A's committee publishes the third quarter, so the year's open data exists."""
    b.post(f"/v1/complexes/{a.complex_id}/statements/2026-Q3/publication", a.tokens["m1"], None)
    return Call()


def token_to_revoke(b: Builder, a: Side) -> Call:
    record = b.issue_record(role="bank", bank_code="313452060150", label="to revoke")
    return Call({"token_id": str(record["id"])})


HOOK_URL = "http://127.0.0.1:9/commonfund/alerts"  # allowed in tests; nothing listens there


def webhooked(b: Builder, a: Side) -> Call:
    """A webhook subscription of A's district regulator."""
    made = b.post("/v1/webhooks", b.regulators[a.district], {"url": HOOK_URL})
    return Call({"webhook_id": str(made["id"])})


def alerted(json: Any = None) -> Prepare:
    """An A04 alert on A (a round payment without a contract), and the body to send."""
    return lambda b, a: Call({"alert_id": round_payment(b, a)}, json)


def fund_deposits(b: Builder, a: Side) -> Call:
    return Call(json=maintenance_world.deposits_body(a.unit_ids))


def fund_interest(b: Builder, a: Side) -> Call:
    maintenance_world.funded_once(b, a)
    body = {"amount": "12.00", "period_from": day(-30), "period_to": day(-1), "value_date": day()}
    return Call(json=body)


def fund_project(b: Builder, a: Side) -> Call:
    """A funded A and a passed matter-5 resolution: the body of a plan."""
    maintenance_world.funded_once(b, a)
    vote = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions",
        b.regulators[a.district],
        {
            "matter": 5,
            "purpose": "维修屋面",
            "amount_cap": "5000.00",
            "period_from": day(-25),
            "period_to": day(100),
            "scope_units": a.unit_ids[:4],
            "participated": a.unit_ids[:4],
            "consented": a.unit_ids[:4],
            "closed_on": day(-10),
        },
    )
    return Call(json=maintenance_world.project_body(a.unit_ids[:4], str(vote["id"])))


def planned(json: Any = None) -> Prepare:
    """A's voted repair project (planned by m1), and the body to send."""

    def prepare(b: Builder, a: Side) -> Call:
        made = b.post(
            f"/v1/complexes/{a.complex_id}/maintenance-fund/projects",
            a.tokens["m1"],
            fund_project(b, a).json,
        )
        maintenance_world.settle(b)
        return Call({"project_id": str(made["id"])}, json)

    return prepare


def proposed_payout(by: str, json: Any = None) -> Prepare:
    """A payout on A's voted project, proposed by ``by`` (m4 is no signatory: no approval yet)."""

    def prepare(b: Builder, a: Side) -> Call:
        project = planned()(b, a).ids["project_id"]
        made = b.post(
            f"/v1/maintenance-projects/{project}/disbursements",
            a.tokens[by],
            maintenance_world.disbursement_body("100.00"),
        )
        return Call({"project_id": project, "disbursement_id": str(made["id"])}, json)

    return prepare


def fund_read(b: Builder, a: Side) -> Call:
    maintenance_world.funded_once(b, a)
    return Call()


def unit_read(b: Builder, a: Side) -> Call:
    """The owner's own unit (1-001), written <complex_id>:<unit>."""
    maintenance_world.funded_once(b, a)
    return Call({"unit_id": f"{a.complex_id}:{a.unit_ids[0]}"})


def annual_published(b: Builder, a: Side) -> Call:
    maintenance_world.published_2025(b, a)
    return Call({"year": "2025"})


def annual_publishable(b: Builder, a: Side) -> Call:
    maintenance_world.funded_once(b, a)
    return Call({"year": "2025"})


BANK_CODE = "313452060150"  # the "bank" principal's bank


def bank_file(a: Side, ref: str) -> bytes:
    line = BankLine(
        key=ref,
        reference=ref,
        direction="credit",
        amount=99_00,
        booked_on=TODAY - timedelta(days=1),
        value_on=TODAY - timedelta(days=1),
        counterparty="青岛某物业服务有限公司",
    )
    return camt053_bytes(
        [line],
        account_number="6228480087654321",
        opening=0,
        statement_id=f"S-{ref}",
        message_id=f"M-{ref}",
    )


def with_bank(b: Builder, a: Side) -> None:
    """A's account, held by the "bank" principal's bank."""
    made = b.post(
        f"/v1/complexes/{a.complex_id}/account",
        a.tokens["m1"],
        {**account(a), "bank_code": BANK_CODE},
    )
    a.account_id = str(made["id"])


def bank_statement(b: Builder, a: Side) -> Call:
    with_bank(b, a)
    return Call(content=bank_file(a, b.fresh("ref")), headers={"Content-Type": "application/xml"})


def bank_fed(b: Builder, a: Side) -> str:
    """A's bank-held account fed a statement by its bank; the line's key."""
    with_bank(b, a)
    ref = b.fresh("ref")
    bank = b.issue(role="bank", bank_code=BANK_CODE)
    response = b.api.client.post(
        f"/v1/accounts/{a.account_id}/bank-statements",
        content=bank_file(a, ref),
        headers={"Authorization": f"Bearer {bank}", "Content-Type": "application/xml"},
    )
    assert response.status_code == 201, response.text
    return ref


def reconciled(b: Builder, a: Side) -> Call:
    bank_fed(b, a)
    return Call()


def linkable(b: Builder, a: Side) -> Call:
    """A bank line and an income the matching leaves apart (another amount): a link's body."""
    ref = bank_fed(b, a)
    income = b.post(f"/v1/accounts/{a.account_id}/income", a.tokens["m1"], income_body("98.00"))
    return Call(
        json={"bank_lines": [ref], "entries": [income["id"]], "reason": "金额差1元为手续费"}
    )


def linked(b: Builder, a: Side) -> Call:
    call = linkable(b, a)
    made = b.post(f"/v1/accounts/{a.account_id}/reconciliation/links", a.tokens["m1"], call.json)
    return Call({"link_id": str(made["link_id"])}, params={"reason": "链接有误"})


def snoozing(b: Builder, a: Side) -> Call:
    return Call(json={"subject_id": a.account_id, "until": day(30), "reason": "合同已备案"})


def ballot_announced(b: Builder, a: Side) -> Call:
    return Call({"ballot_id": voting_world.announce(b, a)})


def ballot_open(b: Builder, a: Side) -> Call:
    return Call({"ballot_id": voting_world.open_ballot(b, a)})


def ballot_voting(b: Builder, a: Side) -> Call:
    return Call({"ballot_id": voting_world.open_ballot(b, a)}, json={"choices": {"1": "agree"}})


def ballot_delivering(b: Builder, a: Side) -> Call:
    return Call(
        {"ballot_id": voting_world.open_ballot(b, a)},
        json={"units": [a.unit_ids[3]], "evidence": voting_world.SCAN},
    )


def ballot_paper(b: Builder, a: Side) -> Call:
    ballot = voting_world.open_ballot(b, a)
    return Call(
        {"ballot_id": ballot},
        json={
            "unit": a.unit_ids[2],
            "choices": {"1": "agree"},
            "scan": voting_world.SCAN,
            "signed_at": b.api.clock().isoformat(),
        },
    )


def ballot_closable(b: Builder, a: Side) -> Call:
    return Call({"ballot_id": voting_world.voted_past(b, a)[0]})


def ballot_closed(b: Builder, a: Side) -> Call:
    ballot, receipts = voting_world.closed(b, a)
    return Call({"ballot_id": ballot, "receipt": receipts[0]})


def owner_code(b: Builder, a: Side) -> Call:
    ballot = voting_world.announce(b, a)
    made = b.api.client.post(
        f"/v1/ballots/{ballot}/owner-codes", headers={"Authorization": f"Bearer {a.tokens['m1']}"}
    )
    assert made.status_code == 201, made.text
    return Call(json={"code": made.text.splitlines()[1].split(",")[3]})


def revocation(b: Builder, a: Side) -> Call:
    return Call(json={"revoked_on": day(), "judgment": voting_world.SCAN})


def challenge_body() -> dict[str, str]:
    return {"court": "青岛市市南区人民法院", "case_number": "(2026)鲁0202民初123号",
            "filed_on": day(), "filing": voting_world.SCAN}  # fmt: skip


def challenge(b: Builder, a: Side) -> Call:
    return Call(json=challenge_body())


def challenged(b: Builder, a: Side) -> Call:
    """A's election under challenge (a regulator filed it): the case may end (issue #16)."""
    b.post(f"/v1/resolutions/{a.election_id}/challenge", b.regulators[a.district],
           challenge_body(), expect=200)  # fmt: skip
    return Call(json={"outcome": "dismissed", "ended_on": day(), "ruling": voting_world.SCAN})


COMPLEX = "/v1/complexes/{complex_id}"
COMMITTEE = "/v1/committees/{committee_id}"
ACCOUNT = "/v1/accounts/{account_id}"
EXPENDITURE = ACCOUNT + "/expenditures/{expenditure_id}"
FUND = COMPLEX + "/maintenance-fund"
PROJECT = "/v1/maintenance-projects/{project_id}"
PAYOUT = PROJECT + "/disbursements/{disbursement_id}"
PUBLIC = "200 200 200 200 200 200 200 200 200 200 200 200"

# fmt: off
#                op  m1  m4  cB  own rA  city rB bank exp rev none
OPERATOR_C =   "201 403 403 403 403 403 403 403 403 401 401 401"
COMMITTEE_C =  "403 201 201 404 403 403 403 404 404 401 401 401"
COMMITTEE_OK = "403 200 200 404 403 403 403 404 404 401 401 401"
KEEPERS_C =    "403 201 201 404 403 201 201 404 404 401 401 401"
KEEPERS_OK =   "403 200 200 404 403 200 200 404 404 401 401 401"
REGULATOR_OK = "403 403 403 404 403 200 200 404 404 401 401 401"
READ_ALL =     "200 200 200 404 200 200 200 404 404 401 401 401"
READ_ACCOUNT = "403 200 200 404 403 200 200 404 404 401 401 401"
READ_BANK =    "403 200 200 404 403 200 200 404 200 401 401 401"

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/openapi.json"): Row(PUBLIC),
    ("GET", "/docs"): Row(PUBLIC),
    ("GET", "/docs/oauth2-redirect"): Row(PUBLIC),
    ("GET", "/problems/"): Row(PUBLIC),
    ("GET", "/problems/{slug}"): Row(PUBLIC),
    ("GET", "/healthz"): Row(PUBLIC),
    ("GET", "/readyz"): Row(PUBLIC),
    ("GET", "/metrics"): Row("200 403 403 403 403 403 403 403 403 401 401 401"),  # issue #17
    # the owners' pages: HTML outside /v1 and outside the OpenAPI document
    ("GET", "/complexes/{complex_id}/statements"): Row(PUBLIC),
    ("GET", "/"): Row(PUBLIC),  # the owners' index and a complex's home (issue #17)
    ("GET", "/c/{code}"): Row(PUBLIC, home_page),
    # an owner's own units (issue #17): the sign-in form for anyone else, as HTML
    ("GET", "/owner"): Row(PUBLIC),
    ("POST", "/owner/session"): Row(
                   "401 401 401 401 401 401 401 401 401 401 401 401"),
    ("POST", "/owner/logout"): Row(PUBLIC),
    ("GET", "/owner/units/{unit_id}"): Row(PUBLIC, lambda b, a: Call(ids={"unit_id": "1-001"})),
    ("GET", "/complexes/{complex_id}/statements/{period}"): Row(PUBLIC, page_published),
    # the operator registers complexes and units, and issues and revokes tokens
    ("POST", "/v1/complexes"): Row(OPERATOR_C, new_complex),
    ("POST", COMPLEX + "/units"): Row(
                   "201 403 403 404 403 403 403 404 404 401 401 401",
        body(lambda a: {"units": unit_rows(2, building="9")}), lean=True),
    ("POST", COMPLEX + "/units/{unit_id}/sale"): Row(
                   "201 403 403 404 403 403 403 404 404 401 401 401",
        lambda b, a: Call(ids={"unit_id": a.unit_ids[1]},
                          json={"new_owner_key": key(f"buyer-{b.fresh('sale')}"),
                                "sold_on": "2026-11-20"}), lean=True),
    ("GET", COMPLEX): Row(READ_ALL),
    ("PUT", COMPLEX + "/units/{unit_id}/delivery"): Row(
                   "200 403 403 404 403 403 403 404 404 401 401 401",
        lambda b, a: Call(ids={"unit_id": a.unit_ids[1]}, json={"delivered": False}), lean=True),
    # voting (issue #16): the committee organises (the street office only a first election),
    # owners vote, everyone reads a closed ballot's results
    ("POST", COMPLEX + "/ballots"): Row(
                   "403 201 201 404 403 422 422 404 404 401 401 401",
        lambda b, a: Call(json=voting_world.ballot_body(b.api.clock())), lean=True,
        refusals={"rA": "invalid-state", "city": "invalid-state"}),
    ("GET", COMPLEX + "/ballots"): Row(READ_ALL, ballot_announced, lean=True),
    ("GET", "/v1/ballots/{ballot_id}"): Row(READ_ALL, ballot_open, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/open"): Row(KEEPERS_OK, ballot_announced, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/deliveries"): Row(
        COMMITTEE_OK, ballot_delivering, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/votes"): Row(
                   "403 403 403 404 201 403 403 404 404 401 401 401", ballot_voting, lean=True),
    ("GET", "/v1/ballots/{ballot_id}/votes/mine"): Row(
                   "403 403 403 404 200 403 403 404 404 401 401 401", ballot_open, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/paper-ballots"): Row(COMMITTEE_C, ballot_paper, lean=True),
    ("GET", "/v1/ballots/{ballot_id}/quorum"): Row(READ_ALL, ballot_open, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/close"): Row(
                   "200 200 200 404 403 200 200 404 404 401 401 401", ballot_closable, lean=True),
    ("POST", "/v1/ballots/{ballot_id}/owner-codes"): Row(
                   "201 201 201 404 403 403 403 404 404 401 401 401", ballot_announced, lean=True),
    ("POST", "/v1/owner-codes/exchange"): Row(
                   "201 201 201 201 201 201 201 201 201 201 201 201", owner_code, lean=True),
    # an owner's own notices (ballots, A19): the credential names the complex and the owner
    ("GET", "/v1/owner/notices"): Row(
                   "403 403 403 403 200 403 403 403 403 401 401 401", ballot_open, lean=True),
    ("POST", "/v1/resolutions/{resolution_id}/revocation"): Row(
        REGULATOR_OK, revocation, lean=True),
    ("POST", "/v1/resolutions/{resolution_id}/challenge"): Row(
        REGULATOR_OK, challenge, lean=True),
    ("POST", "/v1/resolutions/{resolution_id}/challenge/end"): Row(
        REGULATOR_OK, challenged, lean=True),
    ("GET", "/v1/public/ballots/{ballot_id}"): Row(PUBLIC, ballot_closed, lean=True),
    ("GET", "/v1/public/ballots/{ballot_id}/list"): Row(PUBLIC, ballot_closed, lean=True),
    ("GET", "/v1/public/ballots/{ballot_id}/receipts/{receipt}"): Row(
        PUBLIC, ballot_closed, lean=True),
    # the ballots' pages (HTML): without an owner's credentials for A the vote page shows the
    # sign-in form; the form refuses a post without its CSRF token (403), or without a session
    ("GET", "/ballots/{ballot_id}/vote"): Row(PUBLIC, ballot_open, lean=True),
    ("POST", "/ballots/{ballot_id}/session"): Row(
                   "401 401 401 401 401 401 401 401 401 401 401 401", ballot_open, lean=True),
    ("POST", "/ballots/{ballot_id}/vote"): Row(
                   "401 401 401 401 403 401 401 401 401 401 401 401", ballot_open, lean=True),
    ("GET", "/ballots/{ballot_id}/confirmation"): Row(PUBLIC, ballot_open, lean=True),
    ("POST", "/ballots/{ballot_id}/logout"): Row(PUBLIC, ballot_open, lean=True),  # forgets a cookie
    ("GET", "/ballots/{ballot_id}/results"): Row(PUBLIC, ballot_closed, lean=True),
    ("POST", "/v1/admin/tokens"): Row(
        OPERATOR_C, body(lambda a: {"role": "regulator", "jurisdiction": "370202"})),
    ("DELETE", "/v1/admin/tokens/{token_id}"): Row(
                   "200 403 403 403 403 403 403 403 403 401 401 401", token_to_revoke),
    # webhooks: a regulator subscribes inside its jurisdiction (rB may not for A's district),
    # sees and removes those inside it; the operator sees them all
    ("POST", "/v1/webhooks"): Row(
                   "403 403 403 403 403 201 201 403 403 401 401 401",
        body(lambda a: {"url": HOOK_URL, "jurisdiction": a.district})),
    ("GET", "/v1/webhooks"): Row(
                   "200 403 403 403 403 200 200 200 403 401 401 401"),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): Row(
                   "200 403 403 403 403 200 200 404 403 401 401 401", webhooked),
    ("DELETE", "/v1/webhooks/{webhook_id}"): Row(
                   "403 403 403 403 403 200 200 404 403 401 401 401", webhooked),
    # the committee lifecycle: the committee (as one member) or a regulator records it
    ("POST", COMPLEX + "/committees"): Row(KEEPERS_C, elect, lean=True),
    ("POST", COMMITTEE + "/filing"): Row(KEEPERS_OK, refiling, lean=True),
    ("POST", COMMITTEE + "/seal"): Row(KEEPERS_OK, unsealed, lean=True),
    ("POST", COMMITTEE + "/members"): Row(KEEPERS_OK, body(member_change), lean=True),
    ("POST", COMMITTEE + "/handover"): Row(KEEPERS_OK, superseded, lean=True),
    ("POST", COMMITTEE + "/dissolution"): Row(
        KEEPERS_OK, body(lambda a: {"reason": "业主大会决定解散", "dissolved_on": day()}), lean=True),
    ("POST", COMMITTEE + "/decisions"): Row(COMMITTEE_C, body(decision), lean=True),
    ("GET", COMMITTEE): Row(READ_ALL),
    ("POST", COMPLEX + "/resolutions"): Row(KEEPERS_C, body(resolution), lean=True),
    ("GET", "/v1/resolutions/{resolution_id}"): Row(READ_ALL),
    # the account: the committee keeps it, a regulator supervises it
    ("POST", COMPLEX + "/account"): Row(COMMITTEE_C, body(account), account=False),
    ("POST", ACCOUNT + "/income"): Row(COMMITTEE_C, body(lambda a: income_body("99.00"))),
    ("POST", ACCOUNT + "/expenditures"): Row(
        COMMITTEE_C, body(lambda a: expenditure_body(a.decision_id, "300.00"))),
    # m4 is not a signatory: H06 refuses its approval (422, rule H06)
    ("POST", EXPENDITURE + "/approvals"): Row(
                   "403 200 422 404 403 403 403 404 404 401 401 401", approve_theirs,
        refusals={"m4": "maker-checker"}),
    ("POST", EXPENDITURE + "/rejection"): Row(COMMITTEE_OK, reject_theirs),
    # only its proposer (m1) may withdraw a payment: m4 gets invalid-state (422)
    ("DELETE", EXPENDITURE): Row(
                   "403 200 422 404 403 403 403 404 404 401 401 401",
        refusals={"m4": "invalid-state"}),
    ("GET", EXPENDITURE): Row(READ_ACCOUNT),
    ("POST", ACCOUNT + "/reversals"): Row(
        COMMITTEE_C,
        body(lambda a: {"reverses": a.income_id, "reason": "金额录入错误", "value_date": day()})),
    ("POST", ACCOUNT + "/suspension"): Row(REGULATOR_OK, body(lambda a: {"reason": "核查"})),
    ("DELETE", ACCOUNT + "/suspension"): Row(REGULATOR_OK, suspended),
    # a regulator closes only once the committee is dissolved (H13: 422 closure-refused)
    ("POST", ACCOUNT + "/closure"): Row(
                   "403 200 200 404 403 422 422 404 404 401 401 401", closable,
        refusals={"rA": "closure-refused", "city": "closure-refused"}),
    ("GET", ACCOUNT): Row(READ_ACCOUNT),
    ("GET", ACCOUNT + "/entries"): Row(READ_ACCOUNT),
    # the bank feed (issue #14): the bank of the account feeds it; the committee and the
    # regulator read the reconciliation and link by hand; the bank reads its own feed
    ("POST", ACCOUNT + "/bank-statements"): Row(
                   "403 403 403 404 403 403 403 404 201 401 401 401", bank_statement,
        account=False),
    ("GET", ACCOUNT + "/bank-statements"): Row(READ_BANK, reconciled, account=False),
    ("GET", ACCOUNT + "/reconciliation"): Row(READ_BANK, reconciled, account=False),
    ("POST", ACCOUNT + "/reconciliation/links"): Row(
                   "403 201 201 404 403 201 201 404 403 401 401 401", linkable, account=False),
    ("DELETE", ACCOUNT + "/reconciliation/links/{link_id}"): Row(
                   "403 204 204 404 403 204 204 404 403 401 401 401", linked, account=False),
    ("GET", ACCOUNT + "/balance"): Row(
        READ_ACCOUNT, lambda b, a: Call(params={"as_of": day()})),
    # statements: the committee publishes; drafts for the complex's roles; the rest is public
    ("POST", COMPLEX + "/statements/{period}/publication"): Row(COMMITTEE_C),
    # where owners raise objections (issue #17): the committee in office or the operator
    ("POST", COMPLEX + "/objection-contact"): Row(
                   "200 200 200 404 403 403 403 404 404 401 401 401",
        body(lambda a: {"contact": "业主委员会办公室，电话 0532-8000 1234"}), lean=True),
    ("GET", COMPLEX + "/statements/{period}/draft"): Row(READ_ALL),
    ("GET", "/v1/public/complexes"): Row(PUBLIC),
    ("GET", "/v1/public/complexes/{complex_id}/digest"): Row(PUBLIC),
    ("GET", "/v1/public/complexes/{complex_id}/statements"): Row(PUBLIC),
    ("GET", "/v1/public/complexes/{complex_id}/statements/{period}"): Row(PUBLIC, published),
    ("GET", "/v1/public/complexes/{complex_id}/open-data/{year}"): Row(PUBLIC, published_quarter),
    # the maintenance fund (issue #6): the authority (a regulator), the committee or the
    # operator deposits; a regulator or the operator records interest; the committee runs
    # projects; a unit's own ledger is for its owner and regulators only
    ("POST", FUND + "/deposits"): Row(
                   "201 201 201 404 403 201 201 404 404 401 401 401", fund_deposits, lean=True),
    ("POST", FUND + "/interest"): Row(
                   "201 403 403 404 403 201 201 404 404 401 401 401", fund_interest, lean=True),
    ("POST", FUND + "/projects"): Row(COMMITTEE_C, fund_project, lean=True),
    ("POST", PROJECT + "/acceptance"): Row(
        COMMITTEE_OK, planned({"accepted_on": day(), "reference": "竣工验收"}), lean=True),
    ("POST", PROJECT + "/disclosure"): Row(
        COMMITTEE_OK, planned({"disclosed_on": day(), "reference": "公告栏"}), lean=True),
    ("POST", PROJECT + "/disbursements"): Row(
        COMMITTEE_C, planned(maintenance_world.disbursement_body("100.00")), lean=True),
    # a payout proposed by m4: m1 approves it (the first signatory); m4, no signatory, may not
    ("POST", PAYOUT + "/approvals"): Row(
                   "403 200 422 404 403 403 403 404 404 401 401 401", proposed_payout("m4"),
        lean=True, refusals={"m4": "maker-checker"}),
    ("POST", PAYOUT + "/rejection"): Row(
        COMMITTEE_OK, proposed_payout("m4", {"reason": "报价高于市场价"}), lean=True),
    # only its proposer (m1) withdraws a payout: m4 gets invalid-state (422)
    ("DELETE", PAYOUT): Row(
                   "403 200 422 404 403 403 403 404 404 401 401 401", proposed_payout("m1"),
        lean=True, refusals={"m4": "invalid-state"}),
    ("GET", PAYOUT): Row(READ_ALL, proposed_payout("m1"), lean=True),
    ("GET", FUND): Row(READ_ALL, fund_read, lean=True),
    ("GET", PROJECT): Row(READ_ALL, planned(), lean=True),
    ("GET", "/v1/units/{unit_id}/maintenance-ledger"): Row(
                   "403 403 403 404 200 200 200 404 404 401 401 401", unit_read, lean=True),
    ("POST", FUND + "/{year}/publication"): Row(COMMITTEE_C, annual_publishable, lean=True),
    ("GET", "/v1/public/complexes/{complex_id}/maintenance-fund/{year}"): Row(
        PUBLIC, annual_published),
    ("GET", "/complexes/{complex_id}/maintenance-fund/{year}"): Row(PUBLIC, annual_published),
    # supervision: each lists the alerts of its own scope; regulators work them, the
    # complex's committee answers them
    ("GET", "/v1/alerts"): Row(
                   "200 200 200 200 403 200 200 200 403 401 401 401"),
    ("GET", "/v1/alerts/{alert_id}"): Row(
                   "200 200 200 404 403 200 200 404 404 401 401 401", alerted()),
    ("POST", "/v1/alerts/{alert_id}/acknowledgement"): Row(REGULATOR_OK, alerted()),
    ("POST", "/v1/alerts/{alert_id}/closure"): Row(
        REGULATOR_OK, alerted({"outcome": "false_positive", "reason": "核查无异常"})),
    ("POST", "/v1/alerts/{alert_id}/explanations"): Row(
        COMMITTEE_C, alerted({"text": "保洁合同首期款", "evidence": ["HT-2026-11"]})),
    ("POST", "/v1/rules/{rule_id}/snoozes"): Row(
                   "403 403 403 404 403 201 201 404 404 401 401 401", snoozing),
    # the regulator's overview and page (a page answers HTML; without a regulator's or the
    # operator's credentials it shows the login form)
    ("GET", "/v1/overview"): Row(
                   "200 403 403 403 403 200 200 200 403 401 401 401"),
    ("GET", "/regulator"): Row(PUBLIC),
    ("GET", "/regulator/logout"): Row(PUBLIC),
    ("POST", "/regulator/session"): Row(
                   "401 401 401 401 401 401 401 401 401 401 401 401"),
    ("GET", "/regulator/accounts/{account_id}"): Row(
                   "200 200 200 200 200 200 200 404 200 200 200 200"),
    ("GET", "/regulator/accounts/{account_id}/reconciliation"): Row(
                   "200 200 200 200 200 200 200 404 200 200 200 200"),
    # the desk's forms (issue #17) take the session's CSRF token, which no bearer caller has:
    # every one is refused (tests/e2e/test_regulator_desk.py works them with a session)
    ("POST", "/regulator/alerts/{alert_id}/acknowledgement"): Row(
                   "403 403 403 403 403 403 403 403 403 403 403 403", alerted()),
    ("POST", "/regulator/alerts/{alert_id}/closure"): Row(
                   "403 403 403 403 403 403 403 403 403 403 403 403", alerted()),
    ("POST", "/regulator/accounts/{account_id}/suspension"): Row(
                   "403 403 403 403 403 403 403 403 403 403 403 403"),
    ("POST", "/regulator/accounts/{account_id}/resumption"): Row(
                   "403 403 403 403 403 403 403 403 403 403 403 403"),
}
# fmt: on


MUTATING = {"POST", "DELETE", "PUT", "PATCH"}


ROUTES = app_routes()  # derived from the app: a new route without a row fails below


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    missing = [r for r in ROUTES if r not in MATRIX]
    stale = [r for r in MATRIX if r not in ROUTES]
    assert (missing, stale) == ([], [])


# --- running the cells ---------------------------------------------------------------


@dataclass
class World:
    builder: Builder
    a: Side
    b: Side
    tokens: dict[str, str | None]


def principals(
    b: Builder, a: Side, other: Side, shared: dict[str, str | None]
) -> dict[str, str | None]:
    return {
        **shared,
        "m1": a.tokens["m1"],
        "m4": a.tokens["m4"],
        "cB": other.tokens["m1"],
        "own": a.tokens["owner"],
    }


def side_a(b: Builder, row: Row, *, fresh: bool = False) -> Side:
    """A as the row needs it: the route's own world has everything, a fresh A may be lean."""
    return b.side("370202", account=row.account and not (fresh and row.lean))


def build(api: Api, row: Row) -> World:
    b = Builder(api)
    a = side_a(b, row)
    other = b.side("370203", everyone=False)
    revoked = b.issue_record(role="committee", complex_id=a.complex_id, member_id="m1")
    api.call("DELETE", f"/v1/admin/tokens/{revoked['id']}", api.operator, expect=200)
    shared: dict[str, str | None] = {
        "op": api.operator,
        "rA": b.regulators["370202"],
        "city": b.regulators["370200"],
        "rB": b.regulators["370203"],
        "bank": b.issue(role="bank", bank_code="313452060150"),
        "exp": api.token(role="committee", complex_id=a.complex_id, member_id="m1", days=-1),
        "rev": str(revoked["token"]),
        "none": None,
    }
    return World(b, a, other, principals(b, a, other, shared))


EDGE_PROBLEMS = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}


def send(world: World, method: str, path: str, call: Call, who: str) -> httpx.Response:
    token = world.tokens[who]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method in MUTATING:
        headers["Idempotency-Key"] = world.builder.fresh(f"cell-{who}")
    if call.content is not None:
        return world.builder.api.client.request(
            method,
            path,
            content=call.content,
            params=call.params,
            headers={**headers, **call.headers},
        )
    return world.builder.api.client.request(
        method, path, json=call.json, params=call.params, headers=headers
    )


def check_cell(
    world: World, route: tuple[str, str], row: Row, call: Call, *, who: str, expected: int
) -> None:
    method, template = route
    path = path_of(template, world.a, call)
    response = send(world, method, path, call, who)
    where = (method, path, who)
    assert response.status_code == expected, (*where, response.text)
    if expected < 400 or not path.startswith("/v1/"):
        return  # the human pages answer errors as Chinese HTML, not problem+json
    assert response.headers["content-type"] == PROBLEM, where
    problem = response.json()
    slug = EDGE_PROBLEMS.get(expected) or row.refusals[who]
    assert (problem["status"], problem["type"]) == (expected, f"/problems/{slug}"), where
    if expected == 401:
        assert response.headers.get("www-authenticate") == "Bearer", where
    if expected == 404 and who in OUT_OF_SCOPE:
        # nothing of A leaks, not even that it exists: the answer is the one for ids
        # that name nothing at all (only the echoed path differs)
        assert world.a.name not in response.text, where
        assert world.a.code not in response.text, where
        ghost = send(world, method, path_of(template, world.a, call, ghost=True), call, who)
        assert ghost.status_code == 404, (*where, ghost.text)
        unlike = {"instance": None, "request_id": None}  # and the request's own id (#17)
        assert {**ghost.json(), **unlike} == {**problem, **unlike}, where


def changes_state(method: str, status: int) -> bool:
    return method in MUTATING and status not in (401, 403, 404)


def test_public_routes(api: Api) -> None:
    rows = [(route, MATRIX[route]) for route in ROUTES if route in MATRIX and MATRIX[route].public]
    assert len(rows) >= 7
    world = build(api, Row(PUBLIC))
    for route, row in rows:
        call = row.prepare(world.builder, world.a)
        for who in PRINCIPALS:
            check_cell(world, route, row, call, who=who, expected=200)


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r not in MATRIX or not MATRIX[r].public],
    ids=lambda r: f"{r[0]} {r[1]}",
)
def test_route(api: Api, route: tuple[str, str]) -> None:
    method, _ = route
    row = MATRIX.get(route)
    if row is None:
        pytest.fail(f"{method} {route[1]} has no row in the authorization matrix")
    expected = row.expected()
    world = build(api, row)
    call = row.prepare(world.builder, world.a)
    quiet = [p for p in PRINCIPALS if not changes_state(method, expected[p])]
    acting = [p for p in PRINCIPALS if changes_state(method, expected[p])]
    for who in quiet:
        check_cell(world, route, row, call, who=who, expected=expected[who])
    for n, who in enumerate(acting):
        if n:  # a fresh complex A where this principal is the first to act
            a = side_a(world.builder, row, fresh=True)
            tokens = principals(world.builder, a, world.b, world.tokens)
            world = World(world.builder, a, world.b, tokens)
            call = row.prepare(world.builder, a)
        check_cell(world, route, row, call, who=who, expected=expected[who])
