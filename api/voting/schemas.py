"""Request and answer bodies of voting (issue #16)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from api.schemas import Amount, Day, Strict, _string_schema

SHA256 = r"^[0-9a-f]{64}$"
Sha256 = Annotated[str, Field(pattern=SHA256, examples=["ab" * 32])]
ChoiceText = Literal["agree", "disagree", "abstain"]
MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$"


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a time as ISO 8601 with its offset, e.g. 2026-12-11T09:00:00+08:00")  # noqa: TRY004 - pydantic reports ValueError as a 422
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time") from None
    if moment.utcoffset() is None:
        raise ValueError("give the time with its offset, e.g. +08:00")
    return moment


Moment = Annotated[
    datetime,
    BeforeValidator(_moment),
    _string_schema(MOMENT_PATTERN, "2026-12-11T09:00:00+08:00", "A time with its UTC offset"),
]


class ScopeCreate(Strict):
    kind: Literal["all", "buildings", "units"] = Field(
        default="all",
        examples=["all"],
        description="Who votes on the matter: every unit, some buildings, or listed units;"
        " only item 5 (the maintenance fund) may be put to some units (H08)",
    )
    buildings: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=500, examples=[["3"]], description="With kind=buildings"
    )
    units: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20_000, examples=[["3-1-502"]],
        description="With kind=units",
    )  # fmt: skip


class MatterCreate(Strict):
    item: int = Field(ge=1, le=9, examples=[5], description="The item of Civil Code art. 278")
    question: str = Field(
        min_length=1, max_length=2000, examples=["是否同意使用维修资金更换3号楼电梯？"],
        description="The question put to the owners, as they read it",
    )  # fmt: skip
    documents: list[Sha256] = Field(
        default_factory=list, max_length=50, examples=[["ab" * 32]],
        description="SHA-256 of each document the owners read (plan, budget, contract)",
    )  # fmt: skip
    scope: ScopeCreate = Field(default_factory=ScopeCreate, description="Who votes on it")
    purpose: str = Field(
        default="", max_length=200, examples=["更换3号楼电梯"],
        description="What the resolution authorises (defaults to the question)",
    )  # fmt: skip
    amount_cap: Amount | None = Field(default=None, description="Spending cap, yuan")
    period_from: Day | None = Field(default=None, description="Spending period start")
    period_to: Day | None = Field(default=None, description="Spending period end")
    budget_category: str | None = Field(
        default=None, max_length=64, examples=["repairs"],
        description="The expenditure category it budgets (H05)",
    )  # fmt: skip


class BallotCreate(Strict):
    title: str = Field(
        min_length=1, max_length=200, examples=["2026年第二次业主大会"],
        description="The assembly's name",
    )  # fmt: skip
    matters: list[MatterCreate] = Field(min_length=1, max_length=20, description="1–20 matters")
    notice_on: Day = Field(description="The day the assembly is announced")
    opens_at: Moment = Field(description="Voting opens (≥ 15 days after the notice)")
    closes_at: Moment = Field(description="Voting closes; the ballot is counted after it")
    deemed_votes: bool = Field(
        default=False, examples=[False],
        description="The complex's procedural rules (议事规则) count a served owner who did not"
        " vote with the majority of those who voted",
    )  # fmt: skip
    counting_rule: Literal["signed_later", "paper_prevails"] = Field(
        default="signed_later", examples=["signed_later"],
        description="Which of a unit's votes counts (electronic and paper): the one signed later,"
        " or a paper ballot over electronic votes",
    )  # fmt: skip
    objection_days: int = Field(
        default=7, ge=0, le=60, examples=[7],
        description="Days of objection period (询异公示) after the result before it takes effect",
    )  # fmt: skip


class DeliveryCreate(Strict):
    units: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=20_000, examples=[["3-1-502"]],
        description="Units the paper ballot was delivered to",
    )  # fmt: skip
    evidence: Sha256 = Field(description="SHA-256 of the delivery evidence (signed receipt)")


Choices = dict[Annotated[str, Field(pattern=r"^[1-9][0-9]?$")], ChoiceText]


class VotesCreate(Strict):
    choices: Choices = Field(
        min_length=1, examples=[{"1": "agree"}],
        description="Matter number (1, 2, …) → agree, disagree or abstain",
    )  # fmt: skip
    units: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=500, examples=[None],
        description="Your units to vote for; omitted: every unit you own in the scope",
    )  # fmt: skip


class PaperBallotCreate(Strict):
    unit: str = Field(min_length=1, max_length=64, examples=["3-1-502"], description="The unit")
    choices: Choices = Field(min_length=1, examples=[{"1": "agree"}], description="As signed")
    signed_at: Moment = Field(description="When the owner signed the paper ballot")
    scan: Sha256 = Field(description="SHA-256 of the ballot's scan")


class RevocationCreate(Strict):
    revoked_on: Day = Field(description="The day the court's judgment took effect")
    judgment: Sha256 = Field(description="SHA-256 of the judgment's scan")


class ChallengeCreate(Strict):
    court: str = Field(
        min_length=1, max_length=100, examples=["青岛市市南区人民法院"],
        description="The court that accepted the suit",
    )  # fmt: skip
    case_number: str = Field(
        min_length=1, max_length=64, examples=["(2027)鲁0202民初123号"],
        description="The court's case number (案号)",
    )  # fmt: skip
    filed_on: Day = Field(description="The day the court accepted the suit (立案)")
    filing: Sha256 = Field(description="SHA-256 of the filing's scan (the acceptance notice)")


class ChallengeEndCreate(Strict):
    outcome: Literal["dismissed", "withdrawn"] = Field(
        examples=["dismissed"],
        description="How the case ended other than by revocation (a revocation is recorded at"
        " /revocation, and ends the challenge too)",
    )
    ended_on: Day = Field(description="The day the ruling took effect")
    ruling: Sha256 = Field(description="SHA-256 of the ruling's scan")


class ChallengePublic(BaseModel):
    id: str = Field(description="The resolution", examples=["fcca3fae-3ea7-5805-af04-ba67f89665d0"])
    status: Literal["under_challenge", "dismissed", "withdrawn"] = Field(
        description="The challenge's state after this step", examples=["under_challenge"]
    )
    case_number: str = Field(description="The case (案号)", examples=["(2027)鲁0202民初123号"])
    on: str = Field(description="The day filed, or ended", examples=["2027-01-10"])


class VotePublic(BaseModel):
    unit: str = Field(description="The unit voted for", examples=["3-1-502"])
    matter: int = Field(description="Matter number on the ballot", examples=[1])
    choice: ChoiceText = Field(description="The choice", examples=["agree"])
    channel: Literal["electronic", "paper"] = Field(description="How", examples=["electronic"])
    signed_at: str = Field(description="When signed", examples=["2026-12-11T09:05:00+08:00"])
    nonce: str = Field(description="The random nonce the receipt hashes", examples=["0f" * 16])
    receipt: str = Field(description="SHA-256 of the vote's canonical JSON", examples=["ab" * 32])


class CastPublic(BaseModel):
    ballot_id: str = Field(description="The ballot", examples=["6f1c…"])
    signed_at: str = Field(description="When signed", examples=["2026-12-11T09:05:00+08:00"])
    votes: list[VotePublic] = Field(description="The votes recorded, with their receipts")


class MatterPublic(BaseModel):
    number: int = Field(description="Matter number on the ballot", examples=[1])
    item: int = Field(description="Item of Civil Code art. 278", examples=[5])
    question: str = Field(description="The question", examples=["是否同意……？"])
    documents: list[str] = Field(description="SHA-256 of its documents", examples=[["ab" * 32]])
    scope: str = Field(description="all, buildings or units", examples=["all"])
    units_in_scope: int = Field(description="Units that vote on it (once open)", examples=[120])
    amount_cap: str | None = Field(description="Spending cap, yuan", examples=["20000.00"])


class ResultPublic(BaseModel):
    matter: int = Field(description="Matter number", examples=[1])
    item: int = Field(description="Item of art. 278", examples=[5])
    passed: bool = Field(description="Binding outcome", examples=[True])
    passed_without_deemed: bool = Field(description="Counting only cast votes", examples=[True])
    passed_with_deemed: bool = Field(description="With deemed votes", examples=[True])
    deemed_apply: bool = Field(
        description="The procedural rules bind deemed votes", examples=[False]
    )
    deemed_units: int = Field(description="Units deemed to vote with the majority", examples=[0])
    votes: int = Field(description="Votes stored, changes included", examples=[130])
    root: str = Field(description="Merkle root over every vote's receipt", examples=["ab" * 32])
    resolution_id: str = Field(description="The resolution recorded", examples=["6f1c…"])


class BallotPublic(BaseModel):
    id: str = Field(description="The ballot's id", examples=["6f1c…"])
    complex_id: str = Field(description="The complex", examples=["6f1c…"])
    title: str = Field(description="The assembly's name", examples=["2026年第二次业主大会"])
    state: Literal["announced", "open", "counting", "closed"] = Field(
        description="announced → open → counting (closing time passed) → closed", examples=["open"]
    )
    notice_on: str = Field(description="Announced on", examples=["2026-11-26"])
    opens_at: str = Field(description="Voting opens", examples=["2026-12-11T09:00:00+08:00"])
    closes_at: str = Field(description="Voting closes", examples=["2026-12-18T18:00:00+08:00"])
    deemed_votes: bool = Field(description="Non-voters deemed with the majority", examples=[False])
    counting_rule: str = Field(description="Which vote of a unit counts", examples=["signed_later"])
    objection_until: str | None = Field(
        description="Last day of the objection period (once closed)", examples=["2026-12-25"]
    )
    effective_from: str | None = Field(
        description="The resolutions authorise from this day", examples=["2026-12-26"]
    )
    matters: list[MatterPublic] = Field(description="The matters")
    results: list[ResultPublic] = Field(description="Once closed, per matter")
    version: int = Field(description="Stream version", examples=[3])


class CountPublic(BaseModel):
    scope_area: str = Field(description="m²", examples=["10000.00"])
    scope_heads: int = Field(description="Heads in scope (art. 9)", examples=[100])
    participating_area: str = Field(description="m²", examples=["7000.00"])
    participating_heads: int = Field(description="Heads that voted", examples=[70])
    consenting_area: str = Field(description="m²", examples=["6000.00"])
    consenting_heads: int = Field(description="Heads that agreed", examples=[60])
    participation_met: bool = Field(description="≥ 2/3 of area and heads", examples=[True])
    consent_met: bool = Field(description="The consent threshold is met", examples=[True])
    area_to_participate: str = Field(description="m² still to vote", examples=["0.00"])
    heads_to_participate: int = Field(description="Heads still to vote", examples=[0])
    area_to_consent: str = Field(description="m² of agreeing votes still needed", examples=["0.00"])
    heads_to_consent: int = Field(description="Agreeing heads still needed", examples=[0])


class MatterQuorumPublic(BaseModel):
    matter: int = Field(description="Matter number", examples=[1])
    without_deemed: CountPublic = Field(description="Counting cast votes only")
    with_deemed: CountPublic = Field(description="With served non-voters deemed")
    by_building: dict[str, CountPublic] = Field(
        description="The binding count per building", examples=[{}]
    )


class QuorumPublic(BaseModel):
    ballot_id: str = Field(description="The ballot", examples=["6f1c…"])
    state: str = Field(description="The ballot's state", examples=["open"])
    matters: list[MatterQuorumPublic] = Field(description="Per matter")


class ListEntryPublic(BaseModel):
    building: str = Field(description="The unit's building only", examples=["3"])
    choice: ChoiceText = Field(description="The choice", examples=["agree"])
    receipt: str = Field(description="The vote's receipt", examples=["ab" * 32])
    counted: bool = Field(description="This is the unit's vote that counts", examples=[True])


class BallotListPublic(BaseModel):
    ballot_id: str = Field(description="The ballot", examples=["6f1c…"])
    matter: int = Field(description="Matter number", examples=[1])
    root: str = Field(description="Merkle root over the receipts", examples=["ab" * 32])
    entries: list[ListEntryPublic] = Field(description="Every vote, sorted by receipt")


class ProofStepPublic(BaseModel):
    sibling: str = Field(description="Sibling hash, hex", examples=["ab" * 32])
    side: Literal["left", "right"] = Field(description="Where the sibling sits", examples=["left"])


class ReceiptCheckPublic(BaseModel):
    receipt: str = Field(description="The receipt checked", examples=["ab" * 32])
    matter: int = Field(description="Matter number", examples=[1])
    included: bool = Field(description="Under the published root", examples=[True])
    counted: bool = Field(description="It is the vote that counts for its unit", examples=[True])
    root: str = Field(description="The published root", examples=["ab" * 32])
    proof: list[ProofStepPublic] = Field(description="Inclusion proof, leaf to root")
