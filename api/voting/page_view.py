"""What the ballot pages show, in Chinese: labels, times, an owner's votes, a matter's counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

from api.pages import html, templates
from api.privacy import PRIVATE
from ledger.errors import InvalidState, LedgerError, NotFound
from ledger.money import format_fen
from ledger.voting.ballot import Ballot, VoteRecord
from ledger.voting.register import counted_votes
from ledger.voting.tally import Count

SHANGHAI = ZoneInfo("Asia/Shanghai")
templates.globals["ballot_stylesheet"] = (files("api") / "static" / "ballot.css").read_text(
    encoding="utf-8"
)
ITEMS = {  # Civil Code art. 278, para. 1
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
NUMERALS = "一二三四五六七八九"
CHOICE_ZH = {"agree": "同意", "disagree": "反对", "abstain": "弃权"}
CHANNEL_ZH = {"electronic": "电子投票", "paper": "纸质表决票"}
STATE_ZH = {
    "announced": "已公告，尚未开始投票",
    "open": "正在投票",
    "counting": "投票已截止，等待计票",
    "closed": "已计票，结果已公布",
}
SCOPE_ZH = {"all": "全体业主", "buildings": "部分楼栋", "units": "部分房屋"}
LABELS: dict[str, Any] = {
    "choice_zh": CHOICE_ZH,
    "channel_zh": CHANNEL_ZH,
    "state_zh": STATE_ZH,
    "items": ITEMS,
    "numerals": NUMERALS,
}
CSRF_REFUSED = "表单已失效或不是从本页提交的，投票未被记录。请重新打开投票页面再提交。"
NOTHING_CHOSEN = "请至少为一项表决事项选择“同意”“反对”或“弃权”后再提交。"


def moment_label(iso: str) -> str:
    """A time as Beijing time reads it: 2026年12月11日 09:00."""
    at = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def window(ballot: Ballot) -> dict[str, str]:
    return {
        "notice": day_label(date.fromisoformat(ballot.notice_on)),
        "opens": moment_label(ballot.opens_at),
        "closes": moment_label(ballot.closes_at),
    }


def message(ballot: Ballot, status: int, text: str) -> HTMLResponse:
    return html("ballot_message.html", status, cache=PRIVATE, ballot=ballot, message=text)


def closed_sentence(ballot: Ballot, state: str) -> str:
    """Why a vote is not taken now, and when it would be."""
    opens, closes = moment_label(ballot.opens_at), moment_label(ballot.closes_at)
    if state == "announced":
        return f"投票尚未开始：本次表决将于{opens}开始投票，{closes}截止。届时请再打开本页。"
    if state == "counting":
        return f"投票已于{closes}截止，正在计票，不能再投票或修改投票。"
    return f"投票已于{closes}截止并已计票，不能再投票或修改投票。请查看表决结果。"


def refusal(ballot: Ballot, refused: LedgerError, now: datetime) -> str:
    if isinstance(refused, InvalidState):
        return closed_sentence(ballot, ballot.state(now))
    if isinstance(refused, NotFound):
        return "您名下没有房屋在这次表决的范围内，不能投票。如有疑问请联系业主委员会。"
    return f"投票未被接受，请核对后重试。（{refused}）"


def short(digest: str) -> str:
    return f"{digest[:8]}…{digest[-8:]}"


def _counted(ballot: Ballot, number: int, units: list[str]) -> dict[str, VoteRecord]:
    """Each of ``units``' vote that counts on a matter now (the ballot's counting rule)."""
    register = [u for u in ballot.unit_records(number) if u.unit_id in units]
    votes = [v for v in ballot.matter_votes(number) if v.unit_id in units]
    by_nonce = {v["nonce"]: v for v in ballot.votes if v["matter"] == number}
    counted = counted_votes(register, votes, ballot.counting())
    return {unit: by_nonce[vote.nonce] for unit, vote in counted.items()}


def owner_matters(ballot: Ballot, mine: list[str]) -> list[dict[str, Any]]:
    """Per matter: its text and documents, the owner's units in scope and their current votes."""
    shown = []
    for number, matter in enumerate(ballot.matters, start=1):
        scope = set(ballot.matter_register_ids(number)) if ballot.opened else set(mine)
        units = [u for u in mine if u in scope]
        current = _counted(ballot, number, units) if ballot.opened else {}
        choices = {v["choice"] for v in current.values()}
        shown.append({
            "number": number, "item": matter["item"], "question": matter["question"],
            "documents": [(short(d), d) for d in matter["documents"]],
            "scope": SCOPE_ZH[matter["scope"]["kind"]], "units": units,
            "current": [(u, current.get(u)) for u in units],
            "selected": choices.pop() if len(choices) == 1 and len(current) == len(units) else "",
        })  # fmt: skip
    return shown


