"""The register's lock: one writer of a compound's ownerships and account links at a time.

A roster import works out from a snapshot which accounts lose or regain their resident
role; an activation or a claim approval linking an account to an owner at the same moment
would slip past that plan. All three take this lock first (``of=self``: the compound row
only, not its street office), so they run one after another within a compound and never
block another compound.
"""

from portal.models import Compound


def register_lock(compound_id: int) -> None:
    """Lock the compound's row until the current transaction ends (a no-op on SQLite,
    whose writers are serialised anyway)."""
    Compound.objects.select_for_update(of=("self",)).only("pk").get(pk=compound_id)
