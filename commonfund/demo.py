"""The demo complex: one realistic year of a complex in Qingdao's Shinan district (市南区)."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Any
from uuid import UUID

from commonfund.bank_demo import load_bank_feed
from commonfund.maintenance_demo import load_fund
from commonfund.settings import Settings
from commonfund.synthetic import BuiltComplex, BusinessClock, build_complex, plan_complex, seeded
from commonfund.voting_demo import load_ballot
from commonfund.wiring import bank_runner, personal_keys, statements_runner
from ledger.application import Ledger
from ledger.money import format_fen
from ledger.periods import Period
from projections.bank.queries import BankReads, bank_status_of
from projections.statements.queries import Statements, publication_basis

DEMO_CODE = "QD-SN-DEMO-001"
DEMO_SEED = 2026
PUBLISH_AFTER_DAYS = 10  # inside the 15-day deadline (Disclosure, spec/domain.md)
OBJECTIONS = "业主委员会办公室（1号楼一层），工作日 9:00–17:00，电话 0532-8000 1234"
# smaller neighbours, so that the owners' search and browse by district and street (issue #17)
# find more than one complex: code, name, district, street, community, units
NEIGHBOURS = (
    ("QD-SN-DEMO-002", "湛山花苑", "370202", "370202006", "370202006001", 60),
    ("QD-SB-DEMO-003", "台东和园", "370203", "370203010", "370203010003", 48),
)


def load_demo(settings: Settings) -> dict[str, Any]:
    """Register the demo complex with 300 units, a filed and sealed committee, an account, a year
    of income and payments, an election and a repair resolution, its bank's statements (matching
    but for one unrecorded payment, B01, and one forgotten credit, B02: commonfund/bank_demo.py),
    and publish the statements of its ended quarters; give it a maintenance fund with a voted
    roof repair (commonfund/maintenance_demo.py) and a closed ballot of the owners' assembly
    (commonfund/voting_demo.py); return what was made."""
    probe = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), policy=settings.policy()
    )
    today = probe.today()
    probe.close()
    clock = BusinessClock(today, settings.timezone)
    ledger = Ledger(
        personal=personal_keys(settings),
        env=settings.eventsourcing_env(),
        policy=settings.policy(),
        clock=clock,
    )
    try:
        rng = seeded("demo", DEMO_SEED)
        spec = plan_complex(
            code=DEMO_CODE,
            name="海韵花园",
            district="370202",
            street="370202012",
            community="370202012002",
            unit_count=300,
            today=today,
            rng=rng,
            identity_secret=settings.identity_secret,
            bank_feed="monthly",  # its account names its bank's CNAPS code (the feed: bank_demo)
        )
        built = build_complex(ledger, spec, rng, today)
        ledger.set_objection_contact(
            UUID(built.complex_id), OBJECTIONS, actor=built.actor("m1")
        )  # printed on every notice (issue #17)
        # the bank's statements before the publications, which show the reconciliation
        bank = load_bank_feed(ledger, UUID(built.account_id), built.opened_on, today)
        published = publish_quarters(settings, ledger, built, clock, today)
        fund = load_fund(settings, ledger, built, clock, today)
        ballot = load_ballot(ledger, built, clock, today, rng)
        account = ledger.account_summary(UUID(built.account_id))
        owner = demo_owner(ledger, UUID(built.complex_id))
        neighbours = [
            load_neighbour(settings, ledger, clock, today, rng, place=place) for place in NEIGHBOURS
        ]
    finally:
        ledger.close()
    return {
        "complex": {"code": built.code, "name": spec.name, "id": built.complex_id},
        "district": "370202 市南区",
        "units": built.units,
        "committee_id": built.committee_id,
        "account_id": built.account_id,
        "resolutions": list(built.resolution_ids),
        "income_entries": built.incomes,
        "payments": built.payments,
        "reversals": built.reversals,
        "balance": format_fen(account.balance),
        "statements": published,
        "maintenance_fund": fund,
        "ballot": ballot,
        "bank_feed": bank,
        "as_of": today.isoformat(),
        "neighbours": neighbours,
        "owner": owner,
        "pages": {
            "index": settings.page_url("/"),
            "home": settings.page_url(f"/c/{built.code}"),
            "statements": settings.page_url(f"/complexes/{built.code}/statements"),
        },
    }


def demo_owner(ledger: Ledger, complex_id: UUID) -> dict[str, str]:
    """A synthetic owner to try the owners' sign-in with: their first unit and identity key
    (an HMAC of a made-up ID number), for `commonfund token issue --role owner`."""
    units = ledger.complex(complex_id).units
    unit = next(u for u in sorted(units) if not units[u]["developer_held"])
    return {"unit": unit, "owner_key": units[unit]["owner_key"], "sign_in": "/owner"}


def load_neighbour(
    settings: Settings,
    ledger: Ledger,
    clock: BusinessClock,
    today: date,
    rng: Random,
    *,
    place: tuple[str, str, str, str, str, int],
) -> dict[str, str]:
    """A small complex with a year of activity and its quarters published (no bank feed, no
    maintenance fund): what most complexes of a street look like."""
    code, name, district, street, community, units = place
    spec = plan_complex(
        code=code, name=name, district=district, street=street, community=community,
        unit_count=units, today=today, rng=rng, identity_secret=settings.identity_secret,
    )  # fmt: skip
    built = build_complex(ledger, spec, rng, today)
    publish_quarters(settings, ledger, built, clock, today)
    return {"code": code, "name": name, "id": built.complex_id, "home": f"/c/{code}"}


def ended_quarters(opened_on: date, today: date) -> list[Period]:
    """Every quarter of the account's life (from the one it opened in) that ended before today."""
    quarters: list[Period] = []
    quarter = Period.containing(opened_on, "quarter")
    while quarter.end < today:
        quarters.append(quarter)
        quarter = quarter.following()
    return quarters


def publish_quarters(
    settings: Settings, ledger: Ledger, built: BuiltComplex, clock: BusinessClock, today: date
) -> list[str]:
    """The committee's member m1 publishes each ended quarter, on time (10 days after its end).

    Each publication freezes the statement as the read model holds it, so the
    runner catches up before it (to freeze everything written) and after (to
    apply the publication before the next one is made).
    """
    runner, feeds = statements_runner(settings, ledger), bank_runner(settings, ledger)
    statements, bank = Statements(runner.database), BankReads(feeds.database)
    complex_id = UUID(built.complex_id)
    published: list[str] = []
    try:
        feeds.catch_up()
        for quarter in ended_quarters(built.opened_on, today):
            runner.catch_up()
            # the bank status as of the quarter's end, as the API's publication reads it
            public = bank.public_status(built.complex_id, quarter.end)
            status = None if public is None else bank_status_of(public)
            through, digest = publication_basis(statements, built.complex_id, quarter, status)
            clock.set(min(quarter.end + timedelta(days=PUBLISH_AFTER_DAYS), today))
            ledger.publish_statement(
                complex_id, period=quarter.name, through=through, content_hash=digest,
                reconciliation=status, actor=built.actor("m1"),
            )  # fmt: skip
            runner.catch_up()
            published.append(quarter.name)
    finally:
        clock.reset()
        runner.database.close()
        feeds.database.close()
    return published
