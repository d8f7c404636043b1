"""Public output masks individuals and unit numbers (Disclosure, spec/domain.md).

An individual shows as surname + ``*`` (``王*``, ``欧阳*``); an organisation in
full. A unit id such as ``3-1-502`` in free text shows its building only
(``3-*-*``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# common two-character surnames
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容"}
    | {"令狐", "夏侯", "宇文", "长孙", "司徒", "端木", "独孤", "南宫", "西门"}
)
UNIT_ID = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]+)-[0-9A-Za-z]+-[0-9A-Za-z]+(?![0-9A-Za-z-])")


def mask_person(name: str) -> str:
    name = name.strip()
    if not name:
        return "*"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
    return f"{surname}*"


def public_party(party: Mapping[str, str]) -> str:
    name = party.get("name", "")
    return mask_person(name) if party.get("kind") == "individual" else name


def mask_units(text: str) -> str:
    return UNIT_ID.sub(lambda match: f"{match.group(1)}-*-*", text)
