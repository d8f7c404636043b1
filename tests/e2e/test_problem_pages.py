"""Every problem+json ``type`` the API answers with is a page, in Chinese and in English (issue #17)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from markupsafe import escape

import ledger
from api.problem_texts import ZH
from api.problems import PROBLEM_TYPES
from ledger.errors import LedgerError
from tests.plugins.api import Api

HAN = re.compile(r"[\u4e00-\u9fff]")
pytestmark = pytest.mark.stores("sqlite")  # pages of constants: one store is enough


def every_ledger_error() -> set[type[LedgerError]]:
    """Every refusal class in the domain, wherever in ledger/ it is defined."""
    for module in pkgutil.walk_packages(ledger.__path__, "ledger."):
        importlib.import_module(module.name)
    found: set[type[LedgerError]] = set()
    todo = [LedgerError]
    while todo:
        kind = todo.pop()
        found.add(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_refusal_of_the_ledger_has_a_problem_type_and_chinese_text() -> None:
    slugs = {kind.problem for kind in every_ledger_error()}
    assert slugs - PROBLEM_TYPES.keys() == set()  # else it would answer as an internal error
    assert PROBLEM_TYPES.keys() == ZH.keys()


def test_each_problem_type_is_a_page_in_chinese_and_in_english(api: Api) -> None:
    for slug, kind in PROBLEM_TYPES.items():
        zh = api.client.get(f"/problems/{slug}")
        assert zh.status_code == 200, slug
        assert zh.headers["content-type"].startswith("text/html")
        assert zh.headers["content-language"] == "zh-CN"
        assert '<html lang="zh-CN">' in zh.text
        assert f"<h1>{ZH[slug][0]}</h1>" in zh.text
        assert escape(ZH[slug][1]) in zh.text
        en = api.client.get(f"/problems/{slug}", params={"lang": "en"})
        assert en.status_code == 200, slug
        assert en.headers["content-language"] == "en"
        assert '<html lang="en">' in en.text
        assert f"<h1>{escape(kind.title)}</h1>" in en.text
        assert f"HTTP {kind.status}" in en.text
        if kind.rule:
            assert f"规则 {kind.rule}" in zh.text, slug
            assert f"rule {kind.rule}" in en.text, slug


def test_the_types_real_errors_carry_resolve_to_their_page(api: Api) -> None:
    answers = [
        api.client.get("/v1/no-such-thing"),  # not-found
        api.client.get("/v1/alerts"),  # unauthenticated
        api.client.post("/v1/complexes", json={}, headers={"Authorization": "Bearer x"}),
        api.client.get("/v1/public/complexes/x/statements/2026-13"),
        api.client.delete("/healthz"),  # method-not-allowed
    ]
    types = {answer.json()["type"] for answer in answers}
    assert len(types) >= 4, types
    for type_ in types:
        page = api.client.get(type_)
        assert page.status_code == 200, type_
        assert HAN.search(page.text)


def test_the_index_lists_every_type_and_links_each(api: Api) -> None:
    index = api.client.get("/problems/")
    assert index.status_code == 200
    assert "<h1>问题类型</h1>" in index.text
    for slug in PROBLEM_TYPES:
        assert f'href="/problems/{slug}"' in index.text
    english = api.client.get("/problems/", params={"lang": "en"})
    assert "<h1>Problem types</h1>" in english.text
    assert 'href="/problems/debit-blocked?lang=en"' in english.text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.9, zh-CN;q=0.5", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5, zh;q=0.5", "zh-CN"),  # a tie goes to Chinese
        ("fr-FR", "zh-CN"),
        ("en;q=nonsense", "zh-CN"),
        ("", "zh-CN"),
    ],
)
def test_the_language_follows_accept_language_and_defaults_to_chinese(
    api: Api, accept: str, expected: str
) -> None:
    page = api.client.get("/problems/debit-blocked", headers={"Accept-Language": accept})
    assert page.headers["content-language"] == expected
    assert page.headers["vary"] == "Accept-Language"
    asked = api.client.get(
        "/problems/debit-blocked", params={"lang": "zh"}, headers={"Accept-Language": accept}
    )
    assert asked.headers["content-language"] == "zh-CN"  # ?lang wins


def test_an_unknown_type_or_language_is_told_clearly(api: Api) -> None:
    unknown = api.client.get("/problems/no-such-problem")
    assert unknown.status_code == 404
    assert "没有“no-such-problem”这个问题类型" in unknown.text
    assert 'href="/problems/debit-blocked"' in unknown.text  # the whole list to choose from
    bad = api.client.get("/problems/debit-blocked", params={"lang": "fr"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["type"] == "/problems/validation-error"
