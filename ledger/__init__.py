"""The commonfund ledger: pure domain (aggregates, events, money, rules H01–H15) and its application service."""

from ledger.topics import register_moved_topics

register_moved_topics()  # events stored before issue #13 moved the aggregates still load
