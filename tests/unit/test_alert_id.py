"""An alert's id is uuid5(NAMESPACE, "rule/subject/trigger"), however ``alert_id`` computes it."""

from __future__ import annotations

from uuid import uuid5

from hypothesis import given
from hypothesis import strategies as st

from projections.supervision.alerts import NAMESPACE, alert_id

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)  # no lone surrogates


@given(rule=text, subject=text, trigger=text)
def test_alert_id_is_the_uuid5_of_rule_subject_and_trigger(
    rule: str, subject: str, trigger: str
) -> None:
    assert alert_id(rule, subject, trigger) == str(uuid5(NAMESPACE, f"{rule}/{subject}/{trigger}"))


def test_known_ids_stay_the_same() -> None:
    # alerts already stored keep their ids: these are the ids the first release computed
    assert alert_id("A08", "c1", "2026-Q3") == str(uuid5(NAMESPACE, "A08/c1/2026-Q3"))
    assert alert_id("A13", "账户", "quiet/2026-05-01") == str(
        uuid5(NAMESPACE, "A13/账户/quiet/2026-05-01")
    )
