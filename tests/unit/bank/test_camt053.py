"""camt.053 intake (issue #14): the samples read as the bank wrote them, hostile files refused."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bank_files import camt053_bytes
from ledger.bank.formats import parse
from ledger.bank.formats.camt053 import parse_camt053
from ledger.bank.statement import BankLine, StatementRefused

DATA = Path(__file__).resolve().parents[2] / "data" / "bank"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_batch_entry_is_one_line_of_the_amount_moved_and_pending_is_passed_over() -> None:
    file = parse_camt053(sample("camt053_v02_batch.xml"))
    assert file.format == "camt.053.001.02"
    assert file.message_id == "QDB-20260401-0001"
    (statement,) = file.statements
    assert (statement.opening, statement.closing) == (125_000_000, 123_876_550)
    assert statement.account_number == "3803 0201 0900 1234 567"
    assert (statement.from_on, statement.to_on, statement.sequence) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        3,
    )
    batch, advert, repair = statement.lines  # the PDNG fee is not a line
    assert (batch.amount, batch.direction, batch.counterparty) == (382_500, "credit", "")
    assert "王建国 1275.00 3号楼1单元201" in batch.remittance
    assert batch.remittance.count(";") == 2
    assert batch.transaction_code == "PMNT/RCDT/BOOK"
    assert advert.counterparty == "青岛分众传媒有限公司"
    assert advert.remittance == "电梯广告位租金 2026年3月"
    assert advert.transaction_code == "0301"
    assert (repair.direction, repair.counterparty) == ("debit", "青岛海景物业管理有限公司")
    assert repair.counterparty_account == "3803-0201-0900-5555-321"
    assert repair.key == repair.reference == "QD20260318000907"
    assert repair.end_to_end_id == "HJ-WX-0318"
    assert repair.where == "Stmt[1]/Ntry[3]"


def test_reversal_keeps_its_own_direction_and_the_payers_name() -> None:
    (statement,) = parse_camt053(sample("camt053_v04_reversal.xml")).statements
    first, second, reversal = statement.lines
    assert statement.opening == 123_876_550  # PRCD
    assert first.booked_on == date(2026, 4, 15)  # from DtTm
    assert (reversal.direction, reversal.reversal, reversal.amount) == ("debit", True, 180_000)
    assert reversal.counterparty == "青岛海景停车管理有限公司"
    assert first.end_to_end_id == second.end_to_end_id  # the same EndToEndId, two keys
    assert first.key != second.key


def test_two_statements_in_one_message_version_08() -> None:
    file = parse_camt053(sample("camt053_v08_two_statements.xml"))
    first, second = file.statements
    assert [len(first.lines), len(second.lines)] == [1, 2]  # the INFO entry is not a line
    assert first.lines[0].counterparty == "中国移动通信集团山东有限公司青岛分公司"  # Pty/Nm
    assert first.closing == second.opening == 124_656_550
    assert second.lines[1].remittance == "审计费 青岛正信会计师事务所"  # AddtlNtryInf
    assert second.lines[1].where == "Stmt[2]/Ntry[2]"
    assert second.closing_on == date(2026, 4, 22)


def test_parse_dispatches_on_the_media_type() -> None:
    data = sample("camt053_v04_reversal.xml")
    assert parse(data, "application/xml; charset=utf-8", None).format == "camt.053.001.04"
    with pytest.raises(StatementRefused) as refused:
        parse(data, "application/json", None)
    assert refused.value.reason == "unsupported-media-type"


def refusal(data: bytes, *, max_bytes: int | None = 20 * 1024 * 1024) -> StatementRefused:
    with pytest.raises(StatementRefused) as refused:
        parse_camt053(data, max_bytes=max_bytes)
    return refused.value


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><x>&lol3;</x></Document>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&xxe;</Document>"""
DOCTYPE_ONLY = b"""<!DOCTYPE Document>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>"""


@pytest.mark.parametrize(
    ("data", "where"), [(BILLION_LAUGHS, "line 2"), (EXTERNAL, "line 3"), (DOCTYPE_ONLY, "line 1")]
)
def test_a_doctype_is_refused_before_parsing(data: bytes, where: str) -> None:
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("unsafe-xml", where)


def test_size_limit_is_checked_before_parsing() -> None:
    refused = refusal(b"<" * 101, max_bytes=100)
    assert refused.reason == "too-large"
    assert "101 bytes" in str(refused)


def test_another_message_is_refused() -> None:
    data = sample("camt053_v08_two_statements.xml").replace(b"camt.053.001.08", b"camt.052.001.08")
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("unsupported-message", "Document")


