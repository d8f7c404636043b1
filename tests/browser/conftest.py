"""What the browser tests share: the demo's database, made once per test process.

`commonfund migrate` and `commonfund demo` take 10–30 s on this machine; four modules serve the
demo (the owners' page, the owners' walk, the regulator's desk, accessibility). Each module still
gets a database of its own, copied from this one with SQLite's backup API (a consistent copy,
WAL and all), so what one module's clicks change no other module sees.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_owner_page import cli  # the helpers of the first browser test


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    demo: dict[str, Any]  # what `commonfund demo` printed: the ids and tokens the tests use

    def copy_to(self, target: Path) -> None:
        with sqlite3.connect(self.path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    home = tmp_path_factory.mktemp("demo-template")
    path = home / "ledger.sqlite3"
    env = {**os.environ, "COMMONFUND_DATABASE_URL": f"sqlite:///{path}"}
    cli("migrate", env=env)
    return DemoTemplate(path, json.loads(cli("demo", env=env)))
