"""Per-city parameters of the hard rules (domain.md, Defaults table); configuration, not constants."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Policy:
    """The parameters a city deployment may change; defaults are Qingdao's."""

    timezone: str = "Asia/Shanghai"
    committee_filing_deadline_days: int = 30
    committee_term_max_years: int = 5
    member_change_refiling_days: int = 30
    handover_deadline_days: int = 10
    committee_single_payment_limit: int = 5_000_00  # fen
    committee_purpose_yearly_limit: int = 20_000_00  # fen
    cash_single_payment_limit: int = 1_000_00  # fen
    required_approvers: int = 2
    committee_min_members: int = 5
    committee_max_members: int = 11
    # The maintenance fund (H07–H09; domain.md, Defaults)
    maintenance_payout_ratio_bp: int = 7_000  # 70.00% of the contract before acceptance (H09)
    maintenance_replenish_ratio_bp: int = 3_000  # 30.00% of the first deposit (A19)
    maintenance_plan_publicity_days: int = 7  # the plan public before the vote closes (H08)
    maintenance_emergency_categories: tuple[str, ...] = (
        "lift_stopped_by_inspection",  # 电梯因检验停运
        "roof_or_wall_leak",  # 屋面、外墙渗漏
        "high_rise_water_supply_failure",  # 高层供水设施故障
        "facade_falling_risk",  # 外墙饰面有脱落危险
        "drainage_collapse_or_burst",  # 排水设施堵塞、爆裂
        "fire_system_failure_ordered",  # 消防设施故障被责令维修
    )
    income_categories: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {
                "parking",
                "advertising",
                "venue_rent",
                "facility_fee",
                "interest",
                "compensation",
                "other",
            }
        )
    )
    expenditure_categories: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {
                "repairs",
                "cleaning_greening",
                "security",
                "utilities_common",
                "committee_operations",
                "audit_legal",
                "distribution_to_owners",
                "transfer_to_maintenance_fund",
                "other",
            }
        )
    )


DEFAULT_POLICY = Policy()
