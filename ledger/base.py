"""The base of every aggregate: hash-chained events that record who, the value date and when.

Commands validate first and only then trigger events; an event's ``apply`` only
assigns state, because it runs again on every replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

from ledger.chain import GENESIS, event_hash
from ledger.topics import hashed_topic


class ChainedAggregate(Aggregate):
    """An aggregate whose event stream is hash-chained (H12)."""

    chain_head: str

    def __init__(self) -> None:
        self.chain_head = GENESIS

    class Event(Aggregate.Event):
        """Every event: the acting principal, the business (value) date and the chain links.

        The recording time is the event's ``timestamp``.
        """

        principal: str
        value_date: str
        chain_prev: str
        chain_hash: str

        def mutate(self, aggregate: Any) -> Any:
            result: Any = super().mutate(aggregate)
            result.chain_head = self.chain_hash
            return result

    class Created(Event, Aggregate.Created):
        """The first event of a stream."""

    snapshot_interval: ClassVar[int] = 100

    @classmethod
    def _create_chained(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        aggregate_id: UUID,
        **kwargs: Any,
    ) -> Self:
        timestamp = event_class.create_timestamp()
        fields: dict[str, Any] = {
            **kwargs,
            "originator_id": aggregate_id,
            "originator_version": cls.INITIAL_VERSION,
            "originator_topic": get_topic(cls),
            "timestamp": timestamp,
            "chain_prev": GENESIS,
        }
        chain_hash = event_hash(hashed_topic(event_class), fields)
        return cls._create(
            event_class,
            id=aggregate_id,
            timestamp=timestamp,
            chain_prev=GENESIS,
            chain_hash=chain_hash,
            **kwargs,
        )

    def trigger_event(
        self,
        event_class: type[CanMutateAggregate[UUID]],
        **kwargs: Any,
    ) -> None:
        timestamp: datetime = event_class.create_timestamp()
        fields: dict[str, Any] = {
            **kwargs,
            "originator_id": self.id,
            "originator_version": self.version + 1,
            "timestamp": timestamp,
            "chain_prev": self.chain_head,
        }
        chain_hash = event_hash(hashed_topic(event_class), fields)
        super().trigger_event(
            event_class,
            timestamp=timestamp,
            chain_prev=self.chain_head,
            chain_hash=chain_hash,
            **kwargs,
        )
