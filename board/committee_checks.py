"""What the board adds to the committee page through households' hooks
(:mod:`households.committee_checks`): the arrears warning, which needs ``fees`` (above
households), and the compound's alerts brought up to date as soon as its committee or
formation changes (the daily job would do it the next morning)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from fees import selectors as fee_selectors
from fees.money import ZERO
from households.committee_checks import (
    MemberMatch,
    register_change_listener,
    register_member_check,
)
from portal.models import Compound


def arrears_check(compound: Compound, matches: Sequence[MemberMatch]) -> None:
    """A member or candidate whose units owe fees today (one query for all of them)."""
    unit_ids = {u for m in matches for u in m.unit_ids}
    if not unit_ids:
        return
    owed = {
        row["unit_id"]: row["total"]
        for row in fee_selectors.arrears_units(compound, timezone.localdate())
        .filter(unit_id__in=unit_ids)
        .values("unit_id", "total")
    }
    for match in matches:
        total = sum((owed[u] for u in match.unit_ids if u in owed), ZERO)
        if total:
            match.warnings.append(
                _("名下房屋欠缴物业费 %(total)s 元：请核实其委员资格") % {"total": f"{total:,.2f}"}
            )


def refresh_alerts(compound: Compound) -> None:
    from .services.alerts import alerts_refresh

    alerts_refresh(compounds=[compound])


def register() -> None:
    register_member_check(arrears_check)
    register_change_listener(refresh_alerts)
