"""One account's bank feed (issue #14): the statements its bank reported, every bank transaction
recorded exactly once, and the matches between the bank's lines and the ledger's entries.

The stream's id follows from the account's (:func:`feed_id`), so two processes importing for
one account write to one stream and the store's version check serialises them: the second
sees the first's lines and adds none of them again. A line's ``key`` is the bank's own
reference (``ledger/bank/statement.py``); a key recorded once is never recorded again.

Continuity (issue #14) is recorded, not refused: a statement whose opening balance is not the
previous statement's closing, or whose ``ElctrncSeqNb`` skips, is kept with its ``breaks``
(B07). Matches, automatic or by hand, are events with who and why, so the reconciliation
replays from the log alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NotRequired, TypedDict
from uuid import UUID, uuid5

from ledger.base import ChainedAggregate
from ledger.errors import InvalidCommand, InvalidState, NotFound
from ledger.personal import StoredParty

NAMESPACE = UUID("0b7d3c52-1f7e-4c1a-9a35-6f0c2d8e4b91")
LINES_PER_EVENT = 2_000  # a 100,000-line statement is 50 events, each under a few MB


def feed_id(account_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"bank-feed/{account_id}")


class Line(TypedDict):
    """A bank transaction as the feed keeps it (dates ISO, money in fen)."""

    key: str
    reference: str
    direction: str  # credit | debit
    amount: int
    booked_on: str
    value_on: str
    reversal: bool
    counterparty: StoredParty  # a person's name and account sealed (ledger/personal.py)
    party: str  # the counterparty's match key (ledger.personal.match_key)
    remittance: str  # sealed with the counterparty where that is a person
    transaction_code: str
    end_to_end_id: str
    balance_after: int | None
    statement: str  # the statement key it came in
    where: str


class Break(TypedDict):
    """A continuity break (B07): ``kind`` opening (opening ≠ previous closing) or sequence."""

    kind: str
    expected: int
    got: int
    previous: str  # the previous statement's key


class StatementRecord(TypedDict):
    key: str
    statement_id: str
    message_id: str
    format: str
    sha256: str
    account_number: str
    sequence: int | None
    from_on: str | None
    to_on: str | None
    opening: int | None
    closing: int | None
    closing_on: str | None
    lines: int  # lines in the statement
    new: int  # of them recorded now (the rest were recorded before)
    breaks: list[Break]


class Match(TypedDict):
    match_id: str
    bank_keys: list[str]
    entry_ids: list[str]
    how: str  # reference | amount | reversal | ledger_reversal | manual
    reason: NotRequired[str]


class BankFeed(ChainedAggregate):
    """What one account's bank reported, and how it matches the ledger."""

    account_id: str
    complex_id: str
    bank_code: str
    lines: dict[str, Line]
    statements: dict[str, StatementRecord]
    last_statement: str | None  # the key of the statement that ends latest
    matches: dict[str, Match]
    line_match: dict[str, str]  # bank key -> match id
    entry_match: dict[str, str]  # entry id -> match id

    snapshot_interval = 500  # as in Ledger.snapshotting_intervals

    def __init__(self) -> None:
        super().__init__()
        self.lines = {}
        self.statements = {}
        self.last_statement = None
        self.matches = {}
        self.line_match = {}
        self.entry_match = {}

    # --- events -------------------------------------------------------------------------

    class Started(ChainedAggregate.Created):
        account_id: str
        complex_id: str
        bank_code: str

        def apply(self, aggregate: Any) -> None:
            aggregate.account_id = self.account_id
            aggregate.complex_id = self.complex_id
            aggregate.bank_code = self.bank_code

    class StatementRecorded(ChainedAggregate.Event):
        statement: StatementRecord

        def apply(self, aggregate: Any) -> None:
            aggregate.note_statement(self.statement)

    class LinesRecorded(ChainedAggregate.Event):
        statement_key: str
        lines: list[Line]

        def apply(self, aggregate: Any) -> None:
            for line in self.lines:
                aggregate.lines[line["key"]] = line

    class Matched(ChainedAggregate.Event):
        matches: list[Match]
        reason: str

        def apply(self, aggregate: Any) -> None:
            for match in self.matches:
                aggregate.add_match(match)

    class Unmatched(ChainedAggregate.Event):
        match_ids: list[str]
        reason: str

        def apply(self, aggregate: Any) -> None:
            for match_id in self.match_ids:
                aggregate.drop_match(match_id)

    # --- state changes shared by events (assign only) ----------------------------------

    def note_statement(self, record: StatementRecord) -> None:
        self.statements[record["key"]] = record
        last = self.statements.get(self.last_statement or "")
        if last is None or _ends(record) >= _ends(last):
            self.last_statement = record["key"]

    def add_match(self, match: Match) -> None:
        self.matches[match["match_id"]] = match
        for key in match["bank_keys"]:
            self.line_match[key] = match["match_id"]
        for entry_id in match["entry_ids"]:
            self.entry_match[entry_id] = match["match_id"]

    def drop_match(self, match_id: str) -> None:
        match = self.matches.pop(match_id)
        for key in match["bank_keys"]:
            self.line_match.pop(key, None)
        for entry_id in match["entry_ids"]:
            self.entry_match.pop(entry_id, None)

    # --- commands -----------------------------------------------------------------------

    @classmethod
    def start(
        cls, account_id: UUID, *, complex_id: UUID, bank_code: str, principal: str, on: date
    ) -> BankFeed:
        return cls._create_chained(
            cls.Started,
            feed_id(account_id),
            account_id=str(account_id),
            complex_id=str(complex_id),
            bank_code=bank_code,
            principal=principal,
            value_date=on.isoformat(),
        )

    def record_statement(
        self, record: StatementRecord, lines: list[Line], *, principal: str, on: date
    ) -> None:
        """Record a statement not recorded before and those of its lines that are new."""
        if record["key"] in self.statements:
            raise InvalidState(f"statement {record['key']} is recorded already")
        fresh = [line for line in lines if line["key"] not in self.lines]
        record = StatementRecord(**{**record, "new": len(fresh), "breaks": self.breaks(record)})
        self.trigger_event(
            self.StatementRecorded, statement=record, principal=principal, value_date=on.isoformat()
        )
        for start in range(0, len(fresh), LINES_PER_EVENT):
            self.trigger_event(
                self.LinesRecorded,
                statement_key=record["key"],
                lines=fresh[start : start + LINES_PER_EVENT],
                principal=principal,
                value_date=on.isoformat(),
            )

    def breaks(self, record: StatementRecord) -> list[Break]:
        """Where this statement does not follow on from the one before it (B07)."""
        previous = self.statements.get(self.last_statement or "")
        if previous is None:
            return []
        found: list[Break] = []
        follows = record["from_on"] is None or (
            previous["closing_on"] is not None and record["from_on"] > previous["closing_on"]
        )  # an overlapping statement repeats days already reported: its opening is earlier
        if (
            follows
            and record["opening"] is not None
            and previous["closing"] is not None
            and record["opening"] != previous["closing"]
        ):
            found.append(
                Break(
                    kind="opening", expected=previous["closing"], got=record["opening"],
                    previous=previous["key"],
                )
            )  # fmt: skip
        if (
            record["sequence"] is not None
            and previous["sequence"] is not None
            and record["sequence"] > previous["sequence"] + 1
        ):
            found.append(
                Break(
                    kind="sequence", expected=previous["sequence"] + 1, got=record["sequence"],
                    previous=previous["key"],
                )
            )  # fmt: skip
        return found

    def rematch(
        self, wanted: list[Match], *, keep_manual: bool = True, principal: str, on: date
    ) -> tuple[int, int]:
        """Make the automatic matches ``wanted``: drop those no longer wanted, add the new.
        Returns (added, dropped). Manual links stay as people made them."""
        wanted_ids = {m["match_id"] for m in wanted}
        stale = sorted(
            match_id
            for match_id, match in self.matches.items()
            if match["how"] != "manual" and match_id not in wanted_ids
        )
        if stale:
            self.trigger_event(
                self.Unmatched, match_ids=stale, reason="superseded by the automatic matching",
                principal=principal, value_date=on.isoformat(),
            )  # fmt: skip
        new = [m for m in wanted if m["match_id"] not in self.matches]
        for start in range(0, len(new), LINES_PER_EVENT):
            self.trigger_event(
                self.Matched, matches=new[start : start + LINES_PER_EVENT],
                reason="automatic matching", principal=principal, value_date=on.isoformat(),
            )  # fmt: skip
        return len(new), len(stale)

    def link(
        self,
        link_id: str,
        *,
        bank_keys: list[str],
        entry_ids: list[str],
        known_entries: set[str],
        reason: str,
        principal: str,
        on: date,
    ) -> None:
        """Link bank lines to ledger entries by hand (many-to-one or one-to-many), with a reason.
        An automatic match on any of them gives way to the link."""
        reason = reason.strip()
        if not reason or len(reason) > 2000:
            raise InvalidCommand("reason: say why these belong together (1 to 2000 characters)")
        if not bank_keys or not entry_ids:
            raise InvalidCommand("bank_lines, entries: link at least one of each")
        if len(set(bank_keys)) != len(bank_keys) or len(set(entry_ids)) != len(entry_ids):
            raise InvalidCommand("bank_lines, entries: name each at most once")
        for key in bank_keys:
            if key not in self.lines:
                raise NotFound(f"bank line {key} is not a line of this account's bank feed")
        for entry_id in entry_ids:
            if entry_id not in known_entries:
                raise NotFound(f"entry {entry_id} is not an entry of account {self.account_id}")
        taken = {self.line_match.get(k) for k in bank_keys} | {
            self.entry_match.get(e) for e in entry_ids
        }
        taken.discard(None)
        manual = sorted(m for m in taken if m and self.matches[m]["how"] == "manual")
        if manual:
            raise InvalidState(f"already linked by hand in {', '.join(manual)}: unlink that first")
        automatic = sorted(m for m in taken if m)
        if automatic:
            self.trigger_event(
                self.Unmatched, match_ids=automatic, reason=f"linked by hand in {link_id}",
                principal=principal, value_date=on.isoformat(),
            )  # fmt: skip
        self.trigger_event(
            self.Matched,
            matches=[
                Match(
                    match_id=link_id, bank_keys=list(bank_keys), entry_ids=list(entry_ids),
                    how="manual", reason=reason,
                )
            ],
            reason=reason,
            principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip

    def unlink(self, link_id: str, *, reason: str, principal: str, on: date) -> None:
        reason = reason.strip()
        if not reason or len(reason) > 2000:
            raise InvalidCommand("reason: say why the link is wrong (1 to 2000 characters)")
        match = self.matches.get(link_id)
        if match is None:
            raise NotFound(f"link {link_id} is not a link of this account's reconciliation")
        self.trigger_event(
            self.Unmatched, match_ids=[link_id], reason=reason, principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip


def _ends(record: StatementRecord) -> tuple[str, int]:
    return (record["closing_on"] or record["to_on"] or "", record["sequence"] or 0)
