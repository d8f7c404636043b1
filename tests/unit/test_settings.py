"""The identity secret (issue #12 item 9): the built-in demo value never reaches production.

The demo value is in the source, so anyone could compute an owner's identity key from an ID
number with it. It is refused on PostgreSQL and with COMMONFUND_ENVIRONMENT=production, at
the start of every command that builds the settings, with a message that says what to set;
a deployment may give the secret as a file (COMMONFUND_IDENTITY_SECRET_FILE, a compose or
Kubernetes secret) instead of an environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # schemathesis's dependency; no stubs here
from pydantic import ValidationError

from commonfund import cli, server
from commonfund.settings import DEMO_IDENTITY_SECRET, Settings
from ledger.identity import identity_key

POSTGRES = "postgresql://postgres@127.0.0.1:5432/commonfund_nowhere"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_secret_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/plugins/stores.py gives every other test a secret; these start from the defaults."""
    for name in ("IDENTITY_SECRET", "IDENTITY_SECRET_FILE", "ENVIRONMENT", "DATABASE_URL"):
        monkeypatch.delenv(f"COMMONFUND_{name}", raising=False)


def refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        Settings(**values)
    return str(raised.value)


def test_the_demo_secret_is_refused_on_postgresql() -> None:
    message = refusal(database_url=POSTGRES)
    assert "COMMONFUND_IDENTITY_SECRET" in message
    assert "demo" in message


def test_the_demo_secret_is_refused_in_production_whatever_the_store(tmp_path: Path) -> None:
    message = refusal(database_url=f"sqlite:///{tmp_path}/x.sqlite3", environment="production")
    assert "COMMONFUND_IDENTITY_SECRET" in message
    assert "production" in refusal(environment="production")


def test_the_demo_secret_still_serves_a_demo_on_sqlite() -> None:
    settings = Settings()
    assert settings.identity_secret == DEMO_IDENTITY_SECRET
    assert settings.environment == "development"


def test_a_secret_of_the_deployment_is_accepted_on_postgresql() -> None:
    settings = Settings(database_url=POSTGRES, identity_secret="s" * 64)
    assert settings.identity_secret == "s" * 64
    production = Settings(database_url=POSTGRES, identity_secret="t" * 64, environment="production")
    assert production.environment == "production"


def test_the_secret_may_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "identity_secret"
    mine = "b" * 64
    secret.write_text(f"{mine}\n", encoding="utf-8")  # as `echo` writes it
    monkeypatch.setenv("COMMONFUND_IDENTITY_SECRET_FILE", str(secret))
    settings = Settings(database_url=POSTGRES)
    assert settings.identity_secret == mine
    secret.write_text(DEMO_IDENTITY_SECRET, encoding="utf-8")
    assert "demo" in refusal(database_url=POSTGRES)
    secret.write_text("\n", encoding="utf-8")
    assert "empty" in refusal(database_url=POSTGRES)
    monkeypatch.setenv("COMMONFUND_IDENTITY_SECRET_FILE", str(tmp_path / "missing"))
    assert "missing" in refusal(database_url=POSTGRES)
    monkeypatch.setenv("COMMONFUND_IDENTITY_SECRET_FILE", str(secret))
    monkeypatch.setenv("COMMONFUND_IDENTITY_SECRET", "another")
    assert "not both" in refusal(database_url=POSTGRES)


@pytest.mark.parametrize("command", [["migrate"], ["serve"], ["verify"], ["token", "revoke", "x"]])
def test_every_command_stops_at_start_saying_what_to_set(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", POSTGRES)  # unreachable: never connected to
    with pytest.raises(SystemExit) as stopped:
        cli.main(command)
    assert "COMMONFUND_IDENTITY_SECRET" in str(stopped.value.code)


def test_a_worker_stops_at_start_saying_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", POSTGRES)
    with pytest.raises(SystemExit) as stopped:
        server.app()  # what each uvicorn worker calls
    assert "COMMONFUND_IDENTITY_SECRET" in str(stopped.value.code)


def test_identity_key_prints_the_keys_of_id_numbers_under_the_deployments_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", POSTGRES)
    monkeypatch.setenv("COMMONFUND_IDENTITY_SECRET", "k" * 64)
    numbers = ["370202199001011234", " 37020219900101123x "]
    monkeypatch.setattr("sys.stdin", _Lines(numbers))
    assert cli.main(["identity-key"]) == 0
    printed = capsys.readouterr()
    assert printed.out.split() == [identity_key("k" * 64, n) for n in numbers]
    assert "3702021990" not in printed.out + printed.err  # never echoed


def test_compose_gives_every_service_of_the_image_the_secret_from_a_file() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    declared = compose["secrets"]
    ours = [s for s in compose["services"].values() if s.get("image") == "commonfund:local"]
    assert len(ours) == 2  # migrate and app
    for service in ours:
        environment = service["environment"]
        assert "COMMONFUND_IDENTITY_SECRET" not in environment
        path = environment["COMMONFUND_IDENTITY_SECRET_FILE"]
        (name,) = service["secrets"]
        assert path == f"/run/secrets/{name}"
        assert name in declared


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def __iter__(self) -> Any:
        return iter(f"{line}\n" for line in self.lines)
