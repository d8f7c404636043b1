"""One settings object, validated at start, from COMMONFUND_* environment variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.ratelimit import RateLimitPolicy
from ledger.policy import Policy
from projections.supervision.catalog import DEFAULT_CATALOG

DEFAULT_SQLITE_PATH = Path("var") / "commonfund.sqlite3"
_LIMITS = RateLimitPolicy()  # the defaults live with the limits
# In the source, so public: anyone could compute an owner's identity key from an ID number
# with it. Good for the demo and tests on SQLite, refused anywhere that holds real data.
DEMO_IDENTITY_SECRET = "commonfund-demo-secret-change-me"  # noqa: S105 - public on purpose


POSTGRES_CONNECT_TIMEOUT_SECONDS = 10  # seconds: a connection from the pool, or a new one


class Settings(BaseSettings):
    """Deployment settings; a bad value stops the service at start with a clear message."""

    model_config = SettingsConfigDict(env_prefix="COMMONFUND_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="sqlite:///path/to/file or postgresql://user:pass@host:port/dbname",
    )
    # production: the demo identity secret is refused whatever the store (so is it on
    # PostgreSQL, the production store, whatever this says)
    environment: Literal["development", "production"] = "development"
    identity_secret: str = Field(
        default=DEMO_IDENTITY_SECRET,
        min_length=1,
        description="Per-deployment HMAC secret for identity keys (domain.md, Personal data)",
    )
    # or the secret in a file (a compose or Kubernetes secret), surrounding whitespace ignored
    identity_secret_file: Path | None = None
    # people's names are sealed per person (docs/architecture.md, "Personal data"): how long a
    # process keeps a person's key, which is how long an erasure takes to reach every process
    personal_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # how long a process keeps a bearer token's record (api/token_cache.py): a request costs
    # no token lookup, and a revocation by another process takes effect within this time
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    aggregate_cache_size: int = Field(default=5000, ge=1)  # eventsourcing reads 0 as unbounded
    postgres_pool_size: int = Field(default=5, ge=1, le=100)
    # serve follows the ledger for the read models itself (one active runner per database,
    # the other workers stand by); set false when `commonfund project` runs on its own
    run_projections: bool = True
    # with --workers N, how long uvicorn's supervisor waits for a worker's answer to its ping
    # before killing it (uvicorn's 5 s killed workers still starting under load, issue #12)
    worker_healthcheck_seconds: int = Field(default=10, ge=1, le=600)
    # /readyz answers 503 when a read model is further behind the ledger than this
    projection_lag_limit_seconds: float = Field(default=30.0, gt=0)
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
    # attempts at once per process, to different subscriptions (one in flight per subscription):
    # a receiver that hangs holds one sender, never the others' deliveries
    webhook_senders: int = Field(default=4, ge=1, le=32)
    # where webhooks may go (docs/operations.md, "Where webhooks may go"): public addresses
    # over https only, checked at registration and at every delivery; the hosts (names or
    # addresses, comma-separated) the operator allows even inside, e.g. a government intranet
    # receiver or a test's loopback one; plain http only where https is not required
    webhook_allowed_hosts: str = ""
    webhook_require_https: bool = True
    # rate limits (api/ratelimit.py), in memory per worker process, per window: failed
    # authentications per client address, writes per token; false turns both off
    rate_limits: bool = True
    rate_limit_window_seconds: float = Field(default=_LIMITS.window_seconds, gt=0, le=86400)
    failed_authentications_per_window: int = Field(default=_LIMITS.failed_authentications, ge=1)
    writes_per_window: int = Field(default=_LIMITS.writes, ge=1)
    # the proxies whose X-Forwarded-For (the client's address) and X-Forwarded-Proto uvicorn
    # believes: comma-separated addresses or networks, or *; empty: the peer is the client
    trusted_proxies: str = ""
    # One JSON object per log line (commonfund/logs.py), or "text" for a developer's terminal.
    log_format: Literal["json", "text"] = "json"
    # the bank feed (issue #14): the largest bank file one request may carry (the CLI's
    # `commonfund bank import` has no limit), and the working days the matching allows
    # between the bank's value date and the ledger's
    bank_statement_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)
    bank_match_working_days: int = Field(default=3, ge=0, le=20)
    # where owners reach the pages (issue #17): the printed notice's link and QR code, and
    # the addresses `commonfund demo` prints; behind a proxy the request's host is not it
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("COMMONFUND_DATABASE_URL must start with sqlite:/// or postgresql://")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                "COMMONFUND_PUBLIC_BASE_URL is the address owners use, such as"
                " https://gongyou.example.cn (http or https, a host, perhaps a path)"
            )
        return value.rstrip("/")

    def page_url(self, path: str) -> str:
        """The public address of a page: the base URL and ``path`` (``/c/QD-SN-DEMO-001``)."""
        return f"{self.public_base_url}{path}"

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",") if p.strip()):
            if part != "*":
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(
                        f"COMMONFUND_TRUSTED_PROXIES: {part!r} is not an address or a network"
                    ) from None
        return value

    @field_validator("rule_params")
    @classmethod
    def _known_rules(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        DEFAULT_CATALOG.with_overrides(value)  # refuses an unknown rule or parameter
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _bare_hosts(cls, value: str) -> str:
        for host in (h.strip() for h in value.split(",")):
            if any(c in host for c in "/@ ") or host.count(":") == 1:
                raise ValueError(
                    "COMMONFUND_WEBHOOK_ALLOWED_HOSTS lists host names or addresses"
                    " (comma-separated), without scheme, port or path"
                )
        return value

    @property
    def webhook_hosts(self) -> tuple[str, ...]:
        """The hosts webhooks may go to even inside (loopback, private …)."""
        return tuple(h.strip() for h in self.webhook_allowed_hosts.split(",") if h.strip())

    @model_validator(mode="after")
    def _own_identity_secret(self) -> Self:
        if self.identity_secret_file is not None:
            if "identity_secret" in self.model_fields_set:
                raise ValueError(
                    "set COMMONFUND_IDENTITY_SECRET or COMMONFUND_IDENTITY_SECRET_FILE, not both"
                )
            try:
                secret = self.identity_secret_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise ValueError(
                    f"COMMONFUND_IDENTITY_SECRET_FILE: cannot read {self.identity_secret_file}"
                    f" ({error})"
                ) from None
            if not secret:
                raise ValueError(f"COMMONFUND_IDENTITY_SECRET_FILE: {self.identity_secret_file}"
                                 " is empty")  # fmt: skip
            self.identity_secret = secret
        if self.identity_secret == DEMO_IDENTITY_SECRET and (
            self.is_postgres or self.environment == "production"
        ):
            where = "in production" if self.environment == "production" else "on PostgreSQL"
            raise ValueError(
                f"COMMONFUND_IDENTITY_SECRET is the built-in demo value, which is refused {where}"
                " (it is public, so anyone could compute an owner's identity key with it): set"
                " COMMONFUND_IDENTITY_SECRET, or COMMONFUND_IDENTITY_SECRET_FILE, to this"
                " deployment's own secret, e.g. the output of"
                " `python3 -c 'import secrets; print(secrets.token_hex(32))'`"
                " (docs/operations.md, Identity keys)"
            )
        return self

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.database_url).scheme in ("postgresql", "postgres")

    @property
    def sqlite_path(self) -> Path:
        return Path(unquote(urlsplit(self.database_url).path).removeprefix("/"))

    def rate_limit_policy(self) -> RateLimitPolicy | None:
        """The limits for ``serve``, or None when they are off."""
        if not self.rate_limits:
            return None
        return RateLimitPolicy(
            failed_authentications=self.failed_authentications_per_window,
            writes=self.writes_per_window,
            window_seconds=self.rate_limit_window_seconds,
        )

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
                    # a request waits at most this long for a connection (the library's default
                    # is 30 s, a client's usual timeout): during a restart the write is retried
                    # and then answered 503 in time instead of the client giving up first
                    "POSTGRES_CONNECT_TIMEOUT": str(POSTGRES_CONNECT_TIMEOUT_SECONDS),
                    # a request's answer in its events' transaction (issue #15)
                    "APPLICATION_RECORDER_TOPIC": "commonfund.recorders:AnsweringPostgresRecorder",
                }
            )
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            env.update(
                {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": str(self.sqlite_path),
                    "APPLICATION_RECORDER_TOPIC": "commonfund.recorders:AnsweringSQLiteRecorder",
                }
            )
        return env


def load_settings() -> Settings:
    """The settings from the environment, or a stop with what is wrong (every command, every worker)."""
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(f"commonfund: bad configuration:\n{error}") from None
