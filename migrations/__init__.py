"""Numbered plain SQL migrations (NNNN_name[.postgres|.sqlite].sql) and the runner that applies them."""