def receipts(ballot: Ballot, mine: list[str], signed_at: str | None) -> list[VoteRecord]:
    """The owner's votes of one cast (``signed_at``), else those that count now, in order."""
    if signed_at:
        cast = [v for v in ballot.votes if v["unit"] in mine and v["signed_at"] == signed_at]
        if cast:
            return cast
    counted = [
        vote
        for number in range(1, len(ballot.matters) + 1)
        for vote in _counted(ballot, number, mine).values()
    ]
    return sorted(counted, key=lambda v: (v["matter"], v["unit"]))


def objection(ballot: Ballot) -> dict[str, str] | None:
    """询异公示: the days after closing before the resolutions take effect (none: 0 days)."""
    if ballot.effective_from is None or ballot.objection_days == 0:
        return None
    effective = date.fromisoformat(ballot.effective_from)
    return {
        "from": day_label(effective - timedelta(days=ballot.objection_days)),
        "to": day_label(effective - timedelta(days=1)),
        "effective": day_label(effective),
        "days": str(ballot.objection_days),
    }


def area(hundredths: int) -> str:
    return format_fen(hundredths)


def share(part: int, whole: int) -> str:
    """A percentage to one decimal, rounded half up, exactly (no floats): 83.3, 90."""
    if whole == 0:
        return "—"
    tenths = (part * 2000 + whole) // (2 * whole)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def figures(count: Count) -> dict[str, Any]:
    """A count as the notice board prints it: area (m²) and heads, with their shares."""
    return {
        "scope_area": area(count.scope_area),
        "scope_heads": count.scope_heads,
        "participating_area": area(count.participating_area),
        "participating_heads": count.participating_heads,
        "participating_area_share": share(count.participating_area, count.scope_area),
        "participating_heads_share": share(count.participating_heads, count.scope_heads),
        "consenting_area": area(count.consenting_area),
        "consenting_heads": count.consenting_heads,
        "consenting_area_share": share(count.consenting_area, count.participating_area),
        "consenting_heads_share": share(count.consenting_heads, count.participating_heads),
        "participation_met": count.participation_met,
        "consent_met": count.consent_met,
        "passed": count.passed,
        "participation": f"不低于总面积和总人数的 {fraction(count.participation)}",
        "consent": (
            f"{'超过' if count.consent_strict else '不低于'}参与表决面积和人数的"
            f" {fraction(count.consent)}"
        ),
    }


def result_matters(ballot: Ballot) -> list[dict[str, Any]]:
    """Per matter: its text, the binding outcome and both counts (recounted from the votes)."""
    shown = []
    for result in ballot.results:
        number = result["matter"]
        tally = ballot.tally(number)
        shown.append({
            "number": number, "item": result["item"],
            "question": ballot.matters[number - 1]["question"],
            "documents": [(short(d), d) for d in ballot.matters[number - 1]["documents"]],
            "passed": result["passed"], "deemed_apply": result["deemed_apply"],
            "deemed_units": result["deemed_units"], "votes": result["votes"],
            "root": result["root"],
            "without": figures(tally.without_deemed), "with": figures(tally.with_deemed),
        })  # fmt: skip
    return shown
