"""Tamper evidence (H12): re-read every stored event, recompute every chain, check every snapshot.

Each event must (1) decode, (2) follow the previous event of its stream by one
version, (3) name that event's hash as ``chain_prev`` and (4) carry the hash
of its own canonical encoding as ``chain_hash``. An edited row fails (4) — or
(1) if the edit broke the encoding; a deleted row fails (2) and (3) at the next
event. The latest snapshot of each stream must equal the state replayed from
its events, so an edited snapshot cannot smuggle in a balance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application

from ledger.chain import GENESIS, event_hash
from ledger.topics import hashed_topic

BATCH = 1_000


@dataclass(frozen=True, slots=True)
class Break:
    """The first thing found wrong in one stream."""

    stream_id: str
    version: int
    notification_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f" (notification {self.notification_id})" if self.notification_id else ""
        return f"stream {self.stream_id} version {self.version}{where}: {self.reason}"


@dataclass(slots=True)
class Report:
    events: int = 0
    snapshots: int = 0
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(
    app: Application[UUID],
    *,
    anchors: Mapping[str, tuple[int, str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check every chain, the latest snapshot of every stream, and the complexes' indexes.

    ``anchors`` are published heads (stream id → version, hash), e.g. from a
    digest: each stream must still hold that event, with that hash. Only such
    an outside anchor can reveal that the newest events of a stream were
    deleted or rewritten together with every hash after them.
    """
    report = Report()
    broken: set[str] = set()
    first_topics: dict[str, str] = {}
    anchored: dict[str, str] = {}
    start = 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=BATCH)
        if not batch:
            break
        for notification in batch:
            report.events += 1
            stream = str(notification.originator_id)
            if stream in broken:
                continue
            problem = _check_event(app, notification, report.heads.get(stream))
            version = notification.originator_version
            if problem is not None:
                broken.add(stream)
                report.breaks.append(Break(stream, version, notification.id, problem))
                continue
            report.heads[stream] = (version, _stored_hash(app, notification))
            if version == 1:
                first_topics[stream] = notification.topic
            if anchors and stream in anchors and anchors[stream][0] == version:
                anchored[stream] = report.heads[stream][1]
        start = batch[-1].id + 1
        if progress is not None:
            progress(report.events)
    for stream in report.heads:
        if stream not in broken:
            _check_snapshot(app, UUID(stream), report)
    _check_indexes(app, first_topics, report)
    _check_ballots(app, first_topics, broken, report)
    for stream, (version, head) in (anchors or {}).items():
        found = report.heads.get(stream)
        if found is None:
            reason = f"the published head (version {version}) names a stream that is gone"
        elif found[0] < version:
            reason = f"the published head is version {version}: later events were deleted"
        elif anchored.get(stream) != head:
            reason = f"event {version} no longer has the published hash: history was rewritten"
        else:
            continue
        report.breaks.append(Break(stream, version, None, reason))
    report.breaks.sort(key=lambda b: (b.notification_id or 0, b.stream_id))
    return report


def _check_indexes(app: Application[UUID], first_topics: dict[str, str], report: Report) -> None:
    """Every stream a complex lists must exist (a deleted resolution or account is found here)."""
    for stream, topic in first_topics.items():
        if not topic.endswith("Complex.Registered"):
            continue
        try:
            complex_: Any = app.repository.get(UUID(stream))
        except Exception as error:  # noqa: BLE001 - an unloadable complex is the finding
            report.breaks.append(Break(stream, 0, None, f"the complex cannot be loaded: {error}"))
            continue
        for listed in complex_.stream_ids():
            if listed != stream and listed not in report.heads:
                report.breaks.append(
                    Break(
                        stream,
                        complex_.version,
                        None,
                        f"the complex lists stream {listed}, which is missing (deleted?)",
                    )
                )


def _check_ballots(
    app: Application[UUID], first_topics: dict[str, str], broken: set[str], report: Report
) -> None:
    """A closed ballot's stored votes must still give its published roots and outcomes (issue
    #16): a vote added with a correct hash after closing, or any vote edited together with
    every hash after it, shows here."""
    for stream, topic in first_topics.items():
        if not topic.endswith("Ballot.Announced") or stream in broken:
            continue
        ballot: Any = app.repository.get(UUID(stream))
        for finding in ballot.audit():
            report.breaks.append(Break(stream, ballot.version, None, finding))


def _stored_hash(app: Application[UUID], notification: Any) -> str:
    return str(app.mapper.to_domain_event(notification).chain_hash)  # type: ignore[attr-defined]


def _check_event(
    app: Application[UUID], notification: Any, head: tuple[int, str] | None
) -> str | None:
    try:
        event = app.mapper.to_domain_event(notification)
    except Exception as error:  # noqa: BLE001 - any decode failure is the finding itself
        return f"the stored event cannot be decoded ({type(error).__name__}): it was altered"
    expected_version, expected_prev = (1, GENESIS) if head is None else (head[0] + 1, head[1])
    if notification.originator_version != expected_version:
        return (
            f"expected version {expected_version}: events {expected_version} to"
            f" {notification.originator_version - 1} are missing (deleted?)"
        )
    chain_prev = getattr(event, "chain_prev", None)
    chain_hash = getattr(event, "chain_hash", None)
    if chain_prev is None or chain_hash is None:
        return "the event carries no chain fields"
    if chain_prev != expected_prev:
        return (
            "chain_prev does not match the previous event's hash (an event was removed or replaced)"
        )
    if _recorded_hash(app, notification, event) != chain_hash:
        return "the stored content does not match its hash: the row was edited"
    return None


def _recorded_hash(app: Application[UUID], notification: Any, event: object) -> str:
    """The hash of the event's fields as they were recorded, not as an upcaster reads them now.

    An upcast (``class_version``) adds or changes fields when the event is decoded; the
    hash was taken over what was recorded, so it is recomputed from the stored state. An
    event class that was never upcast reads as it was recorded, and is not decoded twice.
    """
    if getattr(type(event), "class_version", 1) == 1:
        return event_hash(hashed_topic(type(event)), vars(event))
    mapper = app.mapper
    state = notification.state
    if mapper.cipher is not None:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor is not None:
        state = mapper.compressor.decompress(state)
    fields: dict[str, Any] = mapper.transcoder.decode(state)
    fields.pop("class_version", None)  # the mapper's, added when it stored the event
    fields["originator_id"] = event.originator_id  # type: ignore[attr-defined]
    fields["originator_version"] = notification.originator_version
    return event_hash(hashed_topic(type(event)), fields)


def _check_snapshot(app: Application[UUID], stream: UUID, report: Report) -> None:
    if app.snapshots is None:
        return
    latest = list(app.snapshots.get(stream, desc=True, limit=1))
    if not latest:
        return
    report.snapshots += 1
    snapshot = latest[0]
    try:
        from_snapshot = snapshot.mutate(None)  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - an undecodable snapshot is the finding
        report.breaks.append(
            Break(str(stream), snapshot.originator_version, None, f"snapshot unreadable: {error}")
        )
        return
    replayed: Any = None
    for event in app.events.get(stream, lte=snapshot.originator_version):
        replayed = cast(Any, event).mutate(replayed)
    if replayed is None or vars(replayed) != vars(from_snapshot):
        report.breaks.append(
            Break(
                str(stream),
                snapshot.originator_version,
                None,
                "the snapshot differs from the state replayed from the events: it was edited",
            )
        )
