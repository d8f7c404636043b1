"""The owners' way in (issue #17): ``/`` finds a complex, ``/c/{code}`` is its home page.

Chinese HTML like every owners' page (api/pages.py): no JavaScript, errors as Chinese
404 pages. A complex's code stands for its id in every owners' address
(``/c/QD-SN-DEMO-001``, ``/complexes/QD-SN-DEMO-001/statements/2026-Q3``).
Committee members' names are public here (the committee's list is posted to the owners);
owners are never named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import Services, ServicesDep
from api.pages import complex_by_code, html, not_found, path_of
from ledger.application import AccountSummary, ComplexSummary
from ledger.committees.committee import Committee
from ledger.personal import shown
from ledger.places import DISTRICTS, district_name, street_name
from projections.supervision.directory import MAX_QUERY, Directory

router = APIRouter(include_in_schema=False)
ROLES = {"chair": "主任", "vice_chair": "副主任", "member": "委员"}
ROLE_ORDER = {"chair": 0, "vice_chair": 1, "member": 2}
COMMITTEE_STATUS = {
    "elected": "已选举，尚未备案",
    "filed": "已备案",
    "sealed": "已备案，印章已刻制",
    "superseded": "已换届",
    "dissolved": "已解散",
}
HOME_VERSIONS = 8  # the latest periods shown on the home page; the list page has them all


@dataclass(frozen=True, slots=True)
class MemberShown:
    name: str
    role: str


@router.get("/", response_class=HTMLResponse)
def index(
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200)] = "",
    district: Annotated[str, Query(max_length=12)] = "",
    street: Annotated[str, Query(max_length=12)] = "",
) -> HTMLResponse:
    """Search by name, code or address; browse by district and street."""
    directory = Directory(services.alerts.database)
    wanted = q.strip()[:MAX_QUERY]
    district = district if district.isdigit() else ""
    street = street if street.isdigit() and street.startswith(district) else ""
    searching = bool(wanted or district or street)
    found = directory.search(wanted, district=district, street=street) if searching else None
    return html(
        "index.html",
        q=wanted,
        district_code=district,
        street_code=street,
        found=found,
        areas=directory.areas(),
        district_name=district_name,
        street_name=street_name,
        districts=DISTRICTS,
    )


@router.get("/c/{code}", response_class=HTMLResponse)
def home(code: str, services: ServicesDep) -> HTMLResponse:
    """A complex's home: committee and term, the account, statements, the fund, ballots."""
    found = complex_by_code(services, code)
    if found is None:
        return not_found("没有找到这个小区。请核对网址中的小区编码，或在首页搜索小区名称。")
    complex_id = str(found.id)
    versions = services.statements.versions(complex_id)
    latest: dict[str, object] = {}
    for v in sorted(versions, key=lambda v: (v.period, v.version)):
        latest[v.period] = v  # the latest version of each period
    periods = sorted(latest.items(), reverse=True)
    today = services.ledger.today()
    committee = committee_of(services, found)
    return html(
        "complex_home.html",
        complex=found,
        base=path_of(found),
        district_name=district_name,
        street_name=street_name,
        committee=committee,
        members=members_of(services, committee),
        account=account_of(services, found),
        bank=services.bank.public_status(complex_id, today),
        periods=periods[:HOME_VERSIONS],
        more_periods=len(periods) > HOME_VERSIONS,
        fund=services.maintenance.totals(complex_id),
        fund_years=services.maintenance.published_years(complex_id),
        committee_status=COMMITTEE_STATUS,
        today=today.isoformat(),
        objection=found.objection_contact,
    )


def committee_of(services: Services, found: ComplexSummary) -> Committee | None:
    if found.current_committee_id is None:
        return None
    return services.ledger.committee(UUID(found.current_committee_id))


def members_of(services: Services, committee: Committee | None) -> list[MemberShown]:
    """The members in office, chair first, by name: public, as the committee posts them."""
    if committee is None:
        return []
    members = sorted(committee.members.values(), key=lambda m: ROLE_ORDER.get(m["role"], 9))
    personal = services.ledger.personal
    return [
        MemberShown(shown(personal, m["name"]), ROLES.get(m["role"], m["role"])) for m in members
    ]


def account_of(services: Services, found: ComplexSummary) -> AccountSummary | None:
    if found.current_account_id is None:
        return None
    return services.ledger.account_summary(UUID(found.current_account_id))
