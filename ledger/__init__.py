"""The commonfund ledger: pure domain (aggregates, events, money, rules H01–H15) and its application service."""
