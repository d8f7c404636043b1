"""Write camt.053 statements for given lines, and time parsing a large one (issue #14).

``camt053_bytes`` is the writer the tests round-trip through and ``bench/bank_import.py``
imports; run as a module it times ``parse_camt053`` on a generated file (median of three)
and prints one JSON line ``{"entries": …, "parse_seconds": …, "bytes": …}``::

    python -m bench.bank_files --entries 100000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterable
from datetime import date, timedelta
from xml.sax.saxutils import escape

from ledger.bank.formats.camt053 import parse_camt053
from ledger.bank.statement import BankLine

_CREDIT_CODE = "PMNT/RCDT/DMCT"


def _yuan(fen: int) -> str:
    return f"{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _balance(code: str, fen: int, on: date) -> str:
    sign = "DBIT" if fen < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="CNY">{_yuan(fen)}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def _code(text: str) -> str:
    parts = text.split("/")
    if len(parts) == 3:
        domain, family, sub = parts
        return (
            f"<BkTxCd><Domn><Cd>{escape(domain)}</Cd><Fmly><Cd>{escape(family)}</Cd>"
            f"<SubFmlyCd>{escape(sub)}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        )
    return f"<BkTxCd><Prtry><Cd>{escape(text)}</Cd></Prtry></BkTxCd>" if text else ""


def _entry(line: BankLine, version: str) -> str:
    nested = version >= "06"
    status = f"<Sts><Cd>{line.status}</Cd></Sts>" if nested else f"<Sts>{line.status}</Sts>"
    indicator = "CRDT" if line.direction == "credit" else "DBIT"
    payer = (line.direction == "credit") != line.reversal
    role = "Dbtr" if payer else "Cdtr"
    name = escape(line.counterparty)
    party = ""
    if line.counterparty:
        party = f"<Pty><Nm>{name}</Nm></Pty>" if version >= "08" else f"<Nm>{name}</Nm>"
        party = f"<{role}>{party}</{role}>"
    if line.counterparty_account:
        party += f"<{role}Acct><Id><Othr><Id>{escape(line.counterparty_account)}</Id></Othr></Id></{role}Acct>"
    refs = f"<Refs><EndToEndId>{escape(line.end_to_end_id or 'NOTPROVIDED')}</EndToEndId></Refs>"
    remittance = (
        f"<RmtInf><Ustrd>{escape(line.remittance)}</Ustrd></RmtInf>" if line.remittance else ""
    )
    details = (
        f"<NtryDtls><TxDtls>{refs}<RltdPties>{party}</RltdPties>{remittance}</TxDtls></NtryDtls>"
    )
    return (
        f'<Ntry><Amt Ccy="CNY">{_yuan(line.amount)}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        + ("<RvslInd>true</RvslInd>" if line.reversal else "")
        + f"{status}<BookgDt><Dt>{line.booked_on.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{line.value_on.isoformat()}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{escape(line.reference)}</AcctSvcrRef>" if line.reference else "")
        + _code(line.transaction_code)
        + details
        + "</Ntry>"
    )


def _summary(lines: list[BankLine]) -> str:
    ins = [line.amount for line in lines if line.direction == "credit"]
    outs = [line.amount for line in lines if line.direction == "debit"]
    return (
        f"<TxsSummry><TtlNtries><NbOfNtries>{len(lines)}</NbOfNtries>"
        f"<Sum>{_yuan(sum(ins) + sum(outs))}</Sum></TtlNtries>"
        f"<TtlCdtNtries><NbOfNtries>{len(ins)}</NbOfNtries><Sum>{_yuan(sum(ins))}</Sum>"
        f"</TtlCdtNtries><TtlDbtNtries><NbOfNtries>{len(outs)}</NbOfNtries>"
        f"<Sum>{_yuan(sum(outs))}</Sum></TtlDbtNtries></TxsSummry>"
    )


def camt053_bytes(
    lines: list[BankLine],
    *,
    account_number: str,
    opening: int,
    statement_id: str,
    message_id: str,
    version: str = "08",
) -> bytes:
    """One camt.053.001.``version`` message with one statement of ``lines`` (booked as given)."""
    closing = opening + sum(
        line.amount if line.direction == "credit" else -line.amount for line in lines
    )
    first = min((line.booked_on for line in lines), default=date(2026, 1, 1))
    last = max((line.booked_on for line in lines), default=first)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{(last + timedelta(days=1)).isoformat()}T06:00:00+08:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id><ElctrncSeqNb>1</ElctrncSeqNb>"
        f"<CreDtTm>{(last + timedelta(days=1)).isoformat()}T06:00:00+08:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{first.isoformat()}T00:00:00+08:00</FrDtTm>"
        f"<ToDtTm>{last.isoformat()}T23:59:59+08:00</ToDtTm></FrToDt>"
        f"<Acct><Id><Othr><Id>{escape(account_number)}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>"
        + _balance("OPBD", opening, first - timedelta(days=1))
        + _balance("CLBD", closing, last)
        + _summary(lines)
    )
    body: Iterable[str] = (_entry(line, version) for line in lines)
    return (head + "".join(body) + "</Stmt></BkToCstmrStmt></Document>\n").encode()


def synthetic_lines(entries: int) -> list[BankLine]:
    """``entries`` booked lines over a year: fees in, repairs and parking out."""
    start = date(2026, 1, 1)
    lines = []
    for index in range(entries):
        on = start + timedelta(days=index * 365 // max(entries, 1))
        credit = index % 3 != 2
        lines.append(
            BankLine(
                key=f"QD{index:010d}",
                reference=f"QD{index:010d}",
                direction="credit" if credit else "debit",
                amount=12_345 + index % 9_000 if credit else 8_800 + index % 5_000,
                booked_on=on,
                value_on=on,
                counterparty="青岛海景物业管理有限公司" if not credit else f"业主{index % 800:03d}",
                counterparty_account="3803020109001234999",
                remittance="维修资金 电梯维修" if not credit else "停车费 2026年",
                transaction_code=_CREDIT_CODE if credit else "PMNT/ICDT/DMCT",
                end_to_end_id=f"E2E{index}",
            )
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = camt053_bytes(
        synthetic_lines(args.entries),
        account_number="3803 0201 0900 1234 567",
        opening=1_000_000,
        statement_id="BENCH-1",
        message_id="BENCH-MSG-1",
    )
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        parsed = parse_camt053(data, max_bytes=None)
        times.append(time.perf_counter() - start)
        if len(parsed.statements[0].lines) != args.entries:
            raise SystemExit("the parser did not read every entry")
    result = {
        "entries": args.entries,
        "parse_seconds": round(statistics.median(times), 3),
        "bytes": len(data),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
