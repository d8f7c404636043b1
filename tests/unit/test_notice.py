"""The notice board (issue #17): the publicity period, the objection contact, the base URL."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from api.statements.notice import notice
from commonfund.settings import Settings
from ledger.complexes.complex import CONTACT_MAX, Complex
from ledger.complexes.notice import notice_period
from ledger.errors import InvalidCommand


def a_complex() -> Complex:
    return Complex.register(
        uuid4(), code="QD-T-1", name="测试花园", district="370202", street="370202001",
        community="370202001001", principal="operator:t", value_date="2026-10-01",
    )  # fmt: skip


def test_the_publicity_period_counts_the_day_of_publication() -> None:
    assert notice_period(date(2026, 10, 10)) == (date(2026, 10, 10), date(2026, 11, 8))
    assert notice_period(date(2026, 10, 10), days=1) == (date(2026, 10, 10), date(2026, 10, 10))


def test_the_objection_contact_is_recorded_once_and_its_spacing_tidied() -> None:
    complex_ = a_complex()
    assert complex_.objection_contact == ""
    assert complex_.set_objection_contact(
        " 业委会办公室\n电话 0532-8000 1234 ", principal="operator:t", value_date="2026-10-02"
    )
    assert complex_.objection_contact == "业委会办公室 电话 0532-8000 1234"
    version = complex_.version
    same = complex_.set_objection_contact(
        "业委会办公室 电话 0532-8000 1234", principal="operator:t", value_date="2026-10-03"
    )
    assert not same
    assert complex_.version == version  # nothing recorded


@pytest.mark.parametrize("contact", ["", "   ", "x" * (CONTACT_MAX + 1)])
def test_an_empty_or_overlong_contact_is_refused(contact: str) -> None:
    with pytest.raises(InvalidCommand):
        a_complex().set_objection_contact(contact, principal="operator:t", value_date="2026-10-02")


def test_the_printed_link_is_under_the_public_base_url_with_the_readable_code() -> None:
    shown = notice("https://gongyou.example.cn", "QD-SN-0001", "2026-Q3", 2, "2026-10-10")
    assert (
        shown.online
        == "https://gongyou.example.cn/complexes/QD-SN-0001/statements/2026-Q3?version=2"
    )
    assert (shown.first_day, shown.last_day) == ("2026-10-10", "2026-11-08")
    assert str(shown.qr).startswith('<svg role="img" aria-label="扫码查看本公示的在线版本"')
    assert "<title>扫码查看本公示的在线版本</title>" in shown.qr


@pytest.mark.parametrize(
    "url", ["gongyou.example.cn", "ftp://x.cn", "https://", "https://x.cn/?a=1", "https://x.cn/#f"]
)
def test_a_public_base_url_that_is_no_web_address_stops_the_service(url: str) -> None:
    with pytest.raises(ValidationError, match="COMMONFUND_PUBLIC_BASE_URL"):
        Settings(public_base_url=url)


def test_the_public_base_url_loses_its_trailing_slash() -> None:
    assert Settings(public_base_url="https://x.cn/gy/").page_url("/c/A") == "https://x.cn/gy/c/A"
