"""Hearing a runner's notices in a serving process: LISTEN on PostgreSQL.

The statements runner sends, with each batch that changes published versions,
the complexes it changed (``NOTIFY commonfund_statements``, delivered at
commit; projections/runner.py). Every serving process keeps the versions'
small columns in memory while it hears those notices (projections/statements/queries.py)
and forgets a complex's on its notice, so the public statement is read without
a round trip and is never older than a notice in flight (a few milliseconds).

One connection per process, in autocommit, in a thread of its own. When the
connection fails the reader is told (``listening(on=False)``: it keeps nothing
and asks the database every time) until a new connection listens again.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import psycopg

from projections.runner import channel

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
WAKE_SECONDS = 1.0  # how often the thread looks at ``stop`` while no notice comes


class Hearer(Protocol):
    def listening(self, *, on: bool) -> None: ...

    def heard(self, complexes: frozenset[str]) -> None: ...


class Notices:
    """A serving process's worker (api.ports.Worker) that passes a view's notices on."""

    def __init__(self, conninfo: str, view_name: str, hearer: Hearer) -> None:
        self.conninfo = conninfo
        self.channel = channel(view_name)
        self.name = f"{self.channel}-notices"
        self.hearer = hearer
        self.listening = threading.Event()  # set while LISTEN holds (tests wait on it)
        self.heard = threading.Event()  # set on each notice (tests clear and wait on it)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN "{self.channel}"')
                    self.hearer.listening(on=True)  # after LISTEN: no notice can be missed
                    self.listening.set()
                    try:
                        self._follow(connection, stop)
                    finally:
                        self.listening.clear()
                        self.hearer.listening(on=False)
            except psycopg.Error as error:
                log.warning("%s: %s; retrying in %.0f s", self.name, error, RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)

    def _follow(self, connection: psycopg.Connection[object], stop: threading.Event) -> None:
        while not stop.is_set():
            for notice in connection.notifies(timeout=WAKE_SECONDS):
                self.hearer.heard(frozenset(notice.payload.split(",")))
                self.heard.set()

    def close(self) -> None:
        """Nothing to close: ``run`` closes its connection when it stops."""
