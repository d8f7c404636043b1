"""Plugin: an HTTP client on a migrated store (SQLite and PostgreSQL), with tokens for every role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from commonfund.server import build_services, build_stores
from commonfund.settings import Settings
from commonfund.wiring import DATABASE_OUTAGES
from tests.plugins.clock import MovableClock
from tests.webhook_receiver import LOOPBACK_ALLOWED


class Api:
    """A TestClient with helpers: tokens by role, and JSON calls that assert the status."""

    def __init__(self, client: TestClient, settings: Settings, clock: MovableClock) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.operator = self.token(role="operator")

    def token(self, **scope: Any) -> str:
        stores = build_stores(self.settings)
        try:
            complex_id = scope.get("complex_id")
            secret, _ = stores.issue(
                role=scope["role"],
                complex_id=UUID(str(complex_id)) if complex_id else None,
                member_id=scope.get("member_id"),
                owner_key=scope.get("owner_key"),
                jurisdiction=scope.get("jurisdiction"),
                expires_at=self.clock() + timedelta(days=scope.get("days", 30)),
                label="test",
                now=self.clock(),
            )
        finally:
            stores.close()
        return secret

    def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        expect: int,
        json: Any = None,
        key: str | None = None,
        **kwargs: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        response = self.client.request(method, path, json=json, headers=headers, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        if response.headers.get("content-type", "").endswith("json"):
            return response.json()
        return response.text


@pytest.fixture
def api(settings: Settings, clock: MovableClock) -> Iterator[Api]:
    settings = settings.model_copy(update=LOOPBACK_ALLOWED)  # webhooks to tests' receivers
    app = create_app(
        lambda: build_services(settings, clock), lambda _: {"ready": True}, DATABASE_OUTAGES
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, settings, clock)
