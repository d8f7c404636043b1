"""How the maintenance commands find a complex's fund: established by its first movement."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ledger.complexes.complex import Complex
from ledger.errors import NotFound
from ledger.maintenance.fund import MaintenanceFund
from ledger.maintenance.receipts import fund_id
from ledger.unit_of_work import Actor, Load, UnitOfWork


def fund_of(
    work: UnitOfWork, load: Load, complex_: Complex, on: date, actor: Actor
) -> MaintenanceFund:
    """The complex's fund, established by its first movement."""
    the_id = fund_id(complex_.id)
    if work.exists(the_id):
        return load(the_id, MaintenanceFund)
    return MaintenanceFund.establish(
        the_id, complex_id=complex_.id, on=on, principal=actor.principal
    )


def existing_fund(work: UnitOfWork, load: Load, complex_id: UUID) -> MaintenanceFund:
    """The complex's fund, refused while it has none."""
    the_id = fund_id(complex_id)
    if not work.exists(the_id):
        raise NotFound(
            f"complex {complex_id} has no maintenance fund yet: record its first deposits"
            " or the authority's initial transfer"
        )
    return load(the_id, MaintenanceFund)
