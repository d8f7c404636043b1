"""Public output masks people and unit numbers (Disclosure, spec/domain.md): the rules, pure.

A person shows as surname + ``*`` (``王*``, ``欧阳*``); an organisation in full.
Who counts as a person is decided by rule, not only by what the client
declared: a name declared ``organisation`` that carries no organisation marker
(公司, 有限, 局, 店 …) is masked like an individual (issue #12, item 12).

A unit number in free text shows its building only: by rule for the shapes
people write (``3-2-501`` → ``3-*-*``, ``3号楼2单元501`` → ``3号楼*``, ``3栋501室``
→ ``3栋*``), and by the complex's unit register for every registered id,
whatever its shape (``A-0101`` → ``A-*``, ``0101`` in building 2 → ``2-*``).
Matching reads the text folded (full-width letters and digits as ASCII, every
dash as ``-``, invisible characters such as zero-width spaces dropped), so a
hostile spelling cannot slip an id past the rule; what is not masked is shown as
written (Chinese punctuation stays full-width).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

# common two-character surnames
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容"}
    | {"令狐", "夏侯", "宇文", "长孙", "司徒", "端木", "独孤", "南宫", "西门"}
)
# Anywhere in the name: a word only an organisation's name carries.
# The names of payers and payees repeat (the same parking company every month): what the
# rules make of a name is kept for the last few thousand, as it costs more than the command's
# own checks (ledger_write benchmark, issue #12).
NAMES_REMEMBERED = 4096
ORGANISATION_WORDS = (
    "公司", "有限", "集团", "中心", "委员会", "事务所", "合作社", "物业", "学校", "医院", "银行",
    "协会", "商会", "基金会", "研究院", "研究所", "办事处", "管理处", "工作室", "幼儿园", "大学",
    "中学", "小学", "政府", "街道", "社区", "居委会", "村委会", "超市", "酒店", "宾馆", "商行",
    "经营部", "服务部", "维修部", "工程队", "联合会", "俱乐部", "电信", "移动", "联通", "供电",
    "供水", "燃气", "热力", "邮政", "快递", "广告", "传媒", "科技", "实业", "贸易",
)  # fmt: skip
# At the end of the name: a character that closes an organisation's name (…局, …店, …厂).
ORGANISATION_ENDINGS = tuple("局店厂部所站社院馆处队行会厅场")
# Latin-script organisation forms, as whole words of the case-folded name.
_LATIN_ORGANISATION = re.compile(
    r"\b(co|company|corp|corporation|inc|ltd|limited|llc|llp|plc|gmbh|bank|group|association"
    r"|committee|office|center|centre|hospital|school|university)\b"
)
# Invisible characters: Unicode's format characters (zero-width spaces and joiners, bidi
# marks, the BOM, soft hyphens, tags), variation selectors, the grapheme joiner and fillers.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
_SPACES = re.compile(r"\s+")

# Unit ids written by rule, on folded text: ``3-2-501`` (any three hyphenated parts);
# ``3号楼2单元501室``, ``3栋2单元501``, ``3幢501``, ``3号楼501``: the building, then the rest.
_HYPHENATED = re.compile(
    r"(?<![0-9A-Za-z-])([0-9A-Za-z]+)\s*-\s*[0-9A-Za-z]+\s*-\s*[0-9A-Za-z]+(?![0-9A-Za-z-])"
)
_WRITTEN = re.compile(
    r"(?<![0-9A-Za-z])([0-9A-Za-z]+)\s*(号楼|栋|幢|座|号院)\s*"
    r"(?:[0-9A-Za-z]+\s*单元\s*)?(?:[0-9A-Za-z]+\s*[层楼]\s*)?-?\s*[0-9A-Za-z]+\s*[室号户]?"
    r"(?![0-9A-Za-z])"
)
# What any mask needs at least one of: a character of an id, ASCII or full-width (folded
# text is matched, and a full-width digit folds to an ASCII one).
_MASKABLE = re.compile(r"[0-9A-Za-z_\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\uFF3F]")
# A run of the characters a registered unit id is made of (ledger.complex: letters, digits, - _).
_RUN = re.compile(r"[0-9A-Za-z_\-]+")


def normalise(text: str) -> str:
    """NFKC, invisible characters removed, runs of space collapsed, trimmed (for comparing)."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))).strip()


