"""Erasing a person (``commonfund erase-person``): destroy their key, scrub what can be, report.

Destroying the person's data key makes every sealed copy of their name and
bank account unreadable at once: in events, snapshots, read models (which keep
the sealed form, or only the public ``王*`` and keyed hashes) and stored
idempotency answers (revealed as they are sent: now the marker ``已删除``).
Nothing else changes, so every chain still verifies and every statement is the
same byte for byte.

What cannot be erased is said, not hidden: events and snapshots written before
migration 0010 hold names in plain text, and rewriting them would break their
chains. Those are listed (stream and version) so the operator can decide; stored
answers that repeat such a plaintext name are scrubbed (they are not chained).
The erasure is recorded in ``personal_erasures`` (who, when, the counts: no
personal data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from commonfund.personal_data import PersonalKeys
from commonfund.settings import Settings
from commonfund.stores import SqlStore
from commonfund.wiring import postgres_conninfo
from ledger.application import Ledger
from ledger.identity import identity_key
from ledger.masking import name_key_text
from ledger.personal import ERASED, PERSON, legacy_plaintext, name_key

BATCH = 1_000
# events whose fields hold parties or members (ledger/account/account.py, ledger/committees/committee.py)
PERSONAL_EVENTS = (
    "Committee.Elected", "Committee.MembersChanged", "CommonFundAccount.IncomeRecorded",
    "CommonFundAccount.ExpenditureProposed", "CommonFundAccount.PaymentRefused",
    "CommonFundAccount.ExpenditureBooked",  # v2's line: a pre-0010 proposal booked now copies it
)  # fmt: skip


@dataclass(slots=True)
class Erasure:
    """What one run did, and what it could not do."""

    person: str
    erased_now: bool
    erased_at: str | None
    legacy_events: list[str] = field(default_factory=list)  # "<stream> v<version>"
    legacy_snapshots: list[str] = field(default_factory=list)
    answers_scrubbed: int = 0

    @property
    def complete(self) -> bool:
        return not self.legacy_events and not self.legacy_snapshots

    def audit(self) -> str:
        """The audit record: counts and where, never a name."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def person_of(
    keys: PersonalKeys, settings: Settings, *, key: str | None, name: str | None,
    id_number: str | None,
) -> str:  # fmt: skip
    """The person to erase: an identity key (or person) as given, the identity key of an ID
    number, or the person of someone named without one (a keyed hash of the name)."""
    if id_number:
        return identity_key(settings.identity_secret, id_number)
    if name:
        return name_key(keys, name)
    if key and PERSON.fullmatch(key):
        return key
    raise ValueError("give the person's identity key (64 hex), --id-number or --name")


def _parties(event: Any) -> Iterator[Mapping[str, Any]]:
    for field_name in ("payer", "payee"):
        value = getattr(event, field_name, None)
        if isinstance(value, Mapping):
            yield value
    for booked in (getattr(event, "proposal", None), getattr(event, "line", None)):
        if isinstance(booked, Mapping):
            yield booked["payee"]
    yield from getattr(event, "members", [])
    yield from getattr(event, "added", [])


def _is_them(value: Mapping[str, Any], person: str, names: set[str]) -> bool:
    return value.get("identity_key") == person or name_key_text(str(value["name"])) in names


def find_legacy(ledger: Ledger, person: str, names: Iterable[str]) -> tuple[list[str], set[str]]:
    """Events written before 0010 holding this person's name in plain text, and those names."""
    wanted = {name_key_text(n) for n in names}
    found: list[str] = []
    plaintext: set[str] = set()
    start = 1
    while batch := ledger.recorder.select_notifications(start=start, limit=BATCH):
        for notification in batch:
            if not notification.topic.endswith(PERSONAL_EVENTS):
                continue
            event = ledger.mapper.to_domain_event(notification)
            for value in _parties(event):
                if legacy_plaintext(value) and _is_them(value, person, wanted):
                    found.append(f"{notification.originator_id} v{notification.originator_version}")
                    plaintext.add(str(value["name"]))
                    if value.get("bank_account"):
                        plaintext.add(str(value["bank_account"]))
        start = batch[-1].id + 1
    return found, plaintext


def find_legacy_snapshots(ledger: Ledger, streams: Iterable[str], texts: set[str]) -> list[str]:
    """Snapshots of those streams whose state holds one of the plaintext texts."""
    found: list[str] = []
    if ledger.snapshots is None or not texts:
        return found
    for stream in sorted(set(streams)):
        for snapshot in ledger.snapshots.get(UUID(stream)):
            state = json.dumps(getattr(snapshot, "state", {}), ensure_ascii=False, default=str)
            if any(json.dumps(t, ensure_ascii=False)[1:-1] in state for t in texts):
                found.append(f"{stream} v{snapshot.originator_version}")
    return found


class StoredAnswers(SqlStore):
    """The idempotency records' bodies (api_idempotency), for scrubbing plaintext names."""

    def scrub(self, texts: Iterable[str]) -> int:
        """Replace each text, as a JSON string, by the erasure marker; the answers changed."""
        needles = [json.dumps(t, ensure_ascii=False).encode() for t in texts if t]
        if not needles:
            return 0
        marker = json.dumps(ERASED, ensure_ascii=False).encode()
        changed = 0
        with self._transaction() as conn:
            rows = self._run(
                conn,
                "SELECT scope, idempotency_key, body FROM api_idempotency WHERE body IS NOT NULL",
            )
            for scope, key, body in rows:
                scrubbed = bytes(body)
                for needle in needles:
                    scrubbed = scrubbed.replace(needle, marker)
                if scrubbed != bytes(body):
                    self._run(
                        conn,
                        "UPDATE api_idempotency SET body = ? WHERE scope = ? AND idempotency_key = ?",
                        (scrubbed, scope, key),
                    )
                    changed += 1
        return changed


def erase(
    settings: Settings, ledger: Ledger, keys: PersonalKeys, person: str, *, names: Iterable[str],
    by: str, now: datetime,
) -> Erasure:  # fmt: skip
    """Erase ``person`` (idempotent: a second run destroys nothing and records nothing)."""
    erased_now = keys.erase(person, now=now)
    legacy, plaintext = find_legacy(ledger, person, names)
    streams = [entry.split(" ", 1)[0] for entry in legacy]
    report = Erasure(person, erased_now, keys.erased_at(person), legacy)
    report.legacy_snapshots = find_legacy_snapshots(ledger, streams, plaintext)
    answers = (
        StoredAnswers(postgres=postgres_conninfo(settings))
        if settings.is_postgres
        else StoredAnswers(sqlite_path=settings.sqlite_path)
    )
    try:
        report.answers_scrubbed = answers.scrub(plaintext)
    finally:
        answers.close()
    if erased_now or report.answers_scrubbed:
        keys.record_erasure(person, by=by, report=report.audit(), now=now)
    return report
