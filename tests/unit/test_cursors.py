"""Page cursors (api/cursors.py): a cursor names its list and a position, and nothing else passes."""

from __future__ import annotations

import pytest

from api.cursors import cursor_of, position_of
from ledger.errors import InvalidCommand


def test_a_cursor_gives_back_its_position() -> None:
    assert position_of("u1", cursor_of("u1", 12_345)) == 12_345
    assert position_of("u1", None) == 0


@pytest.mark.parametrize(
    "cursor",
    [cursor_of("v1", 7), "not-base64!", "", cursor_of("u1", -3), "dTE6eA=="],  # u1:x
)
def test_a_cursor_of_another_list_or_garbage_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCommand, match="not a cursor"):
        position_of("u1", cursor)