def name_key_text(name: str) -> str:
    """What two spellings of one name share: normalised, case-folded, no spaces at all."""
    return normalise(name).casefold().replace(" ", "")


@lru_cache(maxsize=NAMES_REMEMBERED)
def looks_like_organisation(name: str) -> bool:
    """Whether a name carries an organisation marker (a person's name carries none)."""
    text = normalise(name)
    if any(word in text for word in ORGANISATION_WORDS) or text.endswith(ORGANISATION_ENDINGS):
        return True
    return bool(_LATIN_ORGANISATION.search(text.casefold()))


def is_person(name: str, kind: str) -> bool:
    """A party is a person when declared an individual, or when its name looks like no
    organisation's, whatever was declared (a person's name sent as ``organisation``)."""
    return kind == "individual" or not looks_like_organisation(name)


def mask_person(name: str) -> str:
    """Surname + ``*``: the first character (two for a compound surname) of the normalised name."""
    text = normalise(name)
    if not text:
        return "*"
    surname = text[:2] if text[:2] in COMPOUND_SURNAMES else text[0]
    return f"{surname}*"


@lru_cache(maxsize=NAMES_REMEMBERED)
def public_name(name: str, kind: str) -> str:
    """The form of a party's name public output shows: masked for a person, else in full with
    unit numbers masked by rule."""
    return mask_person(name) if is_person(name, kind) else mask_units(name.strip())


def _fold(text: str) -> tuple[str, list[int]]:
    """The text as matching reads it, and where each of its characters came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if _INVISIBLE.fullmatch(char):
            continue
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
            folded.append(chr(code - 0xFEE0))
        else:
            folded.append("-" if char in _DASHES else char)
        origin.append(i)
    return "".join(folded), origin


def _spans(folded: str, register: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, masked form) in the folded text, leftmost first, none overlapping."""
    found: list[tuple[int, int, str]] = []
    if register:
        for m in _RUN.finditer(folded):
            masked = _registered(m.group(0), register)
            if masked is not None:
                found.append((m.start(), m.end(), masked))
    found.extend(
        (m.start(), m.end(), f"{m.group(1)}{m.group(2)}*") for m in _WRITTEN.finditer(folded)
    )
    found.extend((m.start(), m.end(), f"{m.group(1)}-*-*") for m in _HYPHENATED.finditer(folded))
    found.sort(key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _registered(run: str, register: Mapping[str, str]) -> str | None:
    building = register.get(run.casefold())
    if building is None:
        return None
    head, rest = run[: len(building)], run[len(building) :]
    if head.casefold() == building.casefold() and rest[:1] in ("-", "_"):
        return head + re.sub(r"[0-9A-Za-z]+", "*", rest)
    return f"{building}-*"


def _mask(text: str, register: Mapping[str, str]) -> str:
    if _MASKABLE.search(text) is None:  # no character of an id: nothing to mask (most names)
        return text
    folded, origin = _fold(text)
    spans = _spans(folded, register)
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end, masked in spans:
        first, last = origin[start], origin[end - 1] + 1
        out.append(text[at:first])
        out.append(masked)
        at = last
    out.append(text[at:])
    return "".join(out)


def mask_units(text: str) -> str:
    """Unit numbers of the shapes people write, building kept (no register needed)."""
    return _mask(text, {})


@dataclass(frozen=True, slots=True)
class UnitRegister:
    """A complex's registered unit ids and their buildings: masks each wherever it appears.

    Built once per complex and kept by the read side: one dictionary lookup per
    run of id characters in the text, so the cost does not grow with the units.
    """

    buildings: Mapping[str, str]  # unit id (case-folded) -> building

    @classmethod
    def of(cls, units: Iterable[tuple[str, str]]) -> UnitRegister:
        """From ``(unit id, building)`` pairs."""
        return cls({_fold(u)[0].casefold(): _fold(b)[0].strip() for u, b in units})

    def with_units(self, units: Iterable[tuple[str, str]]) -> UnitRegister:
        return UnitRegister({**self.buildings, **UnitRegister.of(units).buildings})

    def mask(self, text: str) -> str:
        """Registered ids in ``text`` (whole runs of id characters), then the rule's shapes."""
        return _mask(text, self.buildings)


NO_UNITS = UnitRegister({})
