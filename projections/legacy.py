"""Events stored before their current version, completed for the views as they are read.

``ExpenditureBooked`` version 1 carries no booked line (the upcaster gives it
``line=None``: it only sees the event's own state). Every view reads the log
through :func:`decoded`, which takes such an event's line from its proposal in
the account as it stood just before its last version-1 booking of the batch:
one load of the account per batch, from its latest snapshot at or before that
version, and only old events take this path. A proposal, once made, never
changes what it pays (only its approvals and status move), and proposals are
never dropped from the account, so the line is the one booked.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from ledger.account import CommonFundAccount as Account
from ledger.entries import BookedLine, booked_line

Batch = Sequence[tuple[int, Any]]  # (notification id, domain event), as projections/runner.py


def decoded(app: Application[UUID], notifications: Sequence[Notification]) -> list[tuple[int, Any]]:
    """The notifications as domain events, each one as today's readers expect it."""
    return complete(app, [(n.id, app.mapper.to_domain_event(n)) for n in notifications])


def complete(app: Application[UUID], batch: Batch) -> list[tuple[int, Any]]:
    """The batch, with the line of every version-1 booking filled in from its proposal."""
    last: dict[UUID, int] = {}  # account -> the version of its last v1 booking in the batch
    for _, event in batch:
        if isinstance(event, Account.ExpenditureBooked) and event.line is None:
            account_id = event.originator_id
            last[account_id] = max(last.get(account_id, 0), event.originator_version)
    if not last:
        return list(batch)
    accounts: dict[UUID, Account] = {
        a: app.repository.get(a, version=v - 1) for a, v in last.items()
    }
    completed: list[tuple[int, Any]] = []
    for position, event in batch:
        if isinstance(event, Account.ExpenditureBooked) and event.line is None:
            line = booked_line(accounts[event.originator_id].proposal(event.expenditure_id))
            filled = copy.copy(event)  # the decoded event is the store's: leave it as it was
            object.__setattr__(filled, "line", line)
            completed.append((position, filled))
        else:
            completed.append((position, event))
    return completed


def carried_line(event: Account.ExpenditureBooked) -> BookedLine:
    """The booked line a view shows; every event it is given was read through :func:`decoded`."""
    if event.line is None:
        raise LookupError(
            f"expenditure {event.expenditure_id} was booked before ExpenditureBooked carried its"
            " line, and was not read through projections.legacy.decoded"
        )
    return event.line
