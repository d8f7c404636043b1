"""Bank files read into ``ledger.bank.statement.BankFile`` (issue #14 "Intake").

``parse`` dispatches on the media type: ``application/xml`` or ``text/xml`` is an ISO 20022
camt.053 message (``camt053``), ``text/csv`` a bank's CSV export read with a named profile
(``csv_profiles``). Parsing refuses malformed or unsafe input; ``ledger.bank.checks`` then
checks what was read against the account.

How to add a CSV profile (for a bank whose export is not yet known):

1. Take a real export from the bank's corporate online banking (交易明细 / 历史明细), and
   write a sample of the same shape with made-up content into ``tests/data/bank/``, once in
   GBK (GB18030) and once in UTF-8.
2. Add a ``CsvProfile`` to ``PROFILES`` in ``csv_profiles.py`` under a short lowercase name
   (the bank's usual abbreviation, e.g. ``"cmb"``): ``skip_lines`` is the number of lines
   before the column row; name each column exactly as the export heads it (``date``;
   ``credit`` and ``debit`` when money in and out have their own columns, else ``signed``;
   ``balance``, ``counterparty``, ``counterparty_account``, ``reference`` for the 流水号,
   ``remittance`` for 摘要 and the like, joined); leave a field ``""`` when the layout has no
   such column. ``date_formats`` lists the ``strptime`` formats of the date cell's first word.
   The account is read from a header line ``账号:…`` (``account_label``) or from a column
   (``account_column``).
3. Add the two samples to ``tests/unit/bank/test_csv.py``'s parametrized samples; the test
   reads both, checks the lines and that the balances chain.
4. The bank uploads with ``?profile=NAME`` (``commonfund bank import --profile NAME``).
"""

from __future__ import annotations

from ledger.bank.formats.camt053 import parse_camt053
from ledger.bank.formats.csv_profiles import PROFILES, CsvProfile, parse_csv
from ledger.bank.formats.safe_xml import DEFAULT_MAX_BYTES, check_size
from ledger.bank.statement import BankFile, StatementRefused

__all__ = ["DEFAULT_MAX_BYTES", "PROFILES", "CsvProfile", "parse", "parse_camt053", "parse_csv"]

XML_TYPES = ("application/xml", "text/xml")
CSV_TYPES = ("text/csv",)


def parse(
    data: bytes, media_type: str, profile: str | None, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> BankFile:
    """Read a bank file by its media type (parameters such as ``; charset=`` are ignored)."""
    kind = media_type.split(";", 1)[0].strip().lower()
    if kind in XML_TYPES:
        return parse_camt053(data, max_bytes=max_bytes)
    if kind in CSV_TYPES:
        check_size(data, max_bytes)
        if not profile:
            raise StatementRefused(
                f"a CSV file needs a profile; known: {', '.join(sorted(PROFILES))}",
                problem="unknown-profile",
            )
        return parse_csv(data, profile)
    raise StatementRefused(
        f"the media type {media_type!r} is neither camt.053 (application/xml) nor CSV (text/csv)",
        problem="unsupported-media-type",
    )
