"""Synthetic complexes and a synthetic city, written only through the Ledger's public commands.

Everything here is deterministic given a ``random.Random`` and a business date
``today``; every value date is on or before ``today``. The ledger checks value
dates against its own "today" (H01 and H02 look at the date the command is
recorded), so history is written with a :class:`BusinessClock` that the
generator moves to each command's date and never past ``today``; build the
``Ledger`` with ``clock=BusinessClock(today)``. Between commands the clock
rests on ``today`` at noon, Asia/Shanghai. One complex::

    ledger = Ledger(env=..., policy=..., clock=BusinessClock(today))
    spec = plan_complex(code="QD-DEMO-0001", name="海韵花园", district="370202",
                        street="370202001", community="370202001001", unit_count=300,
                        today=today, rng=seeded("plan"), identity_secret=secret)
    built = build_complex(ledger, spec, seeded("build"), today)

A city: ``build_city(ledger, plan_city(scale, seed=..., today=..., identity_secret=...))``.

What normal activity looks like (one complex, :func:`build_complex`)
--------------------------------------------------------------------
- Setup: registered about 60 days before its election; units in chunks of at
  most 2,000; an election resolution (art. 278 item 3, ~75% participation,
  ~80% consent, passed); a committee of 5, 7 or 9 owners (chair, vice-chair,
  three signatories, term five years less a few days) elected ~13 months
  before ``today``, filed within 30 days, sealed, and the account opened ~12
  months before ``today``.
- Income, all from organisations: parking every month on the 10th (collected
  by the property company; gross, deduction and contracted rate recorded, the
  deduction exactly the contracted rate of gross); lift advertising every
  quarter on the 15th of Jan/Apr/Jul/Oct under a contract reference (~85% of
  complexes); venue rent every quarter on the 5th of Jan/Apr/Jul/Oct (~60%);
  bank interest on the 21st of Mar/Jun/Sep/Dec (0.35% a year on the balance).
- One mistaken income line (a renovation deposit recorded as "other" income)
  reversed a few days later in the same month.
- Spending, all to organisations, each proposed by one signatory and approved
  by another: cleaning every second month, greening three times a year (both
  by transfer, under service contracts), committee office supplies four times a
  year in cash (80.00–600.00). Each purpose cites a committee decision approved
  by a majority of the members in office; every payment is below 4,800.00 and
  each purpose totals at most 18,000.00 a year. One larger payment by transfer
  to a contractor, under a contract reference, cites a passed owners'
  resolution (item 9, "更换单元门禁系统", a budget of category ``repairs``
  with an amount cap and a period), about five months before ``today``. The
  assembly also sets the committee's yearly budget (item 9, a budget of
  category ``committee_operations`` for every year of the account, 1,000.00
  above the office supplies' whole cap), just before their first payment.
- Guards: income comes before spending; no outflow (payment or reversal)
  takes the balance below 80% of its highest point in the preceding 30 days,
  so the value-date balance never goes negative and never falls 30%.

Which alert rules normal activity may trip: none of the event rules (A01–A06,
A12, A14–A16, A20, A23–A25: no refusals, no cash within 40% of the cash limit,
no payment of 5,000.00 or more without a contract, no individual payees, at most
one payment a month to any payee, committee operations stay below the budget the
assembly set). Clock rules: A08 fires everywhere once
statements exist, because this generator publishes none (there is no
statement command yet); the first quarter after opening and the quarter in
progress on ``today`` are partial, which A11 must not read as a drop. In a
complex built with an expired term (``term_expired=True``), payments stop at
the end of the term while income goes on, and A21 (no handover) and, before the
end, A07 are expected there.

Planted anomalies (functions below) each return a :class:`Planted` record for
the manifest: split payments (A02), a payment refused after the term ended
(H02, A24), a cash payment over the limit refused (H07, A24), a round-number
payment without a contract (A04), a payment to a committee member (A05), a
committee cost that takes the year above the assembly's budget (A20), and on
the maintenance fund a payout refused because four units' sub-ledgers fall
short of their share (H03, A26: the project and the four units are the subjects).
They are written after the normal year, with value dates in its last three
months, so in stream order they follow entries with later value dates (as a
late recording would). ``related_rules`` names what their setting may also
trip: A21/A07 around an expired term, A06 near the cash limit, A16 for a first
payment to a new payee, A12 if the planted payments made the balance fall 30%.

Bank feeds (issue #14, ``commonfund/synthetic_bank.py``): about nine complexes in
ten open their account with a bank code and, after the A anomalies, get their
bank's statements derived from the ledger and imported; normal activity raises
no B alert. Seven planted differences (B01–B07), each on a feed of its own where
there are enough, are manifest anomalies whose ``bank_keys`` name what the B
rule's evidence names.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Literal, TypedDict
from uuid import UUID
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from commonfund.synthetic_bank import (
    BANK_PLANTS,
    PlantingSkipped,
    cnaps_code,
    derive,
    import_feed,
    plan_feed,
)
from ledger.account import CommonFundAccount, balance_effect
from ledger.account.entries import ExpenditureDetails, IncomeDetails, Party
from ledger.application import Actor, Ledger, Receipt
from ledger.committees.committee import Member
from ledger.complexes.complex import Unit
from ledger.errors import CashLimitExceeded, DebitBlocked, LedgerError, SubLedgerShortfall
from ledger.identity import identity_key
from ledger.maintenance import Contractor, Item, RepairProject
from ledger.maintenance.receipts import ProjectPlan, fund_id
from ledger.money import split_exact
from ledger.places import STREETS, district_name

OPERATOR = Actor("operator", "synthetic")
AUTHORITY = Actor("regulator", "synthetic-authority")  # the district housing bureau (the fund)
UNITS_PER_CALL = 2_000
INTEREST_BP_PER_YEAR = 35  # demand-deposit rate, basis points
MAX_FALL_PERCENT = 20  # normal activity keeps 80% of its 30-day peak balance
PAYMENT_CEILING = 4_800_00  # normal payments stay below this, fen
# made-up data, made-up secret: the settings refuse the demo one on PostgreSQL (issue #12)
SYNTHETIC_IDENTITY_SECRET = "commonfund-synthetic-identity-secret"  # noqa: S105
PURPOSE_CEILING = 18_000_00  # and each purpose below this a year, fen

# --- names -----------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华志海燕玉兰国文红建忠晓梅鹏飞欣宇浩然子涵"
FIRM = "鑫恒泰瑞海诚信达华安康盛润和嘉宏远博兴隆美佳通德正源丰顺益明新青"
PLACES = [
    "海韵",
    "金湾",
    "翠湖",
    "阳光",
    "锦绣",
    "颐和",
    "东城",
    "山水",
    "银海",
    "紫荆",
    "丽景",
    "碧海",
    "枫林",
    "书香",
    "星河",
    "福瑞",
    "泰和",
    "嘉禾",
    "海岸",
    "春晖",
    "绿洲",
    "君悦",
    "鲁信",
    "康城",
]
SUFFIXES = ["花园", "家园", "小区", "雅苑", "名邸", "新城", "公馆", "华庭", "佳苑", "山庄"]
BANKS = [
    "青岛银行",
    "中国建设银行青岛分行",
    "中国工商银行青岛分行",
    "青岛农商银行",
    "中国银行青岛分行",
]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

PURPOSE_CLEANING = "小区公共区域保洁"
PURPOSE_GREENING = "小区绿化养护"
PURPOSE_OFFICE = "业委会办公用品"
PURPOSE_REPAIR = "更换单元门禁系统"
PURPOSE_OPERATIONS = "业主委员会年度工作经费预算"
CATEGORIES = {
    "cleaning": "cleaning_greening",
    "greening": "cleaning_greening",
    "office": "committee_operations",
    "repair": "repairs",
}


def use_synthetic_identity_secret() -> None:
    """For a benchmark: where COMMONFUND_IDENTITY_SECRET is unset, the synthetic one, so the
    benchmark runs on PostgreSQL; the servers and commands it starts inherit it."""
    os.environ.setdefault("COMMONFUND_IDENTITY_SECRET", SYNTHETIC_IDENTITY_SECRET)


@dataclass(frozen=True, slots=True)
class District:
    code: str  # its name is ledger.places.district_name(code)
    population: int  # 10,000s, 2020 census (rounded): the weight for complexes
    streets: int  # how many streets it really has: the most we generate


DISTRICTS = (
    District("370202", 59, 11),
    District("370203", 103, 22),
    District("370211", 190, 23),
    District("370212", 55, 4),
    District("370213", 74, 11),
    District("370214", 111, 8),
    District("370215", 134, 15),
    District("370281", 99, 12),
    District("370283", 121, 17),
    District("370285", 73, 11),
)


def seeded(*parts: object) -> random.Random:
    """A generator seeded from its parts (the seed, a complex code, ...): same parts, same data."""
    return random.Random("/".join(str(p) for p in parts))  # noqa: S311 synthetic data, not secrets


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def firm(rng: random.Random, kind: str) -> str:
    """An organisation's name: "青岛" + two characters + what it does."""
    return f"青岛{rng.choice(FIRM)}{rng.choice(FIRM)}{kind}"


