"""Every migration applies to an empty database, once, and yields the expected schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from commonfund.settings import Settings
from commonfund.wiring import build_ledger, migrate, pending_migrations
from migrations import runner
from tests.conftest import WORKER, postgres_url_or_skip

EXPECTED_POSTGRES = {
    "ledger_events": [
        ("originator_id", "uuid"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
        ("notification_id", "bigint"),
    ],
    "ledger_snapshots": [
        ("originator_id", "uuid"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
    ],
    "api_tokens": [
        ("id", "text"),
        ("token_hash", "text"),
        ("role", "text"),
        ("complex_id", "uuid"),
        ("member_id", "text"),
        ("owner_key", "text"),
        ("jurisdiction", "text"),
        ("label", "text"),
        ("created_at", "timestamp with time zone"),
        ("expires_at", "timestamp with time zone"),
        ("revoked_at", "timestamp with time zone"),
    ],
    "api_idempotency": [
        ("scope", "text"),
        ("idempotency_key", "text"),
        ("request_hash", "text"),
        ("status_code", "integer"),
        ("content_type", "text"),
        ("body", "bytea"),
        ("claimed_at", "timestamp with time zone"),
        ("completed_at", "timestamp with time zone"),
    ],
    "commonfund_schema_migrations": [
        ("version", "integer"),
        ("name", "text"),
        ("checksum", "text"),
        ("applied_at", "text"),
    ],
    "projection_state": [("name", "text"), ("generation", "integer")],
    "projection_tracking": [
        ("name", "text"),
        ("generation", "integer"),
        ("position", "bigint"),
        ("updated_at", "text"),
    ],
    "stmt_streams": [
        ("generation", "integer"),
        ("stream_id", "text"),
        ("complex_id", "text"),
        ("version", "integer"),
        ("head", "text"),
    ],
    "stmt_proposals": [
        ("generation", "integer"),
        ("account_id", "text"),
        ("expenditure_id", "text"),
        ("proposal", "text"),
    ],
    "stmt_lines": [
        ("generation", "integer"),
        ("complex_id", "text"),
        ("entry_id", "text"),
        ("account_id", "text"),
        ("position", "bigint"),
        ("value_date", "text"),
        ("section", "text"),
        ("category", "text"),
        ("party", "text"),
        ("amount", "bigint"),
        ("gross", "bigint"),
        ("deduction", "bigint"),
        ("collector", "text"),
        ("method", "text"),
        ("authorisation", "text"),
        ("contract_ref", "text"),
        ("description", "text"),
        ("reverses", "text"),
        ("reversed_by", "text"),
        ("reversed_at", "bigint"),
    ],
    "stmt_versions": [
        ("generation", "integer"),
        ("complex_id", "text"),
        ("period", "text"),
        ("version", "integer"),
        ("position", "bigint"),
        ("published_on", "text"),
        ("published_by", "text"),
        ("content_hash", "text"),
        ("hash_matches", "integer"),
        ("content", "text"),
        ("digest", "text"),
        ("diff", "text"),
    ],
    "sup_places": [
        ("generation", "integer"),
        ("complex_id", "text"),
        ("code", "text"),
        ("name", "text"),
        ("district", "text"),
        ("street", "text"),
        ("community", "text"),
    ],
    "sup_streams": [
        ("generation", "integer"),
        ("stream_id", "text"),
        ("complex_id", "text"),
        ("committee_id", "text"),
    ],
    "sup_members": [
        ("generation", "integer"),
        ("committee_id", "text"),
        ("member_id", "text"),
        ("name", "text"),
        ("identity_key", "text"),
    ],
    "sup_proposals": [
        ("generation", "integer"),
        ("account_id", "text"),
        ("expenditure_id", "text"),
        ("proposal", "text"),
    ],
    "sup_payments": [
        ("generation", "integer"),
        ("account_id", "text"),
        ("entry_id", "text"),
        ("value_date", "text"),
        ("payee_key", "text"),
        ("payee_name", "text"),
        ("amount", "bigint"),
        ("method", "text"),
        ("contract_ref", "text"),
        ("position", "bigint"),
    ],
    "sup_snoozes": [
        ("generation", "integer"),
        ("snooze_id", "text"),
        ("rule", "text"),
        ("subject_id", "text"),
        ("until", "text"),
    ],
    "alerts": [
        ("generation", "integer"),
        ("alert_id", "text"),
        ("rule", "text"),
        ("rule_version", "integer"),
        ("severity", "text"),
        ("subject_kind", "text"),
        ("subject_id", "text"),
        ("complex_id", "text"),
        ("district", "text"),
        ("street", "text"),
        ("community", "text"),
        ("trigger_key", "text"),
        ("evidence", "text"),
        ("explanation_zh", "text"),
        ("explanation_en", "text"),
        ("raised_on", "text"),
        ("position", "bigint"),
        ("status", "text"),
        ("outcome", "text"),
    ],
    "alert_steps": [
        ("generation", "integer"),
        ("alert_id", "text"),
        ("version", "integer"),
        ("step", "text"),
        ("principal", "text"),
        ("detail", "text"),
        ("step_on", "text"),
        ("position", "bigint"),
    ],
    "webhook_subscriptions": [
        ("id", "text"),
        ("url", "text"),
        ("secret", "text"),
        ("jurisdiction", "text"),
        ("community_prefix", "text"),
        ("severities", "text"),
        ("rules", "text"),
        ("created_by", "text"),
        ("created_at", "timestamp with time zone"),
        ("since_position", "bigint"),
    ],
    "webhook_deliveries": [
        ("delivery_id", "text"),
        ("subscription_id", "text"),
        ("alert_id", "text"),
        ("position", "bigint"),
        ("body", "text"),
        ("status", "text"),
        ("attempts", "integer"),
        ("created_at", "timestamp with time zone"),
        ("next_attempt_at", "timestamp with time zone"),
        ("last_attempt_at", "timestamp with time zone"),
        ("last_status_code", "integer"),
        ("last_error", "text"),
        ("delivered_at", "timestamp with time zone"),
    ],
    "sup_entries": [
        ("generation", "integer"),
        ("account_id", "text"),
        ("entry_id", "text"),
        ("kind", "text"),
        ("category", "text"),
        ("value_date", "text"),
        ("amount", "bigint"),
        ("contract_ref", "text"),
        ("counterparty", "text"),
        ("counterparty_key", "text"),
        ("authorisation", "text"),
        ("reversed_by", "text"),
        ("position", "bigint"),
    ],
    "sup_accounts": [
        ("generation", "integer"),
        ("account_id", "text"),
        ("complex_id", "text"),
        ("committee_id", "text"),
        ("opened_on", "text"),
        ("closed_on", "text"),
    ],
    "sup_committees": [
        ("generation", "integer"),
        ("committee_id", "text"),
        ("complex_id", "text"),
        ("election_resolution_id", "text"),
        ("elected_on", "text"),
        ("term_end", "text"),
        ("seats", "integer"),
        ("status", "text"),
        ("ended_on", "text"),
        ("handed_over_on", "text"),
    ],
    "sup_resolutions": [
        ("generation", "integer"),
        ("resolution_id", "text"),
        ("complex_id", "text"),
        ("matter", "integer"),
        ("purpose", "text"),
        ("amount_cap", "bigint"),
        ("period_from", "text"),
        ("period_to", "text"),
        ("closed_on", "text"),
        ("passed", "integer"),
        ("whole_assembly", "integer"),
    ],
    "sup_publications": [
        ("generation", "integer"),
        ("complex_id", "text"),
        ("period", "text"),
        ("published_on", "text"),
        ("position", "bigint"),
    ],
    "sup_ticks": [
        ("generation", "integer"),
        ("as_of", "text"),
        ("position", "bigint"),
        ("alerts", "integer"),
    ],
    "sup_funds": [
        ("generation", "integer"),
        ("fund_id", "text"),
        ("complex_id", "text"),
        ("established_on", "text"),
    ],
    "sup_fund_disclosures": [
        ("generation", "integer"),
        ("fund_id", "text"),
        ("year", "text"),
        ("published_on", "text"),
        ("position", "bigint"),
    ],
    "sup_fund_units": [
        ("generation", "integer"),
        ("fund_id", "text"),
        ("unit_id", "text"),
        ("balance", "bigint"),
        ("first_deposit", "bigint"),
    ],
    "sup_projects": [
        ("generation", "integer"),
        ("project_id", "text"),
        ("fund_id", "text"),
        ("complex_id", "text"),
        ("kind", "text"),
        ("budget", "bigint"),
        ("contract_sum", "bigint"),
        ("planned_on", "text"),
        ("accepted_on", "text"),
        ("disclosed_on", "text"),
    ],
}
EXPECTED_SQLITE = {
    "stored_events": ["originator_id", "originator_version", "topic", "state"],
    "stored_snapshots": ["originator_id", "originator_version", "topic", "state"],
    "commonfund_schema_migrations": ["version", "name", "checksum", "applied_at"],
    "api_tokens": [
        "id",
        "token_hash",
        "role",
        "complex_id",
        "member_id",
        "owner_key",
        "jurisdiction",
        "label",
        "created_at",
        "expires_at",
        "revoked_at",
    ],
    "api_idempotency": [
        "scope",
        "idempotency_key",
        "request_hash",
        "status_code",
        "content_type",
        "body",
        "claimed_at",
        "completed_at",
    ],
    "projection_state": ["name", "generation"],
    "projection_tracking": ["name", "generation", "position", "updated_at"],
    "stmt_streams": ["generation", "stream_id", "complex_id", "version", "head"],
    "stmt_proposals": ["generation", "account_id", "expenditure_id", "proposal"],
    "stmt_lines": [
        "generation",
        "complex_id",
        "entry_id",
        "account_id",
        "position",
        "value_date",
        "section",
        "category",
        "party",
        "amount",
        "gross",
        "deduction",
        "collector",
        "method",
        "authorisation",
        "contract_ref",
        "description",
        "reverses",
        "reversed_by",
        "reversed_at",
    ],
    "stmt_versions": [
        "generation",
        "complex_id",
        "period",
        "version",
        "position",
        "published_on",
        "published_by",
        "content_hash",
        "hash_matches",
        "content",
        "digest",
        "diff",
    ],
    "sup_places": ["generation", "complex_id", "code", "name", "district", "street", "community"],
    "sup_streams": ["generation", "stream_id", "complex_id", "committee_id"],
    "sup_members": ["generation", "committee_id", "member_id", "name", "identity_key"],
    "sup_proposals": ["generation", "account_id", "expenditure_id", "proposal"],
    "sup_payments": [
        "generation",
        "account_id",
        "entry_id",
        "value_date",
        "payee_key",
        "payee_name",
        "amount",
        "method",
        "contract_ref",
        "position",
    ],
    "sup_snoozes": ["generation", "snooze_id", "rule", "subject_id", "until"],
    "alerts": [
        "generation",
        "alert_id",
        "rule",
        "rule_version",
        "severity",
        "subject_kind",
        "subject_id",
        "complex_id",
        "district",
        "street",
        "community",
        "trigger_key",
        "evidence",
        "explanation_zh",
        "explanation_en",
        "raised_on",
        "position",
        "status",
        "outcome",
    ],
    "alert_steps": [
        "generation",
        "alert_id",
        "version",
        "step",
        "principal",
        "detail",
        "step_on",
        "position",
    ],
    "webhook_subscriptions": [
        "id",
        "url",
        "secret",
        "jurisdiction",
        "community_prefix",
        "severities",
        "rules",
        "created_by",
        "created_at",
        "since_position",
    ],
    "webhook_deliveries": [
        "delivery_id",
        "subscription_id",
        "alert_id",
        "position",
        "body",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    ],
    "sup_entries": [
        "generation",
        "account_id",
        "entry_id",
        "kind",
        "category",
        "value_date",
        "amount",
        "contract_ref",
        "counterparty",
        "counterparty_key",
        "authorisation",
        "reversed_by",
        "position",
    ],
    "sup_accounts": [
        "generation",
        "account_id",
        "complex_id",
        "committee_id",
        "opened_on",
        "closed_on",
    ],
    "sup_committees": [
        "generation",
        "committee_id",
        "complex_id",
        "election_resolution_id",
        "elected_on",
        "term_end",
        "seats",
        "status",
        "ended_on",
        "handed_over_on",
    ],
    "sup_resolutions": [
        "generation",
        "resolution_id",
        "complex_id",
        "matter",
        "purpose",
        "amount_cap",
        "period_from",
        "period_to",
        "closed_on",
        "passed",
        "whole_assembly",
    ],
    "sup_publications": [
        "generation",
        "complex_id",
        "period",
        "published_on",
        "position",
    ],
    "sup_ticks": [
        "generation",
        "as_of",
        "position",
        "alerts",
    ],
    "sup_funds": ["generation", "fund_id", "complex_id", "established_on"],
    "sup_fund_disclosures": ["generation", "fund_id", "year", "published_on", "position"],
    "sup_fund_units": ["generation", "fund_id", "unit_id", "balance", "first_deposit"],
    "sup_projects": [
        "generation",
        "project_id",
        "fund_id",
        "complex_id",
        "kind",
        "budget",
        "contract_sum",
        "planned_on",
        "accepted_on",
        "disclosed_on",
    ],
}


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    base = postgres_url_or_skip()
    admin = base.rsplit("/", 1)[0] + "/postgres"
    name = f"commonfund_migration_test{'_' + WORKER if WORKER else ''}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    yield base.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
def test_postgres_schema_after_all_migrations(empty_postgres: str) -> None:
    settings = Settings(database_url=empty_postgres)
    assert pending_migrations(settings) == [
        "0001_event_store",
        "0002_api",
        "0003_projections",
        "0004_supervision",
        "0005_supervision_facts",
        "0006_webhooks",
        "0008_supervision_fund",
    ]
    assert migrate(settings) == [
        "0001_event_store",
        "0002_api",
        "0003_projections",
        "0004_supervision",
        "0005_supervision_facts",
        "0006_webhooks",
        "0008_supervision_fund",
    ]
    assert migrate(settings) == []
    assert pending_migrations(settings) == []
    with psycopg.connect(empty_postgres) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        indexes = {
            r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname='public'")
        }
        types = {
            r[0]
            for r in conn.execute("SELECT typname FROM pg_type WHERE typname LIKE 'stored_event%'")
        }
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in columns:
        found.setdefault(table, []).append((column, data_type))
    assert found == EXPECTED_POSTGRES
    assert "ledger_events_notification_id_idx" in indexes
    assert "stored_event_uuid" in types
    ledger = build_ledger(settings)  # CREATE_TABLE=n: the migrated tables must be enough
    try:
        assert ledger.recorder.max_notification_id() in (None, 0)
    finally:
        ledger.close()


def test_sqlite_schema_after_all_migrations(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert migrate(settings) == [
        "0001_event_store",
        "0002_api",
        "0003_projections",
        "0004_supervision",
        "0005_supervision_facts",
        "0006_webhooks",
        "0008_supervision_fund",
    ]
    assert migrate(settings) == []
    with sqlite3.connect(settings.sqlite_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    assert found == EXPECTED_SQLITE


def test_an_applied_migration_that_was_edited_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    migrate(settings)
    original = runner.available

    def edited(dialect: runner.Dialect) -> list[runner.Migration]:
        return [
            runner.Migration(m.version, m.name, m.sql + "\n-- edited") for m in original(dialect)
        ]

    monkeypatch.setattr(runner, "available", edited)
    with pytest.raises(runner.MigrationError, match="changed after it was applied"):
        migrate(settings)
