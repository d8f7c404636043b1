"""One settings object, validated at start, from COMMONFUND_* environment variables."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.policy import Policy
from projections.supervision.catalog import DEFAULT_CATALOG

DEFAULT_SQLITE_PATH = Path("var") / "commonfund.sqlite3"


class Settings(BaseSettings):
    """Deployment settings; a bad value stops the service at start with a clear message."""

    model_config = SettingsConfigDict(env_prefix="COMMONFUND_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="sqlite:///path/to/file or postgresql://user:pass@host:port/dbname",
    )
    identity_secret: str = Field(
        default="commonfund-demo-secret-change-me",
        description="Per-deployment HMAC secret for identity keys (domain.md, Personal data)",
    )
    # people's names are sealed per person (docs/architecture.md, "Personal data"): how long a
    # process keeps a person's key, which is how long an erasure takes to reach every process
    personal_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    aggregate_cache_size: int = Field(default=5000, ge=1)  # eventsourcing reads 0 as unbounded
    postgres_pool_size: int = Field(default=5, ge=1, le=100)
    # serve follows the ledger for the read models itself (one active runner per database,
    # the other workers stand by); set false when `commonfund project` runs on its own
    run_projections: bool = True
    timezone: str = "Asia/Shanghai"
    cash_single_payment_limit_fen: int = Field(default=1_000_00, gt=0)
    committee_single_payment_limit_fen: int = Field(default=5_000_00, gt=0)
    committee_purpose_yearly_limit_fen: int = Field(default=20_000_00, gt=0)
    committee_filing_deadline_days: int = Field(default=30, gt=0)
    # the maintenance fund (H08, H09, A19): basis points of the contract payable before
    # completion acceptance, of the first deposit under which a unit must top up; days the
    # plan is public before the vote closes; the emergency categories (comma-separated)
    maintenance_payout_ratio_bp: int = Field(default=7_000, gt=0, le=10_000)
    maintenance_replenish_ratio_bp: int = Field(default=3_000, ge=0, le=10_000)
    maintenance_plan_publicity_days: int = Field(default=7, ge=0, le=365)
    maintenance_emergency_categories: str = ",".join(Policy().maintenance_emergency_categories)
    # alert rules' parameters for this city over the spec's defaults, as JSON, for example
    # {"A02": {"count": 4}} in COMMONFUND_RULE_PARAMS (docs/alerts.md lists them)
    rule_params: dict[str, dict[str, int]] = Field(default_factory=dict)
    # serve records the day's clock-rule run (Asia/Shanghai) once per date; every worker tries,
    # the ledger keeps one run per date
    supervise_daily: bool = True
    # webhooks (docs/operations.md): every serve worker and `commonfund project` deliver
    # (each delivery is leased, so several workers never send one twice at once)
    deliver_webhooks: bool = True
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0, le=3600)
    webhook_retry_cap_seconds: float = Field(default=3600.0, gt=0, le=86400)
    webhook_retry_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("COMMONFUND_DATABASE_URL must start with sqlite:/// or postgresql://")
        return value

    @field_validator("rule_params")
    @classmethod
    def _known_rules(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        DEFAULT_CATALOG.with_overrides(value)  # refuses an unknown rule or parameter
        return value

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.database_url).scheme in ("postgresql", "postgres")

    @property
    def sqlite_path(self) -> Path:
        return Path(unquote(urlsplit(self.database_url).path).removeprefix("/"))

    def policy(self) -> Policy:
        return Policy(
            timezone=self.timezone,
            cash_single_payment_limit=self.cash_single_payment_limit_fen,
            committee_single_payment_limit=self.committee_single_payment_limit_fen,
            committee_purpose_yearly_limit=self.committee_purpose_yearly_limit_fen,
            committee_filing_deadline_days=self.committee_filing_deadline_days,
            maintenance_payout_ratio_bp=self.maintenance_payout_ratio_bp,
            maintenance_replenish_ratio_bp=self.maintenance_replenish_ratio_bp,
            maintenance_plan_publicity_days=self.maintenance_plan_publicity_days,
            maintenance_emergency_categories=tuple(
                c.strip() for c in self.maintenance_emergency_categories.split(",") if c.strip()
            ),
        )

    def eventsourcing_env(self, *, create_tables: bool = False) -> dict[str, str]:
        """The environment that points eventsourcing at our store (tables come from migrations/)."""
        env = {
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "CREATE_TABLE": "y" if create_tables else "n",
        }
        if self.is_postgres:
            parts = urlsplit(self.database_url)
            env.update(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.postgres",
                    "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
                    "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                    "POSTGRES_PORT": str(parts.port or 5432),
                    "POSTGRES_USER": unquote(parts.username or "postgres"),
                    "POSTGRES_PASSWORD": unquote(parts.password or ""),
                    "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
                    "POSTGRES_MAX_OVERFLOW": "2",
                }
            )
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            env.update(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": str(self.sqlite_path),
                }
            )
        return env