def complex_name(rng: random.Random) -> str:
    return rng.choice(PLACES) + rng.choice(SUFFIXES)


def fake_id_number(rng: random.Random, area: str) -> str:
    """An 18-digit resident ID number of the right shape (GB 11643 check digit); not a real one."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(17_500))
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def digits(rng: random.Random, count: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randrange(10)) for _ in range(count - 1))


def organisation(name: str, rng: random.Random) -> Party:
    return Party(name=name, kind="organisation", identity_key="", bank_account=digits(rng, 19))


def committee_actor(code: str, member_id: str) -> Actor:
    """The token a committee member of complex ``code`` acts with."""
    return Actor("committee", f"{code}-token-{member_id}", member_id)


# --- the business clock ------------------------------------------------------------------


class BusinessClock:
    """The ledger's clock while writing history: noon in the city on a date, never after today."""

    def __init__(self, today: date, timezone: str = "Asia/Shanghai") -> None:
        self.today = today
        self.zone = ZoneInfo(timezone)
        self.day = today

    def __call__(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 12, tzinfo=self.zone)

    def set(self, day: date) -> None:
        if day > self.today:
            raise ValueError(f"the business clock cannot pass today ({self.today}); got {day}")
        self.day = day

    def reset(self) -> None:
        self.day = self.today


def business_clock(ledger: Ledger) -> BusinessClock:
    clock = ledger.clock
    if not isinstance(clock, BusinessClock):
        raise TypeError("build the Ledger with clock=BusinessClock(today) to write synthetic data")
    return clock


# --- one complex -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplexSpec:
    """One complex to build: where it is, how big, and the dates of its committee and account."""

    code: str
    name: str
    district: str  # 6-digit division code
    street: str  # 9 digits
    community: str  # 12 digits
    unit_count: int
    buildings: int
    committee_size: int  # 5, 7 or 9
    registered_on: date
    elected_on: date
    term_end: date
    opened_on: date
    identity_secret: str = field(repr=False, compare=False)
    bank_feed: str = ""  # "monthly" or "weekly" statements, and a bank code; "" neither (#14)


def plan_complex(
    *,
    code: str,
    name: str,
    district: str,
    street: str,
    community: str,
    unit_count: int,
    today: date,
    rng: random.Random,
    identity_secret: str,
    term_expired: bool = False,
    bank_feed: str = "",
) -> ComplexSpec:
    """A spec with realistic dates: elected ~13 months ago, or with a term that ended 20–60 days ago."""
    opened_on = today - relativedelta(years=1) + timedelta(days=rng.randint(-10, 10))
    if term_expired:
        term_end = today - timedelta(days=rng.randint(20, 60))
        elected_on = term_end - relativedelta(years=5) + timedelta(days=rng.randint(1, 20))
    else:
        elected_on = opened_on - timedelta(days=rng.randint(40, 55))  # sealed before opening
        term_end = elected_on + relativedelta(years=5) - timedelta(days=rng.randint(1, 20))
    size = 5 if unit_count < 400 else 7 if unit_count < 1_500 else 9
    return ComplexSpec(
        code=code,
        name=name,
        district=district,
        street=street,
        community=community,
        unit_count=unit_count,
        buildings=max(1, round(unit_count / rng.randint(40, 140))),
        committee_size=size,
        registered_on=elected_on - timedelta(days=rng.randint(50, 70)),
        elected_on=elected_on,
        term_end=term_end,
        opened_on=opened_on,
        identity_secret=identity_secret,
        bank_feed=bank_feed,
    )


def make_units(spec: ComplexSpec, rng: random.Random) -> dict[str, Unit]:
    """Units "building-stair-floordoor", 50–180 m²; ~3% developer-held; a few owners hold two."""
    per_building = split_exact(spec.unit_count, {str(b): 1 for b in range(1, spec.buildings + 1)})
    units: dict[str, Unit] = {}
    keys: set[str] = set()
    single_owners: list[str] = []
    for building, count in per_building.items():
        stairs = rng.choice((1, 2, 2, 3))
        typical = rng.randint(6_000, 15_000)
        for k in range(count):
            floor, position = divmod(k, stairs * 2)
            stair, door = divmod(position, 2)
            unit_id = f"{building}-{stair + 1}-{floor + 1}{door + 1:02d}"
            area = min(18_000, max(5_000, typical + rng.randint(-1_500, 1_500)))
            if rng.randrange(100) < 3:
                units[unit_id] = Unit(
                    building=building, area=area, owner_key="", developer_held=True
                )
                continue
            if single_owners and rng.randrange(100) < 2:
                owner = single_owners.pop(rng.randrange(len(single_owners)))
            else:
                owner = identity_key(spec.identity_secret, fake_id_number(rng, spec.district))
                while owner in keys:
                    owner = identity_key(spec.identity_secret, fake_id_number(rng, spec.district))
                keys.add(owner)
                single_owners.append(owner)
            units[unit_id] = Unit(
                building=building, area=area, owner_key=owner, developer_held=False
            )
    return units


