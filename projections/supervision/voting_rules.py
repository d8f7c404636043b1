"""The owners' vote (issue #16): V01–V05, judged from the facts a closing ballot records; V06,
spending that cites a resolution under challenge in court.

The facts (ledger/voting/anomalies.py) are counts; the thresholds are the catalog's, so a city
may change them and a rebuild judges the same facts again. A V01–V05 finding's subject is the
ballot; a V06 finding's is the account or the repair project that spends.
"""

from __future__ import annotations

from ledger.voting.ballot import Ballot
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog
from projections.supervision.memory import Challenged

LATE_WINDOWS = ("100", "500", "1000")


def closed(c: Catalog, e: Ballot.Closed) -> list[Finding]:
    facts = e.facts
    ballot_id, complex_id = str(e.originator_id), facts["complex_id"]
    trigger, on = f"{ballot_id}/{e.originator_version}", e.value_date

    def found(rule: str, evidence: dict[str, object], zh: str, en: str) -> Finding:
        return Finding(
            c[rule],
            "ballot",
            ballot_id,
            complex_id,
            trigger,
            on,
            {"ballot_id": ballot_id, **evidence},
            zh,
            en,
        )

    findings = []
    most = c["V01"].params["units"]
    crowded = {d: n for d, n in facts["devices"].items() if n > most}
    if crowded:
        top = max(crowded.values())
        findings.append(
            found(
                "V01",
                {"devices": crowded, "units_per_device": most},
                f"{len(crowded)}台设备各为超过{most}户投票（最多{top}户）。",
                f"{len(crowded)} devices each voted for more than {most} units (at most {top}).",
            )
        )
    window = str(c["V02"].params["window_bp"])
    share = c["V02"].params["share_bp"]
    late = facts["late"].get(window)
    if late is not None and facts["votes"] and late * 10_000 > share * facts["votes"]:
        findings.append(
            found(
                "V02",
                {"late_votes": late, "votes": facts["votes"], "window_bp": int(window)},
                f"共{facts['votes']}张表决票中有{late}张在表决期最后{int(window) / 100:g}%的时间内投出。",
                f"{late} of {facts['votes']} votes were cast in the last {int(window) / 100:g}% of"
                " the voting time.",
            )
        )
    paper, counted = facts["counted_paper"], facts["counted"]
    if counted and paper * 10_000 > c["V03"].params["share_bp"] * counted:
        findings.append(
            found(
                "V03",
                {"paper": paper, "counted": counted},
                f"计入结果的{counted}票中纸质表决票{paper}票。",
                f"{paper} of the {counted} votes counted were paper ballots.",
            )
        )
    if facts["owner_changed"]:
        units = facts["owner_changed"]
        findings.append(
            found(
                "V04",
                {"units": units},
                f"{len(units)}户房屋在表决期间业主变更后仍有投票：{'、'.join(units[:5])}。",
                f"{len(units)} units whose owner changed during the ballot have votes:"
                f" {', '.join(units[:5])}.",
            )
        )
    if facts["flipped"]:
        matters = facts["flipped"]
        findings.append(
            found(
                "V05",
                {"matters": matters},
                f"第{'、'.join(map(str, matters))}项表决事项的结果仅因推定票而改变。",
                f"The outcome of matter(s) {', '.join(map(str, matters))} changes on the deemed"
                " votes alone.",
            )
        )
    return findings


def under_challenge(  # noqa: PLR0917 - the spending, said once by each of its three callers
    c: Catalog,
    suit: Challenged,
    resolution_id: str,
    subject: tuple[str, str],
    trigger: str,
    on: str,
    evidence: dict[str, object],
    what: tuple[str, str],
) -> list[Finding]:
    """V06: spending (a payment booked, a repair planned or paid) that cites a resolution a
    court is asked to revoke (SPC interpretation art. 12). The resolution still authorises it
    (H05, H08) until revoked: the alert tells the regulator the money may be spent on a
    decision that will not stand."""
    kind, subject_id = subject
    zh, en = what
    return [
        Finding(
            c["V06"], kind, subject_id, suit.complex_id, trigger, on,
            {"resolution_id": resolution_id, "court": suit.court,
             "case_number": suit.case_number, "filed_on": suit.filed_on, **evidence},
            f"{zh}所依据的业主大会决定正被诉请撤销（{suit.court}{suit.case_number}，"
            f"{suit.filed_on}立案）。",
            f"{en} cites a resolution a court was asked to revoke ({suit.court},"
            f" case {suit.case_number}, filed on {suit.filed_on}).",
        )
    ]  # fmt: skip
