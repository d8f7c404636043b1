"""The /problems/ pages: what each problem+json ``type`` means, in Chinese or in English.

Every ``type`` the API answers with is a relative URI to one of these pages. The
language is ``?lang=zh`` or ``?lang=en`` when given, otherwise the request's
``Accept-Language`` (English only when it prefers English to Chinese), and Chinese
by default: the people who follow these links are committees, owners and regulators.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.pages import templates
from api.problem_texts import ZH
from api.problems import PROBLEM_TYPES, ProblemType

router = APIRouter(include_in_schema=False)
Lang = Literal["zh", "en"]
LangQuery = Annotated[Lang | None, Query(description="zh or en; default from Accept-Language")]
HTML_LANG = {"zh": "zh-CN", "en": "en"}
CACHE = "public, max-age=3600"


def language(asked: Lang | None, accept_language: str | None) -> Lang:
    """``asked`` if given; else English only when Accept-Language ranks it above Chinese."""
    if asked is not None:
        return asked
    best: dict[Lang, float] = {"zh": 0.0, "en": 0.0}
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().partition("-")[0]
        if primary not in best:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        best[primary] = max(best[primary], quality)
    return "en" if best["en"] > best["zh"] else "zh"


def title(kind: ProblemType, lang: Lang) -> str:
    return ZH[kind.slug][0] if lang == "zh" else kind.title


def description(kind: ProblemType, lang: Lang) -> str:
    return ZH[kind.slug][1] if lang == "zh" else kind.description


def _page(template: str, lang: Lang, status: int = 200, **context: object) -> HTMLResponse:
    body = templates.get_template(template).render(
        lang=HTML_LANG[lang], zh=lang == "zh", code=lang, title_of=title, description_of=description,
        **context,
    )  # fmt: skip
    headers = {"Content-Language": HTML_LANG[lang], "Vary": "Accept-Language"}
    if status == 200:
        headers["Cache-Control"] = CACHE
    return HTMLResponse(body, status_code=status, headers=headers)


def _listed(lang: Lang) -> list[ProblemType]:
    return sorted(PROBLEM_TYPES.values(), key=lambda k: (k.status, title(k, lang)))


@router.get("/problems/", response_class=HTMLResponse)
def problem_index(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """Every problem type, by HTTP status."""
    chosen = language(lang, request.headers.get("accept-language"))
    return _page("problems.html", chosen, kinds=_listed(chosen), unknown=None)


@router.get("/problems/{slug}", response_class=HTMLResponse)
def problem_page(slug: str, request: Request, lang: LangQuery = None) -> HTMLResponse:
    """One problem type: its title, status, rule and what to do; an unknown one lists them all."""
    chosen = language(lang, request.headers.get("accept-language"))
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        return _page("problems.html", chosen, 404, kinds=_listed(chosen), unknown=slug[:80])
    return _page("problem.html", chosen, kind=kind, example=example(kind))


def example(kind: ProblemType) -> str:
    """The problem+json body of this type, as an answer carries it (``detail`` varies)."""
    body: dict[str, object] = {
        "type": f"/problems/{kind.slug}", "title": kind.title, "status": kind.status,
        "detail": "…", "instance": "/v1/…",
    }  # fmt: skip
    if kind.rule:
        body["rule"] = kind.rule
    body["request_id"] = "…"
    return json.dumps(body, ensure_ascii=False, indent=2)