def test_malformed_xml_names_the_line() -> None:
    refused = refusal(b'<?xml version="1.0"?>\n<Document>\n<Stmt></Document>')
    assert (refused.reason, refused.where) == ("malformed-xml", "line 3")


def test_more_than_two_decimals_is_refused() -> None:
    data = sample("camt053_v02_batch.xml").replace(b">8100.00<", b">8100.005<")
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("invalid-amount", "Stmt[1]/Ntry[2]/Amt")


def test_an_entry_in_another_currency_is_refused() -> None:
    data = sample("camt053_v02_batch.xml").replace(
        b'<Amt Ccy="CNY">8100.00', b'<Amt Ccy="USD">8100.00'
    )
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("currency-mismatch", "Stmt[1]/Ntry[2]/Amt")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            b"<NbOfNtries>4</NbOfNtries>",
            b"<NbOfNtries>5</NbOfNtries>",
            "Stmt[1]/TxsSummry/TtlNtries/NbOfNtries",
        ),
        (b"<Sum>11925.00</Sum>", b"<Sum>11925.01</Sum>", "Stmt[1]/TxsSummry/TtlCdtNtries/Sum"),
        (b"<TtlNetNtryAmt>11634.50", b"<TtlNetNtryAmt>11634.00", "Stmt[1]/TxsSummry/TtlNtries"),
    ],
)
def test_transaction_summary_must_add_up(old: bytes, new: bytes, where: str) -> None:
    data = sample("camt053_v02_batch.xml")
    assert old in data
    refused = refusal(data.replace(old, new))
    assert (refused.reason, refused.where) == ("summary-mismatch", where)


def test_a_missing_booking_date_names_the_entry() -> None:
    data = sample("camt053_v04_reversal.xml").replace(
        b"<BookgDt><DtTm>2026-04-15T09:12:41+08:00</DtTm></BookgDt>", b""
    )
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("missing-element", "Stmt[1]/Ntry[2]")


def test_an_entry_without_bank_reference_is_keyed_by_content_and_occurrence() -> None:
    line = BankLine(
        key="", reference="", direction="credit", amount=85_000,
        booked_on=date(2026, 7, 1), value_on=date(2026, 7, 1), counterparty="李秀英",
    )  # fmt: skip
    data = camt053_bytes(
        [line, line], account_number="1", opening=0, statement_id="S", message_id="M"
    )
    first, second = parse_camt053(data).statements[0].lines
    assert first.key.startswith("content:")
    assert first.key != second.key
    assert [x.key for x in parse_camt053(data).statements[0].lines] == [first.key, second.key]


_names = st.text(alphabet="青岛海景物业维修停车费电梯广告有限公司 &<>'\"", max_size=12).map(
    str.strip
)
_lines = st.lists(
    st.builds(
        lambda index, credit, fen, day, shift, name, note, reversal: BankLine(
            key=f"REF{index}",
            reference=f"REF{index}",
            direction="credit" if credit else "debit",
            amount=fen,
            booked_on=date(2026, 1, 1) + timedelta(days=day),
            value_on=date(2026, 1, 1) + timedelta(days=day + shift),
            reversal=reversal,
            counterparty=name,
            remittance=" ".join(note.split()),
            transaction_code="PMNT/RCDT/DMCT" if credit else "",
            where=f"Stmt[1]/Ntry[{index + 1}]",
        ),
        st.integers(0, 0),
        st.booleans(),
        st.integers(1, 10**12),
        st.integers(0, 300),
        st.integers(0, 3),
        _names,
        _names,
        st.booleans(),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(
    lines=_lines,
    version=st.sampled_from(["02", "04", "06", "08"]),
    opening=st.integers(-(10**9), 10**12),
)
def test_a_written_statement_reads_back_the_same_lines(
    lines: list[BankLine], version: str, opening: int
) -> None:
    lines = [
        BankLine(**{**{f: getattr(line, f) for f in BankLine.__slots__}, "key": f"R{i}", "reference": f"R{i}",
                    "where": f"Stmt[1]/Ntry[{i + 1}]"})
        for i, line in enumerate(lines)
    ]  # fmt: skip
    data = camt053_bytes(
        lines,
        account_number="3803",
        opening=opening,
        statement_id="S",
        message_id="M",
        version=version,
    )
    (statement,) = parse_camt053(data).statements
    assert list(statement.lines) == lines
    assert statement.opening == opening
    moved = sum(line.amount if line.direction == "credit" else -line.amount for line in lines)
    assert statement.closing == opening + moved
