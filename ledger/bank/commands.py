"""The commands of the bank feed (issue #14): import a bank file, match, link and unlink by hand.

An import is one write: the file is checked whole (``ledger/bank/checks.py``) before anything
is recorded, then each statement not recorded before is recorded with its new lines, and the
account is matched again, all in one save. A collision with another process importing for the
same account retries the whole command on fresh state, which then finds the other's lines
recorded and adds none of them twice (exactly once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.account.account import CommonFundAccount
from ledger.bank.checks import check_file
from ledger.bank.feed import BankFeed, Line, Match, StatementRecord, feed_id
from ledger.bank.matching import DEFAULT_TOLERANCE, BankSide, LedgerSide, match
from ledger.bank.statement import BankFile, BankLine, BankStatement
from ledger.dates import parse_date
from ledger.errors import NotFound
from ledger.masking import is_person
from ledger.personal import PersonalData, StoredParty, match_key, name_key, store_party
from ledger.unit_of_work import SYSTEM, Actor, Load, UnitOfWork


@dataclass(frozen=True, slots=True)
class ImportReceipt:
    """What an import recorded: statements and lines new and already known, matches made."""

    account_id: str
    version: int
    statements: int  # recorded now
    statements_known: int  # recorded before (a re-import)
    lines: int  # recorded now
    lines_known: int  # recorded before (a re-import or an overlap)
    matched: int  # automatic matches made now
    unmatched: int  # automatic matches given up now
    breaks: int  # continuity breaks among the statements recorded now (B07)


@dataclass(frozen=True, slots=True)
class MatchReceipt:
    account_id: str
    version: int
    matched: int
    unmatched: int


class BankCommands:
    """Commands on one account's bank feed, every one through the unit of work."""

    def __init__(self, work: UnitOfWork, *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self._work = work
        self.tolerance = tolerance  # working days between bank and ledger value dates

    def import_file(self, account_id: UUID, file: BankFile, *, actor: Actor) -> ImportReceipt:
        work = self._work
        today = work.today()

        def body(load: Load) -> ImportReceipt:
            account = load(account_id, CommonFundAccount)
            check_file(file, account_number=account.account_number, today=today)
            feed = self._feed(load, account, actor, today)
            work.personal.prepare(_persons(file, work.personal))
            parties = _Parties(work.personal)
            known_statements = known_lines = recorded = breaks = new_statements = 0
            seen: set[str] = set()
            for statement in file.statements:
                lines = [self._line(line, statement, parties) for line in statement.lines]
                if statement.statement_id in feed.statements:
                    known_statements += 1
                    known_lines += len(lines)
                    continue
                fresh = [
                    ln for ln in lines if ln["key"] not in feed.lines and ln["key"] not in seen
                ]
                seen.update(ln["key"] for ln in fresh)
                feed.record_statement(
                    _record(file, statement), fresh, principal=actor.principal, on=today
                )
                new_statements += 1
                recorded += len(fresh)
                known_lines += len(lines) - len(fresh)
                breaks += len(feed.statements[statement.statement_id]["breaks"])
            added, dropped = self._rematch(feed, account, today)
            work.save(feed)
            return ImportReceipt(
                str(account_id), feed.version, new_statements, known_statements, recorded,
                known_lines, added, dropped, breaks,
            )  # fmt: skip

        return work.run(body, actor=actor, complex_id=self._complex(account_id))

    def reconcile(self, account_id: UUID, *, actor: Actor = SYSTEM) -> MatchReceipt:
        """Match the account again (after entries were recorded since the last import)."""
        work = self._work

        def body(load: Load) -> MatchReceipt:
            account = load(account_id, CommonFundAccount)
            fid = feed_id(account_id)
            if not work.exists(fid):
                raise NotFound(f"account {account_id} has no bank feed yet")
            feed = load(fid, BankFeed)
            added, dropped = self._rematch(feed, account, work.today())
            if added or dropped:
                work.save(feed)
            return MatchReceipt(str(account_id), feed.version, added, dropped)

        return work.run(body, actor=actor)

    def link(
        self,
        account_id: UUID,
        link_id: str,
        *,
        bank_keys: list[str],
        entry_ids: list[str],
        reason: str,
        actor: Actor,
    ) -> MatchReceipt:
        """Link bank lines to ledger entries by hand (a committee member or a regulator)."""
        work = self._work

        def body(load: Load) -> MatchReceipt:
            account = load(account_id, CommonFundAccount)
            feed = self._existing_feed(load, account_id)
            existing = feed.matches.get(link_id)
            if (
                existing is not None
                and existing["how"] == "manual"
                and existing["bank_keys"] == bank_keys
                and existing["entry_ids"] == entry_ids
            ):
                return MatchReceipt(str(account_id), feed.version, 0, 0)  # a replay
            feed.link(
                link_id, bank_keys=bank_keys, entry_ids=entry_ids,
                known_entries=set(account.entries), reason=reason, principal=actor.principal,
                on=work.today(),
            )  # fmt: skip
            self._rematch(feed, account, work.today())
            work.save(feed)
            return MatchReceipt(str(account_id), feed.version, 1, 0)

        return work.run(body, actor=actor, complex_id=self._complex(account_id))

    def unlink(self, account_id: UUID, link_id: str, *, reason: str, actor: Actor) -> MatchReceipt:
        work = self._work

        def body(load: Load) -> MatchReceipt:
            account = load(account_id, CommonFundAccount)
            feed = self._existing_feed(load, account_id)
            feed.unlink(link_id, reason=reason, principal=actor.principal, on=work.today())
            self._rematch(feed, account, work.today())
            work.save(feed)
            return MatchReceipt(str(account_id), feed.version, 0, 1)

        return work.run(body, actor=actor, complex_id=self._complex(account_id))

    # --- helpers ------------------------------------------------------------------------

    def _complex(self, account_id: UUID) -> UUID:
        return self._work.complex_of(account_id, CommonFundAccount)

    def _feed(self, load: Load, account: CommonFundAccount, actor: Actor, on: date) -> BankFeed:
        fid = feed_id(account.id)
        if self._work.exists(fid):
            return load(fid, BankFeed)
        return BankFeed.start(
            account.id, complex_id=UUID(account.complex_id), bank_code=account.bank_code,
            principal=actor.principal, on=on,
        )  # fmt: skip

    def _existing_feed(self, load: Load, account_id: UUID) -> BankFeed:
        fid = feed_id(account_id)
        if not self._work.exists(fid):
            raise NotFound(f"account {account_id} has no bank feed yet")
        return load(fid, BankFeed)

    def _rematch(self, feed: BankFeed, account: CommonFundAccount, on: date) -> tuple[int, int]:
        manual = [m for m in feed.matches.values() if m["how"] == "manual"]
        wanted = automatic_matches(feed, account, manual, self.tolerance)
        return feed.rematch(wanted, principal=SYSTEM.principal, on=on)

    @staticmethod
    def _line(line: BankLine, statement: BankStatement, parties: _Parties) -> Line:
        party, key = parties.of(line.counterparty, line.counterparty_account)
        remittance = line.remittance
        if remittance and party.get("person"):
            remittance = parties.personal.seal(party["person"], remittance)
        return Line(
            key=line.key, reference=line.reference, direction=line.direction,
            amount=line.amount, booked_on=line.booked_on.isoformat(),
            value_on=line.value_on.isoformat(), reversal=line.reversal, counterparty=party,
            party=key,
            remittance=remittance, transaction_code=line.transaction_code,
            end_to_end_id=line.end_to_end_id, balance_after=line.balance_after,
            statement=statement.statement_id, where=line.where,
        )  # fmt: skip


class _Parties:
    """The counterparties of one import, each sealed once: a payer named on 50 lines of a
    statement is one party (one seal, one match key), not 50."""

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal
        self._made: dict[tuple[str, str], tuple[StoredParty, str]] = {}

    def of(self, name: str, account: str) -> tuple[StoredParty, str]:
        made = self._made.get((name, account))
        if made is None:
            party = _counterparty(self.personal, name, account)
            made = self._made[(name, account)] = (party, match_key(party) if name.strip() else "")
        return made


def _persons(file: BankFile, personal: PersonalData) -> set[str]:
    """Whose keys the file's counterparties are sealed under (a person's name key)."""
    names = {
        line.counterparty
        for statement in file.statements
        for line in statement.lines
        if line.counterparty.strip()
    }
    return {name_key(personal, name) for name in names if is_person(name, "")}


def _counterparty(personal: PersonalData, name: str, account: str) -> StoredParty:
    """The bank's counterparty as events keep a party: a person sealed (the bank names no
    kind, so a name with no organisation marker is taken for a person's)."""
    if not name.strip():
        return StoredParty(
            name="", kind="", identity_key="", bank_account=account.strip(), public_name="",
            person="", name_key="", bank_key="",
        )  # fmt: skip
    return store_party(personal, {"name": name, "kind": "", "bank_account": account})


def _record(file: BankFile, statement: BankStatement) -> StatementRecord:
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return StatementRecord(
        key=statement.statement_id, statement_id=statement.statement_id,
        message_id=file.message_id, format=file.format, sha256=file.sha256,
        account_number=statement.account_number, sequence=statement.sequence,
        from_on=day(statement.from_on), to_on=day(statement.to_on), opening=statement.opening,
        closing=statement.closing, closing_on=day(statement.closing_on),
        lines=len(statement.lines), new=0, breaks=[],
    )  # fmt: skip


def ledger_sides(account: CommonFundAccount) -> list[LedgerSide]:
    """The account's booked entries as the matching reads them."""
    out = []
    for entry_id, entry in account.entries.items():
        amount = entry["amount"]
        if amount == 0:
            continue
        out.append(
            LedgerSide(
                entry_id=entry_id, direction="credit" if amount > 0 else "debit",
                amount=abs(amount), value_on=parse_date(entry["value_date"]), kind=entry["kind"],
                reverses=entry["reverses"], reversed_by=entry["reversed_by"],
                bank_reference=entry.get("bank_reference", ""), party=entry.get("party", ""),
            )
        )  # fmt: skip
    return out


def bank_sides(feed: BankFeed) -> list[BankSide]:
    return [
        BankSide(
            key=line["key"],
            direction=line["direction"],
            amount=line["amount"],
            value_on=parse_date(line["value_on"]),
            reversal=line["reversal"],
            reference=line["reference"],
            party=line["party"],
        )
        for line in feed.lines.values()
    ]


def automatic_matches(
    feed: BankFeed, account: CommonFundAccount, manual: list[Match], tolerance: int
) -> list[Match]:
    """The automatic matches of the lines and entries no manual link holds."""
    held_lines = {k for m in manual for k in m["bank_keys"]}
    held_entries = {e for m in manual for e in m["entry_ids"]}
    lines = [s for s in bank_sides(feed) if s.key not in held_lines]
    entries = [s for s in ledger_sides(account) if s.entry_id not in held_entries]
    return match(lines, entries, tolerance=tolerance)
