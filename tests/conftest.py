"""The tests' fixtures come from plugin modules (tests/plugins/), registered here once.

- ``tests.plugins.clock``: ``TODAY``, the movable ``clock``;
- ``tests.plugins.stores``: ``store``, ``settings`` and ``ledger`` on SQLite and PostgreSQL
  (or in memory, ``@pytest.mark.stores("memory")``);
- ``tests.plugins.builders`` and ``tests.plugins.maintenance``: a sealed ``world`` and a
  ``funded`` maintenance fund, and the builder functions behind them;
- ``tests.plugins.api``: the ``api`` client of the e2e tests.
"""

pytest_plugins = [
    "tests.plugins.clock",
    "tests.plugins.stores",
    "tests.plugins.builders",
    "tests.plugins.maintenance",
    "tests.plugins.bank",
    "tests.plugins.api",
]
