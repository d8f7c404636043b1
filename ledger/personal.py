"""Personal data (domain.md): people's names and bank accounts sealed per person (crypto-shredding).

A person's name and an individual's bank account are stored **sealed** in
events and snapshots: ``pd1:<person>:<ciphertext>``, authenticated encryption
under that person's own data key, which lives outside the events and can be
destroyed (``commonfund erase-person``). The chain hash covers the sealed string
as stored, so erasing a key changes no event and every chain still verifies.

Beside each sealed name the event keeps what must survive an erasure and
identifies nobody by itself: the public form (``王*``, computed once, when the
command is recorded, so statements and their hashes never change), the person
(the identity key, or for a person named without one a keyed hash of the
name) and keyed hashes of the name and bank account that the rules compare
(A05, H06, A02/A03/A16). Keyed hashes use the deployment secret: whoever holds
it can test a guessed name, as they can test a guessed ID number against an
identity key.

``ledger`` stays pure: :class:`PersonalData` is the port; ``commonfund`` implements
it over its keys table and gives it to the ``Ledger``.

Parties and members written before migration 0010 hold their names in plain
text (and cannot be rewritten without breaking their chains): :func:`party_of`
and :func:`member_of` give them the same shape when read, from the plaintext.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypedDict

from ledger.errors import InvalidCommand
from ledger.masking import is_person, mask_person, name_key_text, public_name

SEALED = "pd1:"
ERASED = "已删除"  # what a reader is shown where an erased person's name was
PERSON = re.compile(r"[0-9A-Za-z]{16,128}")  # an identity key, or a keyed hash of a name
_SEALED = re.compile(r"pd1:([0-9A-Za-z]{16,128}):[A-Za-z0-9_-]+")
_SEALED_JSON = re.compile(rb'"(pd1:[0-9A-Za-z]{16,128}:[A-Za-z0-9_-]+)"')
LEGACY = "legacy:"  # a key computed from plaintext written before 0010 (no secret was used)


class PersonalData(Protocol):
    """Seals and reveals one person's data under that person's key; keyed hashes for rules."""

    def seal(self, person: str, text: str) -> str:
        """``pd1:<person>:<ciphertext>``; the person's key is made on first use."""
        ...

    def reveal(self, sealed: str) -> str | None:
        """The text, or None when the person was erased (or the string was tampered with)."""
        ...

    def pseudonym(self, purpose: str, text: str) -> str:
        """A keyed hash (hex) of ``text`` for ``purpose`` under the deployment secret."""
        ...

    def prepare(self, persons: Iterable[str]) -> None:
        """Make ready the keys of many persons at once, before sealing for each (a bank file
        names thousands: issue #14); sealing works without it, one person at a time."""
        ...


class Unavailable:
    """The port of a ledger built without one: it can read, but not record personal data."""

    def seal(self, person: str, text: str) -> str:
        raise RuntimeError("this Ledger has no personal-data keeper: build it with personal=")

    def reveal(self, sealed: str) -> str | None:
        return None

    def pseudonym(self, purpose: str, text: str) -> str:
        raise RuntimeError("this Ledger has no personal-data keeper: build it with personal=")

    def prepare(self, persons: Iterable[str]) -> None:
        return None


class StoredParty(TypedDict):
    """A payer or payee as events keep it (``name`` and ``bank_account`` sealed for a person)."""

    name: str
    kind: str
    identity_key: str
    bank_account: str
    public_name: str  # what public output shows: masked for a person
    person: str  # "" for an organisation
    name_key: str  # keyed hash of the normalised name ("" for an organisation)
    bank_key: str  # keyed hash of a person's bank account ("" if none)


class StoredMember(TypedDict):
    """A committee member as events keep it: the name sealed; the person is the identity key."""

    member_id: str
    name: str
    identity_key: str
    role: str
    signatory: bool
    public_name: str
    name_key: str


def is_sealed(text: str) -> bool:
    return _SEALED.fullmatch(text) is not None


def person_of(sealed: str) -> str | None:
    """The person a sealed string belongs to (None: not sealed)."""
    found = _SEALED.fullmatch(sealed)
    return found.group(1) if found else None


def shown(personal: PersonalData, text: str) -> str:
    """What a reader who may see personal data is shown: revealed, or the erasure marker."""
    if not is_sealed(text):
        return text
    revealed = personal.reveal(text)
    return ERASED if revealed is None else revealed


def reveal_json(personal: PersonalData, body: bytes) -> bytes:
    """A JSON document with every sealed string value shown (stored responses, API answers)."""

    def one(match: re.Match[bytes]) -> bytes:
        text = shown(personal, match.group(1).decode())
        return json.dumps(text, ensure_ascii=False).encode()

    return _SEALED_JSON.sub(one, body)


def name_key(personal: PersonalData, name: str) -> str:
    """The keyed hash of a name, and the person of someone named without an identity key."""
    return personal.pseudonym("name", name_key_text(name))


def _bank_text(account: str) -> str:
    return re.sub(r"[\s\-]", "", account).upper()


def _plain(text: str, field: str) -> str:
    if text.startswith(SEALED):
        raise InvalidCommand(f"{field}: a name cannot start with {SEALED!r}")
    return text.strip()


