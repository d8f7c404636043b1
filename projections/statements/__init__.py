"""The statements read model: the account's lines, drafts and published versions."""
