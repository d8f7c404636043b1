"""Masking on the read side: each complex's unit register, compiled once per complex and kept.

The rules are ``ledger.masking``'s (a person shows as ``王*``; a unit number by
rule and every registered unit id show their building only). A view that
shows text in public asks :class:`Registers` for the complex's register as the
log stood at the event, so a rebuild masks exactly as the live copy did.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from ledger.masking import NO_UNITS, UnitRegister, mask_units

__all__ = ["Registers", "mask_units"]

KEPT = 256  # complexes whose compiled register a process keeps (an LRU): ~10,000 units each


class Registers:
    """Complex -> its :class:`UnitRegister`, loaded on first use and kept (LRU)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[str, UnitRegister] = OrderedDict()

    def of(self, complex_id: str, load: Callable[[], Iterable[tuple[str, str]]]) -> UnitRegister:
        """The complex's register; ``load`` gives its ``(unit id, building)`` pairs if not kept."""
        found = self._kept.get(complex_id)
        if found is None:
            units = list(load())
            found = UnitRegister.of(units) if units else NO_UNITS
            self._kept[complex_id] = found
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(complex_id)
        return found

    def added(self, complex_id: str, units: Iterable[tuple[str, str]]) -> None:
        """Units the log just registered (already written where ``load`` reads them)."""
        found = self._kept.get(complex_id)
        if found is not None:
            self._kept[complex_id] = found.with_units(units)
