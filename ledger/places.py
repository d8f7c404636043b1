"""Places as people name them: Qingdao's districts and streets (GB/T 2260 codes) in Chinese.

The complexes carry division codes (ledger/complexes/complex.py); what a page or a search
shows is the name. A code this table does not know is shown as the code itself, so an
unnamed street is still findable and never wrong.
"""

from __future__ import annotations

DISTRICTS = {  # Qingdao (spec/domain.md, Jurisdictions)
    "370202": "市南区",
    "370203": "市北区",
    "370211": "黄岛区",
    "370212": "崂山区",
    "370213": "李沧区",
    "370214": "城阳区",
    "370215": "即墨区",
    "370281": "胶州市",
    "370283": "平度市",
    "370285": "莱西市",
}
# the streets (街道) the platform names; numbered in the district's own order
_STREETS = {
    "370202": (
        "八大峡街道", "云南路街道", "中山路街道", "江苏路街道", "八大关街道", "湛山街道",
        "香港中路街道", "八大湖街道", "金门路街道", "珠海路街道", "金湖路街道",
    ),
    "370203": (
        "辽宁路街道", "延安路街道", "登州路街道", "宁夏路街道", "敦化路街道", "辽源路街道",
        "合肥路街道", "大港街道", "即墨路街道", "台东街道", "镇江路街道", "浮山新区街道",
    ),
    "370212": ("中韩街道", "沙子口街道", "王哥庄街道", "北宅街道", "金家岭街道"),
}  # fmt: skip
STREETS = {
    f"{district}{n:03d}": name
    for district, names in _STREETS.items()
    for n, name in enumerate(names, start=1)
}


def district_name(code: str) -> str:
    """``370202`` → ``市南区``; an unknown code as it is."""
    return DISTRICTS.get(code, code)


def street_name(code: str) -> str:
    """``370202008`` → ``八大湖街道``; an unknown code as ``街道 370202008``."""
    return STREETS.get(code, f"街道 {code}")


def codes_named(text: str) -> tuple[list[str], list[str]]:
    """The districts and streets whose name contains ``text`` (a search by address)."""
    wanted = text.strip()
    if not wanted:
        return [], []
    districts = [code for code, name in DISTRICTS.items() if wanted in name or name in wanted]
    streets = [code for code, name in STREETS.items() if wanted in name or name in wanted]
    return districts, streets
