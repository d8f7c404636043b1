"""Where each moved aggregate lived: its stored topics still resolve, and its events still hash.

eventsourcing stores every event under its topic, ``module:Qualname``. Issue #13 moved the
aggregates into one folder per context, which changed their modules (never their qualnames:
migrations/0012 matches ``'%:Committee.%'``). Two things must not change for events stored
before the move:

- the old topic must still resolve to the class (``register_topic``, for the events and the
  snapshots, whose state names the aggregate's topic too);
- the hash chain (H12) hashes the event's topic: :func:`hashed_topic` gives the topic the
  class had when the chain began, for events written before the move and after it alike,
  so ``commonfund verify`` keeps passing on every stored event.

A class that moves again is added here (its first topic stays the hashed one); a new class
is never added: its topic is its own.
"""

from __future__ import annotations

import importlib

from eventsourcing.utils import get_topic, register_topic

# The original topic of every aggregate class that moved -> where it is now.
MOVED_TOPICS: dict[str, str] = {
    "ledger.complex:Complex": "ledger.complexes.complex:Complex",
    "ledger.committee:Committee": "ledger.committees.committee:Committee",
    "ledger.resolution:Resolution": "ledger.committees.resolution:Resolution",
    "ledger.account:CommonFundAccount": "ledger.account.account:CommonFundAccount",
    "ledger.maintenance:MaintenanceFund": "ledger.maintenance.fund:MaintenanceFund",
    "ledger.maintenance:RepairProject": "ledger.maintenance.fund:RepairProject",
    "ledger.maintenance:FundBatch": "ledger.maintenance.fund:FundBatch",
    "ledger.supervision:AlertCase": "ledger.supervision.cases:AlertCase",
    "ledger.supervision:Snooze": "ledger.supervision.cases:Snooze",
    "ledger.supervision:SupervisionClock": "ledger.supervision.cases:SupervisionClock",
}
# now -> then, for the hash: "ledger.account.account:CommonFundAccount" -> "ledger.account:..."
_ORIGINAL = {now: then for then, now in MOVED_TOPICS.items()}
_hashed: dict[type, str] = {}  # class -> its hashed topic (asked for every event written)


def _resolve(topic: str) -> type:
    module, _, qualname = topic.partition(":")
    found: object = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type):
        raise TypeError(f"{topic} names no class")
    return found


def register_moved_topics() -> None:
    """Make every original topic resolve to the class where it lives now (and its events,
    ``ledger.account:CommonFundAccount.Opened``, through it). Runs when ``ledger`` is imported."""
    for then, now in MOVED_TOPICS.items():
        register_topic(then, _resolve(now))


def hashed_topic(cls: type) -> str:
    """The topic the hash chain takes for an event class: the one it had when first stored.

    ``CommonFundAccount.Opened``, now in ``ledger.account.account``, hashes as
    ``ledger.account:CommonFundAccount.Opened``; a class that never moved hashes its topic.
    """
    known = _hashed.get(cls)
    if known is None:
        known = _hashed[cls] = _original_topic(get_topic(cls))
    return known


def _original_topic(topic: str) -> str:
    module, _, qualname = topic.partition(":")
    for now, then in _ORIGINAL.items():
        now_module, _, now_qualname = now.partition(":")
        if module == now_module and (
            qualname == now_qualname or qualname.startswith(f"{now_qualname}.")
        ):
            return f"{then.partition(':')[0]}:{qualname}"
    return topic
