"""The common-fund account: the aggregate (account.py), its entries and payment rules, the
entry views, and the commands (commands.py).

The aggregate's names are re-exported here: ``from ledger.account import CommonFundAccount``,
as before issue #13 made this module a folder.
"""

from ledger.account.account import RECORDED_REFUSALS, CommonFundAccount, balance_effect

__all__ = ["RECORDED_REFUSALS", "CommonFundAccount", "balance_effect"]
