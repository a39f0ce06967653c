"""Demo of the board (issue 12): the environment renovation of 学院南路32号院 and today's
alerts. Called by ``board.demo`` after the apps' demos, as ``seed(compound)``; idempotent.

The renovation's headline figures are the case's (DOMAIN.md: from 2021-05, 20 buildings,
13,000 m² of illegal structures and 200+ ground-locks removed, 3,000,000+ yuan); the exact
numbers are illustrative and the page says so. Nothing that lapsed in 2024 is renewed
here: the committee's 2021 term, the 2022–2024 subsidy, fee standards and agreement show
as ended alerts, as a real street office would see them today.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from portal.models import Compound

from . import services
from .models import Renovation

RENOVATION: dict[str, Any] = {
    "started_on": dt.date(2021, 5, 1),
    "money_invested": Decimal("3000000.00"),
    "illegal_structures_removed": Decimal("13000.00"),
    "ground_locks_removed": 200,
    "buildings_renovated": 20,
    "note": "案例：投入300余万元，拆除违建1.3万平方米、地锁200余个，改造楼栋20栋；具体数值为示意",
}


@transaction.atomic
def seed(compound: Compound) -> None:
    if not Renovation.objects.filter(compound=compound).exists():
        services.renovation_record(compound=compound, actor=None, illustrative=True, **RENOVATION)
    # Today's alerts of every demo compound (the second street office's too).
    services.alerts_refresh()