def store_party(personal: PersonalData, party: Mapping[str, Any]) -> StoredParty:
    """What an event keeps of a payer or payee; an organisation's name stays readable."""
    name, kind = _plain(party["name"], "name"), party["kind"]
    identity = party.get("identity_key", "")
    bank = _plain(party.get("bank_account", ""), "bank_account")
    if not is_person(name, kind):
        return StoredParty(
            name=name, kind=kind, identity_key=identity, bank_account=bank,
            public_name=public_name(name, kind), person="", name_key="", bank_key="",
        )  # fmt: skip
    key = name_key(personal, name)
    person = identity or key
    return StoredParty(
        name=personal.seal(person, name),
        kind=kind,
        identity_key=identity,
        bank_account=personal.seal(person, bank) if bank else "",
        public_name=mask_person(name),
        person=person,
        name_key=key,
        bank_key=personal.pseudonym("bank", _bank_text(bank)) if bank else "",
    )


def blind_party(personal: PersonalData, party: Mapping[str, Any]) -> dict[str, Any]:
    """A party as a request's fingerprint covers it: a person's name and account keyed-hashed,
    so the fingerprint kept in the event cannot be used to test guessed names."""
    name, kind = party["name"].strip(), party["kind"]
    blinded = dict(party)
    if is_person(name, kind):
        blinded["name"] = personal.pseudonym("request", party["name"])
        bank = party.get("bank_account", "")
        blinded["bank_account"] = personal.pseudonym("request", bank) if bank else ""
    return blinded


def blind_request(personal: PersonalData, payload: Any) -> Any:
    """A request body (JSON) with every party's and member's name blinded as :func:`blind_party`
    does, for a request hash that is stored (the HTTP edge's idempotency records)."""
    if isinstance(payload, list):
        return [blind_request(personal, item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    blinded = {k: blind_request(personal, v) for k, v in payload.items()}
    if isinstance(blinded.get("name"), str) and isinstance(blinded.get("kind"), str):
        return blind_party(personal, blinded)
    if isinstance(blinded.get("name"), str) and "member_id" in blinded:
        blinded["name"] = personal.pseudonym("request", blinded["name"])
    return blinded


def _legacy_key(text: str) -> str:
    return LEGACY + hashlib.sha256(text.encode()).hexdigest()


def party_of(party: Mapping[str, Any]) -> StoredParty:
    """A stored party in today's shape; one written before 0010 is completed from its plaintext."""
    if "person" in party:
        return party  # type: ignore[return-value]
    name, kind = str(party.get("name", "")), str(party.get("kind", ""))
    identity, bank = str(party.get("identity_key", "")), str(party.get("bank_account", ""))
    person = is_person(name, kind)
    return StoredParty(
        name=name,
        kind=kind,
        identity_key=identity,
        bank_account=bank,
        public_name=public_name(name, kind),
        person=(identity or _legacy_key(name_key_text(name))) if person else "",
        name_key=_legacy_key(name_key_text(name)) if person else "",
        bank_key=_legacy_key(_bank_text(bank)) if person and bank else "",
    )


def party_key(party: Mapping[str, Any]) -> str:
    """Who is paid, as the rules that count payments to one payee compare them (A02, A03, A16)."""
    p = party_of(party)
    if p["person"]:
        return p["identity_key"] or p["bank_key"] or p["name_key"]
    return p["identity_key"] or p["bank_account"] or p["name"]


def store_member(personal: PersonalData, member: Mapping[str, Any]) -> StoredMember:
    """A member as stored: the name sealed to the person, who is the identity key or, for a
    member recorded without one, the keyed hash of the name (as for a party)."""
    name = _plain(str(member["name"]), "members.name")
    key = name_key(personal, name)
    return StoredMember(
        member_id=member["member_id"],
        name=personal.seal(member["identity_key"] or key, name),
        identity_key=member["identity_key"],
        role=member["role"],
        signatory=member["signatory"],
        public_name=mask_person(name),
        name_key=key,
    )


def member_of(member: Mapping[str, Any]) -> StoredMember:
    """A stored member in today's shape; one written before 0010 is completed from its plaintext."""
    if "name_key" in member:
        return member  # type: ignore[return-value]
    name = str(member["name"])
    return StoredMember(
        member_id=member["member_id"],
        name=name,
        identity_key=member["identity_key"],
        role=member["role"],
        signatory=member["signatory"],
        public_name=mask_person(name),
        name_key=_legacy_key(name_key_text(name)),
    )


def same_person(party: Mapping[str, Any], member: Mapping[str, Any]) -> bool:
    """H06 and A05: the payee is this member (same identity key, or a person of the same name)."""
    p, m = party_of(party), member_of(member)
    if p["identity_key"] and p["identity_key"] == m["identity_key"]:
        return True
    return bool(p["person"]) and p["name_key"] == m["name_key"]


def legacy_plaintext(value: Mapping[str, Any]) -> bool:
    """A party or member dict written before 0010 that holds a person's name in plain text."""
    if "person" in value or "name_key" in value:
        return False
    name = str(value.get("name", ""))
    return bool(name) and ("member_id" in value or is_person(name, str(value.get("kind", ""))))


ORGANISATION_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "ltd.",
    "ltd",
)


def match_key(party: Mapping[str, Any]) -> str:
    """What two records of one counterparty share, for the bank feed's matching (issue #14):
    a person by the keyed hash of their name (never the name), an organisation by its name
    normalised (full-width/half-width, spaces, case) without the common company suffix.
    "" when the party names no one."""
    stored = party_of(party)
    if stored.get("person"):
        return "p:" + str(stored.get("name_key") or stored["person"])
    text = name_key_text(str(stored.get("name", "")))
    for suffix in ORGANISATION_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return "o:" + text if text else ""
