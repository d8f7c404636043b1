"""Events stored before their current version, completed for the views as they are read.

``ExpenditureBooked`` version 1 carries no booked line (the upcaster gives it
``line=None``: it only sees the event's own state). Every view reads the log
through :func:`decoded`, which takes such a booking's line from the proposal
it books, the ``ExpenditureProposed`` event of its expenditure: found in the
same batch when it is there (a rebuild's large batches mostly hold both), or
else read from the account's stream backwards from the booking, a page at a
time. Only old events take this path, and it keeps no table: the proposal is
the one in the log, as the views read it before version 2.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from ledger.account import CommonFundAccount as Account
from ledger.account.entries import BookedLine, Proposal, booked_line

Batch = Sequence[tuple[int, Any]]  # (notification id, domain event), as projections/runner.py
PAGE = 50  # events of an account read at a time, looking back for a proposal


def decoded(app: Application[UUID], notifications: Sequence[Notification]) -> list[tuple[int, Any]]:
    """The notifications as domain events, each one as today's readers expect it."""
    return complete(app, [(n.id, app.mapper.to_domain_event(n)) for n in notifications])


def complete(app: Application[UUID], batch: Batch) -> list[tuple[int, Any]]:
    """The batch, with the line of every version-1 booking filled in from its proposal."""
    proposed: dict[tuple[UUID, str], Proposal] = {}
    completed: list[tuple[int, Any]] = []
    for position, event in batch:
        if isinstance(event, Account.ExpenditureProposed):
            proposed[(event.originator_id, event.expenditure_id)] = event.proposal
        elif isinstance(event, Account.ExpenditureBooked) and event.line is None:
            key = (event.originator_id, event.expenditure_id)
            proposal = proposed.get(key) or proposal_before(app, event)
            filled = copy.copy(event)  # the decoded event is the store's: leave it as it was
            object.__setattr__(filled, "line", booked_line(proposal))
            completed.append((position, filled))
            continue
        completed.append((position, event))
    return completed


def proposal_before(app: Application[UUID], booked: Account.ExpenditureBooked) -> Proposal:
    """The proposal a booking books, from the account's stream before it (newest first)."""
    below = booked.originator_version
    while below > 1:
        page = list(app.events.get(booked.originator_id, lte=below - 1, desc=True, limit=PAGE))
        for event in page:
            if (
                isinstance(event, Account.ExpenditureProposed)
                and event.expenditure_id == booked.expenditure_id
            ):
                return event.proposal
        if len(page) < PAGE:
            break
        below = page[-1].originator_version
    raise LookupError(
        f"expenditure {booked.expenditure_id} is booked on account {booked.originator_id}"
        " but never proposed there"
    )


def carried_line(event: Account.ExpenditureBooked) -> BookedLine:
    """The booked line a view shows; every event it is given was read through :func:`decoded`."""
    if event.line is None:
        raise LookupError(
            f"expenditure {event.expenditure_id} was booked before ExpenditureBooked carried its"
            " line, and was not read through projections.legacy.decoded"
        )
    return event.line