def sample_tally(
    units: Mapping[str, Unit], rng: random.Random, participation: int, consent: int
) -> tuple[list[str], list[str]]:
    """Units that took part and consented: about ``participation``% of owners, ``consent``% of those.

    Owners (the developer once) are added until H04's thresholds hold, so the
    resolution passes for matters 1–5 and 9.
    """
    owners: dict[str, list[str]] = {}
    for unit_id, unit in units.items():
        owners.setdefault("developer" if unit["developer_held"] else unit["owner_key"], []).append(
            unit_id
        )
    area = {key: sum(units[u]["area"] for u in ids) for key, ids in owners.items()}
    order = list(owners)
    rng.shuffle(order)
    total = sum(area.values())

    def take(candidates: list[str], pct: int, enough: Callable[[int, int], bool]) -> list[str]:
        count = -(-len(candidates) * pct // 100)
        chosen, covered = candidates[:count], sum(area[k] for k in candidates[:count])
        for key in candidates[count:]:
            if enough(covered, len(chosen)):
                break
            chosen.append(key)
            covered += area[key]
        return chosen

    took_part = take(
        order, participation, lambda a, n: 3 * a >= 2 * total and 3 * n >= 2 * len(order)
    )
    part_area = sum(area[k] for k in took_part)
    agreeing = list(took_part)
    rng.shuffle(agreeing)
    agreed = take(agreeing, consent, lambda a, n: 2 * a > part_area and 2 * n > len(took_part))
    return (
        [u for k in took_part for u in owners[k]],
        [u for k in agreed for u in owners[k]],
    )


@dataclass(frozen=True, slots=True)
class BuiltComplex:
    """What :func:`build_complex` made: the ids to act on and how much it wrote."""

    code: str
    complex_id: str
    committee_id: str
    account_id: str
    election_resolution_id: str
    repair_resolution_id: str | None  # the year's larger repair, when there was money for it
    operations_budget: int | None  # fen a year for the committee's own costs (A20), if set
    resolution_ids: tuple[str, ...]
    decision_ids: Mapping[str, str]  # purpose -> decision id
    members: tuple[Member, ...]
    signatories: tuple[str, ...]
    opened_on: date
    term_end: date
    term_expired: bool
    payees: Mapping[str, Party]  # role (cleaning, repair, ...) -> payee
    units: int
    owners: int
    incomes: int
    payments: int
    reversals: int
    commands: int
    balance: int  # fen, after the build
    bank_code: str = ""  # the account's CNAPS code: it has a bank feed (issue #14)
    bank_feed: str = ""  # its statements: "monthly", "weekly"; "" no feed

    def actor(self, member_id: str) -> Actor:
        return committee_actor(self.code, member_id)


@dataclass(slots=True)
class _Flow:
    """A planned movement of money; the walk settles its amount (or drops it) before writing."""

    day: date
    order: int  # within a day: 0 income, 1 payment, 2 reversal
    kind: Literal["income", "interest", "mistake", "reversal", "payment"]
    amount: int
    purpose: str = ""
    payee_role: str = ""
    details: IncomeDetails | None = None
    minimum: int = 100_00
    partner: _Flow | None = None


class _Builder:
    """Writes one complex: setup, then a walk that settles a year of money flows, then the writes."""

    def __init__(self, ledger: Ledger, spec: ComplexSpec, rng: random.Random, today: date) -> None:
        self.ledger = ledger
        self.clock = business_clock(ledger)
        self.spec = spec
        self.rng = rng
        self.today = today
        self.code = spec.code
        self.commands = 0
        self.counts = {"income": 0, "payment": 0, "reversal": 0}
        self.balance = 0
        self.resolution_ids: list[str] = []
        self.decision_ids: dict[str, str] = {}
        self.keys = {"income": 0, "exp": 0, "decision": 0}
        self.units = make_units(spec, rng)
        self.last_payday = min(today, spec.term_end)
        self.complex_id = self.committee_id = self.account_id = ""
        self.election_resolution_id = ""
        self.repair_resolution_id: str | None = None
        self.operations_cap: int | None = None
        self.members: tuple[Member, ...] = ()
        self.signatories: list[str] = []
        self.payees: dict[str, Party] = {}
        self.caps: dict[str, int] = {}
        self.expected_balance = 0
        self.mistake_ids: dict[int, str] = {}
        self.bank_code = ""

    # --- commands ---------------------------------------------------------------------

    def at(self, day: date) -> None:
        if day > self.today:
            raise ValueError(f"{self.code}: {day} is after today ({self.today})")
        self.clock.set(day)
        self.commands += 1

    def key(self, kind: str) -> str:
        self.keys[kind] += 1
        return f"{self.code}-{kind}-{self.keys[kind]}"

    def resolution(
        self,
        key: str,
        *,
        matter: int,
        purpose: str,
        cap: int | None,
        start: date,
        closed: date,
        until: date,
        budget_category: str | None = None,
    ) -> str:
        participated, consented = sample_tally(
            self.units, self.rng, self.rng.randint(72, 78), self.rng.randint(76, 84)
        )
        self.at(closed)
        receipt = self.ledger.record_resolution(
            UUID(self.complex_id),
            idempotency_key=key,
            matter=matter,
            purpose=purpose,
            amount_cap=cap,
            period_from=start,
            period_to=until,
            scope_units=None,
            participated=participated,
            consented=consented,
            closed_on=closed,
            budget_category=budget_category,
            actor=OPERATOR,
        )
        if receipt.status != "passed":
            raise RuntimeError(f"{self.code}: resolution {key} did not pass: the tally is wrong")
        self.resolution_ids.append(receipt.id)
        return receipt.id

    def decide(self, purpose: str, cap: int, on: date) -> str:
        in_office = [m["member_id"] for m in self.members]
        approvers = self.rng.sample(
            in_office, self.rng.randint(len(in_office) // 2 + 1, len(in_office))
        )
        self.at(on)
        receipt = self.ledger.record_decision(
            UUID(self.committee_id),
            idempotency_key=self.key("decision"),
            purpose=purpose,
            amount_cap=cap,
            decided_on=on,
            approvers=approvers,
            actor=self.actor("m1"),
        )
        self.decision_ids[purpose] = receipt.id
        return receipt.id

    def actor(self, member_id: str) -> Actor:
        return committee_actor(self.code, member_id)

    def pay(self, details: ExpenditureDetails, key: str) -> Receipt:
        maker, checker = self.rng.sample(self.signatories, 2)
        self.at(details.value_date)
        account = UUID(self.account_id)
        proposed = self.ledger.propose_expenditure(
            account, details, idempotency_key=key, actor=self.actor(maker)
        )
        self.at(details.value_date)
        booked = self.ledger.approve_expenditure(account, proposed.id, actor=self.actor(checker))
        if booked.status != "booked":
            raise RuntimeError(f"{self.code}: payment {key} was not booked ({booked.status})")
        return booked

    # --- setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        spec, rng = self.spec, self.rng
        chunks = _chunks(self.units, UNITS_PER_CALL)
        self.at(spec.registered_on)
        self.complex_id = self.ledger.register_complex(
            code=spec.code,
            name=spec.name,
            district=spec.district,
            street=spec.street,
            community=spec.community,
            units=chunks[0],
            actor=OPERATOR,
        ).id
        for chunk in chunks[1:]:
            self.at(spec.registered_on)
            self.ledger.add_units(UUID(self.complex_id), chunk, actor=OPERATOR)
        election = self.resolution(
            f"{self.code}-election",
            matter=3,
            purpose="选举第一届业主委员会",
            cap=None,
            start=spec.registered_on + timedelta(days=rng.randint(5, 15)),
            closed=spec.elected_on,
            until=spec.elected_on,
        )
        self.election_resolution_id = election
        self.members = self._members()
        self.signatories = [m["member_id"] for m in self.members if m["signatory"]]
        self.at(spec.elected_on)
        self.committee_id = self.ledger.elect_committee(
            UUID(self.complex_id),
            election_resolution_id=UUID(election),
            elected_on=spec.elected_on,
            term_end=spec.term_end,
            members=list(self.members),
            actor=OPERATOR,
        ).id
        filed_on = spec.elected_on + timedelta(days=rng.randint(5, 25))
        self.at(filed_on)
        self.ledger.file_committee(
            UUID(self.committee_id),
            number=f"{spec.district}YWH{filed_on:%Y}{digits(rng, 4)}",
            authority=f"青岛市{district_name(spec.district)}住房和城乡建设局",
            filed_on=filed_on,
            actor=OPERATOR,
        )
        sealed_on = filed_on + timedelta(days=rng.randint(2, 10))
        self.at(sealed_on)
        self.ledger.seal_committee(
            UUID(self.committee_id),
            seal_number=digits(rng, 13),
            sealed_on=sealed_on,
            actor=OPERATOR,
        )
        self.at(spec.opened_on)
        bank = rng.choice(BANKS)
        self.bank_code = cnaps_code(bank, spec.code) if spec.bank_feed else ""
        self.account_id = self.ledger.open_account(
            UUID(self.complex_id),
            bank=bank,
            account_number=digits(rng, 19),
            signatories=self.signatories,
            opened_on=spec.opened_on,
            actor=OPERATOR,
            bank_code=self.bank_code,
        ).id

    def _members(self) -> tuple[Member, ...]:
        owners = sorted({u["owner_key"] for u in self.units.values() if not u["developer_held"]})
        chosen = self.rng.sample(owners, self.spec.committee_size)
        names: list[str] = []
        while len(names) < len(chosen):
            name = person_name(self.rng)
            if name not in names:
                names.append(name)
        roles = {1: "chair", 2: "vice_chair"}
        return tuple(
            Member(
                member_id=f"m{i}",
                name=names[i - 1],
                identity_key=key,
                role=roles.get(i, "member"),
                signatory=i <= 3,
            )
            for i, key in enumerate(chosen, start=1)
        )

    # --- a year of money ------------------------------------------------------------------

    def plan(self) -> list[_Flow]:
        """The year's planned flows; amounts of interest, payments and reversals are settled later."""
        spec, rng, start, today = self.spec, self.rng, self.spec.opened_on, self.today
        units = spec.unit_count
        self.payees = {
            "property": organisation(firm(rng, "物业服务有限公司"), rng),
            "advertising": organisation(firm(rng, "传媒有限公司"), rng),
            "tenant": organisation(f"{rng.choice(FIRM)}{rng.choice(FIRM)}便民超市", rng),
            "bank": organisation(rng.choice(BANKS), rng),
            "decorator": organisation(firm(rng, "装饰工程有限公司"), rng),
            "cleaning": organisation(firm(rng, "保洁服务有限公司"), rng),
            "greening": organisation(firm(rng, "园林绿化工程有限公司"), rng),
            "office": organisation(f"{rng.choice(FIRM)}{rng.choice(FIRM)}文具店", rng),
            "repair": organisation(firm(rng, "智能科技有限公司"), rng),
        }
        flows: list[_Flow] = []
        rate_bp = rng.choice((1_000, 1_500, 2_000))
        parking_base = units * rng.randint(12, 25)  # yuan a month
        for n, day in enumerate(_monthly(start, today, 10), start=1):
            gross = parking_base * rng.randint(88, 112) // 100 * 100
            deduction = (gross * rate_bp + 5_000) // 10_000
            flows.append(
                self._income(
                    day,
                    "parking",
                    gross - deduction,
                    "property",
                    contract=f"{self.code}-TC-01",
                    description=f"第{n}期停车管理收入",
                    gross=gross,
                    deduction=deduction,
                    rate_bp=rate_bp,
                )
            )
        if rng.randrange(100) < 85:
            per_quarter = spec.buildings * rng.randint(1, 2) * rng.randint(500, 900) * 100
            flows.extend(
                self._income(
                    day,
                    "advertising",
                    per_quarter,
                    "advertising",
                    contract=f"GG-{self.code}-{start:%Y}",
                    description="电梯广告位租金",
                )
                for day in _monthly(start, today, 15, {1, 4, 7, 10})
            )
        if rng.randrange(100) < 60:
            rent = rng.randint(1_500, 6_000) * 100
            flows.extend(
                self._income(
                    day,
                    "venue_rent",
                    rent,
                    "tenant",
                    contract=f"ZL-{self.code}-01",
                    description="物业用房租金",
                )
                for day in _monthly(start, today, 5, {1, 4, 7, 10})
            )
        flows.extend(
            _Flow(day, 0, "interest", 0) for day in _monthly(start, today, 21, {3, 6, 9, 12})
        )
        mistake_day = start + relativedelta(months=rng.randint(4, 8), day=12)
        if mistake_day <= today - timedelta(days=10):
            mistake = self._income(
                mistake_day,
                "other",
                rng.randint(10, 30) * 100_00,
                "decorator",
                contract="",
                description="装修押金",
            )
            mistake.kind = "mistake"
            reversal = _Flow(mistake_day + timedelta(days=rng.randint(2, 6)), 2, "reversal", 0)
            mistake.partner, reversal.partner = reversal, mistake
            flows.extend((mistake, reversal))
        flows.extend(self._spending(units))
        return sorted(flows, key=lambda f: (f.day, f.order))

    def _income(
        self,
        day: date,
        category: str,
        amount: int,
        payer: str,
        *,
        contract: str,
        description: str,
        gross: int | None = None,
        deduction: int | None = None,
        rate_bp: int | None = None,
    ) -> _Flow:
        details = IncomeDetails(
            category=category,
            payer=self.payees[payer],
            amount=amount,
            value_date=day,
            contract_ref=contract,
            description=description,
            gross=gross,
            deduction=deduction,
            contracted_rate_bp=rate_bp,
            collector=self.payees[payer]["name"] if gross else "",
        )
        return _Flow(day, 0, "income", amount, details=details)

    def _spending(self, units: int) -> list[_Flow]:
        rng, start, last = self.rng, self.spec.opened_on, self.last_payday
        policy = self.ledger.policy
        ceiling = min(PAYMENT_CEILING, policy.committee_single_payment_limit - 200_00)
        per_purpose = min(PURPOSE_CEILING, policy.committee_purpose_yearly_limit * 9 // 10)
        schedule = (
            (PURPOSE_CLEANING, "cleaning", _monthly(start, last, 25)[::2], (3, 6)),
            (PURPOSE_GREENING, "greening", _monthly(start, last, 18, {4, 6, 9}), (3, 6)),
            (PURPOSE_OFFICE, "office", _monthly(start, last, 8, {2, 5, 8, 11}), (0, 0)),
        )
        flows: list[_Flow] = []
        for purpose, role, days, (low, high) in schedule:
            if not days:
                continue
            planned = []
            for day in days:
                if role == "office":
                    amount = min(
                        rng.randint(80, 600) * 100, policy.cash_single_payment_limit * 6 // 10
                    )
                else:
                    amount = min(ceiling, max(300_00, units * rng.randint(low, high) * 100))
                planned.append(_Flow(day, 1, "payment", amount, purpose=purpose, payee_role=role))
            while sum(f.amount for f in planned) > per_purpose:
                for f in planned:
                    f.amount = f.amount * 9 // 10 // 100 * 100
            self.caps[purpose] = -(-sum(f.amount for f in planned) // 1_000_00) * 1_000_00
            flows.extend(planned)
        repair_day = start + relativedelta(months=6) + timedelta(days=rng.randint(15, 60))
        if repair_day <= min(last, self.today - timedelta(days=40)):
            quote = self.spec.buildings * rng.choice((1, 2, 2, 3)) * rng.randint(2_500, 4_500) * 100
            flows.append(
                _Flow(
                    repair_day,
                    1,
                    "payment",
                    quote,
                    purpose=PURPOSE_REPAIR,
                    payee_role="repair",
                    minimum=1_000_00,
                )
            )
        return flows

    def walk(self, flows: list[_Flow]) -> list[_Flow]:
        """Settle amounts in date order: interest on the balance, outflows within the 30-day guard.

        A payment between the mistaken income and its reversal leaves room for the reversal.
        """
        history: list[tuple[date, int]] = [(self.spec.opened_on, 0)]
        spent: dict[str, int] = {}
        settled: list[_Flow] = []
        balance = pending = 0
        for flow in flows:
            if flow.kind == "interest":
                flow.amount = balance * INTEREST_BP_PER_YEAR // 40_000  # a quarter of a year
            elif flow.kind == "mistake" and flow.partner is not None:
                flow.amount = min(flow.amount, balance // 6 // 100_00 * 100_00)
                flow.partner.amount = pending = flow.amount
            elif flow.kind == "reversal":
                pending = 0
            elif flow.kind == "payment":
                room = _room(history, flow.day, balance) - pending
                if flow.purpose in self.caps:
                    room = min(room, self.caps[flow.purpose] - spent.get(flow.purpose, 0))
                flow.amount = min(flow.amount, room) // 100 * 100
                if flow.amount < flow.minimum:
                    flow.amount = 0
                spent[flow.purpose] = spent.get(flow.purpose, 0) + flow.amount
            if flow.amount <= 0:
                continue
            balance += -flow.amount if flow.kind in ("payment", "reversal") else flow.amount
            history.append((flow.day, balance))
            settled.append(flow)
        self.expected_balance = balance
        return settled

    def write(self, flows: list[_Flow]) -> None:
        """Write the settled flows in date order; each decision or resolution just before its use."""
        steps: list[tuple[date, int, Callable[[], object]]] = []
        for purpose, cap in self.caps.items():
            first = min((f.day for f in flows if f.purpose == purpose), default=None)
            if first is not None:
                on = max(self.spec.opened_on, first - timedelta(days=self.rng.randint(5, 20)))
                steps.append((on, 0, partial(self.decide, purpose, cap, on)))
                if purpose == PURPOSE_OFFICE:  # a year's office costs stay below the whole cap
                    budget = partial(self.operations_budget, cap + 1_000_00, on)
                    steps.append((on, 0, budget))
        for flow in flows:
            if flow.payee_role == "repair":
                close = flow.day - timedelta(days=self.rng.randint(15, 35))
                steps.append((close, 0, partial(self.repair_resolution, flow.amount, close)))
            steps.append((flow.day, 1, partial(self.write_flow, flow)))
        for _, _, step in sorted(steps, key=lambda step: step[:2]):
            step()
        if self.balance != self.expected_balance:
            raise RuntimeError(
                f"{self.code}: ledger balance {self.balance} != planned {self.expected_balance}"
            )

    def repair_resolution(self, amount: int, close: date) -> None:
        """Item 9 of art. 278: the owners approve the larger repair, capped a little above its cost."""
        cap = -(-amount // 1_000_00) * 1_000_00 + self.rng.randint(0, 3) * 1_000_00
        self.repair_resolution_id = self.resolution(
            f"{self.code}-repair",
            matter=9,
            purpose=PURPOSE_REPAIR,
            cap=cap,
            start=close,
            closed=close,
            until=close + timedelta(days=180),
            budget_category=CATEGORIES["repair"],
        )

    def operations_budget(self, cap: int, close: date) -> None:
        """Item 9: the assembly's yearly budget for the committee's own costs (A20 reads it)."""
        self.operations_cap = cap
        self.resolution(
            f"{self.code}-operations",
            matter=9,
            purpose=PURPOSE_OPERATIONS,
            cap=cap,
            start=date(self.spec.opened_on.year, 1, 1),
            closed=close,
            until=date(self.today.year, 12, 31),
            budget_category=CATEGORIES["office"],
        )

    def write_flow(self, flow: _Flow) -> None:
        account = UUID(self.account_id)
        self.at(flow.day)
        if flow.kind == "reversal" and flow.partner is not None:
            receipt = self.ledger.reverse_entry(
                account,
                reverses=self.mistake_ids[id(flow.partner)],
                value_date=flow.day,
                reason="装修押金不属于公共收益，误记为收入，予以冲销",
                idempotency_key=f"{self.code}-reversal-1",
                actor=self.actor("m1"),
            )
            self.counts["reversal"] += 1
        elif flow.kind == "payment":
            receipt = self.write_payment(flow)
        else:
            details = (
                replace(flow.details, amount=flow.amount)
                if flow.details is not None
                else IncomeDetails(
                    category="interest",
                    payer=self.payees["bank"],
                    amount=flow.amount,
                    value_date=flow.day,
                    description="结算户季度结息",
                )
            )
            receipt = self.ledger.record_income(
                account, details, idempotency_key=self.key("income"), actor=self.actor("m1")
            )
            self.counts["income"] += 1
            self.mistake_ids[id(flow)] = receipt.id
        if receipt.balance is not None:
            self.balance = receipt.balance

    def write_payment(self, flow: _Flow) -> Receipt:
        role = flow.payee_role
        if role == "repair" and self.repair_resolution_id is not None:
            authority, kind = self.repair_resolution_id, "resolution"
            contract = f"HT-{self.code}-{flow.day:%Y%m}"
        else:
            authority, kind = self.decision_ids[flow.purpose], "decision"
            contract = "" if role == "office" else f"FW-{self.code}-{role}"
        details = ExpenditureDetails(
            category=CATEGORIES[role],
            payee=self.payees[role],
            method="cash" if role == "office" else "transfer",
            amount=flow.amount,
            purpose=flow.purpose,
            value_date=flow.day,
            authorisation_kind="resolution" if kind == "resolution" else "decision",
            authorisation_id=authority,
            contract_ref=contract,
        )
        self.counts["payment"] += 1
        return self.pay(details, self.key("exp"))

    def built(self) -> BuiltComplex:
        owners = {u["owner_key"] or "developer" for u in self.units.values()}
        return BuiltComplex(
            code=self.code,
            complex_id=self.complex_id,
            committee_id=self.committee_id,
            account_id=self.account_id,
            election_resolution_id=self.election_resolution_id,
            repair_resolution_id=self.repair_resolution_id,
            operations_budget=self.operations_cap,
            resolution_ids=tuple(self.resolution_ids),
            decision_ids=dict(self.decision_ids),
            members=self.members,
            signatories=tuple(self.signatories),
            opened_on=self.spec.opened_on,
            term_end=self.spec.term_end,
            term_expired=self.spec.term_end < self.today,
            payees=dict(self.payees),
            units=len(self.units),
            owners=len(owners),
            incomes=self.counts["income"],
            payments=self.counts["payment"],
            reversals=self.counts["reversal"],
            commands=self.commands,
            balance=self.balance,
            bank_code=self.bank_code,
            bank_feed=self.spec.bank_feed,
        )


def build_complex(
    ledger: Ledger, spec: ComplexSpec, rng: random.Random, today: date
) -> BuiltComplex:
    """Register, elect, file, seal, open the account and write a year of normal activity."""
    builder = _Builder(ledger, spec, rng, today)
    try:
        builder.setup()
        builder.write(builder.walk(builder.plan()))
    finally:
        builder.clock.reset()
    return builder.built()


def _chunks(units: dict[str, Unit], size: int) -> list[dict[str, Unit]]:
    items = list(units.items())
    return [dict(items[i : i + size]) for i in range(0, len(items), size)]


def _monthly(after: date, until: date, day: int, months: Iterable[int] | None = None) -> list[date]:
    """Each ``day`` of the month strictly after ``after`` and on or before ``until``."""
    wanted = set(months) if months is not None else None
    current, found = date(after.year, after.month, day), []
    while current <= until:
        if current > after and (wanted is None or current.month in wanted):
            found.append(current)
        current += relativedelta(months=1)
    return found


def _room(history: Sequence[tuple[date, int]], day: date, balance: int) -> int:
    """How much may go out on ``day`` and keep the balance at 80% of its 30-day peak."""
    since = day - timedelta(days=30)
    peak = balance
    for when, value in reversed(history):
        peak = max(peak, value)
        if when < since:
            break
    keep = -(-peak * (100 - MAX_FALL_PERCENT) // 100)
    return max(0, balance - keep)


# --- reading the result ----------------------------------------------------------------------


def balance_path(ledger: Ledger, account_id: UUID) -> list[tuple[date, int]]:
    """The closing balance of each value date with an entry, in value-date order (fen)."""
    effects: dict[date, int] = {}
    for event in ledger.events.get(account_id):
        change = balance_effect(event)
        if not change:
            continue
        day = date.fromisoformat(event.value_date)  # type: ignore[attr-defined]
        effects[day] = effects.get(day, 0) + change
    path, balance = [], 0
    for day in sorted(effects):
        balance += effects[day]
        path.append((day, balance))
    return path


def worst_fall_bp(path: Sequence[tuple[date, int]], window_days: int = 30) -> int:
    """The largest fall from a peak to a later balance within ``window_days``, in basis points."""
    worst = 0
    for i, (peak_day, peak) in enumerate(path):
        if peak <= 0:
            continue
        for day, value in path[i + 1 :]:
            if (day - peak_day).days > window_days:
                break
            worst = max(worst, (peak - value) * 10_000 // peak)
    return worst


# --- planted anomalies --------------------------------------------------------------------


class Planted(TypedDict):
    """One planted anomaly, as the manifest records it (amounts in fen, dates ISO)."""

    kind: str
    complex_code: str
    complex_id: str
    account_id: str
    expected_rules: list[str]  # the alert rules that must fire for it
    related_rules: list[str]  # rules its setting may also trip
    refused_rule: str | None  # the H rule of a refused attempt
    expenditure_ids: list[str]  # booked payments or refused attempts (a fund's: payouts)
    # ExpenditureBooked / PaymentRefused versions in the account stream (a fund's: the
    # DisbursementRefused versions in the project's)
    event_versions: list[int]
    subject_ids: list[
        str
    ]  # what the expected alerts are about: the account, or a project and units
    authorisation_id: str
    payee: str
    amounts: list[int]
    dates: list[str]
    bank_keys: list[str]  # B anomalies: the bank lines, entries, statements B evidence names


class PlantingError(RuntimeError):
    """The complex cannot carry this anomaly (wrong state or too little money)."""


def _record(
    kind: str,
    built: BuiltComplex,
    *,
    expected: list[str],
    related: list[str] | None = None,
    refused: str | None = None,
    ids: list[str],
    versions: list[int],
    authorisation: str,
    payee: Party,
    amounts: list[int],
    dates: list[date],
    subjects: list[str] | None = None,
) -> Planted:
    return Planted(
        kind=kind,
        complex_code=built.code,
        complex_id=built.complex_id,
        account_id=built.account_id,
        expected_rules=expected,
        related_rules=related or [],
        refused_rule=refused,
        expenditure_ids=ids,
        event_versions=versions,
        subject_ids=subjects or [built.account_id],
        authorisation_id=authorisation,
        payee=payee["name"],
        amounts=amounts,
        dates=[d.isoformat() for d in dates],
        bank_keys=[],
    )


def _require_operating(built: BuiltComplex, kind: str) -> None:
    if built.term_expired:
        raise PlantingError(f"{kind} needs a committee in office; {built.code}'s term has ended")


def _require_funds(ledger: Ledger, built: BuiltComplex, first: date, total: int) -> None:
    account = UUID(built.account_id)
    if (
        ledger.balance_as_of(account, first) < 2 * total
        or ledger.account(account).balance < 2 * total
    ):
        raise PlantingError(
            f"{built.code} holds too little to pay {total} fen without side effects"
        )


def _decide(
    ledger: Ledger,
    built: BuiltComplex,
    rng: random.Random,
    *,
    key: str,
    purpose: str,
    cap: int,
    on: date,
) -> str:
    members = [m["member_id"] for m in built.members]
    approvers = rng.sample(members, len(members) // 2 + 1)
    business_clock(ledger).set(on)
    return ledger.record_decision(
        UUID(built.committee_id),
        idempotency_key=key,
        purpose=purpose,
        amount_cap=cap,
        decided_on=on,
        approvers=approvers,
        actor=built.actor("m1"),
    ).id


def _book(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, details: ExpenditureDetails, key: str
) -> Receipt:
    maker, checker = rng.sample(built.signatories, 2)
    account = UUID(built.account_id)
    business_clock(ledger).set(details.value_date)
    proposed = ledger.propose_expenditure(
        account, details, idempotency_key=key, actor=built.actor(maker)
    )
    booked = ledger.approve_expenditure(account, proposed.id, actor=built.actor(checker))
    if booked.status != "booked":
        raise PlantingError(f"{built.code}: {key} was not booked ({booked.status})")
    return booked


def _refuse(
    ledger: Ledger,
    built: BuiltComplex,
    rng: random.Random,
    details: ExpenditureDetails,
    *,
    key: str,
    error: type[LedgerError],
) -> tuple[str, int]:
    """Propose a payment the ledger must refuse; return the refused attempt's id and event version."""
    account = UUID(built.account_id)
    business_clock(ledger).set(details.value_date)
    try:
        ledger.propose_expenditure(
            account, details, idempotency_key=key, actor=built.actor(rng.choice(built.signatories))
        )
    except error as refusal:
        if refusal.rule != error.rule:
            raise
    else:
        raise PlantingError(f"{built.code}: {key} was accepted; expected {error.rule}")
    last = next(iter(ledger.events.get(account, desc=True, limit=1)))
    if not isinstance(last, CommonFundAccount.PaymentRefused) or last.rule != error.rule:
        raise PlantingError(f"{built.code}: the refusal of {key} is not kept in the stream")
    return last.expenditure_id, last.originator_version


def _fall_rules(ledger: Ledger, built: BuiltComplex, before: int) -> list[str]:
    """A12 as a side effect: the planted payments made the balance fall 30% within 30 days."""
    after = worst_fall_bp(balance_path(ledger, UUID(built.account_id)))
    return ["A12"] if after >= 3_000 > before else []


def _working_days_before(day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _working_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def split_payments(ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date) -> Planted:
    """A02: three payments to one organisation within 10 working days, each 90–100% of the limit.

    Each is within the committee's authority and cites one decision whose cap
    covers all three; the days are three working days apart (not A03).
    """
    _require_operating(built, "split_payments")
    policy = ledger.policy
    limit = policy.committee_single_payment_limit
    if 3 * limit > policy.committee_purpose_yearly_limit:
        raise PlantingError("three payments at the single limit exceed the yearly purpose limit")
    end = _working_day_on_or_before(today - timedelta(days=rng.randint(0, 3)))
    days = [_working_days_before(end, 6), _working_days_before(end, 3), end]
    low, high = -(-limit * 9 // 1_000), (limit - 1) // 100  # whole yuan, 90% to just under 100%
    amounts = [rng.randint(low, high) * 100 for _ in days]
    _require_funds(ledger, built, days[0], sum(amounts))
    before = worst_fall_bp(balance_path(ledger, UUID(built.account_id)))
    purpose = "地下车库照明维修"
    cap = -(-sum(amounts) // 1_000_00) * 1_000_00 + 1_000_00
    decided = days[0] - timedelta(days=rng.randint(2, 6))
    decision = _decide(
        ledger, built, rng, key=f"{built.code}-plant-split", purpose=purpose, cap=cap, on=decided
    )
    payee = organisation(firm(rng, "照明工程有限公司"), rng)
    receipts = [
        _book(
            ledger,
            built,
            rng,
            ExpenditureDetails(
                category="repairs",
                payee=payee,
                method="transfer",
                amount=amount,
                purpose=purpose,
                value_date=day,
                authorisation_kind="decision",
                authorisation_id=decision,
            ),
            f"{built.code}-plant-split-{n}",
        )
        for n, (day, amount) in enumerate(zip(days, amounts, strict=True), start=1)
    ]
    return _record(
        "split_payments",
        built,
        expected=["A02"],
        related=_fall_rules(ledger, built, before),
        ids=[r.id for r in receipts],
        versions=[r.version for r in receipts],
        authorisation=decision,
        payee=payee,
        amounts=amounts,
        dates=days,
    )


def payment_after_term_expiry(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """H02 → A24: a payment proposed after the committee's term ended (no successor) is refused."""
    if not built.term_expired:
        raise PlantingError(f"{built.code}'s committee is still in its term")
    purpose = "电梯日常维保"
    decided = built.term_end - timedelta(days=rng.randint(20, 60))
    decision = _decide(
        ledger,
        built,
        rng,
        key=f"{built.code}-plant-expiry",
        purpose=purpose,
        cap=5_000_00,
        on=decided,
    )
    day = max(built.term_end + timedelta(days=1), today - timedelta(days=rng.randint(1, 10)))
    payee = organisation(firm(rng, "电梯工程有限公司"), rng)
    amount = rng.randint(1_500, 3_500) * 100
    details = ExpenditureDetails(
        category="repairs",
        payee=payee,
        method="transfer",
        amount=amount,
        purpose=purpose,
        value_date=day,
        authorisation_kind="decision",
        authorisation_id=decision,
        contract_ref=f"WB-{built.code}-{day:%Y}",
    )
    refused, version = _refuse(
        ledger, built, rng, details, key=f"{built.code}-plant-expiry-1", error=DebitBlocked
    )
    return _record(
        "payment_after_term_expiry",
        built,
        expected=["A24"],
        related=["A21", "A07"],
        refused="H02",
        ids=[refused],
        versions=[version],
        authorisation=decision,
        payee=payee,
        amounts=[amount],
        dates=[day],
    )


def cash_over_limit(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """H07 → A24: a cash payment one fen over the cash limit (1,000.01 by default) is refused."""
    _require_operating(built, "cash_over_limit")
    day = max(built.opened_on, today - timedelta(days=rng.randint(1, 20)))
    decision = built.decision_ids.get(PURPOSE_OFFICE) or _decide(
        ledger,
        built,
        rng,
        key=f"{built.code}-plant-cash",
        purpose=PURPOSE_OFFICE,
        cap=3_000_00,
        on=day,
    )
    payee = built.payees["office"]
    amount = ledger.policy.cash_single_payment_limit + 1
    details = ExpenditureDetails(
        category="committee_operations",
        payee=payee,
        method="cash",
        amount=amount,
        purpose=PURPOSE_OFFICE,
        value_date=day,
        authorisation_kind="decision",
        authorisation_id=decision,
    )
    refused, version = _refuse(
        ledger, built, rng, details, key=f"{built.code}-plant-cash-1", error=CashLimitExceeded
    )
    return _record(
        "cash_over_limit",
        built,
        expected=["A24"],
        related=["A06"],
        refused="H07",
        ids=[refused],
        versions=[version],
        authorisation=decision,
        payee=payee,
        amounts=[amount],
        dates=[day],
    )


def round_number_payment(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """A04: 6,000.00–12,000.00 in whole thousands, no contract reference, under a resolution.

    Paid to the contractor of the year's larger repair, so it is not a first
    payment to a new payee (A16) unless that repair was not made.
    """
    _require_operating(built, "round_number_payment")
    close = today - timedelta(days=rng.randint(45, 60))
    day = close + timedelta(days=rng.randint(5, 20))
    amount = rng.randint(6, 12) * 1_000_00
    _require_funds(ledger, built, day, amount)
    before = worst_fall_bp(balance_path(ledger, UUID(built.account_id)))
    purpose = "单元门禁系统增补改造"
    participated, consented = sample_tally(
        ledger.complex(UUID(built.complex_id)).units, rng, rng.randint(70, 78), rng.randint(72, 85)
    )
    business_clock(ledger).set(close)
    resolution = ledger.record_resolution(
        UUID(built.complex_id),
        idempotency_key=f"{built.code}-plant-round",
        matter=9,
        purpose=purpose,
        amount_cap=amount + rng.randint(0, 3) * 1_000_00,
        period_from=close,
        period_to=close + timedelta(days=120),
        scope_units=None,
        participated=participated,
        consented=consented,
        closed_on=close,
        budget_category="repairs",
        actor=OPERATOR,
    )
    if resolution.status != "passed":
        raise PlantingError(f"{built.code}: the resolution for the round payment did not pass")
    payee = built.payees["repair"]
    receipt = _book(
        ledger,
        built,
        rng,
        ExpenditureDetails(
            category="repairs",
            payee=payee,
            method="transfer",
            amount=amount,
            purpose=purpose,
            value_date=day,
            authorisation_kind="resolution",
            authorisation_id=resolution.id,
        ),
        f"{built.code}-plant-round-1",
    )
    related = [] if built.repair_resolution_id else ["A16"]
    return _record(
        "round_number_payment",
        built,
        expected=["A04"],
        related=related + _fall_rules(ledger, built, before),
        ids=[receipt.id],
        versions=[receipt.version],
        authorisation=resolution.id,
        payee=payee,
        amounts=[amount],
        dates=[day],
    )


def payment_to_member(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """A05: an allowance paid to a committee member who is not a signatory (so H06 allows it).

    The payee is an individual whose name and identity key are the member's.
    """
    _require_operating(built, "payment_to_member")
    member = rng.choice([m for m in built.members if not m["signatory"]])
    day = today - timedelta(days=rng.randint(60, 90))
    amount = rng.randint(3, 10) * 100_00
    _require_funds(ledger, built, day, amount)
    purpose = "委员误工补贴"
    decided = day - timedelta(days=rng.randint(3, 10))
    decision = _decide(
        ledger,
        built,
        rng,
        key=f"{built.code}-plant-member",
        purpose=purpose,
        cap=3_000_00,
        on=decided,
    )
    payee = Party(
        name=member["name"],
        kind="individual",
        identity_key=member["identity_key"],
        bank_account="",
    )
    receipt = _book(
        ledger,
        built,
        rng,
        ExpenditureDetails(
            category="committee_operations",
            payee=payee,
            method="transfer",
            amount=amount,
            purpose=purpose,
            value_date=day,
            authorisation_kind="decision",
            authorisation_id=decision,
        ),
        f"{built.code}-plant-member-1",
    )
    return _record(
        "payment_to_member",
        built,
        expected=["A05"],
        ids=[receipt.id],
        versions=[receipt.version],
        authorisation=decision,
        payee=payee,
        amounts=[amount],
        dates=[day],
    )


def fund_shortfall(ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date) -> Planted:
    """H03 → A26: a maintenance-fund payout the affected units' sub-ledgers cannot bear is refused.

    Four units of the first building get their first deposit (50 yuan per m²); their owners vote
    a repair (matter 5, the plan public 20 days before the vote closed) whose contract costs each
    unit exactly its balance, so the plan raises nothing; the committee accepts the work, and a
    signatory proposes a payout 4.00 above the contract: every unit falls short of its share.
    """
    _require_operating(built, "fund_shortfall")
    complex_id = UUID(built.complex_id)
    units = ledger.complex(complex_id).units
    building = min((u["building"] for u in units.values()), key=lambda b: (len(b), b))
    affected = sorted(u for u, unit in units.items() if unit["building"] == building)[:4]
    day = today - timedelta(days=rng.randint(20, 40))
    clock = business_clock(ledger)
    deposits = {u: units[u]["area"] * 50 for u in affected}
    clock.set(day - timedelta(days=30))
    ledger.maintenance.record_deposits(
        complex_id, deposits, kind="first", on=day - timedelta(days=30), reference="首期缴存",
        idempotency_key=f"{built.code}-plant-fund-first", actor=AUTHORITY,
    )  # fmt: skip
    contract = sum(deposits.values())
    clock.set(day - timedelta(days=10))
    vote = ledger.record_resolution(
        complex_id, idempotency_key=f"{built.code}-plant-fund-vote", matter=5,
        purpose="使用专项维修资金维修屋面", amount_cap=contract + 1_000_00,
        period_from=day - timedelta(days=30), period_to=day + timedelta(days=300),
        scope_units=affected, participated=affected, consented=affected,
        closed_on=day - timedelta(days=10), actor=OPERATOR,
    )  # fmt: skip
    contractor = Contractor(name=firm(rng, "建筑工程有限公司"), bank_account=digits(rng, 19))
    clock.set(day)
    project = ledger.maintenance.plan_project(
        complex_id,
        ProjectPlan(
            title=f"{building}号楼屋面防水维修",
            items=[Item(description="防水卷材及人工", amount=contract + 1_000_00)],
            budget=contract + 1_000_00, contract_sum=contract, contractor=contractor,
            affected_units=affected, plan_published_on=day - timedelta(days=20),
            resolution_id=UUID(vote.id),
        ),
        idempotency_key=f"{built.code}-plant-fund-roof", actor=built.actor("m1"),
    )  # fmt: skip
    project_id = UUID(project.id)
    ledger.maintenance.accept_project(
        project_id, on=day, reference="竣工验收", actor=built.actor("m1")
    )
    amount = contract + 4_00
    try:
        ledger.maintenance.propose_disbursement(
            project_id, amount, payee=contractor["name"], method="transfer", on=day,
            reference="工程款", idempotency_key=f"{built.code}-plant-fund-pay",
            actor=built.actor(rng.choice(built.signatories)),
        )  # fmt: skip
    except SubLedgerShortfall:
        pass
    else:
        raise PlantingError(f"{built.code}: the payout was proposed; expected H03")
    last = next(iter(ledger.events.get(project_id, desc=True, limit=1)))
    if not isinstance(last, RepairProject.DisbursementRefused) or last.rule != "H03":
        raise PlantingError(f"{built.code}: the refused payout is not kept on the project")
    fund = str(fund_id(complex_id))
    return _record(
        "fund_shortfall",
        built,
        expected=["A26"],
        refused="H03",
        ids=[last.disbursement_id],
        versions=[last.originator_version],
        authorisation=vote.id,
        payee=Party(name=contractor["name"], kind="organisation", identity_key="",
                    bank_account=contractor["bank_account"]),
        amounts=[amount],
        dates=[day],
        subjects=[project.id, *(f"{fund}/{u}" for u in affected)],
    )  # fmt: skip


def operations_over_budget(
    ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """A20: this year's committee costs taken above the yearly budget the assembly approved.

    One payment to a training provider, by transfer under a contract and a decision of its own,
    within the committee's authority (under 5,000.00), and 100.00–1,000.00 more than what the
    year's budget has left.
    """
    _require_operating(built, "operations_over_budget")
    if built.operations_budget is None:
        raise PlantingError(f"{built.code} has no committee operations budget to exceed")
    day = max(date(today.year, 1, 10), today - timedelta(days=rng.randint(3, 15)))
    account = ledger.account(UUID(built.account_id))
    spent = sum(
        -entry["amount"]
        for entry_id, entry in account.entries.items()
        if entry["kind"] == "expenditure" and entry["reversed_by"] is None
        and entry["value_date"][:4] == str(day.year)
        and account.proposals[entry_id]["category"] == CATEGORIES["office"]
    )  # fmt: skip
    amount = built.operations_budget - spent + rng.randint(1, 10) * 100_00
    if amount >= min(PAYMENT_CEILING, ledger.policy.committee_single_payment_limit):
        raise PlantingError(f"{built.code}: the budget leaves too much to exceed in one payment")
    _require_funds(ledger, built, day, amount)
    before = worst_fall_bp(balance_path(ledger, UUID(built.account_id)))
    purpose = "业委会委员履职培训"
    decided = day - timedelta(days=rng.randint(2, 6))
    decision = _decide(
        ledger, built, rng, key=f"{built.code}-plant-operations", purpose=purpose, cap=amount,
        on=decided,
    )  # fmt: skip
    payee = organisation(firm(rng, "培训中心"), rng)
    receipt = _book(
        ledger,
        built,
        rng,
        ExpenditureDetails(
            category=CATEGORIES["office"],
            payee=payee,
            method="transfer",
            amount=amount,
            purpose=purpose,
            value_date=day,
            authorisation_kind="decision",
            authorisation_id=decision,
            contract_ref=f"PX-{built.code}-{day:%Y}",
        ),
        f"{built.code}-plant-operations-1",
    )
    return _record(
        "operations_over_budget",
        built,
        expected=["A20"],
        related=_fall_rules(ledger, built, before),
        ids=[receipt.id],
        versions=[receipt.version],
        authorisation=decision,
        payee=payee,
        amounts=[amount],
        dates=[day],
        subjects=[built.committee_id],  # A20 is about the committee's spending
    )


Plant = Callable[[Ledger, BuiltComplex, random.Random, date], Planted]

# In value-date order, so a complex hosting several gets them in the order they happened.
PLANTS: dict[str, Plant] = {
    "payment_after_term_expiry": payment_after_term_expiry,
    "payment_to_member": payment_to_member,
    "round_number_payment": round_number_payment,
    "cash_over_limit": cash_over_limit,
    "split_payments": split_payments,
    "operations_over_budget": operations_over_budget,
    "fund_shortfall": fund_shortfall,  # the maintenance fund: apart from the account's dates
}
NEEDS_EXPIRED_TERM = frozenset({"payment_after_term_expiry"})


def plant(
    kind: str, ledger: Ledger, built: BuiltComplex, rng: random.Random, today: date
) -> Planted:
    """Plant one anomaly; the clock is back on ``today`` afterwards."""
    try:
        return PLANTS[kind](ledger, built, rng, today)
    finally:
        business_clock(ledger).reset()


# --- the city ------------------------------------------------------------------------------

CITY_COMPLEXES = 4_000
CITY_UNITS = 2_540_000
MIN_UNITS, MAX_UNITS = 80, 3_000
HOST_MIN_UNITS = 600  # hosts of booked anomalies: enough income that they cause no A12


@dataclass(frozen=True, slots=True)
class CityPlan:
    """What to build: every complex, and which complexes host which anomaly."""

    scale: float
    seed: int
    today: date
    specs: tuple[ComplexSpec, ...]
    plants: tuple[tuple[str, str], ...]  # (kind, complex code), in planting order
    bank_plants: tuple[tuple[str, str], ...] = ()  # (B kind, complex code), issue #14


def unit_counts(total: int, count: int, rng: random.Random) -> list[int]:
    """``count`` complex sizes between 80 and 3,000 summing to ``total`` where the bounds allow."""
    weights = {f"{i:06d}": max(1, int(1_000 * rng.lognormvariate(0, 0.6))) for i in range(count)}
    sizes = split_exact(total, weights)
    for _ in range(100):
        sizes = {k: min(MAX_UNITS, max(MIN_UNITS, v)) for k, v in sizes.items()}
        missing = total - sum(sizes.values())
        free = {
            k: weights[k]
            for k, v in sizes.items()
            if (v < MAX_UNITS if missing > 0 else v > MIN_UNITS)
        }
        if missing == 0 or not free:
            break
        for k, part in split_exact(abs(missing), free).items():
            sizes[k] += part if missing > 0 else -part
    return list(sizes.values())


def street_codes(district: str) -> list[str]:
    """The district's real street codes in order (ledger/places.py): the city's streets have
    names on the regulator's desk; there are at least ``District.streets`` of them."""
    return sorted(code for code in STREETS if code.startswith(district))


def plan_city(scale: float, *, seed: int, today: date, identity_secret: str) -> CityPlan:
    """Qingdao at ``scale``: round(4,000·F) complexes (at least 2), round(2,540,000·F) units."""
    if not 0 < scale <= 1:
        raise ValueError("scale is a fraction of the city in (0, 1]")
    rng = seeded("city", seed)
    count = max(2, round(CITY_COMPLEXES * scale))
    sizes = iter(unit_counts(round(CITY_UNITS * scale), count, rng))
    per_district = split_exact(count, {d.code: d.population for d in DISTRICTS})
    places: list[tuple[str, str, str, str]] = []  # code, district, street, community
    for district in DISTRICTS:
        n = per_district[district.code]
        streets = min(district.streets, max(1, -(-n // 30)))
        street_of = [rng.randrange(streets) + 1 for _ in range(n)]
        for k, street_no in enumerate(street_of, start=1):
            communities = max(1, min(12, -(-street_of.count(street_no) // 8)))
            street = street_codes(district.code)[street_no - 1]
            community = f"{street}{rng.randrange(communities) + 1:03d}"
            places.append((f"QD-{district.code}-{k:04d}", district.code, street, community))
    size = {place[0]: next(sizes) for place in places}
    per_kind = max(1, round(count / 100))
    by_size = sorted(size, key=lambda code: (-size[code], code))
    expired = set(rng.sample(by_size[per_kind:], per_kind))  # the largest stay in office
    in_office = [code for code in by_size if code not in expired]
    hosts = [code for code in in_office if size[code] >= HOST_MIN_UNITS]
    if len(hosts) < per_kind:
        hosts = in_office[:per_kind]
    specs = tuple(
        plan_complex(
            code=code,
            name=complex_name(rng),
            district=district,
            street=street,
            community=community,
            unit_count=size[code],
            today=today,
            rng=seeded(seed, code, "plan"),
            identity_secret=identity_secret,
            term_expired=code in expired,
            bank_feed=plan_feed(seeded(seed, code, "bank")),
        )
        for code, district, street, community in places
    )
    chosen: list[tuple[str, str]] = []
    for kind in PLANTS:
        pool = sorted(expired) if kind in NEEDS_EXPIRED_TERM else hosts
        chosen.extend((kind, code) for code in rng.sample(pool, min(per_kind, len(pool))))
    order = {s.code: i for i, s in enumerate(specs)}
    kinds = list(PLANTS)
    chosen.sort(key=lambda kc: (order[kc[1]], kinds.index(kc[0])))
    return CityPlan(
        scale=scale, seed=seed, today=today, specs=specs, plants=tuple(chosen),
        bank_plants=_bank_hosts(specs, {code for _, code in chosen}, per_kind, rng),
    )  # fmt: skip


def _bank_hosts(
    specs: Sequence[ComplexSpec], hosts: set[str], per_kind: int, rng: random.Random
) -> tuple[tuple[str, str], ...]:
    """Which feeds carry which bank difference: complexes hosting no A anomaly first, each
    difference on a complex of its own while there are enough (issue #14)."""
    feeds = [s.code for s in specs if s.bank_feed]
    free = [code for code in feeds if code not in hosts]
    rng.shuffle(free)
    busy = [code for code in feeds if code in hosts]
    rng.shuffle(busy)
    pool = free + busy
    if not pool:
        return ()
    wanted = [kind for kind in BANK_PLANTS for _ in range(per_kind)]
    return tuple((kind, pool[n % len(pool)]) for n, kind in enumerate(wanted))


@dataclass(frozen=True, slots=True)
class CityResult:
    plan: CityPlan
    built: tuple[BuiltComplex, ...]
    anomalies: tuple[Planted, ...]

    def manifest(self) -> dict[str, object]:
        """The planted anomalies and the shape of the city: deterministic, no timings."""
        districts: dict[str, int] = {}
        for spec in self.plan.specs:
            districts[spec.district] = districts.get(spec.district, 0) + 1
        return {
            "generator": "commonfund.synthetic",
            "seed": self.plan.seed,
            "scale": self.plan.scale,
            "today": self.plan.today.isoformat(),
            "complexes": len(self.built),
            "units": sum(b.units for b in self.built),
            "districts": districts,
            "expired_term_complexes": sorted(b.code for b in self.built if b.term_expired),
            "bank_feeds": sorted(b.code for b in self.built if b.bank_feed),
            "anomalies": sorted(self.anomalies, key=lambda a: (a["kind"], a["complex_code"])),
        }


def build_city(
    ledger: Ledger,
    plan: CityPlan,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CityResult:
    """Build every complex of the plan, then plant the anomalies, all through the ledger."""
    built: dict[str, BuiltComplex] = {}
    for n, spec in enumerate(plan.specs, start=1):
        rng = seeded(plan.seed, spec.code)
        built[spec.code] = build_complex(ledger, spec, rng, plan.today)
        if progress is not None:
            progress(n, len(plan.specs))
    anomalies = tuple(
        plant(kind, ledger, built[code], seeded(plan.seed, code, kind), plan.today)
        for kind, code in plan.plants
    )
    anomalies += tuple(feed_city(ledger, plan, built))
    return CityResult(plan=plan, built=tuple(built.values()), anomalies=anomalies)


def feed_city(ledger: Ledger, plan: CityPlan, built: Mapping[str, BuiltComplex]) -> list[Planted]:
    """Each feed derived from its account's ledger, its planted differences made, imported
    (``commonfund/synthetic_bank.py``, issue #14); the differences as manifest anomalies."""
    kinds: dict[str, list[str]] = {}
    for kind, code in plan.bank_plants:
        kinds.setdefault(code, []).append(kind)
    found: list[Planted] = []
    for b in built.values():
        if not b.bank_feed:
            continue
        rng = seeded(plan.seed, b.code, "feed")
        feed = derive(ledger, b, b.bank_feed, rng, plan.today)
        for kind in sorted(kinds.get(b.code, ()), key=list(BANK_PLANTS).index):
            try:
                made = BANK_PLANTS[kind](feed, seeded(plan.seed, b.code, kind))
            except PlantingSkipped:
                continue
            found.append(
                Planted(
                    kind=kind, complex_code=b.code, complex_id=b.complex_id,
                    account_id=b.account_id, expected_rules=made.expected,
                    related_rules=made.related, refused_rule=None, expenditure_ids=made.entries,
                    event_versions=[], subject_ids=[b.account_id], authorisation_id="",
                    payee="", amounts=made.amounts, dates=[d.isoformat() for d in made.dates],
                    bank_keys=made.keys,
                )
            )  # fmt: skip
        import_feed(ledger, feed, b.bank_code)
    return found
